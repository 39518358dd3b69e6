"""Thumbnails and drawn logos are made with the screen's pixels per point: on a Retina or 200 %
display a 96-point thumbnail has 192 pixels a side (made at 96 and blown up, it was blurred)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import DEMO_PHOTOS, ROOT


def test_a_loader_for_a_2x_screen_makes_sharp_thumbnails_of_the_same_size_in_points(qtbot, tmp_path):
    from PIL import Image

    from app.thumbs import ThumbnailLoader

    photo = str(next(DEMO_PHOTOS.glob("*.jpg")))
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a photo")
    sizes = {}
    for ratio in (1.0, 2.0):
        loader = ThumbnailLoader(96, ratio=ratio)
        try:
            assert loader.pixmap(photo) is None  # on its way
            qtbot.waitUntil(lambda loader=loader: loader.pixmap(photo) is not None, timeout=10_000)
            pix = loader.pixmap(photo)
            assert pix.devicePixelRatio() == ratio
            assert (pix.width(), pix.height()) == (96 * ratio, 96 * ratio)  # device pixels
            assert pix.deviceIndependentSize().width() == 96  # what a view lays out: unchanged
            loader.pixmap(str(broken))
            qtbot.waitUntil(lambda loader=loader: loader.pixmap(str(broken)) is not None, timeout=10_000)
            tile = loader.pixmap(str(broken))
            assert tile.devicePixelRatio() == ratio and tile.deviceIndependentSize().width() == 96
            sizes[ratio] = pix.toImage()
        finally:
            loader.stop()
    from core.thumbs import thumbnail_file

    with Image.open(thumbnail_file(photo, 192)) as im:
        assert max(im.size) == 192  # decoded with the detail the screen shows, not upscaled
    assert sizes[2.0].width() == 2 * sizes[1.0].width()


def test_on_a_2x_screen_the_app_draws_thumbnails_and_logos_with_2x_pixels():
    """A real QApplication with QT_SCALE_FACTOR=2 (what a 200 % display gives), offscreen."""
    code = (
        "import sys; from PySide6.QtWidgets import QApplication; app = QApplication([]);"
        "from app.thumbs import screen_ratio; from app.widgets import thumbnail;"
        "from app.logos.well import logo_pixmap;"
        "r = screen_ratio(); p = thumbnail(sys.argv[1], 150); l = logo_pixmap(sys.argv[2], 180);"
        "print(r, p.devicePixelRatio(), max(p.width(), p.height()), l.devicePixelRatio(), l.width())"
    )
    logo = next((ROOT / "resources" / "demo").rglob("*.svg"))
    photo = next(DEMO_PHOTOS.glob("*.jpg"))
    out = subprocess.run([sys.executable, "-c", code, str(photo), str(logo)], cwd=ROOT, capture_output=True,
                         text=True, timeout=120,
                         env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": "2"})
    assert out.returncode == 0, out.stderr
    ratio, photo_ratio, photo_side, logo_ratio, logo_side = out.stdout.split()
    assert float(ratio) == 2.0 and float(photo_ratio) == 2.0 and int(photo_side) == 300
    assert float(logo_ratio) == 2.0 and int(logo_side) == 360
