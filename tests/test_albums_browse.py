"""Browsing a large album (issue 35): one event read by its own rows, the event list as a model that
asks only for the thumbnails of the rows it paints, the date scrubber beside it jumping to an event,
the thumbnail queue serving the newest request first, and a cleared search going back to the event
shown before it. Real SQLite stores, real widgets offscreen."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import shiboken6
from PIL import Image
from PySide6.QtCore import QPoint, Qt

from app.albums.grid import SIMILAR, UNSORTED
from core.albums.store import AlbumStore
from core.albums.timeline import event_in_month, events_by_date


def _library(path, n_events: int, per_event: int = 1) -> AlbumStore:
    """n_events events of per_event photos, one event every ~3 days from 2012, a representative each
    (files that do not exist: their thumbnails fail, which is enough to see who asked for them)."""
    store = AlbumStore(path)
    paths = [f"/lib/{e:05d}-{k}.jpg" for e in range(n_events) for k in range(per_event)]
    store.add_photos(paths)
    start = dt.datetime(2012, 1, 1).timestamp()
    store.set_photo_info([(p, start + (i // per_event) * 3 * 86400 + (i % per_event) * 60, [], "", None)
                          for i, p in enumerate(paths)])
    ids = store.photo_ids(paths)
    made = store.apply_grouping({}, set(), {-(e + 1): {"name": f"Event {e}"} for e in range(n_events)}, {}, [])
    store.apply_grouping({ids[p]: made[-(i // per_event + 1)] for i, p in enumerate(paths)}, set(), {},
                         {made[-(e + 1)]: {"representatives": [ids[paths[e * per_event]]]} for e in range(n_events)},
                         [])
    return store


def test_event_reads_its_own_rows_and_equals_the_events_listing(tmp_path):
    store = _library(tmp_path / "album.sqlite", 40, per_event=3)
    events = store.events()
    first, second = events[0].id, events[1].id
    photos = [p.id for p in store.photos(second)]
    store.set_prototypes(second, photos[:2])
    store.con.execute("UPDATE events SET caption='a walk', tags='[\"park\", \"bench\"]', note='n' WHERE id=?",
                      (first,))
    store.con.commit()
    store.move_photos([photos[2]], first)  # counts differ: 4 and 2
    listed = {e.id: e for e in store.events()}
    statements = []
    store.con.set_trace_callback(statements.append)
    for key, row in listed.items():
        assert store.event(key) == row
    store.con.set_trace_callback(None)
    assert store.event(first).photo_count == 4 and store.event(second).prototypes == photos[:2]
    assert store.event(first).tags == ["park", "bench"] and store.event(second).by_example
    # each call reads its event's rows: no listing of every event, no count of every photo
    assert statements and not any("GROUP BY" in s for s in statements)
    assert all("WHERE id = " in s or "WHERE event_id = " in s for s in statements)
    with pytest.raises(KeyError, match="no event #999999"):
        store.event(999999)
    assert store.has_events()
    store.close()


@pytest.fixture
def big(tmp_path, qtbot):
    """An events panel over 3,000 events (one photo each, every ~3 days over 25 years)."""
    from app.albums.events import EventsPanel
    from app.albums.grid import THUMB
    from app.albums.session import AlbumSession
    from app.thumbs import ThumbnailLoader

    session = AlbumSession(_library(tmp_path / "album.sqlite", 3000))
    loader = ThumbnailLoader(THUMB)
    panel = EventsPanel(session, loader)
    qtbot.addWidget(panel)
    panel.selected.connect(session.select)
    session.changed.connect(panel.fill)
    session.results_changed.connect(panel.show_results)  # as the page does
    panel.resize(280, 600)
    panel.show()
    panel.fill()
    qtbot.wait(100)
    yield panel, session
    loader.stop()
    session.close()


def _visible_rows(panel) -> set[int]:
    view = panel.list
    return {r for r in range(view.count()) if view.visualRect(view.model().index(r)).intersects(view.viewport().rect())}


def test_a_list_of_3000_events_by_date_asks_only_for_the_thumbnails_it_shows(big, qtbot):
    panel, session = big
    model = panel.model
    assert model.rowCount() == 3001 and panel.keys()[-1] == UNSORTED  # every event, then Unsorted
    spans = events_by_date(session.store)
    assert panel.keys()[:3000] == [s.id for s in spans]  # by date, oldest first
    assert panel.list.item(0).text() == "Event 0\n1 photo · 1 Jan 2012"
    shown = _visible_rows(panel)
    assert 3 <= len(shown) <= 15
    paths = session.store.paths_of([s.cover for s in spans])
    covers = {paths[spans[r].cover] for r in shown}
    assert model.requested and model.requested <= covers  # the rows painted, no others
    panel.list.verticalScrollBar().setValue(panel.list.verticalScrollBar().maximum())
    qtbot.wait(100)
    bottom = {paths[spans[r].cover] for r in _visible_rows(panel) if r < 3000}
    assert bottom & model.requested and len(model.requested) <= 40  # of 3,000
    assert panel.scrubber.isVisible() and panel.scrubber.span_months() > 200
    assert panel.list.width() + panel.scrubber.width() <= 280  # the strip is in the panel's room


def test_the_scrubber_jumps_to_the_month_s_first_event_and_shows_it(big, qtbot):
    panel, session = big
    scrubber = panel.scrubber
    shown = []
    session.current_changed.connect(shown.append)
    y = scrubber.y_of(2020, 6)
    qtbot.mouseClick(scrubber, Qt.MouseButton.LeftButton, pos=QPoint(scrubber.width() - 5, round(y)))
    want = event_in_month(events_by_date(session.store), 2020, 6)
    assert want is not None
    assert dt.datetime.fromtimestamp(want.first).strftime("%Y-%m") == "2020-06"
    assert panel.current_key() == want.id and shown == [want.id] and session.current == want.id
    qtbot.wait(50)
    row = panel.keys().index(want.id)
    assert row in _visible_rows(panel)  # scrolled to it
    assert scrubber.current() == (2020, 6)
    # choosing an event in the list marks its month on the strip
    panel.list.setCurrentRow(0)
    assert scrubber.current() == (2012, 1)


def test_clearing_a_word_search_goes_back_to_the_event_shown_before(big, qtbot):
    panel, session = big
    before, keys_before = panel.keys()[1234], panel.keys()
    panel.list.setCurrentRow(1234)
    assert session.current == before
    hits = [(p.path, 0.5) for p in session.store.photos(panel.keys()[7])]
    fills = []
    panel.model.modelReset.connect(lambda: fills.append(1))
    session.show_results(("beach", hits, "words"))
    assert panel.current_key() == SIMILAR and panel.keys()[:3001] == keys_before  # the events not read again
    assert panel.list.currentItem().text() == f"Words: beach\n{len(hits)} photo" + ("s" if len(hits) > 1 else "")
    session.show_results(("sea", hits * 2, "words"))  # another search: its row in place of the last one's
    assert panel.keys().count(SIMILAR) == 1 and panel.list.currentItem().text().startswith("Words: sea\n")
    assert fills == []
    assert session.clear_search()
    assert SIMILAR not in panel.keys() and panel.current_key() == before and session.current == before


def test_the_thumbnail_queue_makes_the_newest_request_first_and_drops_rows_scrolled_past(qtbot, tmp_path):
    from app.thumbs import ThumbnailLoader

    gate, made = threading.Event(), []

    def slow(path, size):  # the first file holds the only thread until the test lets it go
        gate.wait(10)
        made.append(path)
        return Image.new("RGB", (size, size // 2), "red")  # wide: centred on a square

    loader = ThumbnailLoader(64, loader=slow, kind="test", ratio=1.0, queue_items=5)
    loader.pool.setMaxThreadCount(1)
    try:
        paths = [str(tmp_path / f"{i}.png") for i in range(20)]
        for p in paths:
            Image.new("RGB", (8, 8)).save(p)
        assert loader.pixmap(paths[0]) is None
        qtbot.waitUntil(lambda: not loader.queued())  # the first is being made
        for p in paths[1:]:
            assert loader.pixmap(p) is None
        assert loader.queued() == paths[15:] and loader.dropped == 14
        loader.pixmap(paths[16])  # asked again (back on screen): made next
        with qtbot.waitSignals([loader.ready] * 6, timeout=10_000):
            gate.set()
        assert made == [paths[0], paths[16], paths[19], paths[18], paths[17], paths[15]]
        pix = loader.pixmap(paths[16])
        assert (pix.width(), pix.height()) == (64, 64)  # squared on the pool thread
        image = pix.toImage()
        assert image.pixelColor(32, 5).alpha() == 0 and image.pixelColor(32, 32).red() > 200
        assert loader.pixmap(paths[3]) is None and loader.queued() == [paths[3]]  # dropped: asked again
    finally:
        gate.set()
        loader.stop()


def test_thumbnails_that_come_repaint_their_rows_without_laying_out_the_whole_list(tmp_path, qtbot, monkeypatch):
    """A QListView lays out every row again at each ``dataChanged``: thumbnails that came while the
    event list of a 100,000-photo album scrolled cost ~4,600 rowCount calls into Python per scroll
    step. They repaint their own rows now (app.thumbs.repaint_when_ready)."""
    from app.albums.eventlist import EventListModel
    from app.albums.events import EventsPanel
    from app.albums.grid import THUMB
    from app.albums.session import AlbumSession
    from app.thumbs import ThumbnailLoader

    calls = [0]
    row_count = EventListModel.rowCount

    def counted(self, parent=None):
        calls[0] += 1
        return row_count(self) if parent is None else row_count(self, parent)

    monkeypatch.setattr(EventListModel, "rowCount", counted)
    session = AlbumSession(_library(tmp_path / "album.sqlite", 3000))
    loader = ThumbnailLoader(THUMB)
    panel = EventsPanel(session, loader)  # deleted below, while rowCount is still the counted one
    try:
        panel.resize(280, 600)
        panel.show()
        panel.fill()
        view, model = panel.list, panel.model
        came: list[int] = []
        model.icon_ready.connect(came.append)

        def all_came() -> bool:
            return bool(model.requested) and all(loader.pixmap(p) is not None for p in model.requested)

        qtbot.waitUntil(all_came)
        for value in (view.verticalScrollBar().maximum() // 3, view.verticalScrollBar().maximum() // 2):
            model.requested.clear()
            calls[0], came[:] = 0, []
            view.verticalScrollBar().setValue(value)
            qtbot.waitUntil(all_came)
            qtbot.wait(50)
            asked = calls[0]  # before this test's own look at the rows below
            rows = {r for r in _visible_rows(panel) if r < 3000}
            near = rows | {min(rows) - 1, max(rows) + 1}  # a row at the edge painted with its spacing
            assert came and set(came) <= near  # the rows shown got their thumbnails (failure tiles here)
            assert asked < 1000, asked  # one layout of the list alone asks rowCount 3,001 times or more
    finally:
        loader.stop()
        panel.close()
        shiboken6.delete(panel)  # left alive, a later test's style sheet laid out its list again: a segfault
        session.close()


def test_the_scrubber_s_months_are_counted_on_a_worker_and_follow_photos_added_elsewhere(tmp_path, qtbot, runner,
                                                                                         monkeypatch, caplog):
    """The months are a pass over every photo (60-150 ms at 100,000): with the job queue, the panel
    has them counted on its I/O lane, on the worker's own connection, after photos came by another
    connection (the model worker's index job); a failed count is made on the UI thread instead."""
    import app.albums.events as events_module
    from app.albums.events import EventsPanel
    from app.albums.grid import THUMB
    from app.albums.session import AlbumSession
    from app.jobs import JobQueue
    from app.thumbs import ThumbnailLoader

    threads: dict[str, list[str]] = {"timeline": [], "timeline_at": []}

    def on(name, real):
        def counted(*args):
            threads[name].append(threading.current_thread().name)
            return real(*args)
        return counted

    monkeypatch.setattr(events_module, "timeline", on("timeline", events_module.timeline))
    monkeypatch.setattr(events_module, "timeline_at", on("timeline_at", events_module.timeline_at))
    session = AlbumSession(_library(tmp_path / "album.sqlite", 300))
    loader = ThumbnailLoader(THUMB)
    panel = EventsPanel(session, loader, JobQueue(runner))
    qtbot.addWidget(panel)
    panel.resize(280, 400)
    panel.show()
    panel.fill()
    qtbot.waitUntil(lambda: panel.scrubber.span_months() > 0)
    first = panel.scrubber.months()
    assert first[0][:2] == (2012, 1) and sum(n for _, _, n in first) == 300
    assert threads["timeline"] == [] and threads["timeline_at"]
    assert all(t != threading.main_thread().name for t in threads["timeline_at"])
    assert panel.scrubber.isVisible()

    other = type(session.store)(tmp_path / "album.sqlite")  # as the index job's connection
    other.add_photos(["/lib/later.jpg"])
    other.set_photo_info([("/lib/later.jpg", dt.datetime(2031, 5, 2).timestamp(), [], "", None)])
    other.close()
    panel.fill()
    qtbot.waitUntil(lambda: panel.scrubber.months()[-1] == (2031, 5, 1))
    assert threads["timeline"] == []

    def broken(path):
        raise OSError(f"{path}: gone")

    monkeypatch.setattr(events_module, "timeline_at", broken)
    session.store.add_photos(["/lib/undated.jpg"])  # this connection: a new photo, no capture time
    with caplog.at_level("WARNING"):
        panel.fill()
        qtbot.waitUntil(lambda: panel.scrubber.text_for((0, 0)).startswith("No date · 1 photo"))
    assert threads["timeline"] == [threading.main_thread().name]  # counted here after the worker failed
    assert "gone" in caplog.text
    loader.stop()
    session.close()


def test_the_months_are_read_without_making_a_store_where_there_is_none(tmp_path):
    """The worker's count opens the album read-only: a store moved away meanwhile is an error for
    the panel to fall back on, not an empty database made at its path."""
    import sqlite3

    from core.albums.timeline import timeline, timeline_at

    store = _library(tmp_path / "my album #1.sqlite", 30)  # a name a URI must quote
    assert timeline_at(store.path) == timeline(store)
    store.close()
    gone = tmp_path / "moved.sqlite"
    with pytest.raises(sqlite3.OperationalError):
        timeline_at(gone)
    assert not gone.exists()


def test_a_reload_that_changed_nothing_leaves_the_list_and_the_grid_where_the_user_scrolled(big, qtbot):
    """A background check ends, an edit elsewhere: the album is read again. The events list stayed
    put only if nothing changed (it was reset and scrolled back to the selected event), and the grid
    went back to its first photo (lost in 8,000 unsorted photos); now neither moves, nothing is reset,
    and a real change still shows."""
    from app.jobs import JobQueue
    from core.jobs import JobRunner

    panel, session = big
    paths = [f"/lib/loose-{i:04d}.jpg" for i in range(2000)]
    session.store.add_photos(paths)  # 2,000 unsorted photos: a grid to scroll
    jobs = JobQueue(JobRunner())
    try:
        _reload_keeps_the_place(panel, session, jobs, qtbot)
    finally:
        jobs.shutdown()


def _reload_keeps_the_place(panel, session, jobs, qtbot) -> None:
    from app.albums.group import GroupView

    store = session.store
    view = GroupView(session, jobs, panel.loader)
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    session.changed.connect(lambda: session.select(panel.current_key()))  # as the page's reload does
    session.reload()
    assert panel.select_key(UNSORTED) and len(view.grid_model.photos) == 2000
    resets = []
    panel.model.modelAboutToBeReset.connect(lambda: resets.append("list"))
    view.grid_model.modelAboutToBeReset.connect(lambda: resets.append("grid"))
    rows, grid = panel.list.verticalScrollBar(), view.grid.verticalScrollBar()
    rows.setValue(rows.maximum() // 3)
    def laid_out():  # in batches: the range stopped changing
        laid = []
        qtbot.waitUntil(lambda: laid.append(grid.maximum()) or laid[-10:] == [laid[-1]] * 10 and laid[-1] > 10_000,
                        timeout=5000)

    laid_out()
    grid.setValue(grid.maximum() // 2)
    at = (rows.value(), grid.value())
    assert at[0] > 0 and at[1] > 0
    session.reload()  # what the end of a check that found nothing does
    qtbot.wait(50)
    assert resets == [] and (rows.value(), grid.value()) == at
    assert panel.current_key() == UNSORTED and view.grid_model.photos and len(view.grid_model.photos) == 2000
    # a photo dragged out of the group onto an event: its row alone goes, and the grid, laid out
    # again in batches, comes back to where it was (it went back towards its first photo)
    moved = view.grid_model.photos[5]
    store.move_photos([moved.id], store.events()[0].id)
    session.reload()
    assert len(view.grid_model.photos) == 1999 and moved not in view.grid_model.photos
    assert "grid" not in resets
    laid_out()
    qtbot.waitUntil(lambda: grid.value() == at[1], timeout=3000)
    store.add_photos(["/lib/loose-9999.jpg"])  # a new photo: shown, the grid where it was
    session.reload()
    assert len(view.grid_model.photos) == 2000 and "Unsorted\n2,000 photos" in [
        panel.list.item(r).text() for r in range(panel.list.count())]
    laid_out()
    qtbot.waitUntil(lambda: grid.value() == at[1], timeout=3000)
    assert rows.value() == at[0]  # the same group selected: the list stays where it was
    assert getattr(view.grid, "_held", None) is None  # the wait ended with the layout
    # at the end of the grid, the photos below moved out: it stops where the layout ends, and does
    # not wait on (a later resize scrolled it back to where it had been)
    grid.setValue(grid.maximum())
    store.move_photos([p.id for p in view.grid_model.photos[-1000:]], store.events()[0].id)
    session.reload()
    laid_out()
    assert len(view.grid_model.photos) == 1000 and getattr(view.grid, "_held", None) is None
