"""File → Back up data… / ``python -m core backup``: a whole copy taken while the app runs."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import DEMO_PHOTOS, finish_job


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
