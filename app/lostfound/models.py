"""The posts table's item model and filter, and how scores and breakdowns read as text."""
from __future__ import annotations

import bisect

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QColor

from core.lostfound.match import CHANNELS
from core.lostfound.store import Post

POST_COLUMNS = ["", "#", "Kind", "Description", "Category", "Status", "Date"]
MATCH_COLUMNS = ["", "#", "Score", "Description", "Breakdown"]
THUMB = 48
# the store's status values (Korean, as the lost-property office writes them) shown in English with
# the Korean kept; the store keeps the same values (imports, exports and the CLI read them as they are)
STATUS_LABELS = {"보관중": "Kept (보관중)", "분실": "Lost (분실)", "반환됨": "Returned (반환됨)", "returned": "Returned"}


def status_label(value: str) -> str:
    """'반환됨' -> 'Returned (반환됨)'; a value of the user's own is shown as it is."""
    return STATUS_LABELS.get(value, value)


def status_value(text: str) -> str:
    """What to store for a status as the form shows it: 'Returned (반환됨)' -> '반환됨'."""
    text = text.strip()
    return next((value for value, label in STATUS_LABELS.items() if label == text), text)


class PostsModel(QAbstractTableModel):
    """The posts, filtered in Python (a proxy model's per-row callback into Python stalled the UI
    for ~30 ms at 10k posts); photos come from ``loader`` (off the UI thread, blank until ready).

    ``all_posts`` are the store's posts, ``posts`` the rows shown (kind and text filter applied)."""

    def __init__(self, loader, parent=None) -> None:
        super().__init__(parent)
        self.all_posts: list[Post] = []
        self.posts: list[Post] = []
        self.kind = ""
        self.text = ""
        self._rows_by_image: dict[str, list[int]] = {}
        self.loader = loader
        loader.ready.connect(self._thumb_ready)

    def _thumb_ready(self, path: str) -> None:
        for row in self._rows_by_image.get(path, ()):
            self.dataChanged.emit(self.index(row, 0), self.index(row, 0), [Qt.ItemDataRole.DecorationRole])

    def set_posts(self, posts: list[Post]) -> None:
        self.all_posts = posts
        self._apply()

    def set_filter(self, kind: str, text: str) -> None:
        self.kind, self.text = kind or "", text or ""
        self._apply()

    def _accepts(self, post: Post, needle: str) -> bool:
        if self.kind and post.kind != self.kind:
            return False
        if needle:
            hay = f"{post.description} {post.category} {post.place} {post.storage_location}".lower()
            return needle in hay
        return True

    def _apply(self) -> None:
        needle = self.text.lower()
        self.beginResetModel()
        self.posts = [p for p in self.all_posts if self._accepts(p, needle)]
        self._index_rows()
        self.endResetModel()

    def _index_rows(self) -> None:
        self._rows_by_image = {}
        for row, post in enumerate(self.posts):
            if post.image:
                self._rows_by_image.setdefault(post.image, []).append(row)

    def update_posts(self, changed: list[Post], gone: list[int]) -> None:
        """Posts changed, added or gone (``all_posts``, the session's list, already says so): only
        their rows change when the filter keeps or drops each as before, and a new post (the
        highest id) is a row added at the end; else every row is filtered again (``_apply``)."""
        needle = self.text.lower()
        for post in changed:
            row, keep = self.row_of(post.id), self._accepts(post, needle)
            if row is not None and keep:
                old, self.posts[row] = self.posts[row], post
                if old.image != post.image:
                    if old.image:
                        self._rows_by_image[old.image].remove(row)
                    if post.image:
                        self._rows_by_image.setdefault(post.image, []).append(row)
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(POST_COLUMNS) - 1))
            elif row is None and keep and (not self.posts or self.posts[-1].id < post.id):
                row = len(self.posts)
                self.beginInsertRows(QModelIndex(), row, row)
                self.posts.append(post)
                if post.image:
                    self._rows_by_image.setdefault(post.image, []).append(row)
                self.endInsertRows()
            elif row is not None or keep:  # the filter's answer changed, or a post placed between rows
                self._apply()
                return
        for row in sorted((r for r in map(self.row_of, gone) if r is not None), reverse=True):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self.posts[row]
            self.endRemoveRows()
        if gone:
            self._index_rows()

    def row_of(self, post_id: int) -> int | None:
        """The row of that post, found by its id (the rows are in id order, as the store lists them)."""
        row = bisect.bisect_left(self.posts, post_id, key=lambda p: p.id)
        return row if row < len(self.posts) and self.posts[row].id == post_id else None

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.posts)

    def columnCount(self, parent=QModelIndex()) -> int:
        return len(POST_COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return POST_COLUMNS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        post = self.posts[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DecorationRole and col == 0 and post.image:
            return self.loader.pixmap(post.image)
        if role == Qt.ItemDataRole.DisplayRole:
            return ["", post.id, post.kind, post.description, post.category, status_label(post.status), post.date][col]
        if role == Qt.ItemDataRole.ForegroundRole and col == 2:
            return QColor("#c0392b") if post.kind == "lost" else QColor("#27ae60")
        if role == Qt.ItemDataRole.ToolTipRole and col == 0:
            return post.image or "no photo"
        if role == Qt.ItemDataRole.ToolTipRole and col in (3, 4):  # cut to the room the column has
            return post.description if col == 3 else post.category
        if role == Qt.ItemDataRole.UserRole:
            return post
        return None


def format_breakdown(breakdown: dict) -> str:
    parts = []
    names = {"text": "text↔text", "image": "image↔image", "cross": "text↔image"}
    for ch in CHANNELS:
        b = breakdown[ch]
        if b["raw"] is None:
            continue
        parts.append(f"{names[ch]} {b['raw']:.2f}→{b['calibrated']:.2f} ×{b['weight']:.2f}")
    gates = {"image_gate": "image gate → 0", "category_cap": "categories differ → capped"}
    parts += [gates[g] for g in breakdown["gates"]]
    return "   ".join(parts)
