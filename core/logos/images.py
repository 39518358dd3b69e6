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


def svg_png(path: str, size: int, short_side: bool = False) -> bytes:
    """PNG bytes of an SVG drawn ``size`` wide (or high, for a tall logo); ``short_side``: its
    shorter side ``size`` (a part of a wide mark keeps its detail). Top-level, so a child process
    can run it (see :func:`use_render_processes`). The SVG is checked first
    (:func:`core.logos.svgsafe.safe_svg`: bounded, no file outside its folder, no special file)
    and drawn from that text, so resvg reads no file; ``SvgRefused`` says why one is not drawn."""
    import resvg_py

    from core.logos.svgsafe import safe_svg

    text = safe_svg(path)
    # Loading the system's fonts is a third of resvg's time (10.4 -> 7.1 ms a logo at 256 px):
    # a logo without text is drawn without them (the same pixels: checked in tests)
    options = {} if "<text" in text else {"skip_system_fonts": True}
    data = bytes(resvg_py.svg_to_bytes(svg_string=text, width=size, **options))
    height = int.from_bytes(data[20:24], "big")  # the PNG header's height
    if (height > size) if not short_side else (height < size):  # fit the other side instead
        data = bytes(resvg_py.svg_to_bytes(svg_string=text, height=size, **options))
    return data


def _may_have_text(path: str) -> bool:
    """Whether an SVG may draw text (so needs fonts): a ``<text`` element, or a compressed file."""
    if str(path).lower().endswith(".svgz"):
        return True
    with open(path, "rb") as fh:
        return b"<text" in fh.read()


_render_pool = None
_render_pool_lock = threading.Lock()


RENDER_TIMEOUT_S = 20.0  # one drawing in a child (8-80 ms a logo); past it the child is killed


def use_render_processes(workers: int = 2) -> None:
    """Draw SVGs in ``workers`` child processes from now on (the app and ``logos index`` call this).

    resvg holds the interpreter lock while it draws (8 ms a logo idle, 20-80 ms on a busy
    machine): in the window's decode threads that starved the UI thread (60-80 ms frames while
    indexing logos, bench/pages_ui.py), and two threads could not draw at once. Children have
    their own lock, so the window stays smooth and two logos are drawn in parallel. A child also
    bounds a drawing: one past ``RENDER_TIMEOUT_S`` is killed, one that crashes resvg (a
    segmentation fault) kills only the child; either file is skipped with its name, and the next
    files are drawn in fresh children, never in this process."""
    global _render_pool, _render_workers
    with _render_pool_lock:
        if _render_pool is None and workers > 0:
            _render_workers = workers
            _render_pool = _new_pool(workers)
            import atexit

            atexit.register(stop_render_processes)  # closed while the interpreter is whole


_render_workers = 2


def _new_pool(workers: int):
    from concurrent.futures import ProcessPoolExecutor

    from core.process import context

    return ProcessPoolExecutor(max_workers=workers, mp_context=context())


def stop_render_processes() -> None:
    """Back to drawing SVGs in this process (the children exit)."""
    global _render_pool
    with _render_pool_lock:
        pool, _render_pool = _render_pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def _replace_pool(broken, kill: bool) -> str:
    """A fresh pool in place of ``broken`` (its children killed when ``kill``: one is stuck), once
    however many threads saw it break; how its children ended (``signal 11`` …), for the message."""
    global _render_pool
    procs = list(getattr(broken, "_processes", {}).values())  # to kill a stuck child
    if kill:
        for proc in procs:
            proc.kill()
    how = sorted({f"signal {-p.exitcode}" if p.exitcode < 0 else f"exit {p.exitcode}"
                  for p in procs if p.exitcode not in (None, 0)})
    with _render_pool_lock:
        if _render_pool is broken:
            _render_pool = _new_pool(_render_workers)
    broken.shutdown(wait=False, cancel_futures=True)
    return ", ".join(how) or "it stopped"


def _draw_in_child(pool, path: str, size: int, short_side: bool) -> bytes:
    """``svg_png`` in a child; a crash is tried once more in a fresh child (a sibling's crash
    breaks every drawing then under way), then the file is skipped; a drawing past the time
    limit is skipped at once. ``ImageError`` names the file."""
    from concurrent.futures import TimeoutError as FutureTimeout
    from concurrent.futures.process import BrokenProcessPool

    for attempt in (1, 2):
        try:
            return pool.submit(svg_png, path, size, short_side).result(timeout=RENDER_TIMEOUT_S)
        except FutureTimeout:
            _replace_pool(pool, kill=True)
            raise ImageError(path, f"drawing it took longer than {RENDER_TIMEOUT_S:g} s: skipped") from None
        except BrokenProcessPool:
            how = _replace_pool(pool, kill=False)
            if attempt == 2:
                import logging

                logging.getLogger(__name__).warning("the SVG drawing process crashed on %s (%s)", path, how)
                raise ImageError(path, f"the drawing library crashed on it ({how}): skipped") from None
            pool = _render_pool or pool
    raise AssertionError("unreachable")


def _render_svg(path: str | os.PathLike[str], size: int, short_side: bool = False) -> Image.Image:
    from core.logos.svgsafe import SvgRefused

    try:
        pool = _render_pool
        if pool is not None:
            data = _draw_in_child(pool, str(path), size, short_side)
        else:
            data = svg_png(str(path), size, short_side)
        im = Image.open(io.BytesIO(data))
        im.load()
        return im
    except SvgRefused as exc:
        raise ImageError(path, f"an SVG not drawn: {exc}") from None
    except FileNotFoundError:
        raise ImageError(path, "the file does not exist (moved or deleted?)") from None
    except PermissionError:
        raise ImageError(path, "permission denied") from None
    except (ValueError, OSError) as exc:
        raise ImageError(path, f"not an SVG resvg can draw ({str(exc).splitlines()[0][:120]})") from None


def _drawing(path: str | os.PathLike[str], size: int, short_side: bool = False) -> Image.Image:
    """The logo as drawn (RGBA): an SVG ``size`` on its long side (``short_side``: its short
    side), a raster as it is (decoded at no less than twice ``size``). Raises ``ImageError``."""
    if Path(path).suffix.lower() in (".svg", ".svgz"):
        reason = special_file_reason(path)  # by stat: resvg would block on a FIFO
        if reason is not None:
            raise ImageError(path, reason)
        if os.path.getsize(path) == 0:
            raise ImageError(path, "the file is empty (0 bytes)")
        im = _render_svg(path, size, short_side)
    else:
        im = open_image(path, draft=(size * 2, size * 2))
    return im.convert("RGBA")


def _on_white(im: Image.Image, size: int, enlarge: bool = False) -> Image.Image:
    """``im`` (RGBA) fitted into a ``size``×``size`` white square, centred (``enlarge``: also
    when it is smaller). ``im`` may be shrunk in place."""
    if im.width > size or im.height > size:
        im.thumbnail((size, size))
    elif enlarge and max(im.size) < size:
        scale = size / max(im.size)
        im = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))),
                       Image.Resampling.BICUBIC)
    canvas = Image.new("RGB", (size, size), (255, 255, 255))
    canvas.paste(im, ((size - im.width) // 2, (size - im.height) // 2), im.getchannel("A"))
    return canvas


def load_logo(path: str | os.PathLike[str], size: int = 256) -> Image.Image:
    """A ``size``×``size`` RGB image: the logo fitted and centred on white. Raises ``ImageError``."""
    return _on_white(_drawing(path, size), size)


# -- parts: the icon of a wordmark ---------------------------------------------------------------
# Many brands ship a wordmark (icon + name, wide) beside the icon alone (docker.svg /
# docker-icon.svg): as whole images the two hardly look alike (same-brand recall@5 over the 1,858
# shared logos: 0.097 with the shipped model). A mark at least PART_RATIO times wider than high
# (or higher than wide) also gets a vector for its leading square - the left one (the top one of
# a stacked mark), where the icon sits - and search takes the best of whole and part on both
# sides (bench/logos_eval.py: 0.097 -> 0.785).
PART_RATIO = 1.5
NO_PART = "no part: the mark is not much wider than high"


def _content_box(im: Image.Image) -> tuple[int, int, int, int] | None:
    """The box of what is drawn (neither transparent nor near-white), or None when nothing is."""
    from PIL import ImageOps

    flat = Image.alpha_composite(Image.new("RGBA", im.size, (255, 255, 255, 255)), im).convert("L")
    return ImageOps.invert(flat).point(lambda v: 255 if v > 12 else 0).getbbox()


def _part_box(box: tuple[int, int, int, int] | None, min_side: int = 12) -> tuple[int, int, int, int] | None:
    """The leading square of a wide (left) or tall (top) content box; None for a squarish one,
    and for a square under ``min_side`` pixels (a rule or a thin line: blown up, it would be a
    flat patch that looks like every other flat patch)."""
    if box is None:
        return None
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    if min(w, h) < min_side:
        return None
    if w >= PART_RATIO * h:
        return (x0, y0, x0 + h, y1)
    if h >= PART_RATIO * w:
        return (x0, y0, x1, y0 + w)
    return None


def has_part(path: str | os.PathLike[str]) -> bool:
    """Whether the logo is wide (or tall) enough to have a part (drawn small: ~0.4 ms an SVG)."""
    try:
        svg = Path(path).suffix.lower() in (".svg", ".svgz")  # drawn at 48 px; a raster is read as it is
        return _part_box(_content_box(_drawing(path, 48)), min_side=3 if svg else 12) is not None
    except ImageError:
        return False


def load_logo_part(path: str | os.PathLike[str], size: int = 256) -> Image.Image:
    """The logo's leading square (:func:`_part_box`) fitted on white, ``size``×``size``; an SVG is
    drawn with its short side ``size`` so the part keeps its detail. ``ImageError`` (reason
    ``NO_PART``) for a squarish logo."""
    part = part_image(_drawing(path, size, short_side=True), size)
    if part is None:
        raise ImageError(path, NO_PART)
    return part


def part_image(image: Image.Image, size: int = 256) -> Image.Image | None:
    """An image's leading square (a query logo as the user dropped it), on white; None if squarish."""
    im = image.convert("RGBA")
    box = _part_box(_content_box(im))
    return None if box is None else _on_white(im.crop(box), size, enlarge=True)
