"""Logos › Look-alikes: drop, paste or pick a query logo; its top-k look-alikes and a compare pane.

A query that is in the index is answered at once; any other one is embedded on the model worker.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.logos.session import LogoSession
from app.logos.well import THUMB, QueryWell, load_logo_large, logo_info, logo_pixmap
from app.thumbs import ThumbnailLoader
from app.viewer import PhotoViewer, open_on_activate
from app.widgets import EmptyHint
from core.jobs import Lane, Priority
from core.logos.index import PART_MARGIN
from core.paths import data_dir


class LookalikesTab(QWidget):
    """``session``: the shared index and query; ``jobs``: the job queue (a query from outside the
    index is embedded there with ``models``); ``settings``: where the last query is kept (or None)."""

    message = Signal(str)  # for this tab's note
    status = Signal(str)  # for the note of whichever tab is showing
    wanted = Signal()  # a new query: show this tab

    def __init__(self, session: LogoSession, jobs, models, loader: ThumbnailLoader, settings=None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.jobs, self.models, self.loader, self.settings = session, jobs, models, loader, settings
        self.hits = []
        # the limits: the page shows them in its tool bar
        self.k = QSpinBox()
        self.k.setRange(1, 200)
        self.k.setValue(12)
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(-1.0, 1.0)
        self.threshold.setSingleStep(0.05)
        self.threshold.setValue(0.0)
        self.threshold.setToolTip("Only look-alikes with at least this cosine score")
        for w in (self.k, self.threshold):
            w.valueChanged.connect(self.update_hits)
        self._build()
        loader.ready.connect(self._thumb_ready)
        session.index_changed.connect(self._index_changed)
        session.query_changed.connect(self.update_hits)

    def _build(self) -> None:
        self.well = QueryWell()
        self.well.dropped.connect(self.set_query)
        self.results = QListWidget()
        self.results.setViewMode(QListView.ViewMode.IconMode)
        self.results.setIconSize(QSize(THUMB, THUMB))
        self.results.setGridSize(QSize(THUMB + 40, THUMB + 44))
        self.results.setResizeMode(QListView.ResizeMode.Adjust)
        self.results.setMovement(QListView.Movement.Static)
        self.results.setWordWrap(True)
        self.results.currentRowChanged.connect(self.compare)
        self.results.setToolTip("Double-click or Space: the look-alikes large, beside the query (← → to step)")
        self.viewer = None
        open_on_activate(self.results, self.open_viewer)
        s = self.session
        EmptyHint(self.results, lambda: (
            "Index a folder of logos (Index folder…), then drop, paste or pick a logo: its look-alikes appear here"
            if s.index is None else "Drop, paste (Ctrl+V) or pick a logo: its look-alikes appear here"
            if s.query_vector is None or not s.query_path else
            f"No look-alike scores {self.threshold.value():.2f} or more: lower 'score ≥'"))
        self.compare_left = QLabel()
        self.compare_right = QLabel()
        for w in (self.compare_left, self.compare_right):
            w.setFixedSize(220, 220)
            w.setAlignment(Qt.AlignmentFlag.AlignCenter)
            w.setStyleSheet("border: 1px solid #d5dbe1; background: white")
        self.compare_text = QLabel("Click a look-alike to compare it with the query")
        self.compare_text.setWordWrap(True)
        left = QVBoxLayout()
        left.addWidget(self.well)
        self.index_label = QLabel("No index yet: Index folder…")
        self.index_label.setWordWrap(True)
        self.index_label.setFixedWidth(200)
        left.addWidget(self.index_label)
        left.addStretch(1)
        compare = QGridLayout()
        compare.addWidget(QLabel("Query"), 0, 0)
        compare.addWidget(QLabel("Look-alike"), 0, 1)
        compare.addWidget(self.compare_left, 1, 0)
        compare.addWidget(self.compare_right, 1, 1)
        compare.addWidget(self.compare_text, 2, 0, 1, 2)
        right = QVBoxLayout()
        right.addWidget(self.results, 1)
        right.addLayout(compare)
        h = QHBoxLayout(self)
        h.addLayout(left)
        h.addLayout(right, 1)

    def _index_changed(self, index) -> None:
        model = index.meta.get("model", {})
        folder = index.meta.get("folder", "?")
        shown = self.index_label.fontMetrics().elidedText(folder, Qt.TextElideMode.ElideMiddle, 190)
        self.index_label.setToolTip(folder)  # a long path does not wrap mid-word and cut off
        self.index_label.setText(f"Index: {len(index)} logos from\n{shown}\n"
                                 f"model: {model.get('preset', '?')}; {len(index.part_files)} wordmarks "
                                 f"searched by their icon too")
        self.update_hits()

    # -- query ----------------------------------------------------------------------
    def paste_query(self):
        image = QGuiApplication.clipboard().image()
        if image.isNull():
            self.status.emit("The clipboard holds no image.")
            return None
        path = data_dir() / "logos" / f"pasted-{int(time.time() * 1000)}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(str(path))
        return self.set_query(str(path))

    def set_query(self, path: str):
        """Look up a logo: at once when it is in the index, else as a job on the model worker."""
        s = self.session
        s.query_path = path
        if self.settings is not None:
            self.settings.set_raw("logos/last_query", str(Path(path).resolve()))
        self.well.show_logo(path)
        self.wanted.emit()
        if s.index is None:
            self.message.emit("Index a folder first (Index folder…).")
            return None
        vector = s.index.vector_of(str(Path(path)))
        if vector is not None:  # in the index: at once
            s.set_query_vectors(vector, s.index.part_of(str(Path(path))))
            return None
        model = s.index.meta.get("model", {})
        choice = model.get("checkpoint") or model.get("preset") or "effnet-lite0"
        models = self.models

        def work(progress, cancelled):
            from core.logos.index import embed_query
            from core.logos.service import load_encoder

            return embed_query(path, load_encoder(models, choice, progress, cancelled), part=True)

        def done(vectors):
            if path == s.query_path:
                s.set_query_vectors(*vectors)

        return self.jobs.submit(work, f"Logos: look up {Path(path).name}", Lane.MODEL, on_done=done,
                                on_error=self._failed, priority=Priority.INTERACTIVE)

    def update_hits(self) -> None:
        s = self.session
        self.results.clear()
        self.hits = []
        self._clear_compare()
        if s.index is None or s.query_vector is None or not s.query_path:
            return
        self.hits = s.index.search(s.query_vector, self.k.value(), self.threshold.value(),
                                   exclude=str(Path(s.query_path)), query_part=s.query_part)
        for h in self.hits:
            item = QListWidgetItem(f"{h.score:.3f}{' · icon' if h.via else ''}\n{Path(h.file).name}")
            item.setToolTip(f"{h.file}\nscore {h.score:.4f} (rank {h.rank})"
                            + (f"\nmatched by {h.via} (a part counts {PART_MARGIN} less)" if h.via else ""))
            item.setData(Qt.ItemDataRole.UserRole, h.file)
            pix = self.loader.pixmap(h.file)
            if pix is not None:
                item.setIcon(QIcon(pix))
            self.results.addItem(item)
        if self.hits:
            self.results.setCurrentRow(0)  # the compare pane shows this query beside its best look-alike
        self.message.emit(f"{len(self.hits)} look-alikes" + (f" with score ≥ {self.threshold.value():.2f}"
                                                             if self.threshold.value() > -1 else ""))

    def _thumb_ready(self, path: str) -> None:
        for i in range(self.results.count()):
            item = self.results.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == path:
                item.setIcon(QIcon(self.loader.pixmap(path)))

    def _clear_compare(self) -> None:
        self.compare_left.clear()
        self.compare_right.clear()
        self.compare_text.setText("Click a look-alike to compare it with the query")

    def compare(self, row: int) -> None:
        query = self.session.query_path
        if row < 0 or row >= len(self.hits) or not query:
            return
        hit = self.hits[row]
        self.compare_left.setPixmap(logo_pixmap(query, 210))
        self.compare_right.setPixmap(logo_pixmap(hit.file, 210))
        self.compare_text.setText(f"{Path(query).name}  ↔  {Path(hit.file).name}: score {hit.score:.3f}, "
                                  f"rank {hit.rank}" + (f", matched by {hit.via}" if hit.via else ""))

    def open_viewer(self, row: int):
        """The query and its look-alikes in the viewer, at look-alike ``row`` (← → step through
        them, the query first): drawings rendered large, each with its score and rank."""
        query = self.session.query_path
        if not query or not 0 <= row < len(self.hits):
            return None
        hits = {h.file: h for h in self.hits}

        def details(path: str) -> list[tuple[str, str]]:
            hit = hits.get(path)
            if hit is None:
                return [("Look-alikes of", "this logo: the query")]
            return [("Look-alike", f"score {hit.score:.3f}, rank {hit.rank}"
                     + (f", matched by {hit.via}" if hit.via else "")), ("Query", Path(query).name)]

        if self.viewer is not None:
            self.viewer.close()
        self.viewer = PhotoViewer([query] + [h.file for h in self.hits], row + 1, self, details=details,
                                  loader=load_logo_large, title=f"Look-alikes of {Path(query).name}",
                                  info=logo_info, details_in_thread=False)  # a look-up: no "…" flash
        self.viewer.show()
        return self.viewer

    def _failed(self, job) -> None:
        self.status.emit(f"{job.name} failed: {job.error}")
