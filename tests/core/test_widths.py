"""Computed widths as classes (the CSP refuses style attributes)."""

from decimal import Decimal
from pathlib import Path

import pytest

from core.widths import width_class


@pytest.mark.parametrize(("percent", "expected"), [
    (None, "w-0"), (0, "w-0"), (-5, "w-0"), (42, "w-42"), (42.6, "w-43"), (Decimal("99.4"), "w-99"),
    (100, "w-100"), (250, "w-100"),
])
def test_width_class_rounds_and_clamps(percent, expected):
    assert width_class(percent) == expected


def test_every_class_is_in_the_stylesheet():
    css = (Path(__file__).resolve().parents[2] / "static/css/widths.css").read_text()
    assert all(f".w-{i} {{ width: {i}%; }}" in css for i in range(101))
