"""Events appear while a big folder is still being indexed: capture times are read first, and the
photos no grouping has placed yet go into provisional events by time segment before any photo is
embedded; the grouping by content that ends the index replaces them. An album's own events and the
user's edits are never touched, and a run stopped half-way leaves events that the next run still
groups by content.

Real camera files with their own EXIF times (``exif-samples``: a 32-minute walk in Arezzo with
GPS, two HDR pairs, a photo and its re-import taken 45 minutes apart, two photos alone in time),
the offline image model's class with a tiny configuration, a real album store and cache."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from core.albums.pipeline import Album, ProvisionalEvents, make_models
from core.albums.store import AlbumStore
from core.cache import EmbeddingCache
from core.jobs import Cancelled, Progress
from core.models.manager import ModelManager
from tests.conftest import finish_job, shared_data

WALK = "gps"  # DSCN0010 … DSCN0042: Arezzo, 22 Oct 2008, 16:28 – 17:00
PAIRS = {"hdr": ["canon_hdr_NO.jpg", "canon_hdr_YES.jpg", "iphone_hdr_NO.jpg", "iphone_hdr_YES.jpg"],
         ".": ["Canon_40D_photoshop_import.jpg", "long_description.jpg"]}  # 31 Jul 2008, 10:05 and 10:50
ALONE = ["Nikon_D70.jpg", "Pentax_K10D.jpg"]  # 15 Mar 2008, 4 May 2008: no segment of two


def _copy(dest: Path, walk: bool = True, pairs: bool = True, alone: bool = True) -> Path:
    jpg = shared_data("photos", "exif-samples", "jpg")
    dest.mkdir(parents=True)
    files = sorted((jpg / WALK).glob("*.jpg")) if walk else []
    if pairs:
        files += [jpg / sub / name for sub, names in PAIRS.items() for name in names]
    if alone:
        files += [jpg / name for name in ALONE]
    for f in files:
        shutil.copy(f, dest / f.name)
    return dest


def _members(store: AlbumStore) -> dict[str, set[str]]:
    """event name → the file names of its photos."""
    return {e.name: {Path(p.path).name for p in store.photos(e.id)} for e in store.events()}


WALK_NAMES = {f"DSCN00{n}.jpg" for n in (10, 12, 21, 25, 27, 29, 38, 40, 42)}
EXPECTED = {"Arezzo · 22 Oct 2008": WALK_NAMES,
            "31 Jul 2008": set(PAIRS["."]),
            "9 Feb 2015": set(PAIRS["hdr"][:2]),
            "Moncloa-Aravaca · 10 Apr 2015": set(PAIRS["hdr"][2:])}


@pytest.fixture(scope="module")
def models():
    return make_models(ModelManager("cpu", tiny=True), captions=False)


def test_events_by_capture_time_are_in_the_store_before_the_first_batch_is_embedded(tmp_path, models):
    folder = _copy(tmp_path / "library")
    store_path = tmp_path / "album.sqlite"
    sent, seen, said = [], [], []

    def report(fraction, message=None):
        said.append(message)
        if message and message.startswith("Embedded") and not seen:
            with AlbumStore(store_path) as other:  # another connection: what the page reads, committed
                seen.append((_members(other), other.provisional_ids(),
                             {Path(p.path).name for p in other.photos(None)}, other.photo(
                                 other.photos(next(iter(other.provisional_ids())))[0].id).why))

    with EmbeddingCache() as cache, AlbumStore(store_path) as store:
        album = Album(store, cache, models)
        result = album.add([folder], Progress(report, sent.append))
        assert result.computed == 17  # every photo embedded here, none from a cache
        assert seen, said
        events, provisional, unsorted, why = seen[0]
        assert events == EXPECTED and len(provisional) == 4  # the segments of two or more, by place and date
        assert unsorted == set(ALONE)  # alone in time: unsorted until the grouping by content
        assert "capture time" in why and "by content follows" in why
        assert sent == [ProvisionalEvents(4, 15)]  # announced once, on the job's channel
        assert any(m and "4 events by capture time (15 photos)" in m for m in said)
        assert said.index(next(m for m in said if m and m.startswith("Embedded"))) > said.index(
            next(m for m in said if m and "by capture time" in m))
        assert store.has_provisional()  # until the grouping by content has run
        album.regroup()
        assert not store.has_provisional()
        final = store.events()
        assert {e.id for e in final} <= provisional  # the grouping took them over (ids kept)
        assert sum(e.photo_count for e in final) + store.group_counts()["unsorted"] == 17


def test_an_album_s_own_events_and_edits_are_never_touched_and_new_photos_are_placed_after(tmp_path, models):
    trip = _copy(tmp_path / "trip", pairs=False, alone=False)
    later = _copy(tmp_path / "later", walk=False)
    store_path = tmp_path / "album.sqlite"
    with EmbeddingCache() as cache, AlbumStore(store_path) as store:
        album = Album(store, cache, models)
        album.add([trip])
        album.regroup()
        (walk,) = store.events()  # one event of the walk; the user names it, notes it, moves a photo out
        store.rename_event(walk.id, "Arezzo walk")
        store.set_event_note(walk.id, "with Anna")
        moved = store.photos(walk.id)[0]
        store.move_photos([moved.id], None)
        store.set_photo_note(moved.id, "blurred")
        before = store.snapshot()
        seen = []

        def check(payload):
            with AlbumStore(store_path) as other:
                now = other.snapshot()
                seen.append(payload)
                assert now["events"][(walk.id,)] == before["events"][(walk.id,)]  # its name, note: as they were
                assert all(now["photos"][k] == row for k, row in before["photos"].items())  # every photo of trip
                assert other.provisional_ids() and walk.id not in other.provisional_ids()
                new = {n: m for n, m in _members(other).items() if n != "Arezzo walk"}
                assert new == {n: m for n, m in EXPECTED.items() if m <= set(PAIRS["."] + PAIRS["hdr"])}

        album.add([later], Progress(lambda f, m=None: None, check))
        assert len(seen) == 1
        placed = album.place_new()  # as `albums add` does: the new photos placed one by one, none taken as placed
        assert placed.new == 8 and not store.has_provisional()
        assert store.event(walk.id).name == "Arezzo walk" and store.event(walk.id).note == "with Anna"
        assert store.photo(moved.id).event_id is None and store.photo(moved.id).pinned
        assert store.photo(moved.id).note == "blurred"


def test_a_run_stopped_half_way_is_grouped_by_content_next_time_and_keeps_a_name_given_meanwhile(
        tmp_path, models):
    folder = _copy(tmp_path / "library")
    store_path = tmp_path / "album.sqlite"
    stop = threading.Event()

    def rename_then_stop(payload):  # the user names an event by capture time; then the app is killed
        with AlbumStore(store_path) as other:
            arezzo = next(e for e in other.events() if e.name.startswith("Arezzo"))
            other.rename_event(arezzo.id, "Walk in Arezzo")
        stop.set()

    with EmbeddingCache() as cache, AlbumStore(store_path) as store:
        with pytest.raises(Cancelled):
            Album(store, cache, models).add([folder], Progress(lambda f, m=None: None, rename_then_stop),
                                            cancelled=stop.is_set)
        assert store.has_provisional() and "Walk in Arezzo" in _members(store)
    with EmbeddingCache() as cache, AlbumStore(store_path) as store:  # the next start
        sent = []
        album = Album(store, cache, models)
        album.index(Progress(lambda f, m=None: None, sent.append))
        assert sent == [] and len(store.events()) == 4  # nothing made twice
        assert store.has_provisional()  # the grouping by content is still owed: the app runs it (index_existing)
        album.regroup()
        assert not store.has_provisional()
        assert _members(store)["Walk in Arezzo"] == WALK_NAMES  # the name given meanwhile is kept


def test_the_events_list_shows_events_by_capture_time_while_the_add_runs_then_the_final_ones(
        qtbot, tmp_path, runner):
    from PySide6.QtWidgets import QWidget

    from app.albums.edits import AlbumEdits
    from app.albums.events import EventsPanel
    from app.albums.grid import THUMB, UNSORTED
    from app.albums.group import GroupView
    from app.albums.jobs import AlbumJobs
    from app.albums.session import AlbumSession
    from app.jobs import JobQueue
    from app.thumbs import ThumbnailLoader
    from app.undo import new_stack
    from core.jobs import JobState

    folder = _copy(tmp_path / "library")
    jobs = JobQueue(runner)
    gate = threading.Event()

    def hold(job, event):  # on the model worker: the add waits here, just after it sent its events
        if event == "message" and job.name.startswith("Albums: add"):
            assert gate.wait(120), "the events list never showed the events by capture time"

    runner.add_listener(hold)
    parent = QWidget()
    qtbot.addWidget(parent)
    session = AlbumSession(AlbumStore(tmp_path / "album.sqlite"))
    loader = ThumbnailLoader(THUMB)
    cache = EmbeddingCache()
    stack = new_stack()
    panel, view = EventsPanel(session, loader, jobs, parent), GroupView(session, jobs, loader, parent)
    edits = AlbumEdits(session, stack, parent)
    work = AlbumJobs(session, jobs, ModelManager("cpu", tiny=True), cache, stack, parent)
    edits.regroup_wanted.connect(work.regroup)

    def reload():  # as the page does
        panel.fill()
        session.select(panel.current_key())

    session.changed.connect(reload)
    panel.selected.connect(session.select)
    view.renamed.connect(edits.rename)
    said = []
    session.message.connect(said.append)
    parent.show()
    try:
        job = work.add_paths([str(folder)])
        qtbot.waitUntil(lambda: len(panel.keys()) == 5, timeout=120_000)  # 4 events and Unsorted
        assert job.state is JobState.RUNNING and not gate.is_set()  # the add is still under way
        assert "4 events by capture time (15 photos); grouping by content follows" in said[-1]
        names = [panel.list.item(i).text().split("\n")[0] for i in range(4)]
        assert names == ["31 Jul 2008", "Arezzo · 22 Oct 2008", "9 Feb 2015", "Moncloa-Aravaca · 10 Apr 2015"]
        assert panel.keys()[-1] == UNSORTED and panel.list.item(4).text() == "Unsorted\n2 photos"
        panel.list.setCurrentRow(1)  # the user opens the walk: its photos, their thumbnails from the files
        walk = session.current
        assert {Path(p.path).name for p in view.grid_model.photos} == WALK_NAMES
        qtbot.waitUntil(lambda: all(loader.pixmap(p.path) is not None for p in view.grid_model.photos),
                        timeout=30_000)
        view.name_edit.setText("Walk in Arezzo")  # and names it, as the status line says it may
        view.name_edit.editingFinished.emit()
        assert session.store.event(walk).name == "Walk in Arezzo"
        gate.set()
        report, group, _ = finish_job(qtbot, job, timeout=240_000)
        assert report.found == 17 and not session.store.has_provisional()
        assert f"{group.events} events" in said[-1] and "by capture time" not in said[-1]
        final = {session.store.event(k).name: k for k in panel.keys() if isinstance(k, int)}
        assert final.get("Walk in Arezzo") == walk  # kept by the grouping, with its photos
        assert {Path(p.path).name for p in session.store.photos(walk)} == WALK_NAMES
        assert len(final) == group.events
    finally:
        gate.set()
        runner.remove_listener(hold)
        jobs.shutdown()
        session.close()
        loader.stop()
        cache.close()
        stack.deleteLater()


def test_opening_an_album_whose_add_was_stopped_groups_its_events_by_capture_time_by_content(
        qtbot, tmp_path, runner, models):
    from PySide6.QtWidgets import QWidget

    from app.albums.jobs import AlbumJobs
    from app.albums.session import AlbumSession
    from app.jobs import JobQueue
    from app.undo import new_stack

    folder = _copy(tmp_path / "library", pairs=False, alone=False)
    store_path = tmp_path / "album.sqlite"
    stop = threading.Event()
    with EmbeddingCache() as cache, AlbumStore(store_path) as store, pytest.raises(Cancelled):
        Album(store, cache, models).add([folder], Progress(lambda f, m=None: None, lambda _p: stop.set()),
                                        cancelled=stop.is_set)  # quit right after the events by capture time
    jobs = JobQueue(runner)
    parent = QWidget()
    qtbot.addWidget(parent)
    session = AlbumSession(AlbumStore(store_path))
    assert session.store.has_provisional() and len(session.store.events()) == 1  # what the page shows at start
    cache, stack = EmbeddingCache(), new_stack()
    work = AlbumJobs(session, jobs, ModelManager("cpu", tiny=True), cache, stack, parent)
    try:
        report, group, _ = finish_job(qtbot, work.index_existing())  # as the page does when it is first shown
        assert report.new == 0 and group is not None  # nothing new, and yet grouped: the grouping was owed
        assert not session.store.has_provisional()
        assert sum(e.photo_count for e in session.store.events()) + session.store.group_counts()["unsorted"] == 9
    finally:
        jobs.shutdown()
        session.close()
        cache.close()
        stack.deleteLater()
