"""Draw the web app's icons (web/icons/*.png) with Pillow: a white paw whose pad has a nose print's grain, on
the kiosk's dark teal.

Run once after changing the drawing: `python scripts/make_app_icons.py`; the PNGs are checked in (no build step).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ICONS = Path(__file__).resolve().parent.parent / "web" / "icons"
TEAL, DARK, WHITE = (47, 111, 106), (35, 64, 61), (255, 255, 255)


def nose(size: int, maskable: bool) -> Image.Image:
    scale = 4  # drawn large, then reduced: smooth edges
    s = size * scale
    img = Image.new("RGB", (s, s), DARK if maskable else (0, 0, 0))
    if not maskable:
        img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if not maskable:
        d.rounded_rectangle((0, 0, s - 1, s - 1), radius=s // 5, fill=DARK)
    inner = 0.60 if maskable else 0.74  # a maskable icon keeps its drawing inside the safe circle
    w = s * inner
    x0, y0 = (s - w) / 2, (s - w) / 2
    # a paw: the big pad, four toes; the pad carries a nose print's grain (small teal dots)
    d.ellipse((x0 + w * 0.18, y0 + w * 0.42, x0 + w * 0.82, y0 + w * 0.98), fill=WHITE)
    for cx, cy, r in ((0.12, 0.38, 0.11), (0.34, 0.16, 0.12), (0.66, 0.16, 0.12), (0.88, 0.38, 0.11)):
        d.ellipse((x0 + w * (cx - r), y0 + w * (cy - r * 1.2), x0 + w * (cx + r), y0 + w * (cy + r * 1.2)),
                  fill=WHITE)
    dot = w * 0.035
    for row in range(4):
        for col in range(5 - (row % 2)):
            cx = x0 + w * (0.32 + col * 0.09 + (row % 2) * 0.045)
            cy = y0 + w * (0.58 + row * 0.09)
            if (cx - (x0 + w * 0.5)) ** 2 / (w * 0.3) ** 2 + (cy - (y0 + w * 0.70)) ** 2 / (w * 0.25) ** 2 < 1:
                d.ellipse((cx - dot, cy - dot, cx + dot, cy + dot), fill=TEAL)
    return img.resize((size, size), Image.LANCZOS)


def small(img: Image.Image) -> Image.Image:
    """A palette of 32 colours (with transparency): a few KB a file, the page's first load stays small."""
    return img.quantize(colors=32, method=Image.Quantize.FASTOCTREE)


def main() -> None:
    ICONS.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        small(nose(size, False)).save(ICONS / f"icon-{size}.png", optimize=True)
    small(nose(512, True)).save(ICONS / "icon-maskable-512.png", optimize=True)


if __name__ == "__main__":
    main()
