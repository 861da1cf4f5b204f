"""Server-rendered SVG charts (pygal), with no script and no external URL, so they work
without JavaScript and without a CDN. Every chart in a template is paired with a data
table for screen readers (the SVG itself is ``aria-hidden``).

The strict Content-Security-Policy allows no inline style without the request's nonce:
pygal's own ``<style>`` element (its CSS is scoped to a per-chart id, so it cannot be a
static file) carries the nonce, and its one ``style`` attribute becomes the equivalent
SVG presentation attribute, which CSP does not govern."""

import re
from collections.abc import Sequence
from datetime import date

import pygal
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#dde1e8",
    colors=("#3b4cca", "#0f9d76", "#c2410c", "#7c3aed"),
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    value_font_size=12,
    tooltip_font_size=13,
    guide_stroke_color="#e6e9f0",
    major_guide_stroke_color="#e6e9f0",
    guide_stroke_dasharray="0",
    major_guide_stroke_dasharray="0",
    stroke_width=2.5,
    opacity=".9",
    opacity_hover="1",
    transition="0ms",
)
COLOURS = _STYLE.colors


def _config(**overrides) -> dict:
    config = {
        "js": [],  # pygal would otherwise load its tooltip script from a CDN
        "disable_xml_declaration": True,
        "explicit_size": False,  # a viewBox only: the SVG scales to its container
        "width": 560,
        "height": 260,
        "style": _STYLE,
        # The legend is HTML next to the chart (readable at any size, and real text).
        "show_legend": False,
        "truncate_label": -1,
        "show_minor_x_labels": False,
        "x_label_rotation": 0,
        "margin": 12,
        "spacing": 12,
        "print_values": False,
        "min_scale": 3,
        "max_scale": 6,
        "show_y_guides": True,
        "show_x_guides": False,
        "include_x_axis": True,
        "no_data_text": "No data yet",
        "tooltip_border_radius": 4,
    }
    config.update(overrides)
    return config


def _labels(days: Sequence[date]) -> tuple[list[str], list[str]]:
    labels = [f"{d:%d %b}" for d in days]
    step = max(1, -(-len(days) // 5))
    return labels, labels[::step]


def _integer_ticks(series: dict[str, list[int]]) -> list[int]:
    """Y-axis labels for counts: whole numbers only (pygal would label 0, 0.2, … 1 for a
    series that peaks at one click), at most 6 of them, from 0 past the highest value."""
    top = max((max(values, default=0) for values in series.values()), default=0)
    if top <= 0:
        return [0, 1]
    step = 1
    while -(-top // step) > 5:
        # 1, 2, 5, 10, 20, 50, ...: steps a person reads at a glance.
        step = step * 5 // 2 if str(step).startswith("2") else step * 2
    return list(range(0, -(-top // step) * step + 1, step))


_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_STYLE_ELEMENT = re.compile(r"<style\b")
# The hidden tooltip group (pygal's only style attribute; its tooltips need the script we drop).
_TOOLTIP_STYLE = 'style="opacity: 0"'


def _render(chart, nonce: str) -> SafeString:
    # pygal always embeds a config script for its (CDN) tooltip library; we load no
    # library, so the script is dead weight: drop it.
    svg = _SCRIPT.sub("", chart.render(is_unicode=True))
    svg = _STYLE_ELEMENT.sub(f'<style nonce="{escape(nonce)}"', svg)
    svg = svg.replace(_TOOLTIP_STYLE, 'opacity="0"')
    # Decorative for assistive technology: the data table next to it carries the numbers.
    svg = svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)
    return mark_safe(svg)  # noqa: S308  (pygal escapes values; labels are dates we made)


def legend(names: Sequence[str]) -> list[tuple[str, str]]:
    """(name, colour) pairs in the order the series were added, for an HTML legend."""
    return [(name, COLOURS[i % len(COLOURS)]) for i, name in enumerate(names)]


def bar_chart(
    days: Sequence[date], series: dict[str, list[int]], *, nonce: str, height: int = 260
) -> SafeString:
    """``nonce``: the request's CSP nonce (``request.csp_nonce``), for the chart's <style>."""
    chart = pygal.Bar(**_config(height=height))
    chart.x_labels, chart.x_labels_major = _labels(days)
    if series:  # an empty chart shows its "No data yet" text, no axis
        chart.y_labels = _integer_ticks(series)
    for name, values in series.items():
        chart.add(name, list(values))
    return _render(chart, nonce)


def line_chart(
    days: Sequence[date], series: dict[str, list[int]], *, nonce: str, height: int = 260
) -> SafeString:
    """``nonce``: the request's CSP nonce (``request.csp_nonce``), for the chart's <style>."""
    chart = pygal.Line(**_config(height=height, dots_size=2, fill=False))
    chart.x_labels, chart.x_labels_major = _labels(days)
    if series:  # an empty chart shows its "No data yet" text, no axis
        chart.y_labels = _integer_ticks(series)
    for name, values in series.items():
        chart.add(name, list(values))
    return _render(chart, nonce)
