"""Run history for the workspaces that train (Fusion, Trends): every run with its settings,
metrics and curves, its model file, and the dataset it was trained on, kept across restarts.

SQLite (``runs.sqlite`` in the data dir) holds one row per run; the model of run N lives in
``runs/<workspace>/<N>/model.pt`` (written atomically). The dataset is kept by path with a
fingerprint of its content (size, mtime and a hash of the file), so reopening can tell the user
that the file changed instead of silently showing results for other data.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    workspace TEXT NOT NULL,
    created REAL NOT NULL,
    dataset TEXT NOT NULL DEFAULT '',
    dataset_fingerprint TEXT NOT NULL DEFAULT '',
    settings TEXT NOT NULL DEFAULT '{}',
    metrics TEXT NOT NULL DEFAULT '{}',
    curves TEXT NOT NULL DEFAULT '{}',
    model TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS runs_workspace ON runs(workspace, created);
CREATE TABLE IF NOT EXISTS last_dataset (
    workspace TEXT PRIMARY KEY, path TEXT NOT NULL, fingerprint TEXT NOT NULL, opened REAL NOT NULL
);
"""


def dataset_fingerprint(path: str | os.PathLike[str]) -> str:
    """Content fingerprint of a dataset file (a CSV, or a folder's dataset.csv): size + hash."""
    p = Path(path)
    if p.is_dir():
        p = p / "dataset.csv"
    h = hashlib.blake2b(digest_size=12)
    with open(p, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return f"{p.stat().st_size}:{h.hexdigest()}"


@dataclass
class Run:
    id: int
    workspace: str
    created: float
    dataset: str = ""
    dataset_fingerprint: str = ""
    settings: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    curves: dict = field(default_factory=dict)  # name -> list of values, one per epoch
    model: str = ""
    note: str = ""

    @property
    def label(self) -> str:
        return f"#{self.id} · {time.strftime('%d %b %H:%M', time.localtime(self.created))}"

    def dataset_changed(self) -> bool | None:
        """True if the dataset file differs from the one trained on, None if it is gone."""
        if not self.dataset or not os.path.exists(self.dataset):
            return None
        return dataset_fingerprint(self.dataset) != self.dataset_fingerprint


class RunStore:
    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        from core.paths import data_dir

        self.root = data_dir() / "runs" if path is None else Path(path).parent / "runs"
        self.path = Path(path) if path else data_dir() / "runs.sqlite"
        from core.database import connect

        def setup(con: sqlite3.Connection) -> None:
            con.execute("PRAGMA journal_mode=WAL")
            with con:
                con.executescript(_SCHEMA)

        self.con = connect(self.path, "training runs", setup)  # StoreUnavailable: damaged, or no access

    def close(self) -> None:
        self.con.close()

    def model_path(self, workspace: str, run_id: int) -> Path:
        folder = self.root / workspace / str(run_id)
        folder.mkdir(parents=True, exist_ok=True)
        return folder / "model.pt"

    def add(self, workspace: str, dataset: str, settings: dict, metrics: dict, curves: dict,
            save_model=None, note: str = "") -> Run:
        """Record a run; ``save_model(file_object)`` writes its model (atomically, beside the row)."""
        from core.fileio import atomic_write

        fingerprint = dataset_fingerprint(dataset) if dataset and os.path.exists(dataset) else ""
        with self.con:
            cur = self.con.execute(
                "INSERT INTO runs (workspace, created, dataset, dataset_fingerprint, settings, metrics, curves, note)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (workspace, time.time(), str(dataset), fingerprint, json.dumps(settings, default=str),
                 json.dumps(metrics, default=_plain), json.dumps(curves, default=_plain), note))
        run_id = cur.lastrowid
        if save_model is not None:
            target = self.model_path(workspace, run_id)
            with atomic_write(target, "wb") as fh:
                save_model(fh)
            with self.con:
                self.con.execute("UPDATE runs SET model=? WHERE id=?", (str(target), run_id))
        return self.get(run_id)

    def get(self, run_id: int) -> Run:
        row = self.con.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
        if row is None:
            raise KeyError(f"no run #{run_id}")
        return _run(row)

    def list(self, workspace: str, dataset: str | None = None) -> list[Run]:
        sql, args = "SELECT * FROM runs WHERE workspace=?", [workspace]
        if dataset is not None:
            sql += " AND dataset=?"
            args.append(str(dataset))
        return [_run(r) for r in self.con.execute(sql + " ORDER BY id", args)]

    def delete(self, run_id: int) -> None:
        run = self.get(run_id)
        with self.con:
            self.con.execute("DELETE FROM runs WHERE id=?", (run_id,))
        if run.model and os.path.exists(run.model):
            os.unlink(run.model)

    def remember_dataset(self, workspace: str, path: str) -> None:
        with self.con:
            self.con.execute("INSERT OR REPLACE INTO last_dataset VALUES (?,?,?,?)",
                             (workspace, str(path), dataset_fingerprint(path), time.time()))

    def last_dataset(self, workspace: str) -> tuple[str, str] | None:
        """(path, what to say) of the dataset last opened here: '' when it is unchanged, else why
        it cannot be reopened as it was; None when there is none."""
        row = self.con.execute("SELECT path, fingerprint FROM last_dataset WHERE workspace=?",
                               (workspace,)).fetchone()
        if row is None:
            return None
        path, fingerprint = row
        if not os.path.exists(path):
            return path, f"{path} is gone (moved or deleted)"
        if dataset_fingerprint(path) != fingerprint:
            return path, f"{Path(path).name} changed since it was last opened: results of earlier runs are for the old file"
        return path, ""


def _plain(value):
    """JSON for numpy scalars and arrays."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _run(row) -> Run:
    return Run(id=row[0], workspace=row[1], created=row[2], dataset=row[3], dataset_fingerprint=row[4],
               settings=json.loads(row[5]), metrics=json.loads(row[6]), curves=json.loads(row[7]), model=row[8],
               note=row[9])
