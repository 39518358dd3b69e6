"""The data folder's lock, taken by the CLI commands that write a store (without Qt).

The app holds ``simscope.lock`` (a ``QLockFile``) for as long as it runs. A CLI command that
writes a store takes the same file, in the same format (process id, process name, host, machine
id, boot id) and with the same native lock (``flock`` + ``fcntl``), so:

* two CLI writers on one folder run one after the other: the second waits for the first and says
  so (two imports at once are additive, and a restore never runs under an import);
* a CLI writer refuses at once, with one line, while the app runs on the folder (the app's undo
  puts tables back as it last saw them, so a row written under it could be undone away);
* the app refuses to start while a CLI writer runs (its usual "already running" message);
* a lock whose holder is gone (a kill -9) is stale and taken over, as the app does.

A CLI holder adds a sixth line, ``simscope-cli <command>``, which Qt ignores; the waiting side
reads it to tell a CLI command (worth waiting for) from the app (held for hours).
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

LOCK_NAME = "simscope.lock"
CLI_MARK = "simscope-cli"

try:
    import fcntl
except ImportError:  # Windows: the process id alone tells a live holder from a stale lock
    fcntl = None  # type: ignore[assignment]


class FolderBusy(RuntimeError):
    """The app runs on the data folder: a CLI writer does not wait for it (it holds it for hours)."""


def _process_name() -> str:
    """What Qt compares with a lock's second line (``/proc/<pid>/exe``'s name on Linux)."""
    try:
        return os.path.basename(os.path.realpath(f"/proc/{os.getpid()}/exe"))
    except OSError:
        return os.path.basename(sys.executable)


def _first_line(path: str) -> str:
    with contextlib.suppress(OSError):
        return Path(path).read_text(encoding="ascii", errors="replace").strip()
    return ""


def _content(command: str) -> bytes:
    machine = _first_line("/etc/machine-id") or _first_line("/var/lib/dbus/machine-id")
    boot = _first_line("/proc/sys/kernel/random/boot_id")
    lines = [str(os.getpid()), _process_name(), socket.gethostname(), machine, boot,
             f"{CLI_MARK} {command}".replace("\n", " ")]
    return ("\n".join(lines) + "\n").encode("utf-8", "replace")


def _native_lock(fd: int) -> bool:
    """Qt's own ``setNativeLocks``: flock and an fcntl record lock, both without waiting."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _holder(path: Path) -> tuple[int, str, str, str]:
    """(pid, process name, host, CLI command or '') from a lock file; pid 0 when unreadable."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
    except OSError:
        return 0, "", "", ""
    lines += [""] * 6
    try:
        pid = int(lines[0])
    except ValueError:
        pid = 0
    command = lines[5][len(CLI_MARK) + 1:] if lines[5].startswith(CLI_MARK) else ""
    return pid, lines[1], lines[2], command


def _alive(pid: int, host: str) -> bool:
    if host and host != socket.gethostname():
        return True  # another machine's process: cannot be checked, so it is taken as alive
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_if_stale(path: Path) -> bool:
    """Remove a lock file whose holder is gone (its native lock is free and its process is dead,
    or it is empty and older than a few seconds); True when it was removed."""
    try:
        fd = os.open(path, os.O_WRONLY)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    try:
        if not _native_lock(fd):
            return False  # held: its process is alive
        pid, _name, host, _command = _holder(path)
        st = os.fstat(fd)
        if pid == 0 and time.time() - st.st_mtime < 5:
            return False  # just made by a starting holder that has not written itself in yet
        if pid and fcntl is None and _alive(pid, host):
            return False
        try:
            same = os.stat(path).st_ino == st.st_ino  # not a newer lock made since this one was opened
        except FileNotFoundError:
            return True
        if same:
            os.unlink(path)
        return True
    finally:
        os.close(fd)


def _try_take(path: Path, command: str) -> int | None:
    """The open, natively locked lock file's descriptor, or None when the file exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return None
    if not _native_lock(fd):  # another process opened it between our create and lock: let it be
        os.close(fd)
        return None
    os.write(fd, _content(command))
    os.fsync(fd)
    return fd


@contextlib.contextmanager
def hold_data_dir(command: str, folder: str | os.PathLike[str] | None = None,
                  say: Callable[[str], None] | None = None, poll: float = 0.05) -> Iterator[Path]:
    """Hold the data folder's lock for the block. Waits while another CLI command holds it (``say``
    tells the user once, naming it); raises :class:`FolderBusy` when the app holds it. Taken by
    this process already (the app calling the CLI in-process): nothing more is taken."""
    if folder is None:
        from core.paths import data_dir

        folder = data_dir()
    path = Path(folder) / LOCK_NAME
    said = False
    while True:
        fd = _try_take(path, command)
        if fd is not None:
            break
        pid, _name, host, holder = _holder(path)
        if pid == os.getpid():
            yield path  # this process holds it (the app): re-entrant
            return
        if _remove_if_stale(path):
            continue
        if pid and not holder:
            where = f"process {pid}" + (f" on {host}" if host and host != socket.gethostname() else "")
            raise FolderBusy(f"Simscope is running with the data folder {folder} ({where}): close it "
                             f"first (or use its menus), then run this command again; nothing was changed")
        if not said and say is not None:
            what = f"`python -m core {holder}` (process {pid})" if holder else "another Simscope process"
            say(f"waiting: {what} is writing to the data folder {folder}; this command goes on when it ends")
            said = True
        time.sleep(poll)
    try:
        yield path
    finally:
        with contextlib.suppress(OSError):
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                os.unlink(path)  # before the descriptor closes: no one takes it in between
        os.close(fd)
