"""Reading images safely: EXIF orientation, HEIC, odd modes, clear errors."""

from __future__ import annotations

import contextlib
import io
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from core.fileio import special_file_reason, utf8_name_problem

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif", ".heic", ".heif"}
MAX_PIXELS = 120_000_000  # ~ a 120 MP panorama; beyond it is a decompression bomb
# A 120 MP 16-bit RGBA TIFF stored raw is 960 MB: a bigger file is not a photo. A JPEG header
# followed by zeros made Pillow's header reader walk them byte by byte (51 s for 256 MB, 153 s
# for 2 GB), so a file's reading also has a deadline, checked at each read.
MAX_IMAGE_BYTES = 1_000_000_000
READ_TIMEOUT_S = 20.0
_heif_registered = False


class ImageError(Exception):
    """A file that cannot be used as an image, with a message for the user."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{Path(path).name}: {reason}")


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        try:
            from pillow_heif import register_heif_opener

            register_heif_opener()
        except ImportError:  # HEIC files then fail with a clear ImageError
            pass
        _heif_registered = True


def is_image_path(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


class _DeadlineReader(io.BufferedReader):
    """A file whose reads fail (``TimeoutError``) once ``deadline`` (monotonic) has passed."""

    def __init__(self, raw: io.RawIOBase, deadline: float) -> None:
        super().__init__(raw, 1 << 16)
        self.deadline = deadline

    def read(self, size: int | None = -1) -> bytes:
        if time.monotonic() > self.deadline:
            raise TimeoutError("reading it took too long")
        return super().read(size)

    def read1(self, size: int = -1) -> bytes:
        if time.monotonic() > self.deadline:
            raise TimeoutError("reading it took too long")
        return super().read1(size)


@contextlib.contextmanager
def bounded_image(path: str | os.PathLike[str], timeout: float | None = None) -> Iterator[Image.Image]:
    """``with bounded_image(p) as im``: ``Image.open`` on a regular file of at most
    ``MAX_IMAGE_BYTES``, opened without blocking (a FIFO swapped in after a check is refused, not
    waited on), whose every read fails once ``timeout`` (``READ_TIMEOUT_S``) seconds have passed.
    Raises ``ImageError`` for these; Pillow's own errors pass through."""
    reason = special_file_reason(path)  # by stat: a FIFO or /dev/zero would hang the decoder
    if reason is not None:
        raise ImageError(path, reason)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise ImageError(path, "the file does not exist (moved or deleted?)") from None
    except PermissionError:
        raise ImageError(path, "permission denied") from None
    raw = io.FileIO(fd, "rb")
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ImageError(path, "not a regular file (it was replaced while being read)")
        if st.st_size == 0:
            raise ImageError(path, "the file is empty (0 bytes)")
        if st.st_size > MAX_IMAGE_BYTES:
            raise ImageError(path, f"the file is {st.st_size / 1e9:.1f} GB, more than any photo "
                                   f"({MAX_IMAGE_BYTES / 1e9:.1f} GB at most): skipped")
        limit = READ_TIMEOUT_S if timeout is None else timeout
        fh = _DeadlineReader(raw, time.monotonic() + limit)
        try:
            with Image.open(fh) as im:
                yield im
        except TimeoutError:
            raise ImageError(path, f"reading it took longer than {limit:g} s (a damaged or crafted "
                                   f"file?): skipped") from None
    finally:
        raw.close()


def open_image(path: str | os.PathLike[str], draft: tuple[int, int] | None = None) -> Image.Image:
    """Open an image as RGB with its EXIF orientation applied.

    ``draft`` lets JPEG decode at a reduced scale (much faster for big photos
    that are only going to be resized). Bounded by :func:`bounded_image` (size, time).
    Raises :class:`ImageError`.
    """
    _register_heif()
    try:
        with bounded_image(path) as im:
            w, h = im.size
            if w * h > MAX_PIXELS:
                raise ImageError(path, f"{w}×{h} pixels is too large to decode safely")
            if draft is not None and im.format == "JPEG":
                im.draft("RGB", draft)
            im.seek(0)  # first frame of an animation
            im.load()
            im = ImageOps.exif_transpose(im)
            return _to_rgb(im)
    except ImageError:
        raise
    except FileNotFoundError:
        raise ImageError(path, "the file does not exist (moved or deleted?)") from None
    except PermissionError:
        raise ImageError(path, "permission denied") from None
    except UnidentifiedImageError:
        raise ImageError(path, "not an image, or a format Pillow cannot read") from None
    except Image.DecompressionBombError as exc:
        raise ImageError(path, f"too large to decode safely ({exc})") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(path, f"the image data is broken or truncated ({exc})") from None


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode == "RGB":
        return im
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16/32-bit grey: scale to 8 bits
        import numpy as np

        arr = np.asarray(im, dtype=np.float32)
        top = float(arr.max()) or 1.0
        return Image.fromarray((arr / top * 255).astype("uint8")).convert("RGB")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    return im.convert("RGB")


def list_images(paths: list[str | os.PathLike[str]]) -> list[Path]:
    """Image files under the given files and folders (recursive, sorted, no duplicates)."""
    return scan_images(paths)[0]


def _plain_file(path: str, real: str) -> str | None:
    """``real`` when ``path`` is a regular file and not a symbolic link (lstat alone), else None."""
    try:
        return real if stat.S_ISREG(os.lstat(path).st_mode) else None
    except OSError:
        return None


def scan_images(paths: list[str | os.PathLike[str]], suffixes: set[str] | None = None,
                ) -> tuple[list[Path], list[tuple[str, str]]]:
    """(image files, [(path, why it was skipped)]) under the given files and folders.

    Recursive, sorted, no duplicates. Nothing is opened: a FIFO, a device, a socket, a folder
    named ``x.jpg``, a dangling link, a link loop, an unreadable folder or a name that is not
    valid UTF-8 is skipped with its reason, and the scan goes on."""
    suffixes = suffixes or IMAGE_SUFFIXES
    found: dict[str, Path] = {}
    skipped: list[tuple[str, str]] = []

    def consider(fp: Path, real: str | None = None) -> None:
        """``real``: the file's resolved path when known to be a plain regular file (no checks left)."""
        if fp.suffix.lower() not in suffixes:
            return
        why = utf8_name_problem(fp) or (None if real is not None else special_file_reason(fp))
        if why is not None:
            skipped.append((os.fsencode(fp).decode("utf-8", "replace"), why))
            return
        try:
            found.setdefault(real if real is not None else str(fp.resolve(strict=True)), fp)
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python < 3.13)
            skipped.append((str(fp), f"cannot resolve the path ({exc})"))

    for p in map(Path, paths):
        if p.is_dir():
            def onerror(exc: OSError) -> None:
                skipped.append((str(exc.filename), f"cannot read the folder ({exc.strerror or exc})"))

            top = os.path.realpath(p)
            for root, dirs, files in os.walk(p, onerror=onerror):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                # os.walk enters no linked folder, so a file that is no link lies at top/relative
                # path: one lstat instead of a stat and an lstat per path part (100,000 photos: 4x)
                real_root = os.path.normpath(os.path.join(top, os.path.relpath(root, p)))
                base = Path(root)  # once per folder: a Path parsed per file cost more than the lstat
                for f in sorted(files):
                    consider(base / f, _plain_file(os.path.join(root, f), os.path.join(real_root, f)))
                # a folder named like an image (x.jpg) is not a photo: say so
                for d in dirs:
                    if Path(d).suffix.lower() in suffixes:
                        skipped.append((str(Path(root) / d), "a folder, not a file"))
        elif os.path.lexists(p):
            consider(p)
        else:
            skipped.append((str(p), "does not exist"))
    return list(found.values()), skipped
