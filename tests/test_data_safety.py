"""Issue 36 (part A): concurrent CLI writers, SQLite errors as one line, unreadable settings,
and private files. Real processes, real SQLite, real lock files; nothing mocked."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEADER = "kind,image,description,category,storage_location,status,place,date\n"


def _csv(path: Path, tag: str, n: int) -> Path:
    path.write_text(HEADER + "".join(f"found,,{tag} item {i},,,보관중,room {i},2026-11-01\n" for i in range(n)),
                    encoding="utf-8")
    return path


def _cli(data: Path, *argv: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "SIMSCOPE_DATA_DIR": str(data)}
    return subprocess.Popen([sys.executable, "-m", "core", *argv], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def _posts(data: Path) -> int:
    con = sqlite3.connect(data / "lostfound.sqlite")
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return con.execute("SELECT COUNT(*) FROM posts").fetchone()[0]
    finally:
        con.close()


def _hold(data: Path, how: str, seconds: float = 1.5) -> subprocess.Popen:
    """Another process holding the folder: the app (QLockFile) or a CLI writer (core.folderlock)."""
    code = {"app": "from PySide6.QtCore import QLockFile; l = QLockFile(sys.argv[1] + '/simscope.lock'); "
                   "assert l.tryLock(100)",
            "cli": "from core.folderlock import hold_data_dir; h = hold_data_dir('lostfound import X.csv', "
                   "sys.argv[1]); h.__enter__()"}[how]
    proc = subprocess.Popen([sys.executable, "-c", f"import sys, time; {code}; print('held', flush=True); "
                             f"time.sleep(float(sys.argv[2]))", str(data), str(seconds)], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_cli_import_is_refused_while_the_app_runs_on_the_folder(tmp_path):
    """The app's undo puts the posts table back as it saw it: rows a CLI import wrote under it
    could be undone away. The import now refuses, in one line, and writes nothing."""
    data = tmp_path / "data"
    data.mkdir()
    app = _hold(data, "app", seconds=120)  # held until killed: a slow CLI start must still find it
    try:
        out, err = _cli(data, "lostfound", "import", str(_csv(tmp_path / "a.csv", "A", 50))).communicate(timeout=60)
    finally:
        app.kill()
        app.wait()
    assert "Simscope is running with the data folder" in err and "close it first" in err, err
    said = [ln for ln in err.strip().splitlines() if not ln.startswith("data folder: ")]
    assert "Traceback" not in err and len(said) == 1, err
    assert not (data / "lostfound.sqlite").exists()  # nothing written


def test_a_cli_import_waits_for_another_cli_writer_and_the_app_for_it(tmp_path, monkeypatch):
    from app.instance import lock_data_dir

    data = tmp_path / "data"
    data.mkdir()
    other = _hold(data, "cli", seconds=6)  # longer than a slow CLI start on a busy machine
    monkeypatch.setenv("SIMSCOPE_DATA_DIR", str(data))  # for lock_data_dir
    lock, why = lock_data_dir()
    assert lock is None and "already running with the data folder" in why  # the app does not start under it
    t0 = time.monotonic()
    out, err = _cli(data, "lostfound", "import", str(_csv(tmp_path / "a.csv", "A", 50))).communicate(timeout=60)
    other.wait()
    assert "waiting: `python -m core lostfound import X.csv`" in err, err
    assert "50 imported" in out and time.monotonic() - t0 > 1.0
    assert _posts(data) == 50
    assert not (data / "simscope.lock").exists()  # let go at the end


def test_a_killed_cli_writer_leaves_a_lock_the_next_writer_takes(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    subprocess.run([sys.executable, "-c", "import os, sys; from core.folderlock import hold_data_dir; "
                    "h = hold_data_dir('x', sys.argv[1]); h.__enter__(); os._exit(9)", str(data)], cwd=ROOT, timeout=60)
    assert (data / "simscope.lock").exists()
    proc = _cli(data, "lostfound", "import", str(_csv(tmp_path / "a.csv", "A", 5)))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "5 imported" in out, err


@pytest.mark.timeout(300)
def test_writers_at_once_lose_nothing(tmp_path):
    """20 rounds of 2–4 writers started together on a fresh folder: CLI imports of distinct rows,
    the app's own kind of edit (PostStore.add, short transactions), and a CLI backup. Every row
    of every writer is in the store, each backup holds a whole state, and nobody saw 'locked'."""
    import random

    rng = random.Random(36)
    csvs = [_csv(tmp_path / f"{t}.csv", t, 300) for t in "ABCD"]  # one per writer: distinct rows
    edit = ("import sys; from core.lostfound.store import Post, PostStore; s = PostStore(); "
            "[s.add(Post('lost', description=f'edit {i}')) for i in range(40)]; print('edited')")
    for round_ in range(20):
        data = tmp_path / f"data{round_}"
        n = rng.randint(2, 4)
        kinds = ["import", rng.choice(["import", "edit", "backup"])] + rng.sample(["import", "edit", "backup"], n - 2)
        procs, expect, backups = [], 0, []
        for i, kind in enumerate(kinds):
            if kind == "import":
                procs.append(_cli(data, "lostfound", "import", str(csvs[i])))
                expect += 300
            elif kind == "edit":
                env = {**os.environ, "SIMSCOPE_DATA_DIR": str(data)}
                procs.append(subprocess.Popen([sys.executable, "-c", edit], cwd=ROOT, env=env, text=True,
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE))
                expect += 40
            else:
                dest = tmp_path / f"backup{round_}-{i}"
                backups.append(dest)
                procs.append(_cli(data, "backup", str(dest)))
        for p in procs:
            out, err = p.communicate(timeout=120)
            assert p.returncode == 0, f"round {round_} {p.args}: {err[-800:]}"
            assert "locked" not in err, err
        assert _posts(data) == expect, f"round {round_} {kinds}: {_posts(data)} rows, {expect} written"
        for dest in backups:  # a whole state: some writers' rows, never part of one import
            for store in dest.glob("*/lostfound.sqlite"):
                con = sqlite3.connect(store)
                made = con.execute("SELECT 1 FROM sqlite_master WHERE name = 'posts'").fetchone()  # or taken as new
                imported = [r[0] for r in con.execute("SELECT COUNT(*) FROM posts WHERE description "
                                                      "LIKE '_ item %' GROUP BY substr(description, 1, 1)")] if made else []
                con.close()
                assert all(c == 300 for c in imported), f"round {round_}: a backup holds part of an import"


def _limited(max_bytes: int):
    """A child whose files cannot grow past ``max_bytes`` (RLIMIT_FSIZE): writes fail as on a full
    disk (EFBIG, which SQLite reports as SQLITE_FULL); SIGXFSZ is ignored so the write returns."""
    def limit() -> None:
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))
    return limit


@pytest.mark.skipif(not hasattr(os, "fork"), reason="RLIMIT_FSIZE is POSIX")
def test_a_disk_that_refuses_writes_during_an_import_is_one_line_naming_the_store(tmp_path):
    data = tmp_path / "data"
    first = _cli(data, "lostfound", "import", str(_csv(tmp_path / "a.csv", "A", 10)))
    assert first.wait(60) == 0
    big = _csv(tmp_path / "b.csv", "B", 20_000)
    proc = _cli(data, "lostfound", "import", str(big), preexec_fn=_limited(256 << 10))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, (proc.returncode, err)
    assert err.startswith(f"data folder: {data} ")  # which folder, then the one line of the error
    err = err.split("\n", 1)[1]
    assert err.count("\n") == 1 and "Traceback" not in err, err
    # SQLite reports a write refused with EFBIG as SQLITE_IOERR here, and ENOSPC as SQLITE_FULL
    # (provoked below with max_page_count): either way one line, the store named, what to do
    assert err.startswith(f"error: {data / 'lostfound.sqlite'}: "), err
    assert ("the disk is full" in err and "free some disk space" in err) or "check the disk" in err, err
    assert _posts(data) == 10  # rolled back: nothing lost, nothing half-written
    assert not list(data.rglob("cli-crash-*"))  # no crash report: it is not a bug


@pytest.mark.skipif(not hasattr(os, "fork"), reason="RLIMIT_FSIZE is POSIX")
def test_the_crash_report_does_not_fail_on_a_full_disk(tmp_path):
    code = ("import sys; from core.cli import _crash_report\n"
            "try:\n    raise ZeroDivisionError('x' * 5000)\nexcept ZeroDivisionError as exc:\n"
            "    print(_crash_report(exc))")
    env = {**os.environ, "SIMSCOPE_DATA_DIR": str(tmp_path / "data"), "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60, preexec_fn=_limited(1000))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("no file (it could not be written:") and "cli-crash-" in proc.stdout


def test_each_sqlite_error_says_which_store_and_what_to_do(tmp_path):
    from core.database import connect, describe_sqlite_error

    path = tmp_path / "posts.sqlite"
    con = connect(path, "posts", lambda c: c.execute("CREATE TABLE IF NOT EXISTS t (x)"))
    said = {}
    con.execute("PRAGMA max_page_count = 2")  # the store may not grow: a full disk, as SQLite sees it
    with pytest.raises(sqlite3.OperationalError) as full, con:
        con.executemany("INSERT INTO t VALUES (?)", [("x" * 1000,)] * 50)
    said["full"] = describe_sqlite_error(full.value)  # no path given: the one open store is named
    ro = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as readonly:
        ro.execute("INSERT INTO t VALUES (1)")
    said["read-only"] = describe_sqlite_error(readonly.value, path)
    holder = sqlite3.connect(path)
    holder.execute("BEGIN EXCLUSIVE")
    other = sqlite3.connect(path, timeout=0)
    with pytest.raises(sqlite3.OperationalError) as locked:
        other.execute("INSERT INTO t VALUES (1)")
    holder.rollback()
    said["locked"] = describe_sqlite_error(locked.value, path)
    said["i/o"] = describe_sqlite_error(sqlite3.OperationalError("disk I/O error"), path)
    for what, line in said.items():  # with no path given, other stores this process has open are listed after it
        assert line.startswith((f"{path}: ", f"one of {path}, ")) and "\n" not in line, (what, line)
    assert "disk is full" in said["full"] and "free some disk space" in said["full"]
    assert "read-only" in said["read-only"] and "permissions" in said["read-only"]
    assert "another program" in said["locked"] and "i/o" not in said["locked"]
    assert "check the disk" in said["i/o"]
    for c in (con, ro, holder, other):
        c.close()


def test_an_unreadable_settings_value_is_dropped_with_a_log_line(data_dir, caplog):
    """A pickled Python object in settings.ini ('@Variant(…PySide::PyObjectWrapper…)') raised at
    start and stopped the app; it is dropped, the other values kept."""
    ini = data_dir / "settings.ini"
    data_dir.mkdir(parents=True, exist_ok=True)
    wrapped = (r'@Variant(\0\0\0\x7f\0\0\0\x18PySide::PyObjectWrapper\0\0\0\0\"\x80\x4\x95\x17\0\0\0\0\0\0\0'
               r'\x8c\b__main__\x94\x8c\x3\x46oo\x94\x93\x94)\x81\x94.)')
    ini.write_text(f"[General]\nsettings_version={wrapped}\n\n[compute]\ndevice=cpu\n\n[window]\nthing={wrapped}\n",
                   encoding="utf-8")
    from app.settings import Key, Settings

    settings = Settings()
    assert settings.get(Key.DEVICE) == "cpu"
    assert "PyObjectWrapper" not in ini.read_text(encoding="utf-8")
    dropped = [r.getMessage() for r in caplog.records if "cannot be read" in r.getMessage()]
    assert len(dropped) == 2 and any("window/thing" in m for m in dropped), dropped


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_the_data_folder_and_what_is_written_in_it_are_private(tmp_path):
    data = tmp_path / "fresh" / "data"
    photo = ROOT / "resources" / "demo" / "photos" / "hat_2a12baab.jpg"
    rows = tmp_path / "p.csv"
    rows.write_text(HEADER + f"found,{photo},black cap,,,,,\n", encoding="utf-8")
    proc = _cli(data, "lostfound", "import", str(rows))
    assert proc.wait(60) == 0
    export = tmp_path / "out.csv"
    assert _cli(data, "lostfound", "export", str(export)).wait(60) == 0

    def mode(p: Path) -> int:
        return stat.S_IMODE(p.stat().st_mode)

    assert mode(data) == 0o700
    assert mode(data / "lostfound.sqlite") == 0o600
    (stored,) = (data / "lostfound" / "photos").iterdir()
    assert mode(stored) == 0o600 and mode(data / "lostfound" / "photos") == 0o700
    assert mode(export) == 0o600


def test_album_commands_that_write_take_the_folder_lock():
    """`albums add`, `albums kinds forget` and `albums duplicates --move-to` write the app's stores
    or move the user's files: they wait for, or are refused by, a running app (a review found them
    outside the lock); the reading forms stay lock-free."""
    import contextlib
    from argparse import Namespace

    from core.cli import _writer_lock

    def locks(**kw) -> bool:
        return not isinstance(_writer_lock(Namespace(**kw)), contextlib.nullcontext)

    assert locks(command="albums", action="add", store=None)
    assert locks(command="albums", action="kinds", kinds_action="forget")
    assert not locks(command="albums", action="kinds", kinds_action="list")
    assert locks(command="albums", action="duplicates", move_to="/tmp/aside")
    assert not locks(command="albums", action="duplicates", move_to=None)
    assert not locks(command="albums", action="similar")


def test_a_failed_job_names_the_store_and_what_to_do_for_every_sqlite_error(tmp_path):
    """What the app's Jobs view and status bar say of a job that met SQLite (issue 36 (7)): the
    store and what to do, as the CLI does, for a full, read-only or locked store alike."""
    import sqlite3

    from core.database import connect
    from core.errors import failure_text

    path = tmp_path / "albums.sqlite"
    con = connect(path, "album", lambda c: c.execute("CREATE TABLE IF NOT EXISTS t (x)"))
    try:
        full = sqlite3.OperationalError("database or disk is full")
        locked = sqlite3.OperationalError("database is locked")
        readonly = sqlite3.OperationalError("attempt to write a readonly database")
        for exc, todo in ((full, "free some disk space"), (locked, "close that program"),
                          (readonly, "check the permissions")):
            text = failure_text(exc)
            assert str(path) in text and todo in text, text
    finally:
        con.close()
