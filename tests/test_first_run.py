"""First run on a fresh machine: Qt's platform plugin is checked before the app exists,
setup is skipped when nothing changed, Korean renders with the bundled font, and the
demo data ship inside the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


# -- Qt platform plugin ---------------------------------------------------------------

def test_missing_plugin_libraries_are_named_with_their_packages(tmp_path):
    """A copy of the xcb plugin away from Qt's own libraries: ldd cannot resolve them,
    and the verdict names every missing library instead of Qt's abort."""
    from app import platform_check

    folder = platform_check.qt_plugin_dir()
    if folder is None or not (folder / "libqxcb.so").exists() or shutil.which("ldd") is None:
        pytest.skip("needs Linux, ldd and PySide6's xcb plugin")
    copy = tmp_path / "plugins" / "platforms"
    copy.mkdir(parents=True)
    shutil.copy(folder / "libqxcb.so", copy / "libqxcb.so")
    missing = platform_check.missing_libraries(copy / "libqxcb.so")
    assert "libQt6XcbQpa.so.6" in missing and "libQt6Gui.so.6" in missing
    # the real plugin: whatever is missing on this machine maps to packages we know
    real = platform_check.missing_libraries(folder / "libqxcb.so")
    assert all(m in platform_check.DEBIAN_PACKAGES for m in real), real


def test_package_names_and_install_command_for_known_gaps(monkeypatch):
    from app import platform_check

    monkeypatch.setattr(platform_check, "missing_libraries",
                        lambda plugin: ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"])
    verdict = platform_check.check_platform("xcb")
    assert not verdict.ok
    assert verdict.packages == ["libxcb-icccm4", "libxcb-keysyms1"]
    assert "apt-get install -y libxcb-icccm4 libxcb-keysyms1" in verdict.message
    assert "libxcb-icccm.so.4" in verdict.message


def test_candidates_follow_qt_qpa_platform_and_the_session():
    from app.platform_check import candidate_platforms

    assert candidate_platforms({"QT_QPA_PLATFORM": "wayland;xcb"}) == ["wayland", "xcb"]
    assert candidate_platforms({"QT_QPA_PLATFORM": "offscreen"}) == ["offscreen"]
    if sys.platform.startswith("linux"):
        assert candidate_platforms({}) == ["xcb"]
        assert candidate_platforms({"XDG_SESSION_TYPE": "wayland"}) == ["wayland", "xcb"]


def test_the_app_says_why_it_cannot_open_a_window_instead_of_aborting(tmp_path):
    """xcb without a display (and, on a machine without the xcb libraries, without them):
    a plain message and exit 3, never Qt's abort."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the xcb check is for Linux")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(QT_QPA_PLATFORM="xcb", SIMSCOPE_DATA_DIR=str(tmp_path / "data"))
    out = subprocess.run([sys.executable, "-m", "app"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 3, out.stderr[-2000:]
    assert "Aborted" not in out.stderr and "Traceback" not in out.stderr
    assert "Simscope cannot open its window" in out.stderr
    assert ("DISPLAY is not set" in out.stderr) or ("apt-get install" in out.stderr)
    log = (tmp_path / "data" / "logs" / "simscope.log").read_text(encoding="utf-8")
    assert "cannot start" in log


def test_probe_in_a_child_process_reports_the_platform():
    from app.platform_check import probe

    ok, said = probe()
    assert ok and said == os.environ["QT_QPA_PLATFORM"]


# -- setup is skipped when nothing changed ---------------------------------------------

def test_setup_is_a_no_op_when_its_stamp_is_current(tmp_path):
    """A fake venv whose python is this one: with a current stamp, setup.sh returns at
    once without pip; with pyproject.toml changed it would install (stamp differs)."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    env = dict(os.environ, SIMSCOPE_VENV=str(venv))
    # setup.sh's own lines from VENV= to the torch pair's case: the venv, extras, flavour and pair it picks
    stamp_cmd = ("source <(sed -n '/^VENV=/,/^esac/p' scripts/setup.sh); "
                 "eval \"$(sed -n '/^want_stamp()/,/^}/p' scripts/setup.sh)\"; want_stamp")
    stamp = subprocess.run(["bash", "-c", stamp_cmd], cwd=ROOT, env=env, capture_output=True, text=True,
                           check=True).stdout.strip()
    assert len(stamp) == 64
    (venv / ".simscope-setup-stamp").write_text(stamp + "\n")
    out = subprocess.run(["bash", "scripts/setup.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0 and out.stdout == "", out.stdout + out.stderr
    # a stale stamp starts the install (stopped before pip runs by an unwritable python)
    (venv / ".simscope-setup-stamp").write_text("stale\n")
    (venv / "bin" / "python").unlink()
    (venv / "bin" / "python").write_text("#!/bin/sh\necho 3.x; exit 1\n")
    (venv / "bin" / "python").chmod(0o755)
    out = subprocess.run(["bash", "scripts/setup.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=30)
    assert out.returncode != 0 and "installing" in out.stdout


# -- Korean text with the bundled font -------------------------------------------------

def _glyph(font, ch: str) -> bytes:
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtGui import QColor, QImage, QPainter

    img = QImage(48, 48, QImage.Format.Format_Grayscale8)
    img.fill(QColor("white"))
    painter = QPainter(img)
    painter.setFont(font)
    painter.drawText(QRect(0, 0, 48, 48), Qt.AlignmentFlag.AlignCenter, ch)
    painter.end()
    return bytes(img.constBits())


def test_korean_renders_as_glyphs_not_boxes(window, qtbot):
    from PySide6.QtWidgets import QApplication, QLabel

    from app.fonts import install_fonts

    assert "NanumGothic" in install_fonts()  # registered (again) and in the app font's chain
    assert "NanumGothic" in QApplication.instance().font().families()
    label = QLabel("분실물: 검은색 지갑")
    qtbot.addWidget(label)
    font = label.font()
    missing = _glyph(font, "\U000F0001")  # a private-use code point no font draws
    blank = _glyph(font, " ")
    korean = {ch: _glyph(font, ch) for ch in "분실물검은색지갑"}
    for ch, img in korean.items():
        assert img != missing and img != blank, f"{ch!r} renders as the missing-glyph box"
    assert len(set(korean.values())) == len(korean)  # eight different glyphs, not one box
    label.resize(240, 40)
    assert label.grab().toImage().width() == 240


def test_latin_text_keeps_the_systems_font_and_only_hangul_falls_back(tmp_path):
    """On a machine with one Latin font and no Hangul font (a fontconfig of DejaVu alone), labels
    are drawn in that font and Korean in the bundled NanumGothic. Substituting the UI family by
    NanumGothic alone drew every number in it, whose full stop reads as a comma ("0,826")."""
    dejavu = Path("/usr/share/fonts/truetype/dejavu")
    if not (dejavu / "DejaVuSans.ttf").is_file():
        pytest.skip("no DejaVu Sans here to stand for a system's Latin font")
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    (fonts / "DejaVuSans.ttf").symlink_to(dejavu / "DejaVuSans.ttf")
    conf = tmp_path / "fonts.conf"
    conf.write_text(f"<?xml version='1.0'?><!DOCTYPE fontconfig SYSTEM 'fonts.dtd'><fontconfig>"
                    f"<dir>{fonts}</dir><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>")
    code = ("from PySide6.QtWidgets import QApplication\n"
            "from PySide6.QtGui import QFontInfo, QRawFont\n"
            "app = QApplication([])\n"
            "before = QFontInfo(app.font()).family()\n"
            "from app.fonts import install_fonts\n"
            "install_fonts(app)\n"
            "font = app.font()\n"
            "from PySide6.QtGui import QTextLayout\n"
            "def families(text):\n"
            "    layout = QTextLayout(text, font); layout.beginLayout(); layout.createLine(); layout.endLayout()\n"
            "    return sorted({run.rawFont().familyName() for run in layout.glyphRuns()})\n"
            "print(before, '|', QFontInfo(font).family(), '|', families('0.826'), '|', families('분실물'))\n")
    env = {**os.environ, "FONTCONFIG_FILE": str(conf), "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    before, after, latin, korean = (part.strip() for part in out.stdout.strip().splitlines()[-1].split("|"))
    assert before == "DejaVu Sans" and after == "DejaVu Sans", out.stdout
    assert latin == "['DejaVu Sans']", out.stdout
    assert korean == "['NanumGothic']", out.stdout


# -- demo data live in the repository --------------------------------------------------

def test_gas_readings_ship_with_the_app():
    from core.fusion.gas_demo import default_gas_csv

    path = default_gas_csv()
    assert path.is_relative_to(ROOT / "resources")
    assert path.stat().st_size > 200_000
    assert (path.parent / "README.md").read_text(encoding="utf-8").count("CC BY 4.0")
