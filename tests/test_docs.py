"""The user guide: docs/ pages shipped with the app, Help → User guide, the CLI reference made
from the parsers, and which data folder the window says it works on."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import ROOT


def test_cli_reference_is_made_from_the_parsers():
    out = subprocess.run([sys.executable, "scripts/make_cli_docs.py", "--check"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for command in ("lostfound import", "albums duplicates", "logos index", "restore"):
        assert f"python -m core {command}`" in text


def test_every_link_between_docs_pages_resolves():
    broken = []
    for page in sorted((ROOT / "docs").glob("*.md")):
        for target in re.findall(r"\]\(([^)#\s]+)", page.read_text(encoding="utf-8")):
            if "://" in target:
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.name} → {target}")
    assert not broken, broken


def test_help_user_guide_shows_the_pages_and_the_real_shortcuts(window, qtbot):
    from app.guide import PAGES

    window.guide_action.trigger()
    dialog = window.guide_dialog
    qtbot.waitUntil(dialog.isVisible)
    titles = [dialog.pages.item(i).text() for i in range(dialog.pages.count())]
    assert titles[: len(PAGES)] == [title for _name, title in PAGES]  # every page ships
    assert "five workspaces" in dialog.text.toPlainText()
    dialog.pages.setCurrentRow(titles.index("Lost & Found"))
    assert "slider" in dialog.text.toPlainText()
    dialog.pages.setCurrentRow(titles.index("Keyboard shortcuts"))
    shown = dialog.text.toPlainText()
    assert "Edit → Undo" in shown and "Ctrl+Z" in shown and "Help → User guide" in shown
    # a link between pages opens the page in the guide
    from PySide6.QtCore import QUrl

    dialog._follow(QUrl("albums.md"))
    assert dialog.pages.currentItem().text() == "Albums" and "Duplicates" in dialog.text.toPlainText()


def test_the_window_says_which_folder_and_labels_the_demo(window, tmp_path, monkeypatch):
    from app.data_folders import mark_data_folder, other_folder_command
    from core.paths import data_dir, demo_data_dir

    window.statusBar().clearMessage()
    mark_data_folder(window, demo=False)
    assert "DEMO" not in window.windowTitle() and str(data_dir()) in window.statusBar().currentMessage()
    assert window.demo_action.isVisible() and not window.own_data_action.isVisible()
    program, args = other_folder_command(demo=True)
    assert program == sys.executable and args[-3:] == ["--demo", "--data-dir", str(demo_data_dir())]
    assert demo_data_dir() != data_dir()  # the demo never lands in the user's folder
    mark_data_folder(window, demo=True)
    assert "DEMO" in window.windowTitle() and window.own_data_action.isVisible()
    assert not window.demo_action.isVisible()
    assert "--demo" not in other_folder_command(demo=False)[1]


def test_start_script_opens_the_users_folder_and_the_demo_on_request():
    script = (ROOT / "scripts" / "start.sh").read_text(encoding="utf-8")
    last = [line for line in script.splitlines() if line.startswith("exec ")][-1]
    assert "--demo" not in last and '"$@"' in last


def test_the_cli_names_the_data_folder_it_works_on(tmp_path):
    import os

    env = dict(os.environ, SIMSCOPE_DATA_DIR=str(tmp_path / "mine"), HF_HUB_OFFLINE="1")
    out = subprocess.run([sys.executable, "-m", "core", "cache", "stats", "--json"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert f"data folder: {tmp_path / 'mine'} (from SIMSCOPE_DATA_DIR)" in out.stderr
    assert out.stdout.lstrip().startswith("{")  # stdout stays the command's own output


def test_readme_fits_on_two_screens_and_every_link_and_picture_resolves():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 150
    lines = readme.splitlines()
    assert "./scripts/start.sh --demo" in "\n".join(lines[:40]) and "./scripts/test.sh" in "\n".join(lines[:40])
    missing = [t for t in re.findall(r"\]\(([^)#\s]+)", readme) if "://" not in t and not (ROOT / t).exists()]
    assert not missing, missing
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert len(pictures) == 5  # a picture of each workspace
    from PIL import Image

    for picture in pictures:
        with Image.open(ROOT / picture) as im:
            assert im.width >= 1180 and im.height == 760, (picture, im.size)
