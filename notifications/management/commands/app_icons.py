"""Draw the installable app's icons (static/img/icon-*.png, apple-touch-icon.png) from the
logo in static/img/favicon.svg: a disc in the brand colour, its left half pale. Run once
after changing the logo; the PNGs are committed."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from PIL import Image, ImageDraw

PRIMARY = (0x3B, 0x4C, 0xCA, 255)
PALE = (255, 255, 255, 217)  # the favicon's white at opacity .85
SUPERSAMPLE = 4


def _logo(size: int, *, radius: float, background: tuple[int, int, int, int] | None, disc) -> Image.Image:
    """``radius`` as a fraction of ``size``; drawn large and scaled down for smooth edges."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), background or (0, 0, 0, 0))
    centre, r = big / 2, radius * big
    box = (centre - r, centre - r, centre + r, centre + r)
    draw = ImageDraw.Draw(image)
    draw.ellipse(box, fill=disc)
    half = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    ImageDraw.Draw(half).pieslice(box, 90, 270, fill=PALE)  # the left half, as in the favicon
    image = Image.alpha_composite(image, half)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def icons() -> dict[str, Image.Image]:
    solid = (0x2C, 0x3A, 0xA3, 255)  # --primary-dark: the disc stays visible on a primary background
    return {
        # "any": the logo alone, as the favicon (14/16 of the square).
        "icon-192.png": _logo(192, radius=14 / 32, background=None, disc=PRIMARY),
        "icon-512.png": _logo(512, radius=14 / 32, background=None, disc=PRIMARY),
        # Maskable and Apple: opaque, full bleed, the logo inside the 80 % safe zone.
        "icon-maskable-512.png": _logo(512, radius=0.3, background=PRIMARY, disc=solid),
        "apple-touch-icon.png": _logo(180, radius=0.3, background=PRIMARY, disc=solid).convert("RGB"),
    }


class Command(BaseCommand):
    help = "Draw the app icons into static/img/ (PNG, from the logo)."

    def handle(self, *args, **options) -> None:
        folder = Path(settings.BASE_DIR) / "static" / "img"
        for name, image in icons().items():
            image.save(folder / name, optimize=True)
            self.stdout.write(f"wrote {folder / name} ({image.width}×{image.height})")
