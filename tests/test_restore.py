"""Restoring a backup (``python -m core restore``, File → Restore from a backup…): the backup's
data in place, what it replaced moved aside (nothing deleted), the folder as it was if anything
fails, and never while an app works on the folder."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest

from tests.conftest import DEMO_PHOTOS


def _posts(path) -> list[str]:
    from core.lostfound.store import PostStore

    store = PostStore(path)
    try:
        return [p.description for p in store.list()]
    finally:
        store.close()


def _data_with_a_backup(data_dir, tmp_path):
    """A data folder with one post (and its photo) backed up, then a second post added after,
    left in the store's write-ahead log (the app was killed), and new settings."""
    from core.backup import backup
    from core.lostfound.store import Post, PostStore

    store = PostStore()
    store.add(Post("lost", "검은색 지갑", "지갑"), photo=DEMO_PHOTOS / "hat_2a12baab.jpg")
    (data_dir / "settings.ini").write_text("[General]\nlast_page=2\n", encoding="utf-8")
    report = backup(tmp_path / "backups")
    store.add(Post("found", "blue umbrella after the backup"))
    (data_dir / "settings.ini").write_text("[General]\nlast_page=4\n", encoding="utf-8")
    return store, report.folder


def test_a_restore_puts_the_backup_in_place_and_moves_what_it_replaces_aside(data_dir, tmp_path):
    from core.restore import restore_backup

    store, folder = _data_with_a_backup(data_dir, tmp_path)
    db, wal = data_dir / "lostfound.sqlite", data_dir / "lostfound.sqlite-wal"
    kept = db.read_bytes(), wal.read_bytes()  # as a killed app leaves them: the last post only in the log
    store.close()
    db.write_bytes(kept[0])
    wal.write_bytes(kept[1])
    assert _posts(data_dir / "lostfound.sqlite") == ["검은색 지갑", "blue umbrella after the backup"]
    (data_dir / "embeddings.sqlite").write_bytes(b"cache stays")
    db.write_bytes(kept[0])  # reading it folded the log in: lay them down again as the kill left them
    wal.write_bytes(kept[1])
    report = restore_backup(folder)
    assert _posts(data_dir / "lostfound.sqlite") == ["검은색 지갑"]  # as backed up
    assert "last_page=2" in (data_dir / "settings.ini").read_text(encoding="utf-8")
    assert any((data_dir / "lostfound" / "photos").iterdir())
    assert not (data_dir / "backup.json").exists()  # the manifest stays with the backup
    assert (data_dir / "embeddings.sqlite").read_bytes() == b"cache stays"  # vectors keyed by content
    aside = report.aside
    assert aside.parent == data_dir and aside.name.startswith("replaced-")
    assert not wal.exists()  # the killed app's log went aside with its store: never replayed into the backup's
    assert _posts(aside / "lostfound.sqlite")[-1] == "blue umbrella after the backup"  # nothing lost
    assert "last_page=4" in (aside / "settings.ini").read_text(encoding="utf-8")
    assert "Restored the backup of" in report.summary() and str(aside) in report.summary()
    # what was set aside is a backup of its own, its log folded in: restoring it undoes the restore
    assert not (aside / "lostfound.sqlite-wal").exists() and json.loads((aside / "backup.json").read_text())
    undone = restore_backup(aside)
    assert _posts(data_dir / "lostfound.sqlite") == ["검은색 지갑", "blue umbrella after the backup"]
    assert "last_page=4" in (data_dir / "settings.ini").read_text(encoding="utf-8")
    assert _posts(undone.aside / "lostfound.sqlite") == ["검은색 지갑"]  # and the restored state kept aside
    # a later backup leaves out what the restore set aside
    from core.backup import backup

    again = backup(tmp_path / "later")
    assert not any(p.name.startswith("replaced-") for p in again.folder.iterdir())


def test_a_restore_that_fails_half_way_leaves_the_folder_as_it_was(data_dir, tmp_path, monkeypatch):
    import core.restore as restore

    store, folder = _data_with_a_backup(data_dir, tmp_path)
    store.close()
    before = {p.relative_to(data_dir): p.read_bytes() for p in data_dir.rglob("*") if p.is_file()}
    calls = []

    def full_disk(src, dest):
        calls.append(dest)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(dest))
        restore.shutil.copy2(src, dest)

    monkeypatch.setattr(restore, "_copy_regular", full_disk)
    with pytest.raises(OSError, match="No space left"):
        restore.restore_backup(folder)
    after = {p.relative_to(data_dir): p.read_bytes() for p in data_dir.rglob("*") if p.is_file()}
    assert after == before  # every file back, none left from the backup, no replaced- folder
    assert not any(p.name.startswith("replaced-") for p in data_dir.iterdir())


def test_what_is_not_a_whole_sound_backup_or_a_folder_in_use_is_refused(data_dir, tmp_path):
    from core.restore import app_running, restore_backup

    store, folder = _data_with_a_backup(data_dir, tmp_path)
    store.close()
    with pytest.raises(ValueError, match="is not a Simscope backup"):
        restore_backup(tmp_path)
    partial = folder.with_name(folder.name + ".partial")
    os.rename(folder, partial)
    with pytest.raises(ValueError, match="never finished"):
        restore_backup(partial)
    os.rename(partial, folder)
    # the app holds the folder: its lock names this (live) process
    import socket

    (data_dir / "simscope.lock").write_text(f"{os.getpid()}\nsimscope\n{socket.gethostname()}\n")
    assert app_running(data_dir) == f"process {os.getpid()}"
    with pytest.raises(ValueError, match="Simscope is running on .* close it first"):
        restore_backup(folder)
    (data_dir / "simscope.lock").write_text("999999999\nsimscope\n" + socket.gethostname() + "\n")
    assert app_running(data_dir) == ""  # a crashed app's lock
    (data_dir / "simscope.lock").unlink()
    with sqlite3.connect(folder / "lostfound.sqlite") as con:
        con.execute("PRAGMA journal_mode=DELETE")
    raw = bytearray((folder / "lostfound.sqlite").read_bytes())
    raw[100:600] = bytes(range(7, 207)) * 2 + bytes(100)  # its schema page: the file says it is SQLite
    (folder / "lostfound.sqlite").write_bytes(bytes(raw))
    assert _posts(data_dir / "lostfound.sqlite")  # untouched
    with pytest.raises(ValueError, match="in the backup is damaged"):
        restore_backup(folder)


def test_the_cli_restores_and_says_where_the_replaced_data_went(data_dir, tmp_path, capsys):
    from core.cli import main

    store, folder = _data_with_a_backup(data_dir, tmp_path)
    store.close()
    assert main(["restore", str(folder), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["files"] >= 3 and out["replaced"].startswith(str(data_dir))
    assert main(["restore", str(tmp_path / "nowhere")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_a_restore_asked_for_in_the_app_happens_at_the_next_start(data_dir, tmp_path):
    from core.restore import PENDING, request_restore, restore_if_requested

    store, folder = _data_with_a_backup(data_dir, tmp_path)
    store.close()
    assert restore_if_requested(data_dir) == ""  # nothing asked
    with pytest.raises(ValueError, match="not a Simscope backup"):
        request_restore(tmp_path, data_dir)
    assert not (data_dir / PENDING).exists()
    request_restore(folder, data_dir)
    assert _posts(data_dir / "lostfound.sqlite")[-1] == "blue umbrella after the backup"  # not yet
    note = restore_if_requested(data_dir)  # the next start, the folder locked by it
    assert note.startswith("Restored the backup of") and not (data_dir / PENDING).exists()
    assert _posts(data_dir / "lostfound.sqlite") == ["검은색 지갑"]
    request_restore(folder, data_dir)
    import shutil

    shutil.rmtree(folder)  # the drive with the backup was unplugged before the restart
    note = restore_if_requested(data_dir)
    assert "did not happen" in note and "Your data is as it was" in note
    assert _posts(data_dir / "lostfound.sqlite") == ["검은색 지갑"] and not (data_dir / PENDING).exists()


def test_file_restore_from_a_backup_checks_asks_and_restores_at_the_next_start(window, qtbot, data_dir, tmp_path):
    from PySide6.QtCore import QTimer

    from app.backups import restart_command
    from core.restore import PENDING
    from tests.conftest import finish_job

    page = next(p for p in window.pages if p.icon == "lostfound")
    from core.backup import backup
    from core.lostfound.store import Post

    page.store.add(Post("lost", "검은색 지갑", "지갑"))
    folder = backup(tmp_path / "backups").folder
    page.store.add(Post("found", "blue umbrella after the backup"))
    window.show()

    def answer(text: str) -> None:
        QTimer.singleShot(150, lambda: next(b for b in window.restore_box.buttons() if b.text() == text).click())

    answer("Cancel")
    finish_job(qtbot, window.restore_from_backup(str(folder)))
    assert "Restore the backup of" in window.restore_box.text() and "replaced-<date>" in window.restore_box.informativeText()
    assert window.isVisible() and not (data_dir / PENDING).exists() and not window.restart_requested
    answer("Restore and restart")
    finish_job(qtbot, window.restore_from_backup(str(folder)))
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5000)
    assert window.restart_requested and (data_dir / PENDING).exists()
    assert restart_command()[:3] == [__import__("sys").executable, "-m", "app"]
    page.release()  # what app.main's close_down does before the app starts again
    window.context.cache.close()

    from app.instance import open_window
    from app.main import create_window

    win2, queue2 = open_window(create_window)  # the next start
    win2.force_close = True
    qtbot.addWidget(win2)
    try:
        assert win2.statusBar().currentMessage().startswith("Restored the backup of")
        from app.instance import _restore_progress

        shown = _restore_progress.shown  # the copy showed its progress before the window, then went
        assert shown[-1][0] == 1.0 and shown[-1][1].startswith("Restoring the backup: ") and " of " in shown[-1][1]
        assert not _restore_progress.dialog.isVisible()
        lostfound = next(p for p in win2.pages if p.icon == "lostfound")
        assert [p.description for p in lostfound.store.list()] == ["검은색 지갑"]
        assert any(p.name.startswith("replaced-") for p in data_dir.iterdir())
    finally:
        from app.main import close_down

        close_down(win2, queue2)
    # a folder that is not a backup is refused with its reason, nothing asked
    from PySide6.QtWidgets import QApplication, QMessageBox

    job = window.restore_from_backup(str(tmp_path))
    QTimer.singleShot(300, lambda: [w.close() for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)])
    qtbot.waitUntil(lambda: job.state.done, timeout=5000)
    assert "is not a Simscope backup" in str(job.error)
