"""Capture time and GPS from EXIF, read without decoding the pixels."""

from __future__ import annotations

from datetime import datetime

from PIL import Image

_DATETIME_ORIGINAL = 0x9003
_DATETIME = 0x0132
_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825


def _ratio(v) -> float:
    try:
        return float(v[0]) / float(v[1]) if isinstance(v, tuple) else float(v)
    except (TypeError, ValueError, ZeroDivisionError):
        return float("nan")


def _dms(values, ref) -> float | None:
    try:
        d, m, s = (_ratio(x) for x in values)
    except (TypeError, ValueError):
        return None
    value = d + m / 60 + s / 3600
    if value != value:  # NaN from a broken tag
        return None
    return -value if ref in ("S", "W") else value


def read_exif(path: str) -> dict:
    """{"taken_at": datetime | None, "gps": (lat, lon) | None}; broken tags give None, never an error."""
    from core.images import _register_heif

    _register_heif()
    out: dict = {"taken_at": None, "gps": None}
    try:
        with Image.open(path) as im:
            exif = im.getexif()
            sub = exif.get_ifd(_EXIF_IFD)
            raw = sub.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
            if isinstance(raw, bytes):
                raw = raw.decode("ascii", "ignore")
            if raw:
                try:
                    out["taken_at"] = datetime.strptime(str(raw).strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
                except ValueError:
                    pass
            gps = exif.get_ifd(_GPS_IFD)
            if gps and 2 in gps and 4 in gps:
                lat, lon = _dms(gps[2], gps.get(1)), _dms(gps[4], gps.get(3))
                if lat is not None and lon is not None:
                    out["gps"] = (lat, lon)
    except Exception:  # noqa: BLE001 - EXIF is optional: a file we cannot parse simply has none
        pass
    return out
