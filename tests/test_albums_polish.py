"""Albums polish (issue 38): the viewer, duplicates side by side with one undoable "keep the
suggested photo, move the others aside", no stale text, and a layout that gives the grid the room."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from app.albums.grid import SIMILAR, UNSORTED
from core.paths import resource
from tests.conftest import assert_not_blank, finish_job, save_screenshot, show_page
from tests.test_screens import _clipped, _elided_cells

DEMO_ALBUM = resource("demo", "album")


def _rows(page):
    return [page.events.item(i).data(Qt.ItemDataRole.UserRole) for i in range(page.events.count())]


def _open(page, key) -> None:
    page.events.setCurrentRow(_rows(page).index(key))


@pytest.fixture
def page(window, qtbot):
    page = show_page(window, "albums", (1180, 760))
    finish_job(qtbot, page.add_paths([str(DEMO_ALBUM)]))
    return page


def test_double_click_or_space_opens_the_viewer_on_the_photos_shown(page, qtbot):
    event = page.store.events()[0]
    _open(page, event.id)
    shown = [p.path for p in page.grid_model.photos]
    assert len(shown) >= 3
    index = page.grid_model.index(2)
    page.grid.scrollTo(index)
    at = page.grid.visualRect(index).center()
    qtbot.mouseClick(page.grid.viewport(), Qt.MouseButton.LeftButton, pos=at)  # QTest: the press
    qtbot.mouseDClick(page.grid.viewport(), Qt.MouseButton.LeftButton, pos=at)
    viewer = page.viewer
    assert viewer is not None and viewer.isVisible() and viewer.paths == shown and viewer.index == 2
    qtbot.waitUntil(lambda: viewer.details_path == viewer.path, timeout=10_000)  # worked out off the UI thread
    rows = dict(viewer.info_rows)
    photo = page.grid_model.photos[2]
    assert rows["Event"] == event.name
    assert rows["Why here"] == page.explain(photo.id).removeprefix("Why here: ") and rows["Why here"]
    viewer.next()
    qtbot.waitUntil(lambda: viewer.details_path == shown[3], timeout=10_000)
    assert viewer.path == shown[3] and dict(viewer.info_rows)["Event"] == event.name
    viewer.close()
    # Space on the grid (the view would take it to select): the current photo, within the results shown
    hits = page.find_similar(shown[0], k=40)
    assert page.current_key() == SIMILAR and hits
    page.grid.setCurrentIndex(page.grid_model.index(0))
    page.grid.setFocus()
    qtbot.keyClick(page.grid, Qt.Key.Key_Space)
    assert page.viewer is not viewer and page.viewer.paths == [p for p, _ in hits] and page.viewer.index == 0
    qtbot.waitUntil(lambda: page.viewer.details_path == page.viewer.path, timeout=10_000)
    rows = dict(page.viewer.info_rows)
    assert rows["Shown in"].startswith("Similar to ") and rows["Event"]  # the photo's own event too
    page.viewer.close()


def test_duplicates_compare_side_by_side_keep_the_suggested_move_the_others_and_undo(window, qtbot, tmp_path,
                                                                                      monkeypatch):
    from PIL import Image

    page = show_page(window, "albums", (1180, 760))
    folder = tmp_path / "photos"
    shutil.copytree(DEMO_ALBUM, folder)
    original = folder / "leaf.jpg"
    with Image.open(original) as im:  # the same shot saved again, smaller: the original is the keeper
        im.convert("RGB").resize((im.width // 2, im.height // 2)).save(folder / "leaf-small.jpg", quality=75)
    finish_job(qtbot, page.add_paths([str(folder)]))
    finish_job(qtbot, page.find_duplicates())
    labels = [page.grid_model.data(page.grid_model.index(r)) for r in range(page.grid_model.rowCount())]
    n = next(label.split("\n")[0].removeprefix("keep ") for label in labels if label.endswith("\nleaf.jpg"))
    assert f"keep {n}\nleaf.jpg" in labels and f"{n} duplicate\nleaf-small.jpg" in labels  # e.g. "#2"
    assert page.group.compare_button.isVisibleTo(page)
    # double-click on a group member: its group side by side, the suggested keeper marked
    row = labels.index(f"{n} duplicate\nleaf-small.jpg")
    page.open_viewer(row)  # what double-click and Space call (the viewer test clicks for real)
    dialog = page.compare_dialog
    assert dialog is not None and dialog.keeper == str(original)
    assert sorted(i.path for i in dialog.comparison.infos) == sorted([str(original), str(folder / "leaf-small.jpg")])
    assert dialog.comparison.differ  # the rows that differ (the size, at least) are marked
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a: ""))  # the user cancels
    dialog.keep_button.click()
    assert dialog.isVisible() and (folder / "leaf-small.jpg").is_file() and page.undo_stack.count() == 0
    aside = tmp_path / "set aside"
    asked = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda parent, title, start: asked.append(title) or str(aside)))
    dialog.keep_button.click()  # the one action: asks for a folder, moves, one undo step
    assert asked and not (folder / "leaf-small.jpg").exists() and (aside / "leaf-small.jpg").is_file()
    assert not dialog.isVisible()
    assert original.is_file() and str(folder / "leaf-small.jpg") not in page.store.paths()
    assert page.undo_stack.count() == 1
    assert "moved leaf-small.jpg to" in page.note.text() and "Undo" in page.note.text()
    shown = [page.grid_model.data(page.grid_model.index(r)) for r in range(page.grid_model.rowCount())]
    assert f"{n} duplicate\nleaf-small.jpg" not in shown and f"keep {n}\nleaf.jpg" in shown  # reloaded
    page.undo_stack.undo()
    assert (folder / "leaf-small.jpg").is_file() and not (aside / "leaf-small.jpg").exists()
    assert str(folder / "leaf-small.jpg") in page.store.paths()
    assert page.note.text().startswith("Undone: Kept leaf.jpg") and "takes it back" not in page.note.text()
    page.undo_stack.redo()
    assert (aside / "leaf-small.jpg").is_file() and page.note.text().startswith("Done again: Kept leaf.jpg")
    qtbot.waitUntil(lambda: not page.loader._pending, timeout=10_000)  # the tiles drawn, not blank
    qtbot.wait(100)
    save_screenshot(page.window(), "albums-duplicates-kept")


def test_no_stale_text_after_switching_events_undoing_or_clearing_the_search(page, qtbot):
    first, second = page.store.events()[:2]
    _open(page, first.id)
    page.grid.selectionModel().select(page.grid_model.index(0), page.grid.selectionModel().SelectionFlag.Select)
    qtbot.waitUntil(lambda: page.why.text().startswith("Why here: ") and "…" not in page.why.text()[:12],
                    timeout=10_000)
    assert page.why.isVisibleTo(page)
    _open(page, second.id)  # another event: the photo before is not explained any more
    assert page.why.text() == "" and not page.why.isVisibleTo(page) and page.photo_note.text() == ""
    # the undo hint goes with the undo
    page.name_edit.setText("Lamps")
    page.name_edit.editingFinished.emit()
    assert "Edit → Undo (Ctrl+Z) takes it back" in page.note.text()
    page.undo_stack.undo()
    assert page.store.event(second.id).name == second.name
    assert page.note.text().startswith(f"Undone: Renamed '{second.name}' to 'Lamps'")
    assert "takes it back" not in page.note.text()
    # a search, then Find similar; emptying the search box takes both groups and the note away
    page.word_search.setText("church")
    finish_job(qtbot, page.search_words("church"))
    assert page.current_key() == SIMILAR and "Words: church" in page.events.currentItem().text()
    assert "church" in page.note.text()
    page.word_search.clear()
    assert SIMILAR not in _rows(page) and page.note.text() == "" and isinstance(page.current_key(), int)
    assert not any(page.events.item(i).text().startswith(("Words:", "Similar to"))
                   for i in range(page.events.count()))
    page.word_search.setText("x")
    page.find_similar(page.store.photos(first.id)[0].path)
    assert SIMILAR in _rows(page)
    page.word_search.setText("")
    assert SIMILAR not in _rows(page) and page.note.text() == ""


def test_the_grid_gets_the_room_at_1180x760(page, qtbot, window):
    from app.albums.events import EventsPanel
    from app.albums.group import GroupView
    from app.albums.toolbar import AlbumToolBar

    event = page.store.events()[0]
    _open(page, event.id)
    qtbot.wait(100)
    assert window.size().width() == 1180 and window.size().height() == 760
    view, cell = page.grid.viewport(), page.grid.gridSize()
    full_rows = view.height() // cell.height()
    assert full_rows >= 2, f"{view.height()} px of grid for {cell.height()} px rows"
    # the controls are one tool-bar row: the tuning lives in a panel under "Grouping"
    assert not page.min_size.isVisibleTo(page) and page.toolbar.tuning_button.isVisibleTo(page)
    assert page.group.reps_box.isVisibleTo(page)  # an event's representatives, beside its caption
    # the event's name from its first letter, all of it (issue 38: "onastery · Arezzo · …" at 1180)
    assert page.name_edit.cursorPosition() == 0 and page.name_edit.fits(), page.name_edit.width()
    # the status line, cut to its two lines at 1180: the whole text in its tooltip
    from PySide6.QtWidgets import QLabel

    shown = QLabel.text(page.note)
    assert page.note.text() and shown != page.note.text()  # the add's long account, cut
    assert page.note.toolTip().startswith(page.note.text() + "\n\n")  # whole, then the models used
    assert '"preset"' in page.note.toolTip()
    page.note.setText("A very long account of the last job. " * 12)
    assert QLabel.text(page.note).endswith("…") and page.note.toolTip() == page.note.text()
    _open(page, UNSORTED)
    assert not page.group.reps_box.isVisibleTo(page)  # no empty "Representative" strip on Unsorted
    # the demo note closes, and stays closed after a restart (the view state keeps it)
    assert page.demo_banner.isVisibleTo(page)
    before = view.height()
    page.demo_banner.close_button.click()
    qtbot.wait(50)
    assert not page.demo_banner.isVisibleTo(page) and page.grid.viewport().height() > before
    page.flush_view()
    assert window.settings.view_value(page.view_state().key("demo note closed")) in (True, "true")
    page.reset_view()
    assert page.demo_banner.isVisibleTo(page)
    # the thumbnail size: smaller thumbnails, more of them in a row
    columns = view.width() // page.grid.gridSize().width()
    page.group.thumb_size.slider.setValue(page.group.thumb_size.slider.minimum())
    assert view.width() // page.grid.gridSize().width() > columns
    # the page is an assembly of widgets of their own, laid out side by side
    assert isinstance(page.toolbar, AlbumToolBar) and isinstance(page.events_panel, EventsPanel)
    assert isinstance(page.group, GroupView) and page.split.widget(1) is page.group


def test_the_selected_last_event_is_scrolled_into_view(page, qtbot):
    first = page.store.events()[0]
    for photo in page.store.photos(first.id)[:7]:  # many events: more than the list shows at once
        page.store.split_event([photo.id])
    page.reload()
    assert page.events.count() >= 10
    last = page.events.count() - 1
    page.events.scrollToTop()
    page.session.current = _rows(page)[last]
    page.reload()  # what a restart or an edit does: the group shown is selected again
    qtbot.wait(50)
    rect = page.events.visualItemRect(page.events.item(last))
    assert page.events.viewport().rect().contains(rect), (rect, page.events.viewport().rect())
    from core.albums.timeline import events_by_date

    assert page.events.item(0).text().split("\n")[0] == events_by_date(page.store)[0].name  # by date, whole name
    assert_not_blank(save_screenshot(page.window(), "albums-many-events-1180"))


def test_screenshots_at_both_sizes_and_names_not_cut_where_they_fit(page, qtbot, window):
    """out/screenshots/albums-polish-*.png, looked at by hand: an event, Unsorted, the tuning
    panel, the viewer, at 1180×760 and 1920×1080."""
    event = page.store.events()[0]
    for width, height in ((1180, 760), (1920, 1080)):
        window.resize(width, height)
        _open(page, event.id)
        qtbot.waitUntil(lambda: all(page.loader.pixmap(p.path) is not None for p in page.grid_model.photos),
                        timeout=20_000)
        qtbot.wait(150)
        metrics = page.events.fontMetrics()
        for i in range(page.events.count()):  # the event names fit their list at both sizes
            item = page.events.item(i)
            room = page.events.visualItemRect(item).width() - page.events.iconSize().width() - 12
            assert metrics.horizontalAdvance(item.text().split("\n")[0]) <= room, item.text()
        names = [page.grid_model.data(page.grid_model.index(r)) for r in range(page.grid_model.rowCount())]
        assert max(page.grid.fontMetrics().horizontalAdvance(line) for n in names for line in n.split("\n")) <= page.grid.gridSize().width()
        assert_not_blank(save_screenshot(window, f"albums-polish-event-{width}"))
        _open(page, UNSORTED)
        qtbot.wait(150)
        assert_not_blank(save_screenshot(window, f"albums-polish-unsorted-{width}"))
        _open(page, event.id)
        qtbot.wait(50)  # the screens test's checks, on an album with photos (it sees an empty one)
        cut = _clipped(window) + _elided_cells(window, tooltip_ok=width < 1920)
        assert not cut, f"at {width}: " + "\n".join(cut)
    window.resize(1180, 760)
    _open(page, event.id)
    menu = page.toolbar.tuning_button.menu()  # the tuning panel under "Grouping" (popup: exec would wait for a click)
    menu.popup(page.toolbar.tuning_button.mapToGlobal(page.toolbar.tuning_button.rect().bottomLeft()))
    qtbot.waitUntil(menu.isVisible, timeout=2000)
    assert page.min_size.isVisible() and page.toolbar.closeness.isVisible() and page.loose_slider.isVisible()
    assert_not_blank(save_screenshot(menu, "albums-polish-tuning"), min_colors=8)
    menu.close()
    viewer = page.open_viewer(0)
    qtbot.waitUntil(lambda: viewer.path in viewer._cache, timeout=10_000)
    qtbot.wait(100)
    assert_not_blank(save_screenshot(viewer, "albums-polish-viewer"))
    viewer.close()
