"""The Albums event list: a model of the rows (events by date, Unsorted / Unsure / Could not read, a
search's results) and a list view over it that is a drop target for photos.

A model, not a ``QListWidget`` of items: a library's thousands of events cost one Python list, and
the view asks only for the rows it paints, so only their thumbnails are requested (from the shared
``ThumbnailLoader``) and a row's tooltip is read from the store when it is hovered.
The view keeps the few ``QListWidget`` calls the page's callers use (``item(row).data / text /
setSelected``, ``count``, ``setCurrentRow``, ``currentItem``, ``visualItemRect``, ``scrollToItem``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QAbstractListModel, QItemSelectionModel, QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import QAbstractItemView, QListView

from app.albums.grid import ERRORS, MIME, UNSURE
from app.thumbs import ThumbnailLoader, repaint_when_ready

KEY, COVER = Qt.ItemDataRole.UserRole, Qt.ItemDataRole.UserRole + 1


@dataclass
class Row:
    key: object  # an event id, UNSORTED / UNSURE / ERRORS / SIMILAR
    text: str | Callable[[], str]  # two lines: the name, then its count (and dates); made when first shown
    cover: int | None = None  # the photo shown as its icon (events): its id, its path read when shown
    tooltip: str | None = None  # None: an event's, read from the store when hovered
    colour: str | None = None


class EventListModel(QAbstractListModel):
    """The rows; an event's icon is its cover's thumbnail, asked for when the view paints it."""

    icon_ready = Signal(int)  # a row whose cover's thumbnail came (not dataChanged: see repaint_when_ready)

    def __init__(self, loader: ThumbnailLoader, tile, tooltip, paths_of, parent=None) -> None:
        super().__init__(parent)
        # tile(key) -> QIcon; tooltip(key) -> str; paths_of([photo id]) -> {id: path}
        self.loader, self._tile, self._tooltip, self._paths_of = loader, tile, tooltip, paths_of
        self.rows: list[Row] = []
        self._paths: dict[int, str | None] = {}  # cover id → path, for the rows shown so far
        self._by_cover: dict[str, set[int]] = {}  # path → rows showing it (repainted when it is ready)
        self._icons: dict[str, QIcon] = {}  # cover → its icon (QIcon keeps its scaled copy)
        self.requested: set[str] = set()  # covers asked of the loader since the last set_rows (tests)
        loader.ready.connect(self._thumb_ready)

    def set_rows(self, rows: list[Row]) -> None:
        self.beginResetModel()
        self.rows = rows
        self._paths, self._by_cover = {}, {}
        if len(self._icons) > 500:
            self._icons.clear()
        self.requested = set()
        self.endResetModel()

    def put_row(self, row: Row) -> None:
        """``row`` in place of the row with its key, else added at the end (the other rows kept)."""
        at = next((i for i in range(len(self.rows) - 1, -1, -1) if self.rows[i].key == row.key), None)
        if at is None:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows))
            self.rows.append(row)
            self.endInsertRows()
        else:
            self.rows[at] = row
            self.dataChanged.emit(self.index(at), self.index(at))

    def keys(self) -> list:
        return [r.key for r in self.rows]

    def rowCount(self, parent=QModelIndex()) -> int:  # Qt API
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        r = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            if callable(r.text):
                r.text = r.text()
            return r.text
        if role == Qt.ItemDataRole.DecorationRole:
            return self._icon(index.row())
        if role == KEY:
            return r.key
        if role == COVER:
            return self.cover_path(index.row())
        if role == Qt.ItemDataRole.ToolTipRole:
            return r.tooltip if r.tooltip is not None else self._tooltip(r.key)
        if role == Qt.ItemDataRole.ForegroundRole and r.colour:
            return QColor(r.colour)
        return None

    def cover_path(self, row: int) -> str | None:
        r = self.rows[row]
        if r.cover is None:
            return None
        if r.cover not in self._paths:  # the rows painted: a few at a time
            self._paths[r.cover] = self._paths_of([r.cover]).get(r.cover)
        path = self._paths[r.cover]
        if path is not None:
            self._by_cover.setdefault(path, set()).add(row)
        return path

    def _icon(self, row: int) -> QIcon:
        r = self.rows[row]
        path = self.cover_path(row)
        if path is None:
            return self._tile(r.key if r.cover is None else None)
        icon = self._icons.get(path)
        if icon is None:
            self.requested.add(path)
            pix = self.loader.pixmap(path)
            if pix is None:
                return self._tile(None)  # on its way: _thumb_ready repaints the row
            icon = self._icons[path] = QIcon(pix)
        return icon

    def _thumb_ready(self, path: str) -> None:
        for row in self._by_cover.get(path, ()):
            self.icon_ready.emit(row)  # the view repaints the row (app.thumbs.repaint_when_ready)


class _Item:
    """A row as the few ``QListWidgetItem`` calls the page's callers make."""

    def __init__(self, view: EventListView, row: int) -> None:
        self.view, self.row = view, row

    def index(self) -> QModelIndex:
        return self.view.model().index(self.row)

    def data(self, role):
        return self.index().data(role)

    def text(self) -> str:
        return self.data(Qt.ItemDataRole.DisplayRole)

    def setSelected(self, on: bool) -> None:
        flag = QItemSelectionModel.SelectionFlag.Select if on else QItemSelectionModel.SelectionFlag.Deselect
        self.view.selectionModel().select(self.index(), flag)

    def isSelected(self) -> bool:
        return self.view.selectionModel().isSelected(self.index())


class EventListView(QListView):
    """Events (and Unsorted / Unsure / Could not read); photos dropped on one move there."""

    photos_dropped = Signal(list, object)  # photo ids, target key (event id or UNSORTED)
    current_changed = Signal()

    def __init__(self, model: EventListModel, parent=None) -> None:
        super().__init__(parent)
        self.setModel(model)
        repaint_when_ready(self, model)
        self.selectionModel().currentChanged.connect(lambda *_: self.current_changed.emit())
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setIconSize(QSize(56, 56))
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSpacing(2)
        self.setUniformItemSizes(True)  # every row two lines and a 56 px icon: no row measured
        # long names end in "…" (the full name is the tooltip), never a sideways scrollbar
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setWordWrap(False)

    # -- the QListWidget calls kept -------------------------------------------------------
    def count(self) -> int:
        return self.model().rowCount()

    def item(self, row: int) -> _Item | None:
        return _Item(self, row) if 0 <= row < self.count() else None

    def currentRow(self) -> int:
        return self.currentIndex().row()

    def currentItem(self) -> _Item | None:
        return self.item(self.currentRow())

    def setCurrentRow(self, row: int) -> None:
        flag = QItemSelectionModel.SelectionFlag.ClearAndSelect
        self.selectionModel().setCurrentIndex(self.model().index(row), flag)

    def selectedItems(self) -> list[_Item]:
        return [_Item(self, i.row()) for i in sorted(self.selectionModel().selectedIndexes(), key=QModelIndex.row)]

    def visualItemRect(self, item: _Item):
        return self.visualRect(item.index())

    def scrollToItem(self, item: _Item | None, hint=QAbstractItemView.ScrollHint.EnsureVisible) -> None:
        if item is not None:
            self.scrollTo(item.index(), hint)

    def itemAt(self, pos) -> _Item | None:
        index = self.indexAt(pos)
        return _Item(self, index.row()) if index.isValid() else None

    # -- photos dropped -----------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(MIME):
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        item = self.itemAt(event.position().toPoint())
        ok = item is not None and item.data(KEY) not in (UNSURE, ERRORS)
        event.setAccepted(ok and event.mimeData().hasFormat(MIME))

    def dropEvent(self, event) -> None:
        item = self.itemAt(event.position().toPoint())
        if item is None or not event.mimeData().hasFormat(MIME):
            return
        ids = json.loads(bytes(event.mimeData().data(MIME)).decode())
        self.photos_dropped.emit(ids, item.data(KEY))
        event.acceptProposedAction()
