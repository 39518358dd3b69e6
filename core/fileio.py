"""Writing files a user may need: atomically, never over an existing file unless asked, and
CSV cells that a spreadsheet will not run as formulas.

* :func:`atomic_write` writes to a temporary file in the same folder, flushes it to disk and
  renames it into place, so a crash (or kill -9) leaves the old file or the new one, never a
  truncated mix.
* :func:`unique_name` gives "name (2).ext", "name (3).ext", … when a name is taken: exports
  never overwrite.
* :func:`csv_safe` escapes a value that starts with ``=``, ``+``, ``-``, ``@``, tab or CR by a
  leading apostrophe (OWASP "CSV injection"); numbers are left alone.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w", encoding: str | None = "utf-8",
                 newline: str | None = None) -> Iterator:
    """``with atomic_write(p) as fh: ...``: the file appears whole at ``p`` when the block ends."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    binary = "b" in mode
    try:
        with os.fdopen(fd, mode, **({} if binary else {"encoding": encoding, "newline": newline})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    with atomic_write(path) as fh:
        fh.write(text)


def copy_whole(src: str | os.PathLike[str], dest: str | os.PathLike[str]) -> None:
    """Copy a file (with its times) under a temporary name beside ``dest`` and rename it when
    complete: a copy cut short (a full disk, a pulled drive) never leaves a truncated file under
    the real name."""
    import shutil

    dest = Path(dest)
    tmp = dest.with_name(f".{dest.name}.partial")
    try:
        shutil.copy2(src, tmp)
        private(tmp)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def private(path: str | os.PathLike[str]) -> None:
    """On POSIX, take away the group's and others' access to a file or folder Simscope wrote (a
    copied photo kept its 0644; posts and photos were readable by every user of the machine)."""
    if os.name == "posix":
        mode = os.stat(path).st_mode & 0o777
        if mode & 0o077:
            os.chmod(path, mode & 0o700)


def few(names, shown: int = 5) -> str:
    """At most ``shown`` names, then how many more: a 1,000,000-column header is not a message."""
    names = [str(n) for n in names]
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more:,} more" if more > 0 else "")


def move_whole(src: str | os.PathLike[str], dest: str | os.PathLike[str]) -> None:
    """Move a file: a rename on the same disk; across disks :func:`copy_whole`, and the source is
    removed only once the copy is whole."""
    try:
        os.rename(src, dest)
    except OSError as exc:
        import errno

        if exc.errno != errno.EXDEV:
            raise
        copy_whole(src, dest)
        os.unlink(src)


def unique_name(name: str, used: set[str]) -> str:
    """``name``, or ``stem (2).ext``, ``stem (3).ext`` … not in ``used`` (compared case-blind,
    as on macOS and Windows); the result is added to ``used``."""
    stem, suffix = os.path.splitext(name)
    out, n = name, 2
    while out.lower() in used:
        out, n = f"{stem} ({n}){suffix}", n + 1
    used.add(out.lower())
    return out


def csv_safe(value):
    """A cell a spreadsheet shows as text: strings starting with = + - @ tab CR get a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        try:
            float(value)  # "-3.5" is a number, not a formula
            return value
        except ValueError:
            return "'" + value
    return value


class NotARegularFile(OSError):
    """A path that is a FIFO, a device, a socket or a folder (or a symlink to one): reading it
    could block forever (a FIFO with no writer) or never end (/dev/zero)."""


def special_file_reason(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` is not a regular file we may read, from ``stat`` alone (nothing is opened);
    None when it is one. Follows symlinks: a dangling link or a link loop has its reason too."""
    import errno
    import stat

    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic link loop (the link points back at itself)"
        if exc.errno == errno.ENOENT:
            return ("a dangling symbolic link (its target is gone)" if os.path.islink(path)
                    else "the file does not exist (moved or deleted?)")
        if exc.errno in (errno.EACCES, errno.EPERM):
            return "permission denied"
        return exc.strerror or str(exc)
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return None
    kinds = [(stat.S_ISFIFO, "a named pipe (FIFO), not a file"), (stat.S_ISCHR, "a character device, not a file"),
             (stat.S_ISBLK, "a block device, not a file"), (stat.S_ISSOCK, "a socket, not a file"),
             (stat.S_ISDIR, "a folder, not a file")]
    return next((why for test, why in kinds if test(mode)), "not a regular file")


def check_regular_file(path: str | os.PathLike[str]) -> None:
    """Raise :class:`NotARegularFile` (an OSError naming the file) unless ``path`` is a regular file."""
    import errno

    reason = special_file_reason(path)
    if reason is None:
        return
    if not os.path.lexists(path):
        raise FileNotFoundError(errno.ENOENT, reason, os.fspath(path))
    raise NotARegularFile(0, reason, os.fspath(path))


def utf8_name_problem(path: str | os.PathLike[str]) -> str | None:
    """A file name that cannot be stored as UTF-8 (Python keeps its raw bytes as surrogates)."""
    try:
        os.fspath(path).encode("utf-8")
        return None
    except UnicodeEncodeError:
        shown = os.fsencode(path).decode("utf-8", "replace")
        return f"the file name is not valid UTF-8 ({shown}): rename it"


# -- CSV input ----------------------------------------------------------------------------
ENCODINGS = ("utf-8-sig", "cp949", "latin-1")  # tried in this order; latin-1 accepts any bytes


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding name): UTF-16 by its BOM, else UTF-8 (with or without BOM), else CP949 /
    EUC-KR (what Korean spreadsheets save), else Latin-1, which reads any bytes. A BOM (U+FEFF)
    anywhere in the text is dropped."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16").replace("\ufeff", ""), "UTF-16"
    for enc in ENCODINGS:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        # a BOM past the start (files joined end to end, a cell pasted from one) marks an encoding,
        # never text: dropped as the one at the start is (it made "\ufefffound" an unknown kind)
        text = text.replace("\ufeff", "")
        name = {"utf-8-sig": "UTF-8" + (" with BOM" if data.startswith(b"\xef\xbb\xbf") else ""),
                "cp949": "CP949 (Korean)", "latin-1": "Latin-1"}[enc]
        return text, name
    raise AssertionError("latin-1 decodes every byte string")


@dataclass
class CsvTable:
    path: Path
    header: list[str]
    rows: list[tuple[int, dict]]  # (line number of the row's start, {column: text})
    encoding: str
    problems: list[tuple[int, str]]  # (line, what is wrong): rows left out

    @property
    def note(self) -> str:
        """What the report says about reading the file ('' for plain UTF-8)."""
        return "" if self.encoding.startswith("UTF-8") else f"{self.path.name} was read as {self.encoding}"


def read_csv(path: str | os.PathLike[str], required: tuple[str, ...] = (), max_bytes: int = 512 << 20,
             ) -> CsvTable:
    """A CSV file as rows, whatever its encoding, never silently merging rows.

    Left out with their line number (in ``problems``): rows with a NUL byte, rows with more cells
    than the header, and an unclosed quote (which would swallow every row after it: the rows from
    the quote on are reported, those before it kept). Raises ``ValueError`` naming the file when
    it is not usable at all (missing columns, not a file, too large, no header)."""
    import csv
    import io

    path = Path(path)
    check_regular_file(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise ValueError(f"{path}: {size / 1e6:.0f} MB is more than the {max_bytes >> 20} MB a CSV may be here")
    text, encoding = decode_text(path.read_bytes())
    problems: list[tuple[int, str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip().lstrip("\ufeff") for h in next(reader)]
    except StopIteration:
        raise ValueError(f"{path}: the file is empty (no header row)") from None
    except csv.Error as exc:
        raise ValueError(f"{path}: the header row is not valid CSV ({exc})") from None
    missing = [c for c in required if c not in header]
    if missing:
        raise ValueError(f"{path}: missing column(s) {few(missing)} (the header has: {few(header)})")
    rows: list[tuple[int, dict]] = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if "end of data" in str(exc) or "EOF" in str(exc):
                problems.append((start, f"a quote opened in this row is never closed, so the rest of the "
                                        f"file ({reader.line_num - start + 1} lines) would merge into one "
                                        f"cell: close the quote; rows from here on were not read"))
                break
            problems.append((start, f"not valid CSV ({exc})"))
            continue
        if not cells or all(not c.strip() for c in cells):
            continue
        if any("\x00" in c for c in cells):
            problems.append((start, "the row holds a NUL byte (binary data?): left out"))
            continue
        if len(cells) > len(header):
            problems.append((start, f"malformed row: {len(cells) - len(header)} more cell(s) than the header has columns"))
            continue
        rows.append((start, dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=True))))
    return CsvTable(path, header, rows, encoding, problems)


def finite_number(value: str, what: str = "value") -> float:
    """A finite float from text, or ``ValueError`` saying why (empty, not a number, NaN, inf,
    out of range such as 1e400)."""
    import math

    text = (value or "").strip()
    if not text:
        raise ValueError(f"{what} is empty")
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a number") from None
    if math.isnan(number):
        raise ValueError(f"{what} is NaN")
    if math.isinf(number):
        raise ValueError(f"{what} {text!r} is infinite or out of range")
    return number
