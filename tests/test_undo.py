"""Undo stacks: a step holds the rows its edit changed, not whole tables, and a stack is limited."""

from __future__ import annotations

import pickle

from app.undo import UNDO_LIMIT, new_stack, record
from core.albums.cluster import ClusterSettings
from core.albums.events import regroup
from core.albums.store import AlbumStore
from core.lostfound.store import Post, PostStore
from tests.test_albums_store import _data


def _album(n=200):
    store = AlbumStore()
    data, _ = _data(n=n)
    store.add_photos(data.paths)
    store.add_folder("/photos/trip")
    regroup(store, data, ClusterSettings(min_size=8))
    return store


def test_album_steps_hold_only_what_changed_and_undo_redo_exactly(qtbot, data_dir):
    store = _album()
    try:
        stack = new_stack()
        a, b, c = (e.id for e in store.events())
        photos = store.photos("all")
        edits = [lambda: store.rename_event(a, "Beach"), lambda: store.set_photo_note(photos[0].id, "생일 케이크"),
                 lambda: store.merge_events([a, b], name="Trip"), lambda: store.move_photos([photos[5].id], c),
                 lambda: store.remove_photos([photos[7].id]), lambda: store.remove_folder("/photos/trip")]
        states = [store.snapshot()]
        for i, edit in enumerate(edits):
            record(stack, store, f"edit {i}", edit, lambda: None)
            states.append(store.snapshot())
        whole = len(pickle.dumps(states[0]))
        rename = stack.command(0)
        assert rename.before == {"events": {(a,): states[0]["events"][(a,)]}}  # one row, as it was
        assert rename.after == {"events": {(a,): states[1]["events"][(a,)]}}
        assert len(pickle.dumps((rename.before, rename.after))) < whole / 50
        for i in range(len(edits) - 1, -1, -1):  # undo all, then redo all: every state exactly
            stack.undo()
            assert store.snapshot() == states[i], f"undo of edit {i}"
        for i in range(1, len(edits) + 1):
            stack.redo()
            assert store.snapshot() == states[i], f"redo of edit {i}"
    finally:
        store.close()


def test_lost_and_found_steps_add_edit_delete_and_undo_to_an_empty_table(qtbot, tmp_path):
    store = PostStore(tmp_path / "posts.sqlite")
    try:
        stack = new_stack()
        empty = store.snapshot()
        post_id = record(stack, store, "add", lambda: store.add(Post(kind="lost", description="검은 모자")).id,
                         lambda: None)
        added = store.snapshot()
        record(stack, store, "delete", lambda: store.delete(post_id), lambda: None)
        assert stack.command(1).before == {"posts": {(post_id,): added[post_id]}}  # that post alone, as it was
        stack.undo()
        assert store.snapshot() == added
        stack.undo()
        assert store.snapshot() == empty == {}
        stack.redo()
        assert store.snapshot() == added
        stack.redo()
        assert store.snapshot() != added and store.list() == [] and len(store.list(include_deleted=True)) == 1
    finally:
        store.close()


def test_a_stack_keeps_the_last_steps_only(qtbot, data_dir):
    store = _album(n=20)
    try:
        stack = new_stack()
        a = store.events()[0].id
        for i in range(UNDO_LIMIT + 30):
            record(stack, store, f"name {i}", lambda i=i: store.rename_event(a, f"Event {i}"), lambda: None)
        assert stack.count() == UNDO_LIMIT and stack.undoLimit() == UNDO_LIMIT
        assert stack.command(0).text() == "name 30"  # the oldest went first
        while stack.canUndo():
            stack.undo()
        assert store.event(a).name == "Event 29"  # back to before the oldest step kept
    finally:
        store.close()


def test_album_steps_record_only_this_connections_edit_and_a_failed_edit_nothing(qtbot, data_dir):
    """The rows come from SQLite triggers on the page's connection (core.undo_log): a write by
    another connection meanwhile (the indexing worker's) is not part of the step, and an edit that
    fails leaves no step and no recording switched on."""
    store = _album()
    worker = AlbumStore(store.path)
    try:
        stack = new_stack()
        a, b = (e.id for e in store.events()[:2])
        b_was = store.event(b).name

        def edit():
            store.rename_event(a, "Mine")
            worker.rename_event(b, "The worker's")  # committed by the other connection meanwhile

        record(stack, store, "rename", edit, lambda: None)
        assert set(stack.command(0).before) == {"events"} and list(stack.command(0).before["events"]) == [(a,)]
        stack.undo()
        assert store.event(a).name != "Mine" and store.event(b).name == "The worker's" != b_was

        def fails():
            store.rename_event(a, "Half")
            raise RuntimeError("disk full")

        try:
            record(stack, store, "fails", fails, lambda: None)
        except RuntimeError:
            pass
        assert stack.count() == 1  # the failed edit pushed nothing
        store.rename_event(b, "Not an edit")  # recording is off again: the next step holds its own rows only
        record(stack, store, "note", lambda: store.set_photo_note(store.photos("all")[0].id, "x"), lambda: None)
        assert set(stack.command(stack.count() - 1).before) == {"photos"}
    finally:
        worker.close()
        store.close()


def test_a_row_made_and_changed_in_one_step_did_not_exist_before_it(qtbot, data_dir):
    store = _album(n=20)
    try:
        stack = new_stack()
        before = store.snapshot()
        made = {}

        def edit():
            made["id"] = store.create_event("New")
            store.move_photos([store.photos("all")[0].id], made["id"])
            store.rename_event(made["id"], "Renamed")

        record(stack, store, "new event", edit, lambda: None)
        assert stack.command(0).before["events"] == {(made["id"],): None}
        after = store.snapshot()
        stack.undo()
        assert store.snapshot() == before
        stack.redo()
        assert store.snapshot() == after
    finally:
        store.close()


def test_every_window_shortcut_is_given_once_so_redo_fires_on_x11(qtbot, window):
    """An action given one key sequence twice never fires (Qt: "Ambiguous shortcut overload"). Redo
    was [Ctrl+Shift+Z, the standard Redo], and X11's standard Redo is Ctrl+Shift+Z: under a real X
    server Ctrl+Shift+Z did nothing (offscreen's standard Redo is Ctrl+Y, so only X11 showed it)."""
    from PySide6.QtGui import QAction, QKeySequence

    from app.widgets import key_list

    x11_redo = key_list("Ctrl+Shift+Z", *QKeySequence.keyBindings(QKeySequence.StandardKey.Redo), "Ctrl+Shift+Z")
    assert [k.toString() for k in x11_redo].count("Ctrl+Shift+Z") == 1
    for action in window.findChildren(QAction):
        keys = [k.toString() for k in action.shortcuts()]
        assert len(keys) == len(set(keys)), f"{action.text()!r} has a shortcut twice: {keys}"
    assert "Ctrl+Shift+Z" in [k.toString() for k in window.redo_action.shortcuts()]
