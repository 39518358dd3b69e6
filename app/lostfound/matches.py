"""Lost & Found's matches table: the selected post's ranked matches, the similar line, each
match's breakdown (bars drawn by ``app.lostfound.breakdown``)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QTableWidgetItem

from app.lostfound.models import MATCH_COLUMNS, format_breakdown
from core.lostfound.match import rank
from core.lostfound.store import Post


class LostFoundMatches:
    def update_matches(self) -> None:
        self._update_slider_label()
        post = self.selected_post()
        self.matches.setRowCount(0)
        if post is None:
            self.match_title.setText("Select a post to see its matches")
            return
        other = "found" if post.kind == "lost" else "lost"
        self.match_title.setText(f"Matches for #{post.id} ({post.kind}) among {other} posts")
        service = self.service
        if service is None or service.vectors is None or post.id not in set(service.vectors.ids.tolist()):
            self.match_title.setText(self.match_title.text() + " — embedding…")
            return
        settings = self.settings()
        found = rank(service.vectors, post.id, settings, service.calibration, k=20)
        posts = {p.id: p for p in self.posts_model.all_posts}
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
        cells = [thumb, QTableWidgetItem(str(m.post_id)), QTableWidgetItem(m.text()),
                 QTableWidgetItem(post.description if post else "?"),
                 QTableWidgetItem(format_breakdown(m.breakdown))]
        cells[2].setToolTip(f"score {m.score:.4f}: this pair is more alike than {m.score:.2%} of the "
                            "unrelated lost × found pairs in the store (calibrated per channel); raw "
                            f"{m.raw:.4f}: the channels' cosines, weighted as in the score, which orders "
                            "pairs with the same score")
        if m.similar:
            cells[2].setForeground(QColor("#27ae60"))
        from app.lostfound.breakdown import ROLE, breakdown_tooltip

        cells[4].setToolTip(breakdown_tooltip(m.breakdown))
        cells[4].setData(ROLE, m.breakdown)
        for col, item in enumerate(cells):
            item.setData(Qt.ItemDataRole.UserRole, m.post_id)
            self.matches.setItem(row, col, item)

    def _match_thumb_ready(self, path: str) -> None:
        for row in range(self.matches.rowCount()):
            item = self.matches.item(row, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole + 1) == path:
                item.setData(Qt.ItemDataRole.DecorationRole, self.loader.pixmap(path))
