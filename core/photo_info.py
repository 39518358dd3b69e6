"""What a photo viewer's info panel and a duplicates comparison show about one photo.

Read without decoding the pixels (Pillow reads the header and EXIF), except ``sharpness``,
which the duplicates' keeper rule already computes on a 512 px grey copy. Every field is
optional: a photo without EXIF still has its file, size and resolution.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime

_MAKE, _MODEL, _ORIENTATION = 0x010F, 0x0110, 0x0112
_TURNED = {5, 6, 7, 8}  # EXIF orientations shown a quarter turn round: width and height swap
_EXIF_IFD = 0x8769
_LENS, _EXPOSURE, _FNUMBER, _ISO, _FOCAL = 0xA434, 0x829A, 0x829D, 0x8827, 0x920A


@dataclass
class PhotoInfo:
    path: str
    file_size: int | None = None  # bytes
    width: int | None = None  # as shown, upright (after the EXIF orientation)
    height: int | None = None
    orientation: int = 1  # EXIF Orientation (1: stored upright; 5-8: stored a quarter turn round)
    format: str = ""
    taken_at: float | None = None  # seconds since the epoch (EXIF, checked plausible by read_exif)
    camera: str = ""
    lens: str = ""
    exposure: str = ""  # "1/250 s · f/2.8 · ISO 100 · 35 mm"
    gps: tuple[float, float] | None = None
    place: str = ""  # the nearest town (offline GeoNames data)
    exif_fields: int = 0
    sharpness: float | None = None
    error: str = ""

    @property
    def pixels(self) -> int:
        return (self.width or 0) * (self.height or 0)

    @property
    def turned(self) -> bool:
        """Whether the file stores the pixels a quarter turn from how the photo is shown."""
        return self.orientation in _TURNED

    @property
    def stored_size(self) -> tuple[int | None, int | None]:
        """Width and height as the file stores them (before the EXIF orientation)."""
        return (self.height, self.width) if self.turned else (self.width, self.height)

    def rows(self) -> list[tuple[str, str]]:
        """(label, text) in the order a viewer shows them; empty fields left out."""
        out = [("File", os.path.basename(self.path)), ("Folder", os.path.dirname(self.path))]
        if self.width:
            mp = self.pixels / 1e6
            stored = " (stored {} × {}, rotated)".format(*self.stored_size) if self.turned else ""
            out.append(("Size", f"{self.width} × {self.height} px{stored} ({mp:.1f} MP)"
                        + (f", {self.format}" if self.format else "")))
        if self.file_size is not None:
            out.append(("File size", human_bytes(self.file_size)))
        out.append(("Taken", datetime.fromtimestamp(self.taken_at).strftime("%a %d %b %Y, %H:%M")
                    if self.taken_at is not None else "unknown (no plausible EXIF date)"))
        for label, value in (("Camera", self.camera), ("Lens", self.lens), ("Exposure", self.exposure)):
            if value:
                out.append((label, value))
        if self.gps:
            where = f"{self.gps[0]:.5f}, {self.gps[1]:.5f}"
            out.append(("Place", f"{self.place} ({where})" if self.place else where))
        if self.sharpness is not None:
            out.append(("Sharpness", f"{self.sharpness:.0f}"))
        if self.error:
            out.append(("Problem", self.error))
        return out


def human_bytes(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def _ratio(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None


def _exposure(exif: dict) -> str:
    parts = []
    t = _ratio(exif.get(_EXPOSURE))
    if t:
        parts.append(f"1/{round(1 / t)} s" if t < 1 else f"{t:g} s")
    f = _ratio(exif.get(_FNUMBER))
    if f:
        parts.append(f"f/{f:g}")
    iso = exif.get(_ISO)
    if isinstance(iso, int | float) and iso:
        parts.append(f"ISO {int(iso)}")
    mm = _ratio(exif.get(_FOCAL))
    if mm:
        parts.append(f"{mm:g} mm")
    return " · ".join(parts)


def _text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).replace("\x00", "").strip() if value is not None else ""


def place_name(lat: float, lon: float) -> str:
    import reverse_geocode

    hit = reverse_geocode.get((lat, lon))
    return ", ".join(v for v in (hit.get("city"), hit.get("country")) if v)


def photo_info(path: str, with_sharpness: bool = False) -> PhotoInfo:
    """Everything the viewer's info panel shows; problems land in ``error``, never raised."""
    from PIL import UnidentifiedImageError

    from core.albums.exif import read_exif
    from core.images import ImageError, bounded_image

    info = PhotoInfo(path=str(path))
    try:
        info.file_size = os.stat(path).st_size
        with bounded_image(path) as im:  # no special file, no 2 GB of zeros, no read past its time
            info.format = im.format or ""
            exif = im.getexif()
            orientation = exif.get(_ORIENTATION)
            info.orientation = orientation if isinstance(orientation, int) and 1 <= orientation <= 8 else 1
            info.width, info.height = im.size[::-1] if info.turned else im.size  # as shown, upright
            info.exif_fields = len(exif)
            make, model = _text(exif.get(_MAKE)), _text(exif.get(_MODEL))
            first = make.split()[0].lower() if make else ""
            info.camera = model if first and model.lower().startswith(first) else " ".join(t for t in (make, model) if t)
            sub = exif.get_ifd(_EXIF_IFD) if _EXIF_IFD in exif else {}
            info.exif_fields += len(sub)
            info.lens = _text(sub.get(_LENS))
            info.exposure = _exposure(sub)
    except ImageError as exc:
        info.error = f"cannot be read: {exc.reason}"
        return info
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        info.error = f"cannot be read: {exc}"
        return info
    meta = read_exif(str(path))
    taken = meta.get("taken_at")
    info.taken_at = taken.timestamp() if isinstance(taken, datetime) else None
    if meta.get("gps"):
        info.gps = (float(meta["gps"][0]), float(meta["gps"][1]))
        info.place = place_name(*info.gps)
    if with_sharpness:
        from core.albums.duplicates import sharpness

        info.sharpness = sharpness(str(path))
    return info


@dataclass
class Comparison:
    """Photos side by side: each one's info, and which rows differ between them."""

    infos: list[PhotoInfo]
    keeper: str = ""
    differ: set[str] = field(default_factory=set)  # labels of the rows whose values are not all equal


def compare(paths: list[str], keeper: str = "") -> Comparison:
    infos = [photo_info(p, with_sharpness=True) for p in paths]
    keys = {
        "Size": lambda i: (i.width, i.height), "File size": lambda i: i.file_size,
        "Taken": lambda i: i.taken_at, "Camera": lambda i: i.camera, "Lens": lambda i: i.lens,
        "Exposure": lambda i: i.exposure, "Place": lambda i: i.gps, "Sharpness": lambda i: i.sharpness,
        "EXIF fields": lambda i: i.exif_fields, "Folder": lambda i: os.path.dirname(i.path),
    }
    differ = {label for label, get in keys.items() if len({get(i) for i in infos}) > 1}
    return Comparison(infos=infos, keeper=keeper, differ=differ)
