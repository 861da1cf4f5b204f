"""The demo images draw the characters of the demo titles, not boxes (issue 17)."""

import pytest

from demo.catalog import ITEMS
from demo.fonts import demo_font


def _glyph_box(char: str) -> tuple[int, int, int, int] | None:
    return demo_font(56).getmask(char).getbbox()


def test_the_en_dash_is_a_dash_not_the_missing_glyph_box():
    missing = _glyph_box("\uffff")  # a code point no font has: its "missing" box
    dash = _glyph_box("–")
    assert dash != missing
    left, top, right, bottom = dash
    assert right - left > 3 * (bottom - top)  # wide and thin: a dash


@pytest.mark.parametrize("char", sorted({c for title, *_ in ITEMS for c in title if ord(c) > 127}))
def test_every_non_ascii_character_of_the_demo_titles_has_a_glyph(char):
    assert _glyph_box(char) != _glyph_box("\uffff")
