"""Capture time and GPS from EXIF, read without decoding the pixels."""

from __future__ import annotations

from datetime import datetime, timedelta

EARLIEST_YEAR = 1990  # no digital camera wrote EXIF before; an earlier date is a reset clock or a default

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


def plausible_time(taken: datetime, now: datetime | None = None) -> bool:
    """Whether an EXIF capture time can be true: from 1990 (digital photos) to a day from now
    (a camera clock a time zone ahead)."""
    now = datetime.now() if now is None else now
    return taken.year >= EARLIEST_YEAR and taken <= now + timedelta(days=1)


def read_exif(path: str) -> dict:
    """{"taken_at": datetime | None, "gps": (lat, lon) | None, "note": str}; broken tags give
    None, never an error. A date before 1990 or in the future (year 1900, 9999: a reset clock)
    is unknown, and ``note`` says so (it is '' otherwise). The file is read bounded
    (``core.images.bounded_image``: its size, and a few seconds)."""
    from core.images import _register_heif, bounded_image

    _register_heif()
    out: dict = {"taken_at": None, "gps": None, "note": ""}
    try:
        with bounded_image(path, timeout=5.0) as im:
            exif = im.getexif()
            sub = exif.get_ifd(_EXIF_IFD)
            raw = sub.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
            if isinstance(raw, bytes):
                raw = raw.decode("ascii", "ignore")
            if raw:
                text = str(raw).strip("\x00 ")[:19]
                try:
                    taken = datetime.strptime(text, "%Y:%m:%d %H:%M:%S")
                except ValueError:
                    taken = None
                if taken is not None and plausible_time(taken):
                    out["taken_at"] = taken
                elif taken is not None:
                    out["note"] = (f"its EXIF capture time {text} is outside {EARLIEST_YEAR} – today "
                                   f"(a camera clock not set?): taken as unknown")
            gps = exif.get_ifd(_GPS_IFD)
            if gps and 2 in gps and 4 in gps:
                lat, lon = _dms(gps[2], gps.get(1)), _dms(gps[4], gps.get(3))
                if lat is not None and lon is not None:
                    out["gps"] = (lat, lon)
    except Exception:  # EXIF is optional: a file we cannot parse simply has none
        pass
    return out
