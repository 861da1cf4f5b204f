"""Small formatting helpers for the analytics templates."""

from decimal import Decimal

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from core.widths import width_class as _width_class

register = template.Library()


@register.filter
def pct(value: float | None, digits: int = 0) -> str:
    """A percentage, or an em dash when there is nothing to divide by."""
    if value is None:
        return "—"
    return f"{value:.{digits}f}%"


@register.filter
def width_class(percent: float | None) -> str:
    """``class="bar-fill {{ x|width_class }}"``: a computed width with no style attribute (CSP)."""
    return _width_class(percent)


@register.filter
def ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


@register.filter
def money(value: Decimal | float | None) -> str:
    if value is None:
        return "—"
    return intcomma(f"{Decimal(value):.2f}")


@register.filter
def get(mapping: dict, key: str):
    return mapping.get(key, "") if mapping else ""


@register.simple_tag
def delta(current: float | int | None, previous: float | int | None) -> str:
    """▲ 12% / ▼ 5% against the previous period (plain text after the arrow for
    screen readers)."""
    if current is None or previous is None:
        return ""
    if not previous:
        return mark_safe('<span class="delta up">new</span>') if current else ""
    change = round(100 * (current - previous) / previous)
    if change == 0:
        return mark_safe('<span class="delta">no change</span>')
    direction, arrow, word = ("up", "▲", "up") if change > 0 else ("down", "▼", "down")
    return format_html(
        '<span class="delta {}"><span aria-hidden="true">{}</span> <span class="sr-only">{}</span>{}%</span>',
        direction, arrow, word, abs(change),
    )


@register.simple_tag
def tip(text: str) -> str:
    """An ⓘ that shows ``text`` on hover and keyboard focus (read out on focus)."""
    return format_html(
        '<span class="tip" tabindex="0" role="img" aria-label="{}" data-tip="{}">i</span>',
        f"Definition: {text}", text,
    )
