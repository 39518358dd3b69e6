"""File → Back up data… / ``python -m core backup``: a whole copy taken while the app runs."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import DEMO_PHOTOS, finish_job, save_screenshot


def _fill(data_dir):
    """A data folder in use: a post with its photo whose last write is still in the store's
    write-ahead log, a cache and a thumbnail (both left out of a backup)."""
    from core.cache import EmbeddingCache
    from core.lostfound.store import Post, PostStore

    store = PostStore()
    store.add(Post("lost", "검은색 지갑을 잃어버렸어요", "지갑"), photo=DEMO_PHOTOS / "hat_2a12baab.jpg")
    cache = EmbeddingCache()
    (data_dir / "thumbs").mkdir(exist_ok=True)
    (data_dir / "thumbs" / "x.png").write_bytes(b"png")
    (data_dir / "settings.ini").write_text("[General]\nlast_page=2\n", encoding="utf-8")
    return store, cache


def test_a_backup_is_whole_while_the_stores_are_open_and_opens_as_a_data_folder(data_dir, tmp_path):
    from core.backup import backup
    from core.lostfound.store import PostStore

    store, cache = _fill(data_dir)
    try:
        assert (data_dir / "lostfound.sqlite-wal").stat().st_size > 0  # the post is in the log, not the file yet
        report = backup(tmp_path / "backups")
    finally:
        store.close()
        cache.close()
    folder = report.folder
    assert folder.parent == tmp_path / "backups" and folder.name.startswith("simscope-backup-")
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]  # no .partial left
    assert "lostfound.sqlite" in report.stores and not report.notes
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert {"lostfound.sqlite", "settings.ini", "backup.json"} <= names
    assert any(n.startswith("lostfound/photos/") for n in names)  # the post's photo
    assert not any(n.startswith(("thumbs/", "logs/", "embeddings.sqlite")) or n.endswith(("-wal", "-shm"))
                   for n in names)  # computed again, or SQLite's side files
    copy = PostStore(folder / "lostfound.sqlite")  # the log was folded in: the post is there
    try:
        posts = copy.list()
        assert [p.description for p in posts] == ["검은색 지갑을 잃어버렸어요"]
    finally:
        copy.close()
    with pytest.raises(ValueError, match="outside the data folder"):
        backup(data_dir / "backups")
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(ValueError, match="a-file is a file: choose a folder"):
        backup(tmp_path / "a-file")


def test_a_cancelled_backup_leaves_no_folder_and_a_damaged_store_is_kept_byte_for_byte(data_dir, tmp_path):
    from core.backup import backup
    from core.jobs import Cancelled

    store, cache = _fill(data_dir)
    store.close()
    cache.close()
    with pytest.raises(Cancelled):
        backup(tmp_path / "b", cancelled=lambda: True)
    assert list((tmp_path / "b").iterdir()) == []
    junk = b"not a database " * 100
    (data_dir / "albums.sqlite").write_bytes(junk)
    report = backup(tmp_path / "b")
    assert (report.folder / "albums.sqlite").read_bytes() == junk
    assert len(report.notes) == 1 and "albums.sqlite could not be read by SQLite" in report.notes[0]


def test_the_cli_backs_up(data_dir, tmp_path, capsys):
    from core.cli import main

    store, cache = _fill(data_dir)
    store.close()
    cache.close()
    assert main(["backup", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "Backed up" in out and "simscope-backup-" in out
    assert len(list((tmp_path / "b").iterdir())) == 1


def test_file_back_up_data_runs_as_a_job_and_says_where(window, qtbot, tmp_path, data_dir, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    dest = tmp_path / "backups"
    dest.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(dest)))  # the pick
    action = window.backup_action
    assert action in window.menuBar().actions()[0].menu().actions()
    action.trigger()
    job = next(j for j in window.jobs.jobs() if j.name == "Back up data")
    report = finish_job(qtbot, job)
    assert report.folder.parent == dest and (report.folder / "albums.sqlite").exists()
    assert window.statusBar().currentMessage() == f"Backed up to {report.folder.name}"
    shutil.rmtree(dest)


def test_daily_snapshots_of_the_stores_and_restoring_a_damaged_store_from_one(data_dir):
    import time

    from core.backup import latest_snapshot, restore_snapshot, snapshot_stores
    from core.lostfound.store import PostStore

    store, cache = _fill(data_dir)  # the store stays open, its post in the write-ahead log
    now = time.time()
    first = snapshot_stores(now=now)
    assert first is not None and first.parent == data_dir / "snapshots"
    assert sorted(p.name for p in first.iterdir()) == ["lostfound.sqlite"]  # stores only, not the cache
    assert snapshot_stores(now=now + 3600) is None  # one about a day
    later = [snapshot_stores(now=now + 21 * 3600 * k, keep=2) for k in (1, 2, 3)]
    assert all(later) and sorted(p.name for p in (data_dir / "snapshots").iterdir()) == sorted(
        p.name for p in later[1:])  # the newest 2 kept
    store.close()
    cache.close()
    posts = data_dir / "lostfound.sqlite"
    junk = b"overwritten by a bad copy " * 200
    posts.write_bytes(junk)
    (data_dir / "lostfound.sqlite-wal").unlink(missing_ok=True)
    newest = snapshot_stores(now=now + 21 * 3600 * 4, keep=3)  # the damaged store is left out of it
    assert newest is not None and not (newest / "lostfound.sqlite").exists()
    for k in (5, 6, 7):  # days go by with the store damaged: its last sound copy is never pruned
        (data_dir / "albums.sqlite").touch()
        snapshot_stores(now=now + 21 * 3600 * k, keep=2)
    assert later[2].is_dir() and not later[1].exists()
    copy = latest_snapshot(posts)
    assert copy is not None and copy.parent == later[2]  # the newest sound copy
    moved = restore_snapshot(posts, copy)
    assert moved.read_bytes() == junk  # kept aside, not deleted
    restored = PostStore(posts)
    try:
        assert [p.description for p in restored.list()] == ["검은색 지갑을 잃어버렸어요"]
    finally:
        restored.close()


def test_the_damaged_workspace_offers_its_last_snapshot(qtbot, data_dir):
    from datetime import datetime

    from app.lostfound.page import LostFoundPage
    from app.main import close_down, create_window
    from app.workspace import UnavailablePage
    from core.backup import snapshot_stores

    store, cache = _fill(data_dir)
    snap = snapshot_stores()
    store.close()
    cache.close()
    (data_dir / "lostfound.sqlite").write_bytes(b"junk" * 500)
    (data_dir / "lostfound.sqlite-wal").unlink(missing_ok=True)
    win, queue = create_window()
    win.force_close = True  # closed by the test, not asked
    qtbot.addWidget(win)
    try:
        page = next(p for p in win.pages if p.icon == "lostfound")
        assert isinstance(page, UnavailablePage) and page.restore_button.isVisibleTo(page)
        taken = snap.name
        when = datetime.strptime(taken, "%Y%m%d-%H%M%S")
        assert page.restore_button.text() == f"Restore the copy of {when.day} {when:%b %Y, %H:%M}"
        win.nav.setCurrentRow(win.pages.index(page))
        win.resize(1180, 760)
        win.show()
        qtbot.waitExposed(win)
        save_screenshot(win, "damaged-lostfound-snapshot-1180")
        win.resize(1920, 1080)
        qtbot.wait(50)
        save_screenshot(win, "damaged-lostfound-snapshot-1920")
        page.restore_button.click()
        reopened = next(p for p in win.pages if p.icon == "lostfound")
        assert isinstance(reopened, LostFoundPage) and reopened.store.count() == 1
        assert win.statusBar().currentMessage() == f"Restored from the snapshot of {taken}"
        assert len(list(data_dir.glob("lostfound.sqlite.damaged-*"))) == 1
    finally:
        close_down(win, queue)


def test_help_shows_the_data_and_log_folders(window, data_dir, monkeypatch):
    from PySide6.QtGui import QDesktopServices

    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url.toLocalFile()) or True))
    help_menu = window.menuBar().actions()[-1].menu()
    assert window.data_folder_action in help_menu.actions() and window.log_folder_action in help_menu.actions()
    window.data_folder_action.trigger()
    window.log_folder_action.trigger()
    assert opened == [str(data_dir), str(data_dir / "logs")]
