"""A database file SQLite cannot read (damaged, cut short, not a database) never stops the app:
the file is named, left as it is, and the user chooses; derived data (the cache) is set aside."""

from __future__ import annotations

import pytest

from tests.conftest import save_screenshot

JUNK = b"this is not an SQLite database, it was cut short by a failed copy " * 64


def _damage(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(JUNK)
    return path


@pytest.mark.parametrize("store", ["posts", "album", "runs"])
def test_a_damaged_store_is_named_and_left_as_it_is(tmp_path, store):
    from core.albums.store import AlbumStore
    from core.database import StoreUnavailable
    from core.lostfound.store import PostStore
    from core.runs import RunStore

    cls, what = {"posts": (PostStore, "Lost & Found posts"), "album": (AlbumStore, "album"),
                 "runs": (RunStore, "training runs")}[store]
    path = _damage(tmp_path / f"{store}.sqlite")
    with pytest.raises(StoreUnavailable) as caught:
        cls(path)
    err = caught.value
    assert err.damaged and err.path == path
    assert str(path) in str(err) and what in str(err) and "file is not a database" in str(err)
    assert "left as it is" in str(err) and "backup" in str(err)
    assert path.read_bytes() == JUNK  # not changed, not replaced by an empty store
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(path.name)] == [path.name]  # no log beside it


def test_moving_a_damaged_store_aside_keeps_it_and_its_log(tmp_path):
    from core.database import move_aside
    from core.lostfound.store import PostStore

    path = _damage(tmp_path / "lostfound.sqlite")
    (tmp_path / "lostfound.sqlite-wal").write_bytes(b"log")
    moved = move_aside(path)
    assert moved.name.startswith("lostfound.sqlite.damaged-") and moved.read_bytes() == JUNK
    assert (tmp_path / (moved.name + "-wal")).read_bytes() == b"log"  # never replayed into the new file
    assert not path.exists() and not (tmp_path / "lostfound.sqlite-wal").exists()
    store = PostStore(path)  # a new, empty store in its place
    assert store.count() == 0
    store.close()


def test_a_damaged_cache_is_set_aside_and_started_anew(tmp_path):
    import numpy as np

    from core.cache import EmbeddingCache

    path = _damage(tmp_path / "embeddings.sqlite")
    with EmbeddingCache(path) as cache:
        assert cache.moved_aside is not None and cache.moved_aside.read_bytes() == JUNK
        cache.put_many("m", ["k"], np.ones((1, 4), np.float32))
        assert cache.get_many("m", ["k"])[1].all()
    with EmbeddingCache(path) as again:  # a sound file opens as it is
        assert again.moved_aside is None and again.get_many("m", ["k"])[1].all()


def test_the_cli_names_a_damaged_store(data_dir, capsys):
    from core.cli import main

    path = _damage(data_dir / "lostfound.sqlite")
    assert main(["lostfound", "list"]) == 2
    err = capsys.readouterr().err
    assert f"error: {path} cannot be read as Simscope's Lost & Found posts" in err
    assert "This is a bug" not in err


def test_the_app_starts_with_a_damaged_store_and_offers_to_move_it_aside(qtbot, data_dir):
    """One damaged file stopped the whole app at start ("file is not a database"); now that
    workspace says which file and why, the others open, and moving it aside opens the workspace."""
    from app.lostfound.page import LostFoundPage
    from app.main import close_down, create_window
    from app.workspace import UnavailablePage

    posts = _damage(data_dir / "lostfound.sqlite")
    _damage(data_dir / "embeddings.sqlite")
    win, queue = create_window()
    win.force_close = True  # closed by the test, not asked
    qtbot.addWidget(win)
    try:
        assert win.context.cache.moved_aside is not None  # the cache only holds what can be computed again
        assert "embedding cache set aside" in win.statusBar().currentMessage()
        page = next(p for p in win.pages if p.icon == "lostfound")
        assert isinstance(page, UnavailablePage)
        assert str(posts) in page.message.text() and page.move_button.isVisibleTo(page)
        assert [type(p).__name__ for p in win.pages if isinstance(p, UnavailablePage)] == ["UnavailablePage"]
        win.nav.setCurrentRow(win.pages.index(page))
        win.resize(1180, 760)
        win.show()
        qtbot.waitExposed(win)
        save_screenshot(win, "damaged-lostfound-1180")
        assert page.message.height() >= page.message.heightForWidth(page.message.width())  # not clipped
        from PySide6.QtWidgets import QPushButton

        again = next(b for b in page.findChildren(QPushButton) if b.text() == "Try again")
        again.click()  # still damaged: said, and the page stays
        still = next(p for p in win.pages if p.icon == "lostfound")
        assert isinstance(still, UnavailablePage) and still is not page
        assert win.statusBar().currentMessage() == "Lost & Found: still cannot open lostfound.sqlite"
        page = still
        page.move_button.click()
        reopened = win.pages[win.pages.index(next(p for p in win.pages if p.icon == "lostfound"))]
        assert isinstance(reopened, LostFoundPage) and win.current_page() is reopened
        assert reopened.store.count() == 0
        kept = [p for p in data_dir.iterdir() if p.name.startswith("lostfound.sqlite.damaged-")]
        assert len(kept) == 1 and kept[0].read_bytes() == JUNK
        assert win.statusBar().currentMessage() == f"Moved aside: {kept[0].name}"
        qtbot.wait(100)
        save_screenshot(win, "damaged-lostfound-moved-1180")
    finally:
        close_down(win, queue)


def test_fusion_and_trends_reopen_together_when_their_runs_file_is_moved_aside(qtbot, data_dir):
    from app.main import close_down, create_window
    from app.workspace import UnavailablePage

    _damage(data_dir / "runs.sqlite")
    win, queue = create_window()
    win.force_close = True  # closed by the test, not asked
    qtbot.addWidget(win)
    try:
        broken = [p for p in win.pages if isinstance(p, UnavailablePage)]
        assert sorted(p.icon for p in broken) == ["fusion", "trends"]
        broken[0].move_button.click()
        assert not any(isinstance(p, UnavailablePage) for p in win.pages)  # both open the new file
        assert {p.icon for p in win.pages} == {"albums", "logos", "lostfound", "fusion", "trends"}
        assert win.stack.count() == len(win.pages) and all(win.stack.widget(i) is p for i, p in enumerate(win.pages))
    finally:
        close_down(win, queue)


def test_the_app_says_when_it_cannot_write_its_data_folder(tmp_path, capsys, monkeypatch):
    """A data folder on a read-only or full disk (here: a path through a file) ended the start in
    a traceback; now one line says which folder, why, and how to choose another; exit 2."""
    from app.main import main

    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")  # no dialog nobody could close
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["--data-dir", str(blocker / "data")]) == 2
    err = capsys.readouterr().err
    assert "Simscope cannot write its data folder" in err and str(blocker / "data") in err
    assert "--data-dir FOLDER" in err and "Traceback" not in err


def test_a_second_app_on_the_same_data_folder_says_so_and_a_crashed_ones_lock_is_taken(data_dir, capsys):
    """Two windows on one folder would overwrite each other's edits: the second start says which
    folder is in use and how to open another (exit 2); a lock left by a crashed app is taken."""
    import subprocess
    import sys

    from PySide6.QtCore import QLockFile

    from app.instance import lock_data_dir
    from app.main import main

    data_dir.mkdir(parents=True, exist_ok=True)
    running = QLockFile(str(data_dir / "simscope.lock"))  # the first app
    assert running.tryLock(100)
    try:
        assert main([]) == 2
        err = capsys.readouterr().err
        assert f"Simscope is already running with the data folder {data_dir}" in err and "--data-dir" in err
    finally:
        running.unlock()
    # an app killed while it held the lock: its process is gone, so the lock is stale
    subprocess.run([sys.executable, "-c", "import os, sys; from PySide6.QtCore import QLockFile; "
                    "lock = QLockFile(sys.argv[1]); assert lock.tryLock(100); os._exit(0)",
                    str(data_dir / "simscope.lock")], check=True, timeout=60)
    assert (data_dir / "simscope.lock").exists()
    lock, why = lock_data_dir()
    assert lock is not None and lock.isLocked() and why == ""
    lock.unlock()


def test_an_unreadable_imported_json_is_set_aside_and_made_again_from_the_imported_files(data_dir):
    """``models/imported.json`` cut short by a crash made every model job fail ("… is unreadable;
    fix or delete it"); now it is moved aside and made again from the imported copies."""
    import json

    from core.models.registry import imported_files
    from core.paths import models_dir

    mine = models_dir() / "effnet-lite0" / "my-finetune.pth"
    mine.parent.mkdir(parents=True)
    mine.write_bytes(b"weights")
    (models_dir() / "imported.json").write_text('{"effnet-lite0": "/gone', encoding="utf-8")
    assert imported_files() == {"effnet-lite0": str(mine)}
    assert json.loads((models_dir() / "imported.json").read_text(encoding="utf-8")) == {"effnet-lite0": str(mine)}
    kept = list(models_dir().glob("imported.json.damaged-*"))
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == '{"effnet-lite0": "/gone'


def test_a_second_start_brings_the_running_window_to_the_front(qtbot, data_dir):
    """Double-clicking the icon again: the second start asks the running app (over a local
    socket named for the data folder) to show its window, and exits 0 without a dialog."""
    import os
    import subprocess
    import sys

    from app.instance import listen_for_second_starts
    from app.main import close_down, create_window

    win, queue = create_window()
    win.force_close = True  # closed by the test, not asked
    qtbot.addWidget(win)
    try:
        server = listen_for_second_starts(win)
        assert server is not None and server.isListening()
        assert not win.isVisible()
        env = {**os.environ, "SIMSCOPE_DATA_DIR": str(data_dir), "QT_QPA_PLATFORM": "offscreen"}
        second = subprocess.Popen([sys.executable, "-c", "from app.instance import ask_running_app_to_show as a; "
                                   "print(a())"], env=env, stdout=subprocess.PIPE, text=True,
                                  cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        qtbot.waitUntil(lambda: second.poll() is not None, timeout=30_000)  # this loop answers it
        assert second.stdout.read().strip() == "True" and second.returncode == 0
        assert win.isVisible()
    finally:
        close_down(win, queue)


def test_without_qtnetwork_a_second_start_falls_back_to_the_message(data_dir, monkeypatch):
    """QtNetwork needs system libraries (Kerberos) a minimal Linux may lack: the app still starts
    (no listener) and a second start says which folder is in use instead of crashing."""
    import sys

    from app.instance import ask_running_app_to_show, listen_for_second_starts

    monkeypatch.setitem(sys.modules, "PySide6.QtNetwork", None)  # its import now fails
    assert ask_running_app_to_show() is False
    assert listen_for_second_starts(None) is None


def _damage_deep(path, posts: int = 300) -> bytes:
    """A posts store whose first pages are sound (it opens) and whose sixth is overwritten:
    damage a disk fault or a crash mid-write leaves, found only when a query reaches it."""
    from core.lostfound.store import Post, PostStore

    store = PostStore(path)
    for i in range(posts):
        store.add(Post(kind="lost", description=f"검은 우산 {i} " * 20))
    store.close()
    with open(path, "r+b") as fh:
        fh.seek(4096 * 5 + 200)
        fh.write(bytes(range(7, 207)) * 10)  # the same damage every run
    return path.read_bytes()


def test_damage_deep_in_a_store_is_found_by_the_check_and_named(tmp_path):
    """Such a store opens without complaint and failed later at a query ('database disk image is
    malformed'); checked (after an unclean stop) it is named as damaged when opened, and the
    file is left as it was."""
    import sqlite3

    from core.database import StoreUnavailable, checking
    from core.lostfound.store import PostStore

    path = tmp_path / "lostfound.sqlite"
    before = _damage_deep(path)
    store = PostStore(path)  # opens: the damage is not on the pages an open reads
    with pytest.raises(sqlite3.DatabaseError, match="malformed"):
        store.list()
    store.close()
    with checking(), pytest.raises(StoreUnavailable) as caught:
        PostStore(path)
    assert caught.value.damaged and caught.value.path == path
    assert "cannot be read as Simscope's Lost & Found posts (SQLite's check found damage inside it: " in str(caught.value)
    assert path.read_bytes() == before
    PostStore(tmp_path / "sound.sqlite").close()  # a sound store passes the check
    with checking():
        PostStore(tmp_path / "sound.sqlite").close()


def test_the_app_starts_with_damage_deep_in_a_store_and_names_it(qtbot, data_dir):
    """The Lost & Found page's first query met the damage and the window was never made (the
    start ended in 'database disk image is malformed'); now its stores are opened again with the
    check, the file is named and the other workspaces open."""
    from app.main import close_down, create_window
    from app.workspace import UnavailablePage

    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "lostfound.sqlite"
    _damage_deep(path)
    win, queue = create_window()
    win.force_close = True  # closed by the test, not asked
    qtbot.addWidget(win)
    try:
        unavailable = [p for p in win.pages if isinstance(p, UnavailablePage)]
        assert [p.icon for p in unavailable] == ["lostfound"]
        assert str(path) in unavailable[0].message.text() and "damage inside it" in unavailable[0].message.text()
        assert unavailable[0].move_button.isVisibleTo(unavailable[0])
        win.nav.setCurrentRow(win.pages.index(unavailable[0]))
        win.resize(1180, 760)
        win.show()
        qtbot.waitExposed(win)
        save_screenshot(win, "damaged-deep-lostfound-1180")
    finally:
        close_down(win, queue)


def test_a_start_after_an_unclean_stop_checks_the_stores_and_says_so(data_dir, monkeypatch):
    """The lock a killed app left behind tells the next start that the last run did not close:
    it is noted (with the run's start), and the status bar says what the check found."""
    import subprocess
    import sys

    import app.instance as instance

    monkeypatch.setattr(instance, "UNCLEAN_STOP", None)
    data_dir.mkdir(parents=True, exist_ok=True)
    lock, _ = instance.lock_data_dir()  # a clean start: no lock was there
    assert instance.UNCLEAN_STOP is None
    lock.unlock()
    subprocess.run([sys.executable, "-c", "import os, sys; from PySide6.QtCore import QLockFile; "
                    "lock = QLockFile(sys.argv[1]); assert lock.tryLock(100); os._exit(0)",
                    str(data_dir / "simscope.lock")], check=True, timeout=60)
    lock, why = instance.lock_data_dir()
    try:
        assert lock is not None and why == ""
        stop = instance.UNCLEAN_STOP
        assert stop is not None and stop["pid"] > 0 and stop["started"] > 0
        note = instance.unclean_stop_note(stop, [])
        assert "did not close properly last time" in note and "every store was checked and is sound" in note
        assert "Lost & Found could not be opened (see its page)" in instance.unclean_stop_note(stop, ["Lost & Found"])
        assert instance.unclean_stop_note(None, []) == ""
    finally:
        lock.unlock()
