"""Logos › Duplicates: perceptual-hash groups of the same picture, with a ticked keeper saved beside the index."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.logos.session import LogoSession
from app.thumbs import ThumbnailLoader
from app.widgets import EmptyHint
from core.jobs import Lane


class DuplicatesTab(QWidget):
    """``session``: the shared index (and where the groups go); ``jobs`` hashes the pictures, each
    hash kept in ``cache``; ``loader`` draws the thumbnails."""

    message = Signal(str)  # for this tab's note
    status = Signal(str)  # for the note of whichever tab is showing

    def __init__(self, session: LogoSession, jobs, cache, loader: ThumbnailLoader,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.jobs, self.cache, self.loader = session, jobs, cache, loader
        self.keep: dict[int, str] = {}
        self._bits = None
        self._dup_items: dict[str, list] = {}
        self._build()
        loader.ready.connect(self._thumb_ready)

    @property
    def groups(self) -> list:
        return self.session.groups

    def _build(self) -> None:
        self.dup_threshold = QSpinBox()
        self.dup_threshold.setRange(0, 32)
        self.dup_threshold.setValue(4)
        self.dup_threshold.setToolTip("Perceptual-hash bits (of 64) that may differ")
        self.dup_threshold.valueChanged.connect(self._regroup_duplicates)
        find = QPushButton("Find duplicates")
        find.clicked.connect(self.find_duplicates)
        self.dup_tree = QTreeWidget()
        self.dup_tree.setHeaderLabels(["File", "Hash distance", "Keep"])
        self.dup_tree.setIconSize(QSize(48, 48))
        self.dup_tree.setColumnWidth(0, 520)
        self.dup_tree.itemChanged.connect(self._keep_changed)
        EmptyHint(self.dup_tree, lambda: (
            "Index a folder of logos first (Index folder… in the tool bar)" if self.session.index is None
            else "Find duplicates looks for the same picture among the indexed logos" if self._bits is None
            else f"No two logos are within {self.dup_threshold.value()} bits: raise the distance to see near ones"))
        self.dup_label = QLabel("Duplicates are the same picture (perceptual hash, or an embedding cosine ≥ 0.985); "
                                "look-alikes are the similar ones (top-k). Tick the one to keep in each group.")
        self.dup_label.setWordWrap(True)
        v = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(find)
        row.addWidget(QLabel("distance ≤"))
        row.addWidget(self.dup_threshold)
        row.addStretch(1)
        v.addLayout(row)
        v.addWidget(self.dup_label)
        v.addWidget(self.dup_tree, 1)

    # -- duplicates -------------------------------------------------------------------
    def find_duplicates(self):
        if self.session.index is None:
            self.status.emit("Index a folder first.")
            return None
        files, cache = list(self.session.index.files), self.cache

        def work(progress, cancelled):
            from core.logos.dedup import phashes

            return phashes(files, cache, progress, cancelled)

        def done(result):
            self._bits = result
            self._regroup_duplicates()

        return self.jobs.submit(work, "Logos: perceptual hashes", Lane.IO, on_done=done,
                                on_error=lambda job: self.status.emit(f"{job.name} failed: {job.error}"))

    def _regroup_duplicates(self) -> None:
        if self._bits is None:
            return
        from core.logos.dedup import duplicate_groups

        bits, ok, errors = self._bits
        index = self.session.index
        rows = {f: i for i, f in enumerate(index.files)}
        vectors = index.vectors[[rows[f] for f in ok]] if all(f in rows for f in ok) else None
        # the same picture: hash distance within the threshold, or an almost identical embedding
        self.session.set_groups(duplicate_groups(bits, ok, self.dup_threshold.value(), vectors=vectors))
        self.dup_tree.blockSignals(True)
        self.dup_tree.clear()
        self._dup_items = {}
        for g_i, g in enumerate(self.groups):
            keep = self.keep.get(g_i, g.keep) if self.keep.get(g_i) in g.files else g.keep
            top = QTreeWidgetItem([f"Group {g_i + 1}: {len(g.files)} files", "", ""])
            for f, d in zip(g.files, g.distances, strict=True):
                child = QTreeWidgetItem([f"{Path(f).name}    ({Path(f).parent})", str(d), ""])
                child.setToolTip(0, f)
                child.setData(0, Qt.ItemDataRole.UserRole + 1, f)
                child.setCheckState(2, Qt.CheckState.Checked if f == keep else Qt.CheckState.Unchecked)
                child.setData(0, Qt.ItemDataRole.UserRole, g_i)
                pix = self.loader.pixmap(f)
                if pix is not None:
                    child.setIcon(0, QIcon(pix))
                self._dup_items.setdefault(f, []).append(child)
                top.addChild(child)
            self.dup_tree.addTopLevelItem(top)
            top.setExpanded(g_i < 20)
        self.dup_tree.blockSignals(False)
        n_dup = sum(len(g.files) - 1 for g in self.groups)
        self.dup_label.setText(f"{len(self.groups)} groups, {n_dup} duplicates among {len(ok)} logos "
                               f"(hash distance ≤ {self.dup_threshold.value()} of 64 bits)"
                               + (f"; {len(errors)} could not be hashed" if errors else "")
                               + ". Tick the one to keep in each group; the choice is saved with the index.")

    def _keep_changed(self, item, column: int) -> None:
        if column != 2 or item.checkState(2) != Qt.CheckState.Checked:
            return
        g_i = item.data(0, Qt.ItemDataRole.UserRole)
        self.keep[g_i] = item.data(0, Qt.ItemDataRole.UserRole + 1)
        self.dup_tree.blockSignals(True)
        parent = item.parent()
        for i in range(parent.childCount()):
            other = parent.child(i)
            if other is not item:
                other.setCheckState(2, Qt.CheckState.Unchecked)
        self.dup_tree.blockSignals(False)
        choices = {"threshold": self.dup_threshold.value(),
                   "groups": [{"keep": self.keep.get(i, g.keep), "files": g.files} for i, g in enumerate(self.groups)]}
        from core.fileio import atomic_write_text

        atomic_write_text(self.session.index_dir / "duplicates.json", json.dumps(choices, ensure_ascii=False, indent=1))

    def _thumb_ready(self, path: str) -> None:
        for item in self._dup_items.get(path, []):
            item.setIcon(0, QIcon(self.loader.pixmap(path)))
