"""Tools → Learned event kinds… (app.albums.kinds_dialog): the kinds of a real KindStore listed
with their example photos and named events, Forget and Forget all written to the store and read
back, and the empty state that says how kinds are learned."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer

from app.albums.kinds_dialog import KindsDialog
from core.albums.kinds import KindStore
from tests.conftest import assert_not_blank, save_screenshot


def _vectors(seed: int, n: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, 16)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture
def taught(tmp_path):
    """kinds.sqlite with two kinds: Christmas from two named events (3 + 2 photos, two albums),
    Beach from one (4 photos)."""
    path = tmp_path / "kinds.sqlite"
    with KindStore(path) as store:
        assert store.teach("Christmas 2022", "/home/me/albums.sqlite", 1, "m",
                           ["a1", "a2", "a3"], _vectors(0, 3)) == "Christmas"
        assert store.teach("Beach · Aug 2021", "/home/me/albums.sqlite", 2, "m",
                           ["b1", "b2", "b3", "b4"], _vectors(1, 4)) == "Beach"
        assert store.teach("Christmas 2023", "/home/me/family.sqlite", 7, "m", ["c1", "c2"],
                           _vectors(2, 2)) == "Christmas"
    return path


def _answer(dialog, text: str) -> None:
    box = dialog.forget_all_box
    next(b for b in box.buttons() if b.text() == text).click()


def test_the_kinds_are_listed_and_forgetting_one_removes_it_from_the_store_and_the_list(qtbot, taught):
    store = KindStore(taught)
    dialog = KindsDialog(store)
    qtbot.addWidget(dialog)
    dialog.resize(760, 360)
    dialog.show()
    assert dialog.stack.currentWidget() is dialog.tree
    assert dialog.kinds_listed() == [("Beach", 4), ("Christmas", 5)]
    christmas = dialog.tree.topLevelItem(1)
    assert christmas.childCount() == 2  # its two named events, each with its own photos and album
    assert [christmas.child(i).text(0) for i in range(2)] == ["“Christmas 2022”", "“Christmas 2023”"]
    assert [christmas.child(i).text(1) for i in range(2)] == ["3", "2"]
    assert "family.sqlite" in christmas.child(1).text(2) and "event 7" in christmas.child(1).text(2)
    assert "“Beach · Aug 2021” in albums.sqlite" == dialog.tree.topLevelItem(0).text(2)
    assert not dialog.forget_button.isEnabled()  # nothing selected yet
    christmas.setExpanded(True)
    assert_not_blank(save_screenshot(dialog, "albums_kinds_dialog"))

    christmas.child(0).setSelected(True)  # a named event selected: its kind is forgotten
    assert dialog.forget_button.isEnabled() and dialog.selected_kinds() == ["Christmas"]
    qtbot.mouseClick(dialog.forget_button, Qt.MouseButton.LeftButton)
    assert dialog.kinds_listed() == [("Beach", 4)]
    assert "“Christmas”" in dialog.status.text() and "2 named events" in dialog.status.text()
    with KindStore(taught) as again:  # read back from the file, not from the dialog's connection
        assert [k["kind"] for k in again.kinds()] == ["Beach"]
        assert again.is_forgotten("/home/me/family.sqlite", 7, "Christmas 2023")
    store.close()


def test_forget_all_asks_first_then_shows_how_kinds_are_learned(qtbot, taught):
    with KindStore(taught) as store:
        dialog = KindsDialog(store)
        qtbot.addWidget(dialog)
        QTimer.singleShot(100, lambda: _answer(dialog, "Keep them"))
        qtbot.mouseClick(dialog.forget_all_button, Qt.MouseButton.LeftButton)
        assert dialog.forget_all_box.defaultButton().text() == "Keep them"
        assert "2 learned kinds" in dialog.forget_all_box.text() and "3 named events" in dialog.forget_all_box.text()
        assert len(store.kinds()) == 2 and len(dialog.kinds_listed()) == 2  # kept
        QTimer.singleShot(100, lambda: _answer(dialog, "Forget all"))
        assert dialog.forget_all() == 3
        assert store.kinds() == [] and dialog.kinds_listed() == []
        assert dialog.stack.currentWidget() is dialog.empty and "rename" in dialog.empty.text()
        assert not dialog.forget_button.isEnabled() and not dialog.forget_all_button.isEnabled()
    with KindStore(taught) as again:
        assert again.kinds() == []


def test_the_empty_state_says_how_kinds_are_learned(qtbot, tmp_path, data_dir):
    with KindStore(tmp_path / "empty.sqlite") as store:
        dialog = KindsDialog(store)
        qtbot.addWidget(dialog)
        dialog.resize(620, 300)
        dialog.show()
        assert dialog.stack.currentWidget() is dialog.empty and dialog.kinds_listed() == []
        text = dialog.empty.text()
        assert "No event kinds learned yet" in text and "rename one “Christmas 2022”" in text
        assert str(tmp_path / "empty.sqlite") in text
        assert not dialog.forget_button.isEnabled() and not dialog.forget_all_button.isEnabled()
        assert dialog.forget_all() == 0
        assert_not_blank(save_screenshot(dialog, "albums_kinds_dialog_empty"), min_colors=5)
    nothing = KindsDialog(None)  # nothing learned, no file: the same, and the app's path is named
    qtbot.addWidget(nothing)
    assert nothing.stack.currentWidget() is nothing.empty and str(data_dir / "kinds.sqlite") in nothing.empty.text()


def test_the_tools_menu_opens_it_on_the_apps_kinds(qtbot, window, data_dir):
    tools = next(m.menu() for m in window.menuBar().actions() if m.text() == "&Tools")
    action = next(a for a in tools.actions() if a.text() == "&Learned event kinds…")
    action.trigger()  # nothing learned yet: the empty state, and no file made
    dialog = window.findChild(KindsDialog)
    assert dialog is not None and dialog.stack.currentWidget() is dialog.empty
    assert not (data_dir / "kinds.sqlite").exists()
    dialog.close()
    with KindStore(data_dir / "kinds.sqlite") as store:
        store.teach("Halloween 2020", str(data_dir / "albums.sqlite"), 3, "m", ["h1", "h2"], _vectors(3, 2))
    dialog = window.open_kinds()
    assert dialog.kinds_listed() == [("Halloween", 2)]
    assert dialog.tree.topLevelItem(0).text(2) == "“Halloween 2020” in the app's album"
    dialog.close()
