"""Logos as square RGB images on white: SVG rasterised with resvg (no Qt), rasters via core.images."""

from __future__ import annotations

import io
import os
from pathlib import Path

from PIL import Image

from core.fileio import special_file_reason
from core.images import IMAGE_SUFFIXES, ImageError, open_image

LOGO_SUFFIXES = (IMAGE_SUFFIXES | {".svg", ".svgz"}) - {".heic", ".heif"}


def is_logo_path(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in LOGO_SUFFIXES


def list_logos(folder: str | os.PathLike[str]) -> list[Path]:
    """Logo files under a folder (recursive, sorted); special files and bad names are left out
    (:func:`scan_logos` says which and why)."""
    return scan_logos(folder)[0]


def scan_logos(folder: str | os.PathLike[str]) -> tuple[list[Path], list[tuple[str, str]]]:
    """(logo files, [(path, why it was skipped)]) under a folder, nothing opened."""
    from core.images import scan_images

    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    return scan_images([root], suffixes=LOGO_SUFFIXES)


def _render_svg(path: str | os.PathLike[str], size: int) -> Image.Image:
    import resvg_py

    try:
        data = bytes(resvg_py.svg_to_bytes(svg_path=str(path), width=size))
        im = Image.open(io.BytesIO(data))
        if im.height > size:  # tall logo: fit the height instead
            im = Image.open(io.BytesIO(bytes(resvg_py.svg_to_bytes(svg_path=str(path), height=size))))
        im.load()
        return im
    except FileNotFoundError:
        raise ImageError(path, "the file does not exist (moved or deleted?)") from None
    except (ValueError, OSError) as exc:
        raise ImageError(path, f"not an SVG resvg can draw ({str(exc).splitlines()[0][:120]})") from None


def load_logo(path: str | os.PathLike[str], size: int = 256) -> Image.Image:
    """A ``size``×``size`` RGB image: the logo fitted and centred on white. Raises ``ImageError``."""
    if Path(path).suffix.lower() in (".svg", ".svgz"):
        reason = special_file_reason(path)  # by stat: resvg would block on a FIFO
        if reason is not None:
            raise ImageError(path, reason)
        if os.path.getsize(path) == 0:
            raise ImageError(path, "the file is empty (0 bytes)")
        im = _render_svg(path, size)
    else:
        im = open_image(path, draft=(size * 2, size * 2))
    im = im.convert("RGBA")
    im.thumbnail((size, size))
    canvas = Image.new("RGB", (size, size), (255, 255, 255))
    canvas.paste(im, ((size - im.width) // 2, (size - im.height) // 2), im.getchannel("A"))
    return canvas
