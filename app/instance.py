"""Before the window opens: a data folder the app can write, one app per folder, and a second
start that brings the running window to the front."""

from __future__ import annotations

import logging
import os
import time


def data_dir_unusable() -> str:
    """'' when the data folder (and its logs folder) can be written; else what stops it and what
    to do, on one line. Checked first: the log, the stores and the settings all live there, and
    a read-only or full disk used to end the start in a traceback."""
    from core.errors import describe_error
    from core.paths import ENV_DATA_DIR, data_dir, log_dir

    try:
        folder = data_dir()
        log_dir()
        probe = folder / f".simscope-write-test-{os.getpid()}"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        return (f"Simscope cannot write its data folder: {describe_error(exc)}. Start it with "
                f"--data-dir FOLDER (or set {ENV_DATA_DIR}) to use a folder it can write.")
    return ""


UNCLEAN_STOP: dict | None = None  # set by lock_data_dir when the last run's lock was left behind


def unclean_stop_note(stop: dict | None, broken: list[str]) -> str:
    """What the status bar says after a start that followed an unclean stop ('' after a clean one)."""
    if not stop:
        return ""
    t = time.localtime(stop["started"])
    started = f"{t.tm_mday} {time.strftime('%b %H:%M', t)}"
    found = (f"{', '.join(broken)} could not be opened (see {'their pages' if len(broken) > 1 else 'its page'})"
             if broken else "every store was checked and is sound")
    return (f"Simscope did not close properly last time (the run started {started}: a crash, a kill or a power "
            f"cut); {found} (Help → Show the logs).")


def lock_data_dir():
    """(the lock, '') when no other Simscope runs on this data folder; (None, why) when one does.

    Two windows on one folder would each hold its stores and settings, and each undo or
    re-grouping would overwrite the other's work. The lock is held while the app runs and
    released when it closes; one left by a crashed app is stale (its process is gone) and taken."""
    from PySide6.QtCore import QLockFile

    from core.paths import data_dir

    global UNCLEAN_STOP
    UNCLEAN_STOP = None  # found afresh by each start
    folder = data_dir()
    path = folder / "simscope.lock"
    lock = QLockFile(str(path))
    lock.setStaleLockTime(0)  # held for as long as the app runs: only a dead process's lock is stale
    left = lock.getLockInfo() if path.exists() else None  # a lock file is there before we take it
    when = path.stat().st_mtime if left else 0.0
    if lock.tryLock(200):
        if left:  # it was stale: the app that held it never closed (a crash, a kill, a power cut)
            UNCLEAN_STOP = {"pid": left[0], "host": left[1], "started": when}
        return lock, ""
    if lock.error() != QLockFile.LockError.LockFailedError:  # no lock file can be made: go on unlocked
        logging.getLogger("simscope").warning("could not lock the data folder %s (%s); starting without the lock",
                                              folder, lock.error().name)
        return None, ""
    info = lock.getLockInfo()
    pid = f" (process {info[0]} on {info[1]})" if info else ""
    return None, (f"Simscope is already running with the data folder {folder}{pid}. Switch to its "
                  f"window, or start this one with --data-dir FOLDER to work on another folder.")


def _instance_name() -> str:
    """The local socket of the app that holds this data folder (one per folder)."""
    import hashlib

    from core.paths import data_dir

    return "simscope-" + hashlib.blake2b(str(data_dir().resolve()).encode("utf-8"), digest_size=8).hexdigest()


def ask_running_app_to_show() -> bool:
    """A second start on a folder in use: ask the app that holds it to bring its window to the
    front (what double-clicking the icon again means); True when it answered that it did."""
    try:
        from PySide6.QtNetwork import QLocalSocket
    except ImportError as exc:  # a system library QtNetwork needs is missing: the message instead
        logging.getLogger("simscope").warning("cannot reach the running app: %s", exc)
        return False
    sock = QLocalSocket()
    sock.connectToServer(_instance_name())
    if not sock.waitForConnected(1000):
        return False
    sock.write(b"show\n")
    sock.flush()
    shown = sock.waitForReadyRead(3000) and bytes(sock.readAll().data()).startswith(b"shown")
    sock.disconnectFromServer()
    return shown


def listen_for_second_starts(window):
    """The running app's side of :func:`ask_running_app_to_show`: show, raise and activate the
    window when asked. Returns the server (kept by the caller), or None if it cannot listen."""
    try:
        from PySide6.QtNetwork import QLocalServer
    except ImportError as exc:  # a system library QtNetwork needs is missing (app.platform_check names it)
        logging.getLogger("simscope").warning("a second start cannot reach this window: %s", exc)
        return None
    server = QLocalServer(window)
    name = _instance_name()
    QLocalServer.removeServer(name)  # a socket file a crashed app left: this app holds the folder's lock
    if not server.listen(name):
        logging.getLogger("simscope").warning("a second start cannot reach this window (%s)", server.errorString())
        return None

    def answer(conn) -> None:
        if bytes(conn.readAll().data()).startswith(b"show"):
            window.showNormal() if window.isMinimized() else window.show()
            window.raise_()
            window.activateWindow()
            conn.write(b"shown\n")
            conn.flush()
        conn.disconnectFromServer()

    def accept() -> None:
        while server.hasPendingConnections():
            conn = server.nextPendingConnection()
            conn.readyRead.connect(lambda c=conn: answer(c))

    server.newConnection.connect(accept)
    return server


def open_window(create_window):
    """``create_window()`` (``app.main``'s, passed in: this module is below it) at a start: first
    the restore asked for before the restart (``core.restore``: the folder is locked and nothing
    is open yet); after an unclean stop every store is checked as it opens. The status bar says
    what was done."""
    from app.workspace import UnavailablePage
    from core.database import checking
    from core.paths import data_dir
    from core.restore import PENDING, restore_if_requested

    log = logging.getLogger("simscope")
    restored = ""
    if (data_dir() / PENDING).exists():
        progress = _restore_progress()
        try:
            restored = restore_if_requested(data_dir(), progress)
        finally:
            _restore_progress.dialog.close()
    if restored:
        log.info("%s", restored)
    with checking(UNCLEAN_STOP is not None):
        window, queue = create_window()
    note = unclean_stop_note(UNCLEAN_STOP, [p.title for p in window.pages if isinstance(p, UnavailablePage)])
    if note:
        log.warning("%s (process %s)", note, UNCLEAN_STOP["pid"])
    if restored or note:
        window.statusBar().showMessage(" ".join(t for t in (restored, note) if t), 60_000)
    return window, queue


def _restore_progress():
    """A progress dialog while a restore copies the backup in, before the window opens (a backup
    with many photos takes a while, and nothing else would show that the app is at work)."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QProgressDialog

    dialog = QProgressDialog("Restoring the backup…", "", 0, 1000)
    dialog.setCancelButton(None)  # half a restore is never left: it finishes or puts everything back
    dialog.setWindowTitle("Simscope")
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setMinimumDuration(500)
    dialog.setAutoReset(False)  # closed by open_window once the restore is over, whatever its outcome
    _restore_progress.dialog = dialog  # kept while the restore runs (tests read it)

    _restore_progress.shown = []  # (fraction, text) as the dialog showed them

    def progress(fraction: float, message: str | None = None) -> None:
        if message:
            dialog.setLabelText(f"Restoring the backup: {message}")
        dialog.setValue(int(1000 * fraction))
        _restore_progress.shown.append((fraction, dialog.labelText()))
        QApplication.processEvents()

    return progress


def start_again(lock) -> None:
    """Start the app again once this one has closed (File → Restore from a backup…): the lock is
    let go first, or the new start would find this app still there."""
    from PySide6.QtCore import QProcess

    from app.backups import restart_command

    if lock is not None:
        lock.unlock()
    program, *args = restart_command()
    if not QProcess.startDetached(program, args):
        logging.getLogger("simscope").error("could not start Simscope again (%s): start it yourself to "
                                            "finish the restore", " ".join(restart_command()))
