"""CSV downloads: streamed row by row, with spreadsheet formulas neutralised."""

import csv
from collections.abc import Iterable, Iterator

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write returns the line (csv writes into it)."""

    def write(self, value: str) -> str:
        return value


def safe_cell(value: object) -> object:
    """Neutralise spreadsheet formulas in text people typed (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def csv_lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Each row as one CSV line, every cell made safe."""
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow([safe_cell(v) for v in row])
