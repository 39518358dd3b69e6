"""Write the bundled demo logos (our own simple marks, CC0): four brands in a few variants each
(colour, inverted contrast, outline) plus one raster copy, so look-alikes and duplicates show."""

from __future__ import annotations

import io
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "resources" / "demo" / "logos"
SHAPES = {
    "sun": '<circle cx="50" cy="50" r="30" fill="{fg}"/>'
           '<g stroke="{fg}" stroke-width="6">' + "".join(
               f'<line x1="50" y1="50" x2="{50 + 44 * c:.1f}" y2="{50 + 44 * s:.1f}"/>'
               for c, s in ((1, 0), (0.71, 0.71), (0, 1), (-0.71, 0.71), (-1, 0), (-0.71, -0.71), (0, -1), (0.71, -0.71))) + "</g>",
    "peak": '<polygon points="10,85 40,25 55,50 68,35 92,85" fill="{fg}"/>',
    "wave": '<path d="M5 55 Q 20 30 35 55 T 65 55 T 95 55" stroke="{fg}" stroke-width="10" fill="none"/>'
            '<path d="M5 75 Q 20 50 35 75 T 65 75 T 95 75" stroke="{fg}" stroke-width="10" fill="none"/>',
    "leaf": '<path d="M20 80 C 20 30, 60 15, 85 15 C 85 45, 65 85, 20 80 Z" fill="{fg}"/>'
            '<path d="M20 80 L 70 30" stroke="{bg}" stroke-width="4"/>',
}
COLOURS = {"sun": "#f39c12", "peak": "#2c3e50", "wave": "#2980b9", "leaf": "#27ae60"}


def svg(body: str, fg: str, bg: str | None) -> str:
    back = f'<rect width="100" height="100" fill="{bg}"/>' if bg else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="100" height="100">'
            f'{back}{body.format(fg=fg, bg=bg or "#ffffff")}</svg>\n')


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, body in SHAPES.items():
        colour = COLOURS[name]
        (OUT / f"{name}.svg").write_text(svg(body, colour, None), encoding="utf-8")
        (OUT / f"{name}-inverted.svg").write_text(svg(body, "#ffffff", colour), encoding="utf-8")
        (OUT / f"{name}-mono.svg").write_text(svg(body, "#000000", None), encoding="utf-8")
    import resvg_py
    from PIL import Image

    png = Image.open(io.BytesIO(bytes(resvg_py.svg_to_bytes(svg_path=str(OUT / "sun.svg"), width=160))))
    png.save(OUT / "sun-copy.png")
    (OUT / "LICENSE.txt").write_text("Demo logos drawn for Simscope by scripts/make_demo_logos.py; CC0-1.0.\n",
                                     encoding="utf-8")


if __name__ == "__main__":
    main()
