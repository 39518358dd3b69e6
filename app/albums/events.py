"""The Albums events panel (left): the word search, the events by date (and Unsorted / Unsure / Could
not read, and a search's results) with their thumbnails, a date scrubber beside them, Merge and Dissolve.

Events are listed oldest first, as the scrubber beside them reads top to bottom (and as photos are
ordered inside an event, and ``albums events --by-date`` prints them): the strip is a map of the list,
so a month near its bottom is an event near the list's bottom. Each row says its count and dates.
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from app.albums.eventlist import EventListModel, EventListView, Row
from app.albums.grid import ERRORS, SIMILAR, UNSORTED, UNSURE
from app.albums.session import AlbumSession
from app.albums.timeline import DateScrubber
from app.jobs import JobQueue
from app.thumbs import ThumbnailLoader
from core.albums.timeline import event_in_month, events_by_date, photos_text, timeline, timeline_at
from core.jobs import Lane, Priority

_GLYPHS = {UNSORTED: QStyle.StandardPixmap.SP_DirIcon, UNSURE: QStyle.StandardPixmap.SP_MessageBoxQuestion,
           ERRORS: QStyle.StandardPixmap.SP_MessageBoxWarning, SIMILAR: QStyle.StandardPixmap.SP_FileDialogContentsView}
log = logging.getLogger(__name__)
SCRUBBER_MONTHS = 2  # the date scrubber is shown when the list scrolls and its photos span months


def _text(span) -> str:
    """'Beach\n35 photos · 12–14 Mar 2019' (the dates left out when the name says them)."""
    dates = span.dates_text()
    parts = [photos_text(span.count)] + ([dates] if dates not in span.name else [])
    return span.name + "\n" + " · ".join(parts + (["by example"] if span.by_example else []))


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

    def __init__(self, session: AlbumSession, loader: ThumbnailLoader, jobs: JobQueue | None = None,
                 parent: QWidget | None = None) -> None:
        """``jobs``: the scrubber's months are counted on its I/O lane (a pass over every photo:
        60-150 ms at 100,000, after each index job); without it, on the UI thread."""
        super().__init__(parent)
        self.session, self.loader, self.jobs = session, loader, jobs
        self._tiles: dict = {}
        self._filling = False
        self.spans: list = []  # core.albums.timeline.EventSpan of the events listed, by date
        self._others: list = []  # the rows after the events (Unsorted…, a search's results) as last filled
        self._timeline_key = None
        self.model = EventListModel(loader, self._tile, self._tooltip, lambda ids: self.session.store.paths_of(ids),
                                    self)
        self.list = EventListView(self.model)
        self.list.current_changed.connect(self._current_changed)
        self.list.photos_dropped.connect(self.photos_dropped)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        self.scrubber = DateScrubber()
        self.scrubber.setFixedWidth(self.scrubber.slim_width())
        self.scrubber.setToolTip("Jump to a month: click or drag; the arrow keys move a month")
        self.scrubber.jumped.connect(self.jump_to)
        self.scrubber.undated_chosen.connect(self._jump_undated)
        self.scrubber.hide()  # until the list is longer than it shows (fill, resizes)
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
        body = QHBoxLayout()
        body.setSpacing(2)
        body.addWidget(self.list, 1)
        body.addWidget(self.scrubber)
        lv.addLayout(body, 1)
        row = QHBoxLayout()
        row.addWidget(self.merge_button)
        row.addWidget(self.delete_button)
        lv.addLayout(row)

    def current_key(self):
        index = self.list.currentIndex()
        return index.data(Qt.ItemDataRole.UserRole) if index.isValid() else None

    def keys(self) -> list:
        return self.model.keys()

    def selected_events(self) -> list[int]:
        ids = [i.data(Qt.ItemDataRole.UserRole) for i in self.list.selectedItems()]
        return [i for i in ids if isinstance(i, int)]

    def fill(self) -> None:
        """The store's events by date and groups, and a search's results; the session's current
        group selected again (the first event when only Unsorted was listed before). Emits nothing:
        the caller shows the group that is selected now. The list stays where the user scrolled it
        while the same group stays selected (a check, an edit elsewhere); rows that did not change
        are not put in again (a check that found nothing new: no reset of 2,262 rows)."""
        store, current = self.session.store, self.session.current
        if self.model.rowCount() <= 1:  # only Unsorted before: open the first event
            current = None
        spans = events_by_date(store)
        others = []
        counts = store.group_counts()
        for key, label in ((UNSORTED, "Unsorted"), (UNSURE, "Unsure"), (ERRORS, "Could not read")):
            n = counts[key]
            if n or key == UNSORTED:
                others.append(Row(key, f"{label}\n{photos_text(n)}", tooltip="",
                                  colour="#5a6a7a" if key != ERRORS else "#b0413e"))
        if self.session.similar is not None:
            others.append(self._results_row())
        stays = current is not None and current == self.current_key()
        if stays and (spans, others) == (self.spans, self._others):
            self._fill_timeline()
            return  # nothing changed: the rows, the selection and the scroll stay
        self.spans, self._others = spans, others
        scrolled = self.list.verticalScrollBar().value()
        self._filling = True
        try:
            self.model.set_rows([Row(s.id, partial(_text, s), s.cover) for s in spans] + others)
            keys = self.keys()
            self.list.setCurrentRow(keys.index(current) if current in keys else 0)
        finally:
            self._filling = False
        self._fill_timeline()
        self._mark_month()
        if stays:
            self.list.verticalScrollBar().setValue(scrolled)
        else:
            self.scroll_to_current()  # the last event too, not cut off at the bottom

    def update_events(self, ids: list) -> None:
        """These events' rows read again (a rename, a note: the photos did not move, so neither did
        their place by date); the other rows kept."""
        fresh = {s.id: s for s in events_by_date(self.session.store, [i for i in ids if isinstance(i, int)])}
        if not fresh:
            return
        self.spans = [fresh.get(s.id, s) for s in self.spans]
        self._filling = True
        try:
            for span in fresh.values():
                self.model.put_row(Row(span.id, partial(_text, span), span.cover))
        finally:
            self._filling = False

    def _results_row(self) -> Row:
        source, hits, kind = self.session.similar
        title = {"words": f"Words: {source}", "duplicates": "Duplicates & bursts"}.get(
            kind, f"Similar to {Path(source).name}")
        return Row(SIMILAR, f"{title}\n{photos_text(len(hits))}",
                   tooltip=f"The photos matching “{source}”" if kind == "words"
                   else f"The photos nearest {source} across the album")

    def show_results(self) -> None:
        """A search's results came: their row put in (or in place of the last results'), and
        selected; the events are not read again (the whole list took 60-160 ms at 100,000)."""
        self._filling = True
        try:
            self.model.put_row(self._results_row())
            self.list.setCurrentRow(self.keys().index(SIMILAR))
        finally:
            self._filling = False
        self.scroll_to_current()

    def _fill_timeline(self) -> None:
        """The scrubber's months, counted again only when the photos or their times changed (an
        edit moves photos between events: the months stay)."""
        store = self.session.store
        con = store.con  # the photos change by adds and indexing (the model worker's connection:
        # data_version) or removals (this one: the count, by the event index)
        key = (str(store.path), con.execute("PRAGMA data_version").fetchone(),
               con.execute("SELECT COUNT(*), MAX(id) FROM photos").fetchone())
        if key != self._timeline_key:
            self._timeline_key = key
            if self.jobs is None:
                self.scrubber.set_timeline(timeline(store))
            else:  # the months shown so far stay until the new count comes
                path = store.path
                self.jobs.submit(lambda progress, cancelled: timeline_at(path), "Albums: count the months",
                                 Lane.IO, internal=True, priority=Priority.INTERACTIVE,
                                 on_done=partial(self._months_counted, key),
                                 on_error=lambda job: self._months_failed(key, job))
        self._show_scrubber()

    def _months_counted(self, key, line) -> None:
        if key == self._timeline_key:  # else the photos changed again: a newer count is coming
            self.scrubber.set_timeline(line)
            self._show_scrubber()

    def _months_failed(self, key, job) -> None:
        """The worker's read failed (the store busy past its timeout, or gone): counted here instead,
        where an error is the page's to report."""
        log.warning("counting the album's months on a worker failed: %s", job.error)
        if key == self._timeline_key:
            self.scrubber.set_timeline(timeline(self.session.store))
            self._show_scrubber()

    def _show_scrubber(self) -> None:
        """The scrubber is there when it helps: the list is longer than it shows, over months."""
        rows = self.model.rowCount()
        row = self.list.sizeHintForRow(0) + 2 * self.list.spacing() if rows else 0
        longer = rows * row > self.list.viewport().height()
        self.scrubber.setVisible(longer and self.scrubber.span_months() >= SCRUBBER_MONTHS)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._show_scrubber()

    def scroll_to_current(self) -> None:
        self.list.scrollToItem(self.list.currentItem())

    def select_key(self, key, hint=QAbstractItemView.ScrollHint.EnsureVisible) -> bool:
        """Select a row (it emits ``selected``) and scroll it into view; False when it is not listed."""
        keys = self.keys()
        if key not in keys:
            return False
        self.list.setCurrentRow(keys.index(key))
        self.list.scrollToItem(self.list.currentItem(), hint)
        return True

    def jump_to(self, year: int, month: int) -> None:
        """The scrubber's jump: the first event with photos in that month (or the next one after
        it), selected and scrolled to the top of the list."""
        span = event_in_month(self.spans, year, month)
        if span is not None:
            self.select_key(span.id, QAbstractItemView.ScrollHint.PositionAtTop)

    def _jump_undated(self) -> None:
        """The scrubber's "No date" row: the first event without a date, else Unsorted."""
        undated = next((s.id for s in self.spans if s.first is None), UNSORTED)
        self.select_key(undated, QAbstractItemView.ScrollHint.PositionAtTop)

    def _current_changed(self) -> None:
        if self._filling:
            return
        self._mark_month()
        self.selected.emit(self.current_key())

    def _mark_month(self) -> None:
        """The scrubber marks the month of the event shown."""
        key = self.current_key()
        span = next((s for s in self.spans if s.id == key), None) if isinstance(key, int) else None
        month = span.month() if span is not None else None
        if month is not None:
            self.scrubber.set_current(*month)

    def _tooltip(self, key) -> str:
        """An event's name, dates and caption (or tags), read when it is hovered."""
        try:
            e = self.session.store.event(key)
        except KeyError:  # removed meanwhile
            return ""
        span = next((s for s in self.spans if s.id == key), None)
        dates = span.dates_text() if span is not None else ""
        return "\n".join(t for t in (e.name, dates, e.caption or ", ".join(e.tags)) if t)

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

    def _menu(self, pos) -> None:
        menu = QMenu(self)
        menu.addAction("Rename…", lambda: self.rename_requested.emit(self.current_key()))
        menu.addAction("Merge selected", lambda: self.merge_requested.emit(self.selected_events()))
        menu.addAction("Dissolve", lambda: self.dissolve_requested.emit(self.current_key()))
        menu.popup(self.list.mapToGlobal(pos))
