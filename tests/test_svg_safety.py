"""SVG drawing reads no file outside the SVG's folder and no special file, caps what it embeds,
bounds nesting, reference chains, size and time, and a crash of the drawing child skips the file
(issue 36 (2), (3))."""

from __future__ import annotations

import base64
import io
import os
import signal
import time

import numpy as np
import pytest
from PIL import Image

from core.images import ImageError
from core.logos.images import load_logo

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs and symlinks (POSIX)")
HEAD = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="40" height="40">'


def _svg(folder, name: str, body: str) -> str:
    path = folder / name
    path.write_text(HEAD + body + "</svg>", encoding="utf-8")
    return str(path)


def _image(href: str, attr: str = "href") -> str:
    return f'<rect width="40" height="40" fill="blue"/><image {attr}="{href}" x="0" y="0" width="40" height="40"/>'


def _red_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def logos(tmp_path):
    folder = tmp_path / "logos"
    folder.mkdir()
    (folder / "red.png").write_bytes(_red_png())
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.png").write_bytes(_red_png())
    os.mkfifo(folder / "pipe.png")
    return folder


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("href", "why"), [
    ("/dev/zero", "outside its folder"),
    ("file:///dev/zero", "outside its folder"),
    ("pipe.png", "named pipe"),
    ("file:pipe.png", "named pipe"),
    ("../outside/secret.png", "outside its folder"),
    ("link-out.png", "outside its folder"),
    ("file://otherhost/x.png", "another machine"),
    ("{outside}/secret.png", "outside its folder"),
])
def test_an_svg_that_names_a_file_outside_its_folder_or_a_special_file_is_skipped_at_once(logos, href, why):
    os.symlink(logos.parent / "outside" / "secret.png", logos / "link-out.png")
    href = href.format(outside=logos.parent / "outside")
    for attr in ("href", "xlink:href"):
        path = _svg(logos, "bad.svg", _image(href, attr))
        t0 = time.monotonic()
        with pytest.raises(ImageError, match=why) as err:
            load_logo(path, 64)
        assert err.value.path == path and "bad.svg" in str(err.value)
        assert time.monotonic() - t0 < 5
    filt = f'<filter id="f"><feImage href="{href}"/></filter><rect width="9" height="9" filter="url(#f)"/>'
    with pytest.raises(ImageError, match=why):
        load_logo(_svg(logos, "fe.svg", filt), 64)


def test_an_image_in_the_svgs_folder_is_drawn_and_missing_or_web_ones_are_left_out(logos):
    red = np.asarray(load_logo(_svg(logos, "in.svg", _image("red.png")), 64))
    assert tuple(red[32, 32]) == (255, 0, 0)  # the image itself, embedded by the check
    sub = logos / "sub"
    sub.mkdir()
    (sub / "red.png").write_bytes(_red_png())
    assert tuple(np.asarray(load_logo(_svg(logos, "sub.svg", _image("sub/red.png")), 64))[32, 32]) == (255, 0, 0)
    uri = (logos / "red.png").as_uri()
    assert tuple(np.asarray(load_logo(_svg(logos, "uri.svg", _image(uri)), 64))[32, 32]) == (255, 0, 0)
    for href in ("gone.png", "https://example.com/logo.png", ""):  # drawn without it, as resvg did
        drawn = np.asarray(load_logo(_svg(logos, "x.svg", _image(href)), 64))
        assert tuple(drawn[32, 32]) == (0, 0, 255)


def test_embedded_data_is_capped_in_bytes_and_pixels(logos):
    from core.logos import svgsafe

    small = base64.b64encode(_red_png()).decode()
    assert tuple(np.asarray(load_logo(_svg(logos, "ok.svg", _image(f"data:image/png;base64,{small}")), 64))[32, 32]) \
        == (255, 0, 0)
    huge = base64.b64encode(b"\0" * (svgsafe.MAX_EMBEDDED_BYTES + 1)).decode()
    with pytest.raises(ImageError, match="MB together"):
        load_logo(_svg(logos, "huge.svg", _image(f"data:image/png;base64,{huge}")), 64)
    from tests.bad_inputs.make_corpus import _png_bomb

    bomb = base64.b64encode(_png_bomb(60000, 60000)).decode()
    with pytest.raises(ImageError, match="embeds an image too large"):
        load_logo(_svg(logos, "bomb.svg", _image(f"data:image/png;base64,{bomb}")), 64)
    Image.new("1", (8000, 6000)).save(logos / "big.png")  # 48 MP: Pillow reads it, resvg would decode it whole
    with pytest.raises(ImageError, match="8000×6000 image, over 40 million pixels"):
        load_logo(_svg(logos, "big.svg", _image("big.png")), 64)
    # an SVG inside the SVG is checked by the same rules
    inner = base64.b64encode((HEAD + _image("/dev/zero") + "</svg>").encode()).decode()
    with pytest.raises(ImageError, match="outside its folder"):
        load_logo(_svg(logos, "inner.svg", _image(f"data:image/svg+xml;base64,{inner}")), 64)
    with pytest.raises(ImageError, match="outside its folder"):
        load_logo(_svg(logos, "inner.svg", _image(f"data:text/plain;base64,{inner}")), 64)


def test_nesting_element_count_reference_chains_and_gzip_bombs_are_bounded_without_a_crash(logos):
    """100,000 nested <g> crashed resvg (SIGSEGV) in this process; 300 chained masks too."""
    import gzip

    deep = _svg(logos, "deep.svg", "<g>" * 100_000 + '<rect width="5" height="5"/>' + "</g>" * 100_000)
    with pytest.raises(ImageError, match="nest more than"):
        load_logo(deep, 64)
    masks = '<defs><mask id="m0"><rect width="5" height="5" fill="white"/></mask>' + "".join(
        f'<mask id="m{i}"><rect width="5" height="5" fill="white" mask="url(#m{i - 1})"/></mask>' for i in range(1, 300))
    with pytest.raises(ImageError, match="chain more than"):
        load_logo(_svg(logos, "masks.svg", masks + '</defs><rect width="9" height="9" mask="url(#m299)"/>'), 64)
    with pytest.raises(ImageError, match="elements"):
        load_logo(_svg(logos, "many.svg", '<rect width="1" height="1"/>' * 60_000), 64)
    bomb = logos / "bomb.svgz"
    bomb.write_bytes(gzip.compress((HEAD + "<!--" + " " * (64 << 20) + "--></svg>").encode(), 9))
    assert bomb.stat().st_size < 1 << 20
    with pytest.raises(ImageError, match="unpacks to more than"):
        load_logo(bomb, 64)
    ok = _svg(logos, "ok.svg", "<g>" * 50 + '<rect width="40" height="40" fill="red"/>' + "</g>" * 50)
    assert tuple(np.asarray(load_logo(ok, 64))[32, 32]) == (255, 0, 0)


def crash_on_marked(path: str, size: int, short_side: bool = False) -> bytes:
    """Draws like ``svg_png`` but dies of SIGSEGV on a file named ``crash*``: run in this test's
    process it would kill pytest, so passing shows it never ran here."""
    from core.logos.images import svg_png

    if os.path.basename(path).startswith("crash"):
        os.kill(os.getpid(), signal.SIGSEGV)
    return svg_png(path, size, short_side)


@pytest.mark.timeout(120)
def test_a_crash_or_a_hang_in_the_drawing_child_skips_that_file_and_the_next_draw_in_children(logos, monkeypatch):
    import core.logos.images as images

    good = _svg(logos, "good.svg", '<rect width="40" height="40" fill="red"/>')
    crash = _svg(logos, "crash.svg", '<rect width="40" height="40" fill="red"/>')
    images.use_render_processes(1)
    try:
        monkeypatch.setattr(images, "svg_png", crash_on_marked)
        # signal 11 as a rule; 255 when the fork server's status message lost the race with the
        # pool noticing the dead child (CPython's popen_forkserver.poll falls back to 255)
        with pytest.raises(ImageError, match=r"crashed on it \((signal 11|exit 255)\)") as err:
            load_logo(crash, 64)
        assert err.value.path == crash
        assert images._render_pool is not None  # still children, a fresh one
        assert tuple(np.asarray(load_logo(good, 64))[32, 32]) == (255, 0, 0)
        monkeypatch.setattr(images, "RENDER_TIMEOUT_S", 0.0)  # every drawing is now too slow
        with pytest.raises(ImageError, match="took longer than 0 s"):
            load_logo(good, 64)
        monkeypatch.setattr(images, "RENDER_TIMEOUT_S", 20.0)
        assert tuple(np.asarray(load_logo(good, 64))[32, 32]) == (255, 0, 0)
    finally:
        images.stop_render_processes()
