"""The fault suite's table: its columns, percentiles and where a run came from."""

from __future__ import annotations

import subprocess

from ops.stack import ROOT


def p95(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def commit() -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=False)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True, check=False).stdout.strip()
    return result.stdout.strip() + (" (+ uncommitted changes)" if dirty else "")


COLUMNS = [
    ("scenario", "scenario"), ("created", "created"), ("posted", "posted"), ("failed", "failed"),
    ("needs_confirmation", "needs conf."), ("duplicates", "dup."), ("lost", "lost"),
    ("web_errors_outside", "5xx out"), ("web_errors_inside", "5xx in"), ("p95_feed_ms", "p95 feed ms"),
    ("p95_r_ms", "p95 /r/ ms"), ("settled_s", "settled s"), ("error_answer_but_saved", "saved, told no"),
    ("passed", "pass"),
]


def render(rows: list[dict]) -> str:
    """A Markdown table (also readable in a terminal)."""
    def cell(row: dict, key: str) -> str:
        value = row[key]
        if key == "passed":
            return "yes" if value else "**NO**"
        if isinstance(value, list):
            return str(len(value))
        return "–" if value is None else str(value)

    lines = ["| " + " | ".join(title for _, title in COLUMNS) + " |",
             "|" + "|".join(" --- " for _ in COLUMNS) + "|"]
    lines += ["| " + " | ".join(cell(row, key) for key, _ in COLUMNS) + " |" for row in rows]
    return "\n".join(lines)
