"""Computed widths (progress bars, goal bars) without a ``style`` attribute.

The Content-Security-Policy allows no inline style, so a bar's width is one of 101
classes, ``w-0`` … ``w-100`` (static/css/widths.css): whole percents, which is finer than
any of our bars can show."""


def width_class(percent: float | int | None) -> str:
    """The class for a width of ``percent`` %, rounded and clamped to 0–100."""
    value = round(percent or 0)
    return f"w-{min(100, max(0, value))}"
