"""Reading images safely: EXIF orientation, HEIC, odd modes, clear errors."""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from core.fileio import special_file_reason, utf8_name_problem

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif", ".heic", ".heif"}
MAX_PIXELS = 120_000_000  # ~ a 120 MP panorama; beyond it is a decompression bomb
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


def open_image(path: str | os.PathLike[str], draft: tuple[int, int] | None = None) -> Image.Image:
    """Open an image as RGB with its EXIF orientation applied.

    ``draft`` lets JPEG decode at a reduced scale (much faster for big photos
    that are only going to be resized). Raises :class:`ImageError`.
    """
    _register_heif()
    reason = special_file_reason(path)  # by stat: a FIFO or /dev/zero would hang the decoder
    if reason is not None:
        raise ImageError(path, reason)
    try:
        if os.path.getsize(path) == 0:
            raise ImageError(path, "the file is empty (0 bytes)")
        with Image.open(path) as im:
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


def scan_images(paths: list[str | os.PathLike[str]], suffixes: set[str] | None = None,
                ) -> tuple[list[Path], list[tuple[str, str]]]:
    """(image files, [(path, why it was skipped)]) under the given files and folders.

    Recursive, sorted, no duplicates. Nothing is opened: a FIFO, a device, a socket, a folder
    named ``x.jpg``, a dangling link, a link loop, an unreadable folder or a name that is not
    valid UTF-8 is skipped with its reason, and the scan goes on."""
    suffixes = suffixes or IMAGE_SUFFIXES
    found: dict[str, Path] = {}
    skipped: list[tuple[str, str]] = []

    def consider(fp: Path) -> None:
        if fp.suffix.lower() not in suffixes:
            return
        why = utf8_name_problem(fp) or special_file_reason(fp)
        if why is not None:
            skipped.append((os.fsencode(fp).decode("utf-8", "replace"), why))
            return
        try:
            found.setdefault(str(fp.resolve(strict=True)), fp)
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python < 3.13)
            skipped.append((str(fp), f"cannot resolve the path ({exc})"))

    for p in map(Path, paths):
        if p.is_dir():
            def onerror(exc: OSError) -> None:
                skipped.append((str(exc.filename), f"cannot read the folder ({exc.strerror or exc})"))

            for root, dirs, files in os.walk(p, onerror=onerror):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    consider(Path(root) / f)
                # a folder named like an image (x.jpg) is not a photo: say so
                for d in dirs:
                    if Path(d).suffix.lower() in suffixes:
                        skipped.append((str(Path(root) / d), "a folder, not a file"))
        elif os.path.lexists(p):
            consider(p)
        else:
            skipped.append((str(p), "does not exist"))
    return list(found.values()), skipped
