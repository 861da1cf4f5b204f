"""Server-rendered SVG charts, drawn here: no script and no external URL, so they work
without JavaScript and without a CDN. Every chart in a template is paired with a data
table for screen readers (the SVG itself is ``aria-hidden``).

Our charts are a count per day (bars) or a few counts per day (lines), so they are drawn
directly as SVG text: whole-number y ticks with guide lines, at most ~6 day labels, and a
transparent column per day whose ``<title>`` is the browser's own tooltip ("Tue 3 Mar:
Clicks 5, Unique clicks 4"). This replaced pygal, which spent 35–45 ms on a 28-day chart
and 0.2–0.45 s on a 365-day one (most of the analytics page; see BENCHMARKS.md, B3); the
output is also a tenth of the size.

The strict Content-Security-Policy allows no inline style without the request's nonce:
the chart's one ``<style>`` element (fonts and text colour) carries the nonce, everything
else is an SVG presentation attribute, which CSP does not govern."""

from collections.abc import Sequence
from datetime import date

from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

COLOURS = ("#3b4cca", "#0f9d76", "#c2410c", "#7c3aed")
FOREGROUND = "#1f2933"
GUIDE = "#e6e9f0"
AXIS = "#9aa5b1"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
WIDTH = 560
MARGIN = 12
LABEL_SIZE = 13
DIGIT_WIDTH = 7.8  # px per character of a 13 px label (for the y axis' width)
X_LABEL_BAND = 24  # px under the plot for the day labels
MAX_DOTS = 62  # a line chart marks each day up to two months; beyond, the line alone

_CSS = (
    f".chart-svg text{{font-family:{FONT};font-size:{LABEL_SIZE}px;fill:{FOREGROUND}}}"
    ".chart-svg .axis.y text{text-anchor:end}.chart-svg .axis.x text{text-anchor:middle}"
    f".chart-svg .no_data{{font-size:20px;text-anchor:middle;fill:{AXIS}}}"
    ".chart-svg .hover rect:hover{fill:#1f2933;fill-opacity:.06}"
)


def _label_step(days: int) -> int:
    """Label every ``step``-th day: five labels at most."""
    return max(1, -(-days // 5))


def _integer_ticks(series: dict[str, list[int]]) -> list[int]:
    """Y-axis labels for counts: whole numbers only (never 0, 0.2, … 1 for a series that
    peaks at one click), at most 6 of them, from 0 past the highest value."""
    top = max((max(values, default=0) for values in series.values()), default=0)
    if top <= 0:
        return [0, 1]
    step = 1
    while -(-top // step) > 5:
        # 1, 2, 5, 10, 20, 50, ...: steps a person reads at a glance.
        step = step * 5 // 2 if str(step).startswith("2") else step * 2
    return list(range(0, -(-top // step) * step + 1, step))


def _day_labels(days: Sequence[date]) -> list[str]:
    """"Sun 1 Mar" for each day: what the template filter ``date:"D j M"`` writes (names
    translated), at a fraction of its cost (it was a tenth of a year-long page)."""
    weekdays = [str(WEEKDAYS_ABBR[i]) for i in range(7)]
    months = {m: str(MONTHS_3[m]).title() for m in range(1, 13)}
    return [f"{weekdays[d.weekday()]} {d.day} {months[d.month]}" for d in days]


def data_table(days: Sequence[date], columns: dict[str, list[int]], *, caption: str) -> SafeString:
    """The numbers behind a chart, a row per day ("Show the numbers"): the accessible
    version of the chart, built here rather than in a template loop (a year is 365 rows)."""
    head = "".join(f'<th scope="col">{escape(name)}</th>' for name in columns)
    values = list(columns.values())
    rows = "".join(
        f"<tr><td>{label}</td>{''.join(f'<td>{v[i]}</td>' for v in values)}</tr>"
        for i, label in enumerate(_day_labels(days))
    )
    return mark_safe(  # noqa: S308  (headings and caption escaped; labels are dates, values numbers)
        f'<table class="data compact"><caption class="sr-only">{escape(caption)}</caption>'
        f'<thead><tr><th scope="col">Day</th>{head}</tr></thead><tbody>{rows}</tbody></table>'
    )


def legend(names: Sequence[str]) -> list[tuple[str, str]]:
    """(name, colour) pairs in the order the series were added, for an HTML legend."""
    return [(name, COLOURS[i % len(COLOURS)]) for i, name in enumerate(names)]


def _n(value: float) -> str:
    """A coordinate: one decimal is finer than a pixel of a 560-wide viewBox."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


class _Frame:
    """The plot area of one chart and the mapping of (day index, value) into it."""

    def __init__(self, slots: int, ticks: list[int], height: int):
        widest = max(len(f"{t:,}") for t in ticks)
        self.left = MARGIN + widest * DIGIT_WIDTH + 6
        self.top = MARGIN
        self.width = WIDTH - self.left - MARGIN
        self.height = height - 2 * MARGIN - X_LABEL_BAND
        self.slots = max(1, slots)
        self.slot = self.width / self.slots
        self.top_value = ticks[-1] or 1

    def x(self, index: int) -> float:
        """The centre of day ``index``'s slot."""
        return self.left + self.slot * (index + 0.5)

    def y(self, value: float) -> float:
        return self.top + self.height * (1 - max(0, value) / self.top_value)

    @property
    def bottom(self) -> float:
        return self.top + self.height


def _open(height: int, nonce: str) -> list[str]:
    return [
        f'<svg aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg" class="chart-svg" '
        f'viewBox="0 0 {WIDTH} {height}">',
        f'<style nonce="{escape(nonce)}" type="text/css">{_CSS}</style>',
    ]


def _axes(out: list[str], frame: _Frame, ticks: list[int], days: Sequence[date]) -> None:
    out.append('<g class="axis y">')
    for tick in ticks:
        y = _n(frame.y(tick))
        colour = AXIS if tick == 0 else GUIDE
        out.append(f'<path d="M{_n(frame.left)} {y}h{_n(frame.width)}" stroke="{colour}" fill="none"/>'
                   f'<text x="{_n(frame.left - 6)}" y="{_n(frame.y(tick) + 4.5)}">{tick:,}</text>')
    out.append('</g><g class="axis x">')
    label_y = _n(frame.bottom + X_LABEL_BAND - 6)
    for index in range(0, len(days), _label_step(len(days))):
        out.append(f'<text x="{_n(frame.x(index))}" y="{label_y}">{days[index]:%d %b}</text>')
    out.append("</g>")


def _hover(out: list[str], frame: _Frame, days: Sequence[date], series: dict[str, list[int]]) -> None:
    """A transparent column per day: the browser shows its <title> as a tooltip."""
    names = [(escape(name), values) for name, values in series.items()]
    out.append('<g class="hover">')
    width, top, height = _n(frame.slot), _n(frame.top), _n(frame.height)
    for index, label in enumerate(_day_labels(days)):
        values = ", ".join(f"{name} {values[index]:,}" for name, values in names)
        out.append(f'<rect x="{_n(frame.left + frame.slot * index)}" y="{top}" width="{width}" height="{height}" '
                   f'fill="transparent"><title>{label}: {values}</title></rect>')
    out.append("</g>")


def _empty(out: list[str], height: int) -> SafeString:
    out.append(f'<text class="no_data" x="{WIDTH // 2}" y="{height // 2}">No data yet</text></svg>')
    return mark_safe("".join(out))  # noqa: S308  (nothing from the outside but the escaped nonce)


def _draw(days: Sequence[date], series: dict[str, list[int]], nonce: str, height: int, kind: str) -> SafeString:
    out = _open(height, nonce)
    if not series or not days:
        return _empty(out, height)
    ticks = _integer_ticks(series)
    frame = _Frame(len(days), ticks, height)
    _axes(out, frame, ticks, days)
    if kind == "bar":
        count = len(series)
        group = frame.slot * 0.8
        bar = group / count
        for s, (name, values) in enumerate(series.items()):
            colour = COLOURS[s % len(COLOURS)]
            out.append(f'<g class="series" fill="{colour}" data-name="{escape(name)}">')
            width = _n(max(bar - 0.5, 0.5))
            for index, value in enumerate(values):
                if value <= 0:
                    continue
                x = frame.left + frame.slot * index + frame.slot * 0.1 + bar * s
                y = frame.y(value)
                out.append(f'<rect x="{_n(x)}" y="{_n(y)}" width="{width}" height="{_n(frame.bottom - y)}"/>')
            out.append("</g>")
    else:
        for s, (name, values) in enumerate(series.items()):
            colour = COLOURS[s % len(COLOURS)]
            points = " ".join(f"{_n(frame.x(i))} {_n(frame.y(v))}" for i, v in enumerate(values))
            out.append(f'<g class="series" data-name="{escape(name)}"><path d="M{points}" fill="none" '
                       f'stroke="{colour}" stroke-width="2.5" stroke-linejoin="round"/>')
            if len(values) <= MAX_DOTS:
                out.extend(f'<circle cx="{_n(frame.x(i))}" cy="{_n(frame.y(v))}" r="2.5" fill="{colour}"/>'
                           for i, v in enumerate(values))
            out.append("</g>")
    _hover(out, frame, days, series)
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308  (names, labels and the nonce are escaped; the rest are numbers)


def bar_chart(
    days: Sequence[date], series: dict[str, list[int]], *, nonce: str, height: int = 260
) -> SafeString:
    """Bars per day, one per series side by side. ``nonce``: the request's CSP nonce
    (``request.csp_nonce``), for the chart's <style>."""
    return _draw(days, series, nonce, height, "bar")


def line_chart(
    days: Sequence[date], series: dict[str, list[int]], *, nonce: str, height: int = 260
) -> SafeString:
    """A line per series (dots on each day up to two months). ``nonce``: the request's CSP
    nonce (``request.csp_nonce``), for the chart's <style>."""
    return _draw(days, series, nonce, height, "line")
