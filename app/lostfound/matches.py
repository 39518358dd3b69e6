"""Lost & Found's matches: the selected post's ranked matches, the similar line, each match's
breakdown (bars drawn by ``app.lostfound.breakdown``), and the controls of the score (the text :
image weight, the photo gate, the category cap, the similar threshold).

A widget of its own over a ``LostFoundSession``: ``show_post`` ranks a post's matches with the
session's matcher, again whenever a control or the matcher changes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDoubleSpinBox,
    QGridLayout,
    QHeaderView,
    QLabel,
    QSlider,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.lostfound.breakdown import ROLE, BreakdownDelegate, breakdown_tooltip
from app.lostfound.models import MATCH_COLUMNS, THUMB, format_breakdown
from app.lostfound.session import LostFoundSession
from core.lostfound.match import MatchSettings, rank
from core.lostfound.store import Post


def _spin(value: float, tip: str) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(0.0, 1.0)
    spin.setSingleStep(0.05)
    spin.setDecimals(2)
    spin.setValue(value)
    spin.setToolTip(tip)
    return spin


class MatchesPanel(QWidget):
    def __init__(self, session: LostFoundSession, loader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.loader = session, loader
        self.post: Post | None = None
        self.current_matches: list = []
        self.match_title = QLabel("Select a post to see its matches")
        self.match_title.setStyleSheet("font-weight: 600; font-size: 14px")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setValue(50)
        self.slider.setInvertedAppearance(True)  # value = text share: 100 sits at the "Text" end (left)
        self.slider.setToolTip("Share of the text side; the photo side gets the rest")
        self.slider_label = QLabel()
        self.image_gate = _spin(0.2, "Photo↔photo below this (calibrated) sets the score to 0")
        self.category_cap = _spin(0.1, "Different top-level categories cap the score here")
        self.threshold = _spin(0.95, "Matches at or above this are 'similar'")
        self.use_image_gate = QCheckBox("image gate")
        self.use_image_gate.setChecked(True)
        self.use_category_gate = QCheckBox("category cap")
        self.use_category_gate.setChecked(True)
        for w in (self.slider, self.image_gate, self.category_cap, self.threshold):
            w.valueChanged.connect(self.update_matches)
        for w in (self.use_image_gate, self.use_category_gate):
            w.toggled.connect(self.update_matches)
        controls = QGridLayout()
        self.text_end, self.image_end = QLabel("Text"), QLabel("Image")
        controls.addWidget(self.text_end, 0, 0)
        controls.addWidget(self.slider, 0, 1, 1, 4)
        controls.addWidget(self.image_end, 0, 5)
        controls.addWidget(self.slider_label, 0, 6)
        controls.addWidget(self.use_image_gate, 1, 0, 1, 2)
        controls.addWidget(self.image_gate, 1, 2)
        controls.addWidget(self.use_category_gate, 1, 3)
        controls.addWidget(self.category_cap, 1, 4)
        controls.addWidget(QLabel("similar ≥"), 1, 5)
        controls.addWidget(self.threshold, 1, 6)
        self.model_label = QLabel("Models: not loaded yet (they load when the page is shown)")
        self.model_label.setStyleSheet("color: #5a6a7a")
        self.matches = QTableWidget(0, len(MATCH_COLUMNS))
        self.matches.setHorizontalHeaderLabels(MATCH_COLUMNS)
        self.matches.verticalHeader().hide()
        self.matches.verticalHeader().setDefaultSectionSize(THUMB + 6)
        self.matches.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.matches.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.matches.setColumnWidth(0, THUMB + 10)
        self.matches.setColumnWidth(1, 40)
        # 'beats >99.9%' over 'raw 0.612', measured in the table's own font
        self.matches.setColumnWidth(2, self.matches.fontMetrics().horizontalAdvance("beats >99.9%") + 14)
        self.matches.setColumnWidth(4, 210)  # the breakdown bars need their room; the description takes the rest
        self.matches.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.matches.setWordWrap(True)
        self.breakdown_delegate = BreakdownDelegate(self.matches)  # bars per channel, numbers on hover
        self.matches.setItemDelegateForColumn(4, self.breakdown_delegate)
        from app.viewer import open_on_activate

        self.viewer = None
        open_on_activate(self.matches, self.open_viewer)  # double-click or Space: the match's photo large
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.match_title)
        layout.addLayout(controls)
        layout.addWidget(self.model_label)
        layout.addWidget(self.matches, 1)
        loader.ready.connect(self._thumb_ready)
        session.service_changed.connect(lambda _: self.update_matches())
        self._update_slider_label()

    def settings(self) -> MatchSettings:
        return MatchSettings(
            text_weight=self.slider.value() / 100, image_gate=self.image_gate.value(),
            category_cap=self.category_cap.value(), similar_threshold=self.threshold.value(),
            use_image_gate=self.use_image_gate.isChecked(), use_category_gate=self.use_category_gate.isChecked())

    def show_post(self, post: Post | None) -> None:
        self.post = post
        self.update_matches()

    def _update_slider_label(self) -> None:
        w = self.slider.value() / 100
        self.slider_label.setText(f"{w:.2f} : {1 - w:.2f}")

    def update_matches(self) -> None:
        self._update_slider_label()
        post = self.post
        self.matches.setRowCount(0)
        if post is None:
            self.match_title.setText("Select a post to see its matches")
            return
        other = "found" if post.kind == "lost" else "lost"
        self.match_title.setText(f"Matches for #{post.id} ({post.kind}) among {other} posts")
        service = self.session.service
        if service is None or service.vectors is None or post.id not in set(service.vectors.ids.tolist()):
            self.match_title.setText(self.match_title.text() + " — embedding…")
            return
        settings = self.settings()
        found = rank(service.vectors, post.id, settings, service.calibration, k=20)
        posts = {p.id: p for p in self.session.posts}
        line_drawn = False
        for m in found:
            if not m.similar and not line_drawn:
                self._threshold_row(settings.similar_threshold)
                line_drawn = True
            self._match_row(m, posts.get(m.post_id))
        if not line_drawn:
            self._threshold_row(settings.similar_threshold)
        self.current_matches = found

    def _threshold_row(self, threshold: float) -> None:
        row = self.matches.rowCount()
        self.matches.insertRow(row)
        item = QTableWidgetItem(f"──────── similar ≥ {threshold:.2f} above this line ────────")
        item.setForeground(QColor("#c0392b"))
        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        self.matches.setItem(row, 0, item)
        self.matches.setSpan(row, 0, 1, len(MATCH_COLUMNS))
        self.matches.setRowHeight(row, 22)

    def _match_row(self, m, post: Post | None) -> None:
        row = self.matches.rowCount()
        self.matches.insertRow(row)
        thumb = QTableWidgetItem()
        if post is not None and post.image:
            thumb.setData(Qt.ItemDataRole.DecorationRole, self.loader.pixmap(post.image))
            thumb.setData(Qt.ItemDataRole.UserRole + 1, post.image)
        # 'beats 97.9%' over 'raw 0.475': two lines that fit the column (one was cut mid-number)
        cells = [thumb, QTableWidgetItem(str(m.post_id)), QTableWidgetItem(m.text().replace(" · ", "\n")),
                 QTableWidgetItem(post.description if post else "?"),
                 QTableWidgetItem(format_breakdown(m.breakdown))]
        cells[2].setToolTip(f"score {m.score:.4f}: this pair is more alike than {m.score:.2%} of the "
                            "unrelated lost × found pairs in the store (calibrated per channel); raw "
                            f"{m.raw:.4f}: the channels' cosines, weighted as in the score, which orders "
                            "pairs with the same score")
        if m.similar:
            cells[2].setForeground(QColor("#27ae60"))
        if post is not None:
            cells[3].setToolTip(post.description)  # the whole text where a narrow window cuts it
        cells[4].setToolTip(breakdown_tooltip(m.breakdown))
        cells[4].setData(ROLE, m.breakdown)
        for col, item in enumerate(cells):
            item.setData(Qt.ItemDataRole.UserRole, m.post_id)
            self.matches.setItem(row, col, item)

    def open_viewer(self, row: int):
        """The selected post's photo and its matches' photos in the viewer (← → step through them,
        the post first), at match ``row`` of the table (-1: the post's own); each with its post's
        kind, description and place, and the match's score. None where that row has no photo."""
        from app.lostfound.models import status_label
        from app.viewer import PhotoViewer

        post = self.post
        if post is None:
            return None
        posts = {p.id: p for p in self.session.posts}
        shown = [(post, None)] + [(posts.get(m.post_id), m) for m in self.current_matches]
        shown = [(p, m) for p, m in shown if p is not None and p.image]
        item = self.matches.item(row, 1) if row >= 0 else None
        wanted = post.id if row < 0 else (item.data(Qt.ItemDataRole.UserRole) if item is not None else None)
        at = next((i for i, (p, _m) in enumerate(shown) if p.id == wanted), None)
        if at is None:
            return None
        rows = {}
        for p, m in shown:
            kind = "Lost (분실)" if p.kind == "lost" else "Found (습득)"
            rows.setdefault(p.image, [("Post", f"#{p.id} · {kind}"), ("Description", p.description or "–"),
                                      ("Category", p.category or "–"), ("Place", p.place or "–"),
                                      ("Status", status_label(p.status) or "–")]
                            + ([("Match", f"{m.text()} for #{post.id}")] if m is not None else
                               [("Matches", f"{len(shown) - 1} with a photo, in order (→)")]))
        if self.viewer is not None:
            self.viewer.close()
        self.viewer = PhotoViewer([p.image for p, _m in shown], at, self, details=lambda path: rows.get(path, []),
                                  title=f"#{post.id} and its matches", details_in_thread=False)  # a look-up
        self.viewer.show()
        return self.viewer

    def _thumb_ready(self, path: str) -> None:
        for row in range(self.matches.rowCount()):
            item = self.matches.item(row, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole + 1) == path:
                item.setData(Qt.ItemDataRole.DecorationRole, self.loader.pixmap(path))
