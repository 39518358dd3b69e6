"""Logos as square RGB images on white: SVG rasterised with resvg (no Qt), rasters via core.images."""

from __future__ import annotations

import io
import os
import threading
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


def svg_png(path: str, size: int) -> bytes:
    """PNG bytes of an SVG drawn ``size`` wide (or high, for a tall logo). Top-level, so a
    child process can run it (see :func:`use_render_processes`)."""
    import resvg_py

    # Loading the system's fonts is a third of resvg's time (10.4 -> 7.1 ms a logo at 256 px):
    # a logo without text is drawn without them (the same pixels: checked in tests)
    options = {} if _may_have_text(path) else {"skip_system_fonts": True}
    data = bytes(resvg_py.svg_to_bytes(svg_path=path, width=size, **options))
    if int.from_bytes(data[20:24], "big") > size:  # the PNG header's height: fit that instead
        data = bytes(resvg_py.svg_to_bytes(svg_path=path, height=size, **options))
    return data


def _may_have_text(path: str) -> bool:
    """Whether an SVG may draw text (so needs fonts): a ``<text`` element, or a compressed file."""
    if str(path).lower().endswith(".svgz"):
        return True
    with open(path, "rb") as fh:
        return b"<text" in fh.read()


_render_pool = None
_render_pool_lock = threading.Lock()


def use_render_processes(workers: int = 2) -> None:
    """Draw SVGs in ``workers`` child processes from now on (the app calls this).

    resvg holds the interpreter lock while it draws (8 ms a logo idle, 20-80 ms on a busy
    machine): in the window's decode threads that starved the UI thread (60-80 ms frames while
    indexing logos, bench/pages_ui.py), and two threads could not draw at once. Children have
    their own lock, so the window stays smooth and two logos are drawn in parallel."""
    global _render_pool
    with _render_pool_lock:
        if _render_pool is None and workers > 0:
            from concurrent.futures import ProcessPoolExecutor

            from core.process import context

            _render_pool = ProcessPoolExecutor(max_workers=workers, mp_context=context())
            import atexit

            atexit.register(stop_render_processes)  # closed while the interpreter is whole


def stop_render_processes() -> None:
    """Back to drawing SVGs in this process (the children exit)."""
    global _render_pool
    with _render_pool_lock:
        pool, _render_pool = _render_pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def _render_svg(path: str | os.PathLike[str], size: int) -> Image.Image:
    global _render_pool
    try:
        pool = _render_pool
        if pool is not None:
            from concurrent.futures.process import BrokenProcessPool

            try:
                data = pool.submit(svg_png, str(path), size).result()
            except BrokenProcessPool as exc:  # a child died (killed, out of memory): draw here
                import logging

                logging.getLogger(__name__).warning("SVG drawing processes stopped (%s); drawing "
                                                    "in this process from now on", exc)
                _render_pool = None
                data = svg_png(str(path), size)
        else:
            data = svg_png(str(path), size)
        im = Image.open(io.BytesIO(data))
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
