"""The Albums photo grid (thumbnails with pinned / unsure marks, drag source) and the event list (drop target)."""


import json
from pathlib import Path

from PySide6.QtCore import (
    QAbstractListModel,
    QItemSelectionModel,
    QMimeData,
    QModelIndex,
    QRect,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

from app.thumbs import ThumbnailLoader
from core.albums.store import Photo
from core.paths import resource

MIME = "application/x-simscope-photo-ids"
THUMB = 150
REP = 56  # the representatives strip beside the caption
LINE = "\u2028"  # Qt's line separator: how a view draws the model's "\n"
UNSORTED, UNSURE, ERRORS, SIMILAR = "unsorted", "unsure", "errors", "similar"


def photos_text(n: int) -> str:
    return f"{n} photo" if n == 1 else f"{n} photos"



class PhotoGridModel(QAbstractListModel):
    """The photos of one group; thumbnails come from the loader as they are ready."""

    icon_ready = Signal(int)  # a row whose thumbnail came (not dataChanged: see repaint_when_ready)

    def __init__(self, loader: ThumbnailLoader, parent=None) -> None:
        super().__init__(parent)
        self.loader = loader
        self.photos: list[Photo] = []
        self.scores: dict[int, float] = {}  # photo id → similarity (the Similar view)
        self.labels: dict[int, str] = {}  # photo id → a word before its name (the Duplicates view)
        self._rows: dict[str, int] = {}
        self._placeholder = QPixmap(THUMB, THUMB)
        self._placeholder.fill(QColor("#eef1f4"))
        self._marks = {kind: QIcon(str(resource("icons", f"{kind}.svg"))) for kind in ("pin", "unsure")}
        self._marked: dict[tuple[int, str], QPixmap] = {}  # (pixmap cache key, mark) → thumbnail + mark
        loader.ready.connect(self._thumb_ready)

    def _with_mark(self, pix: QPixmap, kind: str) -> QPixmap:
        """The thumbnail with a small icon in its top-right corner (placed by you / unsure)."""
        key = (pix.cacheKey(), kind)
        out = self._marked.get(key)
        if out is None:
            if len(self._marked) > 2000:
                self._marked.clear()
            out = QPixmap(pix)
            painter = QPainter(out)
            width = int(out.deviceIndependentSize().width())  # the painter works in points on a HiDPI pixmap
            side = max(16, width // 6)
            self._marks[kind].paint(painter, QRect(width - side - 4, 4, side, side))
            painter.end()
            self._marked[key] = out
        return out

    def set_photos(self, photos: list[Photo], scores: dict[int, float] | None = None,
                   labels: dict[int, str] | None = None) -> bool:
        """``scores``: photo id → similarity, shown before the name (the Similar view);
        ``labels``: photo id → a word shown before it instead ("keep #1", the Duplicates view).
        The same photos again (a check that changed nothing, an edit elsewhere): nothing is reset, so
        the grid stays where the user scrolled it (it went back to the top: lost in 8,000 photos)
        and its selection stays. Returns whether the rows were put in again."""
        if (photos, scores or {}, labels or {}) == (self.photos, self.scores, self.labels):
            return False
        gone = self._gone(photos) if (scores or {}, labels or {}) == (self.scores, self.labels) else None
        if gone:  # photos moved out of the group: only their rows go, the grid keeps its place
            for first, last in reversed(_runs(gone)):
                self.beginRemoveRows(QModelIndex(), first, last)
                del self.photos[first:last + 1]
                self.endRemoveRows()
            self._rows = {p.path: i for i, p in enumerate(self.photos)}
            return True
        self.beginResetModel()
        self.photos = photos
        self.scores = scores or {}
        self.labels = labels or {}
        self._rows = {p.path: i for i, p in enumerate(photos)}
        self.endResetModel()
        return True

    def _gone(self, photos: list[Photo]) -> list[int] | None:
        """The rows to remove when ``photos`` are the photos shown less some, the others as they
        were and in their order; else None."""
        if len(photos) >= len(self.photos):
            return None
        gone, j = [], 0
        for i, p in enumerate(self.photos):
            if j < len(photos) and photos[j] == p:
                j += 1
            else:
                gone.append(i)
        return gone if j == len(photos) else None

    def rowCount(self, parent=QModelIndex()) -> int:  # Qt API
        return 0 if parent.isValid() else len(self.photos)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        p = self.photos[index.row()]
        if role == Qt.ItemDataRole.DecorationRole:
            pix = self.loader.pixmap(p.path) or self._placeholder
            kind = "pin" if p.pinned else "unsure" if p.unsure else None
            return self._with_mark(pix, kind) if kind else pix
        if role == Qt.ItemDataRole.DisplayRole:
            label = self.labels.get(p.id)  # on a line of its own above the name (GridCaptions)
            if label:
                return f"{label}\n{Path(p.path).name}"
            score = self.scores.get(p.id)
            return Path(p.path).name if score is None else f"{score:.2f}\n{Path(p.path).name}"
        if role == Qt.ItemDataRole.ToolTipRole:
            # the caption whole (the grid may cut the name in its middle), then where the file is
            lines = [*([self.labels[p.id]] if p.id in self.labels else []), Path(p.path).name, p.path]
            if p.id in self.scores:
                lines.append(f"Similarity {self.scores[p.id]:.3f} (cosine of the image embeddings)")
            if p.error:
                lines.append(f"Could not be read: {p.error}")
            if p.caption:
                lines.append(f"Caption: {p.caption}")
            if p.tags:
                lines.append("Tags (ImageNet labels): " + ", ".join(p.tags))
            if p.note:
                lines.append(f"Note: {p.note}")
            if p.pinned:
                lines.append("Placed by you: re-clustering leaves it here")
            if p.unsure:
                lines.append("Unsure: no example event is clearly nearest")
            return "\n".join(lines)
        if role == Qt.ItemDataRole.UserRole:
            return p
        return None

    def flags(self, index):
        return super().flags(index) | Qt.ItemFlag.ItemIsDragEnabled

    def mimeTypes(self) -> list[str]:
        return [MIME]

    def mimeData(self, indexes) -> QMimeData:
        mime = QMimeData()
        mime.setData(MIME, json.dumps([self.photos[i.row()].id for i in indexes]).encode())
        return mime

    def _thumb_ready(self, path: str) -> None:
        row = self._rows.get(path)
        if row is not None:
            self.icon_ready.emit(row)  # the grid repaints the tile (app.thumbs.repaint_when_ready)


class GridCaptions(QStyledItemDelegate):
    """The grid's captions line by line ("beats >99.9%" / "arezzo-DSCN0040.jpg"), each line cut in
    its middle with "…" to the cell's width rather than wrapped mid-name (the model's tooltip has
    the whole name)."""

    def initStyleOption(self, option: QStyleOptionViewItem, index) -> None:  # Qt API
        super().initStyleOption(option, index)
        option.features &= ~QStyleOptionViewItem.ViewItemFeature.WrapText
        if option.text and option.rect.width() > 0:
            widget = option.widget
            style = widget.style() if widget is not None else None
            margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1 if style else 3
            room = option.rect.width() - 2 * margin
            lines = option.text.replace("\n", LINE).split(LINE)  # Qt's displayText made "\n" U+2028
            option.text = LINE.join(option.fontMetrics.elidedText(line, Qt.TextElideMode.ElideMiddle, room)
                                    for line in lines)


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Sorted rows as (first, last) runs of consecutive rows."""
    runs: list[tuple[int, int]] = []
    for r in rows:
        if runs and r == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], r)
        else:
            runs.append((r, r))
    return runs


def hold_scroll(grid: QListView, value: int) -> None:
    """The grid back at ``value`` once its layout has come that far again: after a change it lays
    its photos out anew in batches, so the scroll bar's range drops and grows back, and the view
    went back towards its first photo (a photo dragged out of 8,000 unsorted: row 4,032 → 188)."""
    bar = grid.verticalScrollBar()
    waiting = getattr(grid, "_held", None)
    if waiting is not None:  # a newer change: the older wait ends
        bar.rangeChanged.disconnect(waiting)
        grid._held = None
    if value <= 0:
        return
    dropped, model = [False], grid.model()

    def changed(_low: int, high: int) -> None:
        dropped[0] = dropped[0] or high < value
        n = model.rowCount()
        laid_out = n == 0 or grid.visualRect(model.index(n - 1, 0)).isValid()  # the last photo placed
        if (dropped[0] and high >= value) or laid_out:  # back that far, or as far as it goes: the wait
            bar.rangeChanged.disconnect(changed)  # ends (a later resize must not scroll it back)
            grid._held = None
            if high >= value:
                bar.setValue(value)

    grid._held = changed
    bar.rangeChanged.connect(changed)


def select_ids(grid: QListView, ids: set[int]) -> None:
    """The grid's photos with these ids selected (the same group shown again)."""
    model, selection = grid.model(), grid.selectionModel()
    for row, photo in enumerate(model.photos if ids else []):
        if photo.id in ids:
            selection.select(model.index(row), QItemSelectionModel.SelectionFlag.Select)
