"""The Albums page: add a folder through the queue, edits saved at once, drag to move, examples, export."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDropEvent

from app.albums.grid import MIME, UNSORTED
from app.albums.page import AlbumsPage
from core.albums.store import AlbumStore
from tests.conftest import DEMO_PHOTOS, assert_not_blank, finish_job, save_screenshot, show_page


@pytest.fixture
def folder(tmp_path):
    out = tmp_path / "photos" / "여행 🏖"
    shutil.copytree(DEMO_PHOTOS, out)
    (out / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    return out


@pytest.fixture
def page(window, qtbot):
    return show_page(window, "albums")


def _event_rows(page):
    return [page.events.item(i).data(Qt.ItemDataRole.UserRole) for i in range(page.events.count())]


def test_add_folder_groups_events_and_reports_the_bad_file(page, qtbot, folder):
    page.min_size.setValue(3)
    qtbot.waitUntil(lambda: not page.album_jobs.debounce.isActive(), timeout=5000)  # its regroup: nothing to do (no folders)
    assert page.body.currentWidget() is page.empty  # an empty album says what to do
    job = page.add_paths([str(folder)])
    # while the first photos are on their way: no "drop photo folders" panel, and progress on the page
    assert page.body.currentWidget() is page.split and "Reading" in page.note.text()
    qtbot.waitUntil(lambda: page.job_strip.isVisibleTo(page) or job.state.done, timeout=30_000)
    report, group, models = finish_job(qtbot, job)
    assert report.found == 13 and len(report.errors) == 1 and "broken.jpg" in report.errors[0][0]
    assert group.events >= 2
    assert "broken.jpg" in page.note.text()
    assert "Smallest event 3 photos (yours)" in page.note.text() and group.settings_note
    keys = _event_rows(page)
    assert keys[-2:] == [UNSORTED, "errors"]  # the unreadable file is kept and shown
    assert "Tags" in page.caption.text() and "“" not in page.caption.text()  # offline: tags, never a caption
    # thumbnails arrive off the UI thread, into the grid and the representatives strip
    qtbot.waitUntil(lambda: all(page.loader.pixmap(p.path) is not None for p in page.grid_model.photos),
                    timeout=20_000)
    assert page.group.reps.count() >= 4  # label + 3 representatives + stretch
    qtbot.wait(200)
    assert_not_blank(save_screenshot(page.window(), "albums-page"))


def test_edits_survive_restart_and_reclustering(page, qtbot, folder):
    page.min_size.setValue(3)
    finish_job(qtbot, page.add_paths([str(folder)]))
    events = page.store.events()
    first, second = events[0], events[1]
    # rename through the header field
    page.events.setCurrentRow(_event_rows(page).index(first.id))
    page.name_edit.setText("Winter market")
    page.name_edit.editingFinished.emit()
    # move a photo by dropping it on another event in the list
    moved = page.store.photos(first.id)[0]
    mime = QMimeData()
    mime.setData(MIME, json.dumps([moved.id]).encode())
    target_row = _event_rows(page).index(second.id)
    pos = page.events.visualItemRect(page.events.item(target_row)).center()
    drop = QDropEvent(QPointF(pos), Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    page.events.dropEvent(drop)
    assert page.store.photo(moved.id).event_id == second.id and page.store.photo(moved.id).pinned
    # a note on a photo is saved at once
    page.events.setCurrentRow(_event_rows(page).index(second.id))
    page.grid.setCurrentIndex(page.grid_model.index(0))
    page.photo_note.setText("설날 가족 사진")
    page.photo_note.editingFinished.emit()
    noted = page.grid_model.photos[0]
    # re-cluster with other settings: the user's choices stay
    page.time_slider.setValue(40)
    page.min_size.setValue(4)
    result = finish_job(qtbot, page.regroup())
    assert result[0] is None  # tuning does not re-index
    page.events.setCurrentRow(_event_rows(page).index(page.store.events()[-1].id))
    shown = page.current_key()
    page.flush_view()  # what the window does when it closes
    again = AlbumsPage(page.context)  # as after a restart: the tuning comes back with the album
    assert (again.time_slider.value(), again.min_size.value()) == (40, 4)
    assert again.current_key() == shown  # and the event that was open (the first one before)
    assert again.cluster_settings() == page.cluster_settings()
    again.deleteLater()
    with AlbumStore(page.store.path) as store:  # as after a restart
        assert store.photo(moved.id).event_id == second.id
        assert store.event(first.id).name == "Winter market"
        assert store.photo(noted.id).note == "설날 가족 사진"


def test_loose_setting_places_stray_photos_that_strict_leaves_unsorted(page, qtbot, folder):
    page.min_size.setValue(3)
    finish_job(qtbot, page.add_paths([str(folder)]))
    strict = page.store.group_counts()["unsorted"]
    assert strict > 0  # 12 varied clothing photos: some lie outside every event
    page.loose_slider.setValue(100)
    assert page.cluster_settings().reach == 3.0
    finish_job(qtbot, page.regroup())
    loose = page.store.group_counts()["unsorted"]
    assert loose < strict
    assert f"unsorted {strict} → {loose}" in page.note.text()  # the control says what it changed
    assert sum(e.photo_count for e in page.store.events()) + loose == 12  # nobody lost
    page.loose_slider.setValue(0)
    job = page.regroup()
    assert not page.album_jobs.debounce.isActive()  # the explicit run takes the pending change; a late timer would cancel it
    finish_job(qtbot, job)
    assert page.store.group_counts()["unsorted"] == strict  # and back
    # Event names edited offline: the events are named again (only a CLIP model re-grouped before)
    from PySide6.QtCore import QTimer

    before, vocabulary = page.album_jobs.pending_regroup, page.store.vocabulary()
    dialog = page.edits.edit_vocabulary()
    dialog.edit.setPlainText("Beach\n Winter \n\n")
    QTimer.singleShot(100, lambda: next(b for b in dialog.discard_box.buttons() if b.text() == "Keep editing").click())
    dialog.reject()  # Esc on an edited list asks; Keep editing keeps it
    assert dialog.isVisible() and page.store.vocabulary() == vocabulary
    dialog.accept()
    assert page.store.vocabulary() == ["Beach", "Winter"]
    assert page.album_jobs.pending_regroup is not before
    finish_job(qtbot, page.album_jobs.pending_regroup)
    again = page.album_jobs.pending_regroup
    page.edits.edit_vocabulary().accept()  # the same list: nothing to do
    assert page.album_jobs.pending_regroup is again
    unchanged = page.edits.edit_vocabulary()
    unchanged.reject()  # nothing edited: closes without a question
    assert not unchanged.isVisible() and unchanged.discard_box is None


def test_merge_split_dissolve_and_examples(page, qtbot, folder):
    page.min_size.setValue(3)
    finish_job(qtbot, page.add_paths([str(folder)]))
    events = page.store.events()
    total = sum(e.photo_count for e in events) + len(page.store.photos(None)) + len(page.store.photos("unsure"))
    # one selected photo says why it is in its event (hidden while none or several are selected)
    page.events.setCurrentRow(_event_rows(page).index(events[0].id))
    page.grid.selectionModel().select(page.grid_model.index(0), page.grid.selectionModel().SelectionFlag.Select)
    assert page.why.isVisibleTo(page) and page.why.text().startswith("Why here:")
    # worked out on an I/O worker (its own store connection), then shown for the still-selected photo
    qtbot.waitUntil(lambda: "Similarity to this event's centre" in page.why.text(), timeout=10_000)
    assert "Next closest event" in page.why.text()
    assert page.why.text() == page.explain(page.selected_photos()[0].id)  # the same words as on the UI thread
    page.window().resize(1180, 760)
    qtbot.wait(100)
    assert_not_blank(save_screenshot(page.window(), "albums-why-1180"))
    page.grid.selectionModel().clearSelection()
    assert not page.why.isVisibleTo(page)
    for row, key in enumerate(_event_rows(page)):
        page.events.item(row).setSelected(key in (events[0].id, events[1].id))
    page.events_panel.merge_button.click()
    merged = page.store.event(events[0].id)
    assert merged.photo_count == events[0].photo_count + events[1].photo_count
    # split two photos off into a new event
    page.events.setCurrentRow(_event_rows(page).index(merged.id))
    sel = page.grid.selectionModel()
    for r in (0, 1):
        sel.select(page.grid_model.index(r), sel.SelectionFlag.Select)
    page.group.split_button.click()
    new = page.store.event(page.current_key())
    assert new.photo_count == 2 and page.current_key() != merged.id
    # define the new event by example: re-clustering keeps its examples and may pull near photos in
    page.grid.selectionModel().select(page.grid_model.index(0), sel.SelectionFlag.Select)
    page.group.example_button.click()
    finish_job(qtbot, page.album_jobs.pending_regroup)
    ev = page.store.event(new.id)
    assert ev.by_example and len(ev.prototypes) == 1
    assert sum(e.photo_count for e in page.store.events()) + len(page.store.photos(None)) \
        + len(page.store.photos("unsure")) == total
    page.events.setCurrentRow(_event_rows(page).index(new.id))
    _answer_next_question(qtbot, dont_ask_again=True)
    page.events_panel.delete_button.click()
    assert new.id not in [e.id for e in page.store.events()]
    assert page.context.settings.raw("confirm/dissolve", False) is True  # asked once, not again


def _answer_next_question(qtbot, dont_ask_again=False, ok=True):
    """Answer the QMessageBox that the next action opens (it is modal)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    def answer():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, answer)
            return
        if dont_ask_again and box.checkBox() is not None:
            box.checkBox().setChecked(True)
        box.button(QMessageBox.StandardButton.Ok if ok else QMessageBox.StandardButton.Cancel).click()

    QTimer.singleShot(20, answer)


def test_every_edit_undoes_and_redoes_through_the_edit_menu(page, qtbot, folder):
    """Merge, move, rename, note, split, remove and dissolve through the page, then Edit → Undo:
    the store equals what it was before the edit; Redo brings the edit back exactly."""
    window = page.window()
    page.min_size.setValue(3)
    finish_job(qtbot, page.add_paths([str(folder)]))
    # the tuning changed just before is folded into the add's grouping: no second grouping runs
    # after it (one landed in the middle of the edits below and changed the store under them)
    assert not page.album_jobs.debounce.isActive() and page.album_jobs.pending_regroup is None
    assert not window.undo_action.isEnabled()  # nothing to undo yet
    events = page.store.events()
    assert len(events) >= 2

    def select_events(ids):
        for row, key in enumerate(_event_rows(page)):
            page.events.item(row).setSelected(key in ids)

    def select_photos(rows):
        sel = page.grid.selectionModel()
        sel.clearSelection()
        for r in rows:
            sel.select(page.grid_model.index(r), sel.SelectionFlag.Select)

    edits = [
        ("Merged 2 events", lambda: (select_events([events[0].id, events[1].id]), page.events_panel.merge_button.click())),
        ("Moved", lambda: page.edits.move_photos([page.store.photos("all")[0].id], None)),
        ("Renamed", lambda: (page.events.setCurrentRow(_event_rows(page).index(events[0].id)),
                             page.name_edit.setText("Beach day"), page.name_edit.editingFinished.emit())),
        ("Saved the event's note", lambda: (page.event_note.setText("with grandma"), page.event_note.editingFinished.emit())),
        ("Split", lambda: (select_photos([0]), page.group.split_button.click())),
        ("Removed", lambda: page.edits.remove_photos([page.store.photos("all")[-1].id])),
        ("Dissolved", lambda: (_answer_next_question(qtbot), page.events_panel.delete_button.click())),
    ]
    for text, do in edits:
        before = page.store.snapshot()
        do()
        after = page.store.snapshot()
        assert after != before, text
        assert window.undo_action.isEnabled() and text in page.undo_stack.undoText()
        assert text in page.note.text() and "Undo" in page.note.text()  # said after each edit
        window.undo_action.trigger()
        assert page.store.snapshot() == before, f"undo of {text!r} is not exact"
        window.redo_action.trigger()
        assert page.store.snapshot() == after, f"redo of {text!r} is not exact"
    # undo everything, back to the grouping the album started with
    while page.undo_stack.canUndo():
        window.undo_action.trigger()
    assert [(e.id, e.name, e.photo_count) for e in page.store.events()] == \
        [(e.id, e.name, e.photo_count) for e in events]


def test_a_rename_and_its_undo_read_that_event_row_alone(page, qtbot, folder):
    """Renaming an event (and undoing or redoing it) puts that event's row in again: the events list
    is not read whole (~50 ms of SQL at 100,000 photos), the other rows and the selection stay, and
    the name field shows the name the store holds."""
    window = page.window()
    finish_job(qtbot, page.add_paths([str(folder)]))
    events = page.store.events()
    model = page.events_panel.model
    resets = []
    model.modelAboutToBeReset.connect(lambda: resets.append(1))
    row = _event_rows(page).index(events[0].id)
    page.events.setCurrentRow(row)
    others = [page.events.item(r).text() for r in range(page.events.count()) if r != row]

    def shown() -> str:
        return page.events.item(row).text().split("\n")[0]

    page.name_edit.setText("Beach day")
    page.name_edit.editingFinished.emit()
    assert shown() == "Beach day" and page.store.event(events[0].id).name == "Beach day"
    window.undo_action.trigger()
    assert shown() == events[0].name and page.name_edit.text() == events[0].name
    window.redo_action.trigger()
    assert shown() == "Beach day" and page.name_edit.text() == "Beach day"
    assert resets == [] and page.events_panel.current_key() == events[0].id
    assert [page.events.item(r).text() for r in range(page.events.count()) if r != row] == others


def test_an_edit_made_while_a_check_finds_nothing_new_can_still_be_undone(page, qtbot, folder):
    """The check at each start takes a while at 100,000 photos; a rename made meanwhile stays
    undoable when the check found nothing new (its end cleared the undo stack whatever it found); a
    check that groups again still clears it (the edits would be undone over another grouping)."""
    window = page.window()
    finish_job(qtbot, page.add_paths([str(folder)]))
    event = page.store.events()[0]
    page.edits.rename(event.id, "Picnic")
    report, group, _ = finish_job(qtbot, page.album_jobs.index_existing())
    assert report.new == 0 and group is None
    assert window.undo_action.isEnabled() and "Renamed" in page.undo_stack.undoText()
    window.undo_action.trigger()
    assert page.store.event(event.id).name == event.name
    window.redo_action.trigger()
    finish_job(qtbot, page.album_jobs.regroup())
    assert not page.undo_stack.canUndo()


def test_export_copies_one_folder_per_event_with_json_and_csv(page, qtbot, folder, tmp_path):
    page.min_size.setValue(3)
    finish_job(qtbot, page.add_paths([str(folder)]))
    out = tmp_path / "export"
    report = finish_job(qtbot, page.export(str(out), "copy"))
    assert report["exported"] == 12 and not report["problems"]
    data = json.loads((out / "events.json").read_text(encoding="utf-8"))
    assert len(data["events"]) == len(page.store.events())
    assert (out / "photos.csv").read_text(encoding="utf-8").count("\n") == 13
    folders = [p for p in out.iterdir() if p.is_dir()]
    assert sum(len(list(f.iterdir())) for f in folders) == 12


def test_drop_folder_on_the_page_adds_it(page, qtbot, folder):
    mime = QMimeData()
    from PySide6.QtCore import QUrl

    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    finished = []
    page.context.jobs.job_finished.connect(finished.append)
    drop = QDropEvent(QPointF(QPoint(10, 10)), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    page.dropEvent(drop)
    qtbot.waitUntil(lambda: any(j.name.startswith("Albums: add") for j in finished), timeout=120_000)
    assert page.store.folders() == [str(folder.resolve())]
    assert len(page.store.photos("all")) == 13


def test_remove_photos_with_delete_and_a_folder_from_the_folders_dialog(page, qtbot, folder):
    page.min_size.setValue(3)
    finish_job(qtbot, page.add_paths([str(folder)]))
    first = page.store.events()[0]
    page.events.setCurrentRow(_event_rows(page).index(first.id))
    page.grid.setFocus()
    page.grid.selectionModel().select(page.grid_model.index(0), page.grid.selectionModel().SelectionFlag.Select)
    doomed = page.grid_model.photos[0]
    assert page.group.remove_action in page.grid.actions()
    page.group.remove_action.trigger()  # Delete, on the grid
    assert doomed.id not in {p.id for p in page.store.photos("all")}
    assert "files are untouched" in page.note.text() and doomed.path in page.store.excluded()
    assert os.path.exists(doomed.path)  # the file is never touched
    # two or more photos: asked once ("Don't ask again" remembered); Cancel removes nothing
    sel = page.grid.selectionModel()
    sel.clearSelection()
    for row in (0, 1):
        sel.select(page.grid_model.index(row), sel.SelectionFlag.Select)
    pair = {p.id for p in page.selected_photos()}
    count = len(page.store.photos("all"))
    _answer_next_question(qtbot, ok=False)
    page.group.remove_action.trigger()
    assert len(page.store.photos("all")) == count
    _answer_next_question(qtbot, dont_ask_again=True)
    page.group.remove_action.trigger()
    assert not pair & {p.id for p in page.store.photos("all")}
    assert page.context.settings.raw("confirm/remove_photos", False) is True
    # the folders dialog lists the folder; Remove takes every photo of it out of the album
    from app.albums.folders import FoldersDialog

    dialog = FoldersDialog(page.store.folders(), page)
    dialog.remove_requested.connect(page.edits.remove_folder)
    assert dialog.list.count() == 1 and dialog.list.item(0).text() == str(folder.resolve())
    save_screenshot(dialog, "albums-folders")
    dialog.remove_button.click()
    assert page.store.folders() == [] and page.store.photos("all") == [] and page.store.events() == []
    assert "Stopped watching" in page.note.text()
    dialog.deleteLater()


def test_find_similar_shows_the_nearest_photos_across_the_album_at_once(page, qtbot, folder):
    import time

    from PIL import Image

    from app.albums.grid import SIMILAR

    source = next(p for p in sorted(folder.glob("*.jpg")) if p.name != "broken.jpg")
    with Image.open(source) as im:
        im.convert("RGB").resize((im.width // 2, im.height // 2)).save(folder / "zz-smaller-copy.jpg", quality=80)
    finish_job(qtbot, page.add_paths([str(folder)]))
    assert page.search_index is not None and len(page.search_index) == 13  # 12 + the copy; not the broken file
    path = next(p.path for p in page.store.photos("all") if p.path.endswith(source.name))
    t0 = time.perf_counter()
    hits = page.find_similar(path, k=5)
    assert time.perf_counter() - t0 < 0.5  # searched on the UI thread: the view is there at once
    assert hits[0][0].endswith("zz-smaller-copy.jpg") and hits[0][1] > 0.9 and path not in [h[0] for h in hits]
    assert page.current_key() == SIMILAR and SIMILAR in _event_rows(page)
    shown = [page.grid_model.data(page.grid_model.index(r)) for r in range(page.grid_model.rowCount())]
    # only what beats 99 % of the album's unrelated pairs (issue 38: not every photo down to 0.09),
    # as a share before the name, and the note says how many were left below
    assert 1 <= len(shown) == len(hits) < 5 and shown[0].startswith("beats >99.9%\n")
    assert shown[0].endswith("zz-smaller-copy.jpg")
    assert f"{len(hits)} photo" in page.note.text() and f"{12 - len(hits)} below the cut not shown" in page.note.text()
    tip = page.grid_model.data(page.grid_model.index(0), Qt.ItemDataRole.ToolTipRole)
    assert f"{hits[0][1]:.3f}" in tip  # the raw cosine on hover
    assert "Similar to" in page.name_edit.text() and not page.name_edit.isEnabled()
    qtbot.waitUntil(lambda: not page.loader._pending, timeout=10_000)  # the tiles drawn, not blank
    qtbot.wait(100)
    save_screenshot(page.window(), "albums-similar")


def test_search_by_words_shows_matching_photos_as_a_group(page, qtbot):
    from app.albums.grid import SIMILAR

    finish_job(qtbot, page.add_paths([str(DEMO_PHOTOS)]))
    page.word_search.setText("신발")
    job = page.search_words(page.word_search.text(), k=3)
    finish_job(qtbot, job)
    assert page.current_key() == SIMILAR and "Words: 신발" in page.name_edit.text()
    shown = [page.grid_model.data(page.grid_model.index(r)) for r in range(page.grid_model.rowCount())]
    assert 2 <= len(shown) <= 3 and all(s.startswith("beats ") and s.count("\n") == 1 for s in shown)
    assert [s.split("\n")[1].split("_")[0] for s in shown[:2]] == ["shoes", "shoes"]
    assert "For “신발”:" in page.note.text() and "more alike than 99 % of unrelated pairs" in page.note.text()
    assert "Also searched" not in page.note.text()  # names no kind
    page.word_search.setText("할로윈")  # as the user types it (the screenshots showed the last words)
    finish_job(qtbot, page.search_words(page.word_search.text(), k=3))  # names one: what its photos show too
    assert "Also searched for what Halloween photos show: jack-o'-lantern, pumpkin" in page.note.text()
    qtbot.waitUntil(lambda: not page.loader._pending, timeout=10_000)  # the tiles drawn, not blank
    qtbot.wait(100)
    save_screenshot(page.window(), "albums-words-widened")
    assert page.search_words("  ") is None and "Type a word" in page.note.text()
    save_screenshot(page.window(), "albums-words")


def test_duplicates_view_shows_each_group_keeper_first(page, qtbot, tmp_path):
    from app.albums.grid import SIMILAR
    from core.images import open_image

    folder = tmp_path / "dup"
    shutil.copytree(DEMO_PHOTOS, folder)
    im = open_image(folder / "hat_2a12baab.jpg").convert("RGB")
    im.resize((im.width // 2, im.height // 2)).save(folder / "hat-small.jpg", quality=70)
    finish_job(qtbot, page.add_paths([str(folder)]))
    finish_job(qtbot, page.find_duplicates())
    assert page.current_key() == SIMILAR and page.name_edit.text() == "Duplicates & bursts"
    shown = [page.grid_model.data(page.grid_model.index(r)) for r in range(page.grid_model.rowCount())]
    assert shown == ["keep #1\nhat_2a12baab.jpg", "#1 duplicate\nhat-small.jpg"]
    assert "1 groups (1 duplicates, 0 bursts)" in page.note.text() and "nothing was deleted" in page.note.text()
    assert len(list(folder.glob("*.jpg"))) == 13
    save_screenshot(page.window(), "albums-duplicates")


def test_automatic_settings_are_said_on_the_page(window, qtbot, folder):
    page = show_page(window, "albums", size=(1180, 760))
    assert page.min_size.value() == 0 and page.cluster_settings().automatic  # "auto": nothing set
    report, group, _ = finish_job(qtbot, page.add_paths([str(folder)]))
    assert "Automatic: events the 9 settings agree on" in page.note.text()
    assert "photos most settings leave out stay unsorted" in page.note.text()
    assert "their edges read again by what separates their sure photos" in page.note.text()
    assert group.events >= 2
    # a selected photo says how often the settings kept it with its event's photos
    page.events.setCurrentRow(_event_rows(page).index(page.store.events()[0].id))
    page.grid.selectionModel().select(page.grid_model.index(0), page.grid.selectionModel().SelectionFlag.Select)
    assert not page.job_strip.isVisibleTo(page)  # explaining a click is no job to show or cancel
    qtbot.waitUntil(lambda: "settings kept it with" in page.why.text(), timeout=10_000)
    assert_not_blank(save_screenshot(page.window(), "albums-why-automatic-1180"))
    page.grid.selectionModel().clearSelection()
    page.min_size.setValue(3)  # the user's setting wins: one setting, said as theirs
    qtbot.waitUntil(lambda: "Smallest event 3 photos (yours)" in page.note.text(), timeout=30_000)
    page.min_size.setValue(0)
    qtbot.waitUntil(lambda: "Automatic: events the 9 settings agree on" in page.note.text(), timeout=30_000)
    qtbot.wait(200)
    assert_not_blank(save_screenshot(page.window(), "albums-automatic-1180"))
