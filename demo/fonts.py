"""The typeface of the generated demo images: Source Sans Pro (SIL OFL), installed from
PyPI (font-source-sans-pro). Pillow's built-in font has no en dash, curly quotes or
accented capitals beyond Latin-1 and draws a box for them."""

import importlib.resources
from functools import lru_cache

from PIL import ImageFont


@lru_cache(maxsize=8)
def demo_font(size: int) -> ImageFont.FreeTypeFont:
    path = importlib.resources.files("font_source_sans_pro") / "files" / "SourceSansPro-Semibold.ttf"
    return ImageFont.truetype(str(path), size)
