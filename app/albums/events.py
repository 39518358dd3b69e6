"""The Albums events panel (left): the word search, the events (and Unsorted / Unsure / Could not
read, and a search's results) with their thumbnails, Merge and Dissolve."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from app.albums.grid import ERRORS, SIMILAR, UNSORTED, UNSURE, EventList, photos_text
from app.albums.session import AlbumSession
from app.thumbs import ThumbnailLoader

_GLYPHS = {UNSORTED: QStyle.StandardPixmap.SP_DirIcon, UNSURE: QStyle.StandardPixmap.SP_MessageBoxQuestion,
           ERRORS: QStyle.StandardPixmap.SP_MessageBoxWarning, SIMILAR: QStyle.StandardPixmap.SP_FileDialogContentsView}


class EventsPanel(QWidget):
    """Lists the session's groups (``fill``); choosing one emits ``selected``. The actions on
    events are asked for by signals (the edits do them)."""

    selected = Signal(object)  # the key of the group chosen (event id, UNSORTED, …, SIMILAR)
    merge_requested = Signal(list)  # the selected events' ids (events only, in list order)
    dissolve_requested = Signal(object)  # the current key
    rename_requested = Signal(object)  # the current key (the list's menu: Rename…)
    photos_dropped = Signal(list, object)  # photo ids, the key of the group they were dropped on
    search_requested = Signal(str)  # Enter in the word search
    search_cleared = Signal()  # the word search was emptied

    def __init__(self, session: AlbumSession, loader: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.loader = session, loader
        self._tiles: dict = {}
        self._icons_waiting = False
        self.list = EventList()
        self.list.currentItemChanged.connect(lambda *_: self.selected.emit(self.current_key()))
        self.list.photos_dropped.connect(self.photos_dropped)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        self.merge_button = QPushButton("Merge")
        self.merge_button.setToolTip("Merge the selected events into the first one")
        self.merge_button.clicked.connect(lambda: self.merge_requested.emit(self.selected_events()))
        self.delete_button = QPushButton("Dissolve")
        self.delete_button.setToolTip("Remove the event; its photos become unsorted")
        self.delete_button.clicked.connect(lambda: self.dissolve_requested.emit(self.current_key()))
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by words: beach, 생일 케이크…")
        self.search.setToolTip("Finds photos by their notes, captions and tags (any language), "
                               "or by CLIP when the image model is CLIP. Enter to search.")
        self.search.setClearButtonEnabled(True)
        self.search.returnPressed.connect(lambda: self.search_requested.emit(self.search.text()))
        self.search.textChanged.connect(lambda text: text or self.search_cleared.emit())
        lv = QVBoxLayout(self)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.search)
        lv.addWidget(QLabel("Events"))
        lv.addWidget(self.list, 1)
        row = QHBoxLayout()
        row.addWidget(self.merge_button)
        row.addWidget(self.delete_button)
        lv.addLayout(row)

    def current_key(self):
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def keys(self) -> list:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def selected_events(self) -> list[int]:
        ids = [i.data(Qt.ItemDataRole.UserRole) for i in self.list.selectedItems()]
        return [i for i in ids if isinstance(i, int)]

    def fill(self) -> None:
        """The store's events and groups, and a search's results; the session's current group
        selected again (the first event when only Unsorted was listed before). Emits nothing:
        the caller shows the group that is selected now."""
        store, current = self.session.store, self.session.current
        events_list = self.list
        if events_list.count() <= 1:  # only Unsorted before: open the first event
            current = None
        events_list.blockSignals(True)
        events_list.clear()
        for e in store.events():
            tag = " · by example" if e.by_example else ""
            item = QListWidgetItem(self._tile(None), f"{e.name}\n{photos_text(e.photo_count)}{tag}")
            item.setData(Qt.ItemDataRole.UserRole, e.id)
            item.setToolTip("\n".join(t for t in (e.name, e.caption or ", ".join(e.tags)) if t))
            reps = e.prototypes or e.representatives
            if reps:
                item.setData(Qt.ItemDataRole.UserRole + 1, reps[0])
            events_list.addItem(item)
        counts = store.group_counts()
        for key, label in ((UNSORTED, "Unsorted"), (UNSURE, "Unsure"), (ERRORS, "Could not read")):
            n = counts[key]
            if n or key == UNSORTED:
                item = QListWidgetItem(self._tile(key), f"{label}\n{photos_text(n)}")
                item.setData(Qt.ItemDataRole.UserRole, key)
                item.setForeground(QColor("#5a6a7a" if key != ERRORS else "#b0413e"))
                events_list.addItem(item)
        if self.session.similar is not None:
            source, hits, kind = self.session.similar
            title = {"words": f"Words: {source}", "duplicates": "Duplicates & bursts"}.get(
                kind, f"Similar to {Path(source).name}")
            item = QListWidgetItem(self._tile(SIMILAR), f"{title}\n{photos_text(len(hits))}")
            item.setData(Qt.ItemDataRole.UserRole, SIMILAR)
            item.setToolTip(f"The photos matching “{source}”" if kind == "words"
                            else f"The photos nearest {source} across the album")
            events_list.addItem(item)
        self.update_icons()
        keys = self.keys()
        events_list.setCurrentRow(keys.index(current) if current in keys else 0)
        events_list.blockSignals(False)
        events_list.scrollToItem(events_list.currentItem())  # the last event too, not cut off at the bottom

    def scroll_to_current(self) -> None:
        self.list.scrollToItem(self.list.currentItem())

    def _tile(self, key) -> QIcon:
        """A plain tile of the list's icon size (an event whose thumbnail is on its way), or one with
        a glyph for Unsorted / Unsure / Could not read, so every name starts at the same place."""
        if key not in self._tiles:
            size = self.list.iconSize()
            pix = QPixmap(size)
            pix.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pix)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#e6ebf0"))
            painter.drawRoundedRect(0, 0, size.width(), size.height(), 6, 6)
            if key in _GLYPHS:
                glyph = min(size.width(), size.height()) // 2
                rect = QRect((size.width() - glyph) // 2, (size.height() - glyph) // 2, glyph, glyph)
                self.style().standardIcon(_GLYPHS[key]).paint(painter, rect)
            painter.end()
            self._tiles[key] = QIcon(pix)
        return self._tiles[key]

    def update_icons(self, *_) -> None:
        """Each event's first representative as its icon; those still loading, once they are ready."""
        by_id: dict = {}
        for i in range(self.list.count()):
            item = self.list.item(i)
            pid = item.data(Qt.ItemDataRole.UserRole + 1)
            if pid is not None:
                by_id.setdefault(pid, []).append(item)
        if not by_id:
            return
        paths = self.session.store.paths_of(list(by_id))
        missing = False
        for pid, items in by_id.items():
            pix = self.loader.pixmap(paths.get(pid, "")) if pid in paths else None
            missing = missing or (pid in paths and pix is None)
            for item in items:
                item.setIcon(QIcon(pix) if pix else self._tile(None))
        if missing and not self._icons_waiting:  # one refresh for the whole list, not one per photo
            self._icons_waiting = True
            self.loader.ready.connect(self._icons_soon)

    def _icons_soon(self, *_) -> None:
        self.loader.ready.disconnect(self._icons_soon)
        self._icons_waiting = False
        QTimer.singleShot(50, self.update_icons)

    def _menu(self, pos) -> None:
        menu = QMenu(self)
        menu.addAction("Rename…", lambda: self.rename_requested.emit(self.current_key()))
        menu.addAction("Merge selected", lambda: self.merge_requested.emit(self.selected_events()))
        menu.addAction("Dissolve", lambda: self.dissolve_requested.emit(self.current_key()))
        menu.popup(self.list.mapToGlobal(pos))
