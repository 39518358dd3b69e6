"""The Albums page's parts, each built alone offscreen from an ``AlbumSession`` over a real album
store (and a real job queue, undo stack, models (the page's offline EfficientNet-Lite0) and cache where the part needs them), with no page
and no window; each one's main action is driven to what a user would see."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QWidget

from app.albums.grid import SIMILAR, UNSORTED
from tests.conftest import DEMO_PHOTOS, finish_job


@pytest.fixture
def jobs(runner):
    from app.jobs import JobQueue

    queue = JobQueue(runner)
    yield queue
    queue.shutdown()


@pytest.fixture
def session(tmp_path):
    """An album of the 12 demo photos, three of them split off into events by hand (as a user's
    Split off does), the rest unsorted."""
    from app.albums.session import AlbumSession
    from core.albums.store import AlbumStore

    store = AlbumStore(tmp_path / "album.sqlite")
    store.add_folder(str(DEMO_PHOTOS))
    paths = sorted(str(p) for p in DEMO_PHOTOS.iterdir())
    store.add_photos(paths)
    ids = [p.id for p in store.photos("all")]
    store.split_event(ids[:2], name="Shoes on the shelf")
    store.split_event(ids[2:3], name="One hat")
    session = AlbumSession(store)
    yield session
    session.close()


@pytest.fixture
def loader(qtbot):
    from app.albums.grid import THUMB
    from app.thumbs import ThumbnailLoader

    loader = ThumbnailLoader(THUMB)
    yield loader
    loader.stop()


def test_events_panel_alone_lists_the_events_and_says_which_one_is_chosen(qtbot, session, loader):
    from app.albums.events import EventsPanel

    panel = EventsPanel(session, loader)
    qtbot.addWidget(panel)
    panel.fill()
    events = session.store.events()
    assert panel.keys() == [e.id for e in events] + [UNSORTED]
    assert [panel.list.item(i).text().split("\n")[0] for i in range(2)] == [e.name for e in events]
    assert panel.list.item(2).text() == "Unsorted\n9 photos" and panel.current_key() == events[0].id
    chosen = []
    panel.selected.connect(chosen.append)
    panel.list.setCurrentRow(1)
    assert chosen == [events[1].id]
    for row in (0, 1, 2):  # Unsorted is no event: Merge asks for the two events only
        panel.list.item(row).setSelected(True)
    with qtbot.waitSignal(panel.merge_requested) as merge:
        panel.merge_button.click()
    assert merge.args == [[events[0].id, events[1].id]]
    # a search's results are listed too, and selected when the session shows them
    session.show_results(("shoes", [(p.path, 0.5) for p in session.store.photos(events[0].id)], "words"))
    panel.fill()
    assert panel.current_key() == SIMILAR and panel.list.currentItem().text() == "Words: shoes\n2 photos"
    with qtbot.waitSignal(panel.search_cleared):
        panel.search.setText("x")
        panel.search.clear()


def test_group_view_alone_shows_the_photos_of_an_event_and_asks_for_a_rename(qtbot, session, jobs, loader):
    from app.albums.group import GroupView

    view = GroupView(session, jobs, loader)
    qtbot.addWidget(view)
    view.show()
    event = session.store.events()[0]
    session.select(event.id)
    photos = session.store.photos(event.id)
    assert [p.path for p in view.grid_model.photos] == [p.path for p in photos]
    assert view.name_edit.text() == event.name and view.caption.text().endswith("2 photos")
    assert view.name_edit.isEnabled() and view.reps_box.isVisible()  # "Representative:" beside the caption
    with qtbot.waitSignal(view.renamed) as renamed:
        view.name_edit.setText("  Red shoes ")
        view.name_edit.editingFinished.emit()
    assert renamed.args == [event.id, "Red shoes"]
    # one photo selected: why it is here, worked out on an I/O worker of the queue
    view.grid.selectionModel().select(view.grid_model.index(0), view.grid.selectionModel().SelectionFlag.Select)
    assert view.why.isVisible() and view.selected_photos() == [view.grid_model.photos[0]]
    qtbot.waitUntil(lambda: view.why.text().startswith("Why here: ") and "…" not in view.why.text()[:12],
                    timeout=10_000)
    view.show_group()  # the same event shown again (a regroup or an edit finished): still selected
    assert view.selected_photos() == [view.grid_model.photos[0]] and view.why.isVisible()
    qtbot.waitUntil(lambda: view.why.text().startswith("Why here: ") and "…" not in view.why.text()[:12],
                    timeout=10_000)
    with qtbot.waitSignal(view.split_requested) as split:
        view.split_button.click()
    assert [p.id for p in split.args[0]] == [photos[0].id]
    session.select(UNSORTED)  # another group: the photo before is not explained any more
    assert len(view.grid_model.photos) == 9 and view.why.text() == "" and not view.name_edit.isEnabled()
    assert not view.reps_box.isVisible() and view.split_button.isEnabled()


def test_the_strip_s_photos_fill_in_when_their_thumbnails_come_on_find_similar_too(qtbot, session, jobs, loader):
    """The strip beside the caption (an event's representatives, Find similar's "This photo") shows
    a blank square for a thumbnail not made yet and fills it in place when it comes: Find similar's
    stayed blank (only an event's strip was refreshed, by showing the whole group again)."""
    from app.albums.group import GroupView

    view = GroupView(session, jobs, loader)
    qtbot.addWidget(view)
    view.show()
    photos = session.store.photos(None)
    source = photos[0].path
    session.show_results((source, [(p.path, 0.9 - i / 10) for i, p in enumerate(photos[1:5])], None))
    session.select(SIMILAR)  # as the page does when the session says it changed
    assert session.current == SIMILAR and view.reps_box.isVisible()
    labels = [view.reps.itemAt(i).widget() for i in range(view.reps.count())]
    this = next(w for w in labels if w is not None and w.toolTip() == source)
    assert this.pixmap().isNull() and loader.pixmap(source) is None  # blank: not made yet
    qtbot.waitUntil(lambda: not this.pixmap().isNull(), timeout=10_000)
    assert [p.path for p in view.grid_model.photos] == [p.path for p in photos[1:5]]  # the results, in order
    assert this.pixmap().width() <= this.width() and this.pixmap().height() <= this.height()
    assert "background" not in this.styleSheet()


def test_viewer_details_run_in_a_plain_thread_from_plain_values_with_no_widget_or_shared_connection(
        qtbot, session, jobs, loader):
    """The viewer runs its details callable off the UI thread: the group view hands it plain
    values read on the UI thread (no widget, no connection of the UI thread), so it still works
    with the view deleted and the session's own store connection closed."""
    import threading
    from functools import partial

    import shiboken6

    from app.albums.group import GroupView

    view = GroupView(session, jobs, loader)
    # deleted by hand below, not by qtbot
    event = session.store.events()[0]
    session.select(event.id)
    photo = session.store.photos(event.id)[0]
    want_why = session.explain(photo.id).removeprefix("Why here: ")
    details = view.viewer_details()
    assert isinstance(details, partial)
    assert all(isinstance(a, (str, float, type(None))) or type(a).__module__.startswith("core.")
               for a in details.args), details.args  # no widget, no store: plain values and the index
    words = session.store.photos(None)[0]  # an unsorted photo
    session.show_results(("red shoes", [(words.path, 0.5)], "words"))
    shown_in = view.name_edit.text()
    assert shown_in  # the results' name, read now on the UI thread
    in_results = view.viewer_details()
    shiboken6.delete(view)  # the page's widgets are gone
    session.store.con.close()  # and the UI thread's connection with them: the details open their own
    out: dict = {}

    def run() -> None:
        try:
            out["event"], out["results"] = details(photo.path), in_results(words.path)
        except Exception as exc:  # asserted below: the thread's error is the test's failure
            out["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert "error" not in out, out.get("error")
    rows = dict(out["event"])
    assert rows["Event"] == event.name and "Shown in" not in rows and rows["Why here"] == want_why and want_why
    rows = dict(out["results"])
    assert rows["Event"] == "Unsorted" and rows["Shown in"] == shown_in
    assert details("/no/such/photo.jpg") == [("Album", "no longer in the album")]


def test_grid_captions_put_the_score_and_the_name_on_lines_of_their_own_cut_in_the_middle(
        qtbot, session, jobs, loader, tmp_path):
    """A result's caption is the score on one line and the file name on the next, the name cut
    in its middle to the cell ("arezzo-DSC…0040.jpg"), never wrapped mid-name; the tooltip has
    the whole name."""
    import shutil

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QStyleOptionViewItem

    from app.albums.group import GroupView

    long_name = "arezzo-a-walk-through-the-old-town-DSCN0040.jpg"
    shutil.copy(next(DEMO_PHOTOS.glob("*.jpg")), tmp_path / long_name)
    session.store.add_photos([str(tmp_path / long_name)])
    view = GroupView(session, jobs, loader)
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    photo = next(p for p in session.store.photos("all") if p.path.endswith(long_name))
    view.grid_model.set_photos([photo], {photo.id: 0.61}, labels={photo.id: "beats >99.9%"})
    view.thumb_size.slider.setValue(80)  # the smallest cells: the name cannot fit
    index = view.grid_model.index(0)
    assert index.data() == f"beats >99.9%\n{long_name}"
    tip = index.data(Qt.ItemDataRole.ToolTipRole)
    assert tip.split("\n")[:3] == ["beats >99.9%", long_name, photo.path]
    option = QStyleOptionViewItem()
    option.initFrom(view.grid)
    option.rect = view.grid.visualRect(index)
    view.grid.itemDelegateForIndex(index).initStyleOption(option, index)
    label, name = option.text.split("\u2028")  # the view's line separator
    metrics = view.grid.fontMetrics()
    assert label == "beats >99.9%" and metrics.horizontalAdvance(long_name) > option.rect.width()
    assert "…" in name and name.startswith("arezzo") and name.endswith(".jpg")  # cut in the middle
    assert metrics.horizontalAdvance(name) <= option.rect.width()
    assert not option.features & QStyleOptionViewItem.ViewItemFeature.WrapText  # never wrapped mid-name
    view.thumb_size.slider.setValue(150)
    short = min(session.store.photos("all"), key=lambda p: len(p.path.rsplit("/", 1)[1]))
    view.grid_model.set_photos([short], labels={short.id: "keep #1"})  # a short name at the largest size
    option.rect = view.grid.visualRect(index)
    view.grid.itemDelegateForIndex(index).initStyleOption(option, index)
    assert option.text == f"keep #1\u2028{short.path.rsplit('/', 1)[1]}"  # room for it: whole


def test_event_name_is_shown_from_its_start_with_the_room_it_needs_and_its_tooltip_when_cut(
        qtbot, session, jobs, loader):
    """The event name at the top of the group view (issue 38: "onastery · Arezzo · 22 Oct 2008",
    scrolled and cut at the left at 1180): from its first letter, as wide as it needs beside
    the event's note, and where it must be cut, its whole text in the tooltip."""
    from app.albums.group import GroupView

    view = GroupView(session, jobs, loader)
    qtbot.addWidget(view)
    view.resize(700, 500)  # the group view's width in a 1180×760 window
    view.show()
    event = session.store.events()[0]
    name = "Monastery · Arezzo · 22 Oct 2008"
    session.store.rename_event(event.id, name)
    session.select(event.id)
    qtbot.wait(20)
    edit = view.name_edit
    assert edit.text() == name and edit.cursorPosition() == 0  # shown from its start
    need = edit.fontMetrics().horizontalAdvance(name)
    assert edit.width() > need and edit.fits() and edit.toolTip() == ""  # all of it, beside the note
    assert view.event_note.width() >= 160
    view.resize(420, 500)  # too narrow for it: cut, from its start, the tooltip says it all
    qtbot.wait(20)
    assert edit.width() < need and not edit.fits() and edit.toolTip() == name and edit.cursorPosition() == 0
    assert view.photo_note.placeholderText() == "A note on this photo…" and "grouping" in view.photo_note.toolTip()


def test_edits_alone_rename_merge_and_undo_through_the_undo_stack(qtbot, session):
    from app.albums.edits import AlbumEdits
    from app.undo import new_stack

    parent = QWidget()
    qtbot.addWidget(parent)
    stack = new_stack()
    edits = AlbumEdits(session, stack, parent)
    said, reloads, rows = [], [], []
    session.message.connect(said.append)
    session.changed.connect(lambda: reloads.append(1))
    session.events_edited.connect(rows.append)
    first, second = session.store.events()
    before = session.store.snapshot()
    edits.rename(first.id, "Red shoes")
    # the renamed event's row alone is read again, not every view
    assert session.store.event(first.id).name == "Red shoes" and rows == [[first.id]] and not reloads
    assert said[-1] == f"Renamed '{first.name}' to 'Red shoes'. Edit → Undo (Ctrl+Z) takes it back."
    stack.undo()
    assert session.store.event(first.id).name == first.name and session.store.snapshot() == before
    assert rows == [[first.id], [first.id]] and not reloads
    assert said[-1].startswith(f"Undone: Renamed '{first.name}' to 'Red shoes'")
    edits.merge([first.id])  # one event is nothing to merge
    assert said[-1].startswith("Select two or more events") and stack.count() == 1
    edits.merge([first.id, second.id, UNSORTED])
    assert [e.photo_count for e in session.store.events()] == [3] and session.current == first.id and reloads
    stack.undo()
    assert session.store.snapshot() == before and len(reloads) >= 2  # photos moved back: every view
    stack.deleteLater()


def test_tool_bar_alone_keeps_the_tuning_in_the_session_and_brings_the_albums_back(qtbot, session):
    from app.albums.toolbar import AlbumToolBar

    bar = AlbumToolBar(session)
    qtbot.addWidget(bar)
    assert session.cluster_settings().automatic and session.tuning["model"] == bar.model_choice.currentData()
    with qtbot.waitSignal(bar.tuning_changed):
        bar.min_size.setValue(4)
    bar.loose_slider.setValue(100)
    assert session.cluster_settings().min_size == 4 and session.cluster_settings().reach == 3.0
    bar.model_choice.setCurrentIndex(bar.model_choice.findData("clip-vit-b32"))
    session.save_tuning()  # what a regroup does first
    from app.albums.session import AlbumSession

    again = AlbumToolBar(AlbumSession(session.store))  # as after a restart: the album's own tuning
    qtbot.addWidget(again)
    assert (again.min_size.value(), again.loose_slider.value()) == (4, 100)
    assert again.model_choice.currentData() == "clip-vit-b32"


def test_jobs_alone_add_a_folder_group_it_and_find_similar_photos(qtbot, tmp_path, jobs):
    from app.albums.jobs import AlbumJobs
    from app.albums.session import AlbumSession
    from app.undo import new_stack
    from core.albums.store import AlbumStore
    from core.cache import EmbeddingCache
    from core.models.manager import ModelManager

    parent = QWidget()
    qtbot.addWidget(parent)
    session = AlbumSession(AlbumStore(tmp_path / "album.sqlite"))
    session.set_tuning(min_size=3)
    cache = EmbeddingCache()
    stack = new_stack()
    work = AlbumJobs(session, jobs, ModelManager("cpu"), cache, stack, parent)
    said, reloads = [], []
    session.message.connect(said.append)
    session.changed.connect(lambda: reloads.append(1))
    try:
        job = work.add_paths([str(DEMO_PHOTOS)])
        assert job.id in session.arriving and said[-1].startswith("Reading photos")
        report, group, _ = finish_job(qtbot, job)
        assert report.found == 12 and group.events >= 2 and len(session.store.events()) == group.events
        assert f"{group.events} events" in said[-1] and job.id not in session.arriving
        assert session.search_index is not None and len(session.search_index) == 12
        path = session.store.photos("all")[0].path
        hits = work.find_similar(path, k=5)
        assert session.current == SIMILAR and session.similar[0] == path and session.similar[1] == hits
        assert said[-1].startswith("Like ")
    finally:
        session.close()  # the worker's album store first: the queue is still up
        cache.close()
        stack.deleteLater()
