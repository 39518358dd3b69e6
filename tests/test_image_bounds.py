"""Image reads are bounded by size and time with a clear skip message, and EXIF capture times
outside 1990 – today are unknown, said so (issue 36 (9) and its minor EXIF item)."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from PIL import Image

from core.images import ImageError, open_image
from tests.conftest import DEMO_PHOTOS

HAT = DEMO_PHOTOS / "hat_2a12baab.jpg"


def _sparse_jpeg(path, size: int) -> str:
    """A JPEG's first marker, then ``size`` bytes of zeros as a sparse file (no disk used)."""
    with open(path, "wb") as fh:
        fh.write(HAT.read_bytes()[:20])
        fh.truncate(size)
    return str(path)


@pytest.mark.timeout(60)
def test_a_jpeg_header_followed_by_2_gb_of_zeros_is_skipped_at_once(tmp_path):
    """It stalled ``embed`` for 153 s: Pillow's header reader walked the zeros byte by byte."""
    path = _sparse_jpeg(tmp_path / "zeros.jpg", 2 << 30)
    t0 = time.monotonic()
    with pytest.raises(ImageError, match=r"2\.1 GB, more than any photo") as err:
        open_image(path)
    assert err.value.path == path and time.monotonic() - t0 < 1


@pytest.mark.timeout(60)
def test_a_read_that_takes_too_long_stops_at_its_deadline_and_says_so(tmp_path, monkeypatch):
    import core.images as images

    path = _sparse_jpeg(tmp_path / "slow.jpg", 64 << 20)  # under the size cap: ~12 s to walk unbounded
    monkeypatch.setattr(images, "READ_TIMEOUT_S", 0.5)
    t0 = time.monotonic()
    with pytest.raises(ImageError, match=r"slow\.jpg: reading it took longer than 0\.5 s"):
        open_image(path)
    assert time.monotonic() - t0 < 3
    im = open_image(HAT, draft=(256, 256))  # a photo reads well within it
    assert im.mode == "RGB" and min(im.size) >= 256


def test_embed_names_the_stalling_file_and_goes_on(tmp_path, data_dir, capsys):
    import shutil

    from core.cli import main

    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copy(HAT, folder / "good.jpg")
    _sparse_jpeg(folder / "zeros.jpg", 2 << 30)
    t0 = time.monotonic()
    rc = main(["embed", str(folder), "--json"])
    import json

    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["embedded"] == 1
    (error,) = out["errors"]
    assert error["file"].endswith("zeros.jpg") and "more than any photo" in error["error"]
    assert time.monotonic() - t0 < 120


def _exif_photo(path, when: str) -> str:
    im = Image.open(HAT).convert("RGB")
    exif = Image.Exif()
    exif.get_ifd(0x8769)[36867] = when
    im.save(path, exif=exif)
    return str(path)


@pytest.mark.parametrize(("when", "known"), [("2019:06:01 12:00:00", True), ("1990:01:01 00:00:00", True),
                                             ("1900:01:01 00:00:00", False), ("1989:12:31 23:59:59", False),
                                             ("9999:12:31 23:59:59", False), ("0000:00:00 00:00:00", False)])
def test_exif_capture_times_outside_1990_to_today_are_unknown_and_said_so(tmp_path, when, known):
    from core.albums.exif import read_exif

    out = read_exif(_exif_photo(tmp_path / "p.jpg", when))
    if known:
        assert out["taken_at"] == datetime.strptime(when, "%Y:%m:%d %H:%M:%S") and out["note"] == ""
    else:
        assert out["taken_at"] is None
        assert ("outside 1990" in out["note"] and when[:4] in out["note"]) or when.startswith("0000")


def test_a_future_capture_time_is_unknown(tmp_path):
    from core.albums.exif import plausible_time

    now = datetime(2026, 5, 1, 12)
    assert plausible_time(datetime(2026, 5, 2, 6), now)  # a clock a time zone ahead
    assert not plausible_time(datetime(2026, 5, 3), now)
    assert not plausible_time(datetime(1989, 12, 31), now)
