"""The post store (SQLite): add, edit, delete with undo, import and export.

Photos are copied into the data dir (``lostfound/photos/<content hash>.<ext>``)
so a post keeps its photo when the original file moves. Import reports every
problem by line and imports the rest; a duplicate is detected by a
fingerprint of its fields and photo content, and never stored twice.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core.cache import hash_file
from core.fileio import (
    atomic_write,
    atomic_write_text,
    check_regular_file,
    copy_whole,
    csv_safe,
    decode_text,
    few,
    read_csv,
)
from core.images import ImageError, open_image
from core.lostfound.categories import parse_category

KINDS = ("lost", "found")
FIELDS = ("kind", "image", "description", "category", "storage_location", "status", "place", "date")
STATUSES = ("보관중", "분실", "반환됨", "returned")
CLOSED_STATUSES = {"반환됨", "returned", "closed"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('lost', 'found')),
    image TEXT,
    image_hash TEXT,
    description TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT '',
    storage_location TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT '',
    place TEXT NOT NULL DEFAULT '',
    date TEXT NOT NULL DEFAULT '',
    fingerprint TEXT NOT NULL,
    created_at REAL NOT NULL,
    deleted_at REAL
);
CREATE INDEX IF NOT EXISTS posts_fingerprint ON posts(fingerprint);
"""

_POST_COLUMNS = ("kind", "description", "category", "storage_location", "status", "place", "date", "image",
                 "image_hash", "id")  # in the order of Post's fields: Post(*row)


class PostError(ValueError):
    """A post that cannot be stored as given, with a message for the user."""


@dataclass
class Post:
    kind: str
    description: str = ""
    category: str = ""
    storage_location: str = ""
    status: str = ""
    place: str = ""
    date: str = ""
    image: str | None = None  # path of the stored copy
    image_hash: str | None = None
    id: int | None = None
    # the photo a row named but that could not be stored: kept only to tell posts apart
    missing_photo: str = field(default="", compare=False, repr=False)

    @property
    def has_photo(self) -> bool:
        return bool(self.image)

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("missing_photo", None)
        return d


@dataclass
class ImportReport:
    added: list[int] = field(default_factory=list)
    duplicates: list[tuple[int, str]] = field(default_factory=list)  # (line, message)
    errors: list[tuple[int, str]] = field(default_factory=list)  # rows not imported
    warnings: list[tuple[int, str]] = field(default_factory=list)  # imported, with a caveat
    _order: list[tuple[int, str, str]] = field(default_factory=list, repr=False)  # as they happened

    def note(self, line: int, kind: str, message: str) -> None:
        {"error": self.errors, "duplicate": self.duplicates, "warning": self.warnings}[kind].append((line, message))
        self._order.append((line, kind, message))

    def summary(self) -> str:
        parts = [f"{len(self.added)} imported"]
        if self.duplicates:
            parts.append(f"{len(self.duplicates)} duplicates skipped")
        if self.errors:
            parts.append(f"{len(self.errors)} rows with errors")
        if self.warnings:
            parts.append(f"{len(self.warnings)} warnings")
        return ", ".join(parts)

    def messages(self) -> list[str]:
        """By line; within a line in the order they arose (a warning before the duplicate it led to)."""
        return [f"line {n}: {kind}: {m}" for n, kind, m in sorted(self._order, key=lambda r: r[0])]


def _fingerprint(post: Post) -> str:
    """Same post = same kind, text, category, place, date, storage, status and photo (its content;
    or, for a photo that could not be stored, the path the row named)."""
    parts = [post.kind, " ".join(post.description.split()).lower(), post.category.strip(),
             post.place.strip(), post.date.strip(), post.storage_location.strip(), post.status.strip(),
             post.image_hash or (f"unresolved:{post.missing_photo}" if post.missing_photo else "")]
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=16).hexdigest()


class PostStore:
    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        if path is None:
            from core.paths import data_dir

            path = data_dir() / "lostfound.sqlite"
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.photo_dir = self.path.parent / "lostfound" / "photos"
        self.photo_dir.mkdir(parents=True, exist_ok=True)
        from core.database import connect

        def setup(con: sqlite3.Connection) -> None:
            con.row_factory = sqlite3.Row
            con.execute("PRAGMA journal_mode=WAL")
            with con:
                con.executescript(_SCHEMA)

        self._con = connect(self.path, "Lost & Found posts", setup)  # StoreUnavailable: damaged, or no access
        self._log = None  # the undo's change log (``tracked``), made at the first edit

    def close(self) -> None:
        self._con.close()

    # -- posts ---------------------------------------------------------------------
    def store_photo(self, source: str | os.PathLike[str]) -> tuple[str, str]:
        """Check that a photo opens, copy it into the store; (stored path, content hash)."""
        source = Path(source)
        open_image(source)  # raises ImageError with a clear reason
        digest = hash_file(source)
        dest = self.photo_dir / f"{digest}{source.suffix.lower()}"
        if not dest.exists():  # named by its content: one there is whole (copy_whole), so it is this photo
            copy_whole(source, dest)
        return str(dest), digest

    def validate(self, post: Post) -> None:
        if post.kind not in KINDS:
            raise PostError(f"kind must be 'lost' or 'found', not {post.kind!r}")
        if not post.description.strip() and not post.image:
            raise PostError("a post needs a description or a photo: there is nothing to match on")

    def add(self, post: Post, photo: str | os.PathLike[str] | None = None) -> Post:
        if photo:
            post.image, post.image_hash = self.store_photo(photo)
        self.validate(post)
        fp = _fingerprint(post)
        with self._tx():
            cur = self._con.execute(
                "INSERT INTO posts (kind, image, image_hash, description, category, storage_location,"
                " status, place, date, fingerprint, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (post.kind, post.image, post.image_hash, post.description.strip(), post.category.strip(),
                 post.storage_location, post.status, post.place, post.date, fp, time.time()),
            )
        post.id = cur.lastrowid
        return post

    def update(self, post_id: int, photo: str | os.PathLike[str] | None = None, **fields) -> Post:
        post = self.get(post_id)
        for key, value in fields.items():
            if key not in FIELDS or key == "image":
                raise PostError(f"unknown field {key!r}")
            setattr(post, key, value if value is not None else "")
        if photo:
            post.image, post.image_hash = self.store_photo(photo)
        self.validate(post)
        with self._con:
            self._con.execute(
                "UPDATE posts SET kind=?, image=?, image_hash=?, description=?, category=?,"
                " storage_location=?, status=?, place=?, date=?, fingerprint=? WHERE id=?",
                (post.kind, post.image, post.image_hash, post.description.strip(), post.category.strip(),
                 post.storage_location, post.status, post.place, post.date, _fingerprint(post), post_id),
            )
        return post

    def remove_photo(self, post_id: int) -> Post:
        post = self.get(post_id)
        post.image = post.image_hash = None
        self.validate(post)
        with self._con:
            self._con.execute("UPDATE posts SET image=NULL, image_hash=NULL, fingerprint=? WHERE id=?",
                              (_fingerprint(post), post_id))
        return post

    def snapshot(self) -> dict[int, tuple]:
        """Every post row (deleted ones too), by id: what an edit can change (undo)."""
        return {r[0]: tuple(r) for r in self._con.execute("SELECT * FROM posts ORDER BY id")}

    def _changes(self):
        if self._log is None:
            from core.undo_log import ChangeLog

            self._log = ChangeLog(self._con, (("posts", ("id",)),))
        return self._log

    def tracked(self, edit):
        """Run ``edit`` and return (its result, the post rows it changed as they were, as they are
        now): {"posts": {(id,): row or None}}, from SQLite triggers (``core.undo_log``), O(rows
        changed): reading every post around each edit took 615 ms at 100,000 posts, this 1 ms."""
        return self._changes().run(edit)

    def apply_rows(self, rows: dict[str, dict[tuple, tuple | None]]) -> int:
        """Write ``rows`` (from :meth:`tracked`) over the posts: undo and redo, reading only those."""
        from core.undo_log import FLAT, laid_over

        now = {k[0]: r for k, r in self._changes().current(rows)["posts"].items()}
        return self.restore(laid_over(now, {FLAT: {k[0]: r for k, r in rows.get("posts", {}).items()}}), now)

    def restore(self, snap: dict[int, tuple], now: dict[int, tuple] | None = None) -> int:
        """Make the posts table equal ``snap``, writing only rows that differ; stored photo files
        are content-addressed and never deleted, so every row's photo is still there (``now``:
        the snapshot the caller just took, so it is not read twice)."""
        now = self.snapshot() if now is None else now
        cols = [d[0] for d in self._con.execute("SELECT * FROM posts LIMIT 0").description]
        gone = [(k,) for k in now if k not in snap]
        new = [row for k, row in snap.items() if k not in now]
        changed = [row for k, row in snap.items() if k in now and now[k] != row]
        with self._con:
            self._con.executemany("DELETE FROM posts WHERE id=?", gone)
            self._con.executemany(f"INSERT INTO posts VALUES ({','.join('?' * len(cols))})", new)
            sets = ", ".join(f"{c}=?" for c in cols[1:])
            self._con.executemany(f"UPDATE posts SET {sets} WHERE id=?",
                                  [list(r[1:]) + [r[0]] for r in changed])
        return len(gone) + len(new) + len(changed)

    def delete(self, post_id: int) -> None:
        """Soft delete: :meth:`undelete` brings the post back (undo)."""
        self.get(post_id)
        with self._con:
            self._con.execute("UPDATE posts SET deleted_at=? WHERE id=?", (time.time(), post_id))

    def undelete(self, post_id: int) -> None:
        with self._con:
            self._con.execute("UPDATE posts SET deleted_at=NULL WHERE id=?", (post_id,))

    def get(self, post_id: int) -> Post:
        row = self._con.execute("SELECT * FROM posts WHERE id=?", (post_id,)).fetchone()
        if row is None:
            raise KeyError(f"no post with id {post_id}")
        return self._post(row)

    def list(self, kind: str | None = None, include_deleted: bool = False) -> list[Post]:
        sql = "SELECT * FROM posts WHERE 1=1"
        args: list = []
        if kind:
            sql += " AND kind=?"
            args.append(kind)
        if not include_deleted:
            sql += " AND deleted_at IS NULL"
        from core.database import rows_at_once

        # in one step (the UI thread reads every post at each reload; 100,000 posts row by row while the
        # model worker embeds: 1.4 s, in one step 0.7 s: bench/ui_reads.py)
        return [Post(*r) for r in rows_at_once(self._con, sql + " ORDER BY id", args, _POST_COLUMNS)]

    def posts_with_ids(self, post_ids) -> dict[int, Post]:
        """id → post of those not deleted (a deleted or unknown id is left out): what an edit of a
        few posts changed, read without the others (``list`` reads every one: 0.5 s at 100,000)."""
        from core.database import rows_at_once

        rows = rows_at_once(self._con, "SELECT * FROM posts WHERE id IN (SELECT value FROM json_each(?)) "
                            "AND deleted_at IS NULL ORDER BY id", (json.dumps([int(i) for i in post_ids]),),
                            _POST_COLUMNS)
        return {p.id: p for p in (Post(*r) for r in rows)}

    def count(self) -> int:
        return self._con.execute("SELECT COUNT(*) FROM posts WHERE deleted_at IS NULL").fetchone()[0]

    def find_duplicate(self, post: Post) -> int | None:
        row = self._con.execute("SELECT id FROM posts WHERE fingerprint=? AND deleted_at IS NULL",
                                (_fingerprint(post),)).fetchone()
        return row[0] if row else None

    @staticmethod
    def _post(row: sqlite3.Row) -> Post:
        return Post(id=row["id"], kind=row["kind"], image=row["image"], image_hash=row["image_hash"],
                    description=row["description"], category=row["category"],
                    storage_location=row["storage_location"], status=row["status"], place=row["place"],
                    date=row["date"])

    # -- import / export -----------------------------------------------------------
    def import_file(self, path: str | os.PathLike[str]) -> ImportReport:
        """Import posts from CSV or JSON (keys as in :data:`FIELDS`); photo paths are
        relative to the file's folder. Raises PostError when the file itself is unusable."""
        path = Path(path)
        if not path.exists():
            raise PostError(f"{path} does not exist")
        report = ImportReport()
        rows = _read_rows(path, report)
        # one transaction for the file (100k rows: seconds, not minutes); a crash or kill -9 in the
        # middle leaves the store as it was before the import
        self._bulk = True
        try:
            for line, row in rows:
                self._import_row(line, row, path.parent, report)
            self._con.commit()
        except BaseException:
            self._con.rollback()
            report.added.clear()
            raise
        finally:
            self._bulk = False
        return report

    _bulk = False

    def _tx(self):
        """``with self._tx():`` commits at the end, except inside an import (one commit for the file)."""
        import contextlib

        return contextlib.nullcontext() if self._bulk else self._con

    def _import_row(self, line: int, row: dict, base: Path, report: ImportReport) -> None:
        def text(key: str) -> str:
            value = row.get(key)
            return "" if value is None else str(value).strip()

        if any("\x00" in str(v) for v in row.values() if v is not None):
            report.note(line, "error", "the row holds a NUL byte (binary data?): not imported")
            return
        if "__extra__" in row:
            report.note(line, "error", f"malformed row: {len(row['__extra__'])} more cell(s) than the header")
            return
        post = Post(kind=text("kind").lower(), description=text("description"), category=text("category"),
                    storage_location=text("storage_location"), status=text("status"),
                    place=text("place"), date=text("date"))
        if post.kind not in KINDS:
            report.note(line, "error", f"kind must be 'lost' or 'found', not {text('kind')!r}")
            return
        image = text("image")
        if image:
            src = Path(image) if Path(image).is_absolute() else base / image
            try:
                post.image, post.image_hash = self.store_photo(src)
            except ImageError as exc:
                post.missing_photo = str(src)
                report.note(line, "warning", f"photo {image}: {exc.reason}; imported without a photo")
            except OSError as exc:
                post.missing_photo = str(src)
                report.note(line, "warning", f"photo {image}: {exc.strerror or exc}; imported without a photo")
        if not post.description and not post.image:
            report.note(line, "error", "no description and no usable photo: nothing to match on")
            return
        if not post.description:
            report.note(line, "warning", "empty description: matched on its photo only")
        category = parse_category(post.category)
        if post.category and not category.known:
            report.note(line, "warning", f"unknown category {category.top!r}: kept, but it gates nothing")
        elif category.known and category.top:
            post.category = str(category)
        duplicate = self.find_duplicate(post)
        if duplicate is not None:
            report.note(line, "duplicate", f"same kind, description, category, place, date, storage, status "
                                           f"and photo as post #{duplicate}: not imported again")
            return
        try:
            report.added.append(self.add(post).id)
        except PostError as exc:
            report.note(line, "error", str(exc))

    def export(self, path: str | os.PathLike[str]) -> int:
        path = Path(path)
        posts = [p.to_dict() for p in self.list()]
        for p in posts:
            p.pop("image_hash")
            p.pop("missing_photo", None)
        if path.suffix.lower() == ".json":
            atomic_write_text(path, json.dumps(posts, ensure_ascii=False, indent=2))
        else:
            with atomic_write(path, newline="") as fh:
                writer = csv.DictWriter(fh, fieldnames=["id", *FIELDS])
                writer.writeheader()
                for p in posts:
                    writer.writerow({k: csv_safe(p.get(k) or "") for k in ["id", *FIELDS]})
        return len(posts)


class _NotFinite(str):
    """A JSON number that is not finite (``NaN``, ``Infinity``, ``1e999999``): its row is refused."""


def _json_float(text: str) -> float | _NotFinite:
    import math

    value = float(text)
    return value if math.isfinite(value) else _NotFinite(f"{text} (out of range)")


def _read_rows(path: Path, report: ImportReport | None = None) -> list[tuple[int, dict]]:
    """(line number, row) pairs from a CSV or JSON file of posts; problems with the file's
    encoding, columns and rows go into ``report``."""
    if path.suffix.lower() == ".json":
        check_regular_file(path)
        text, encoding = decode_text(path.read_bytes())  # a BOM (UTF-8 or UTF-16) as the CSV reader takes it
        try:
            data = json.loads(text, parse_constant=_NotFinite, parse_float=_json_float)
        except ValueError as exc:
            raise PostError(f"{path.name} is not valid JSON: {exc}") from exc
        if isinstance(data, dict) and isinstance(data.get("posts"), list):
            data = data["posts"]
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise PostError(f"{path.name}: expected a list of posts (objects with {', '.join(FIELDS)})")
        if report is not None and not encoding.startswith("UTF-8"):
            report.note(1, "warning", f"{path.name} was read as {encoding}; save it as UTF-8 to be sure of the text")
        rows = []
        for i, r in enumerate(data, 1):
            bad = [k for k, v in r.items() if isinstance(v, _NotFinite)]
            if bad and report is not None:
                report.note(i, "error", f"{path.name}, post {i}: {few(repr(k) for k in bad)} "
                                        f"{'is' if len(bad) == 1 else 'are'} {r[bad[0]]}, not a number: not imported")
            elif not bad:
                rows.append((i, r))
        return rows
    try:
        table = read_csv(path, required=("kind", "description"))
    except ValueError as exc:
        raise PostError(f"{exc}; expected the columns {','.join(FIELDS)}") from exc
    if report is not None:
        if table.note:
            report.note(1, "warning", f"{table.note}; save it as UTF-8 to be sure of the text")
        extra = [h for h in table.header if h and h not in FIELDS and h != "id"]
        if extra:
            report.note(1, "warning", f"column(s) {few(extra)} are not used (the columns are "
                                      f"{', '.join(FIELDS)})")
        for line, problem in table.problems:
            report.note(line, "error", problem)
    return table.rows
