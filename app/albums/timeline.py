"""The Albums date scrubber: a vertical strip of years and months to jump through a library.

As Immich's and Google Photos' scrubbers: every calendar month from the album's first to its last
gets the same height (so the strip reads as time), a bar as long as its share of photos, the
years written down the left; a "No date" row at the bottom for photos without a capture time.
Hover says "March 2019 · 1,234 photos"; a click or a drag emits ``jumped(year, month)`` (the
"No date" row: ``undated_chosen``); the arrow keys move a month with photos, Page Up / Down a year.

Built alone from the month counts (``core.albums.timeline.timeline(store)``): it needs no page,
and paints only the precomputed months (a few hundred even for decades), never the photos.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QLineF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPixmap
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from core.albums.timeline import MONTHS, Timeline, month_label, photos_text

_TOP, _BOTTOM, _GAP = 8, 8, 6
_BAR, _BAR_HOVER, _BAR_CURRENT = QColor("#8aa4bf"), QColor("#3d6f9e"), QColor("#1f4e79")
_TEXT, _FAINT = QColor("#4a5a6a"), QColor("#c9d2db")
UNDATED = (0, 0)  # the "No date" row's key


class DateScrubber(QWidget):
    jumped = Signal(int, int)  # year, month (1–12) the user chose
    undated_chosen = Signal()  # the "No date" row

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Timeline")
        self._slots: list[tuple[int, int, int]] = []  # every month first → last: (year, month, photos)
        self._no_date = 0
        self._max = 1
        self._hover: tuple[int, int] | None = None
        self._current: tuple[int, int] | None = None
        self._dragging = False
        self._version = 0  # the data's: the cached strip is drawn again when it changes
        self._cache: tuple[tuple, QPixmap] | None = None
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.85))
        self._small = small
        self._labels = QFontMetrics(small).horizontalAdvance("No date") + 4  # the years' column
        self.set_counts([])

    # -- data ---------------------------------------------------------------------
    def set_timeline(self, line: Timeline) -> None:
        self.set_counts([(m.year, m.month, m.count) for m in line.months], line.no_date)

    def set_counts(self, months: list[tuple[int, int, int]], no_date: int = 0) -> None:
        """(year, month, photos) of the months with photos, any order; ``no_date``: photos without a time."""
        have = {(y, m): n for y, m, n in months if n > 0}
        self._slots = []
        if have:
            (y, m), last = min(have), max(have)
            while (y, m) <= last:
                self._slots.append((y, m, have.get((y, m), 0)))
                y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        self._no_date = max(0, int(no_date))
        self._max = max([n for _, _, n in self._slots] + [self._no_date, 1])
        if self._current not in have and self._current != UNDATED:
            self._current = None
        self._hover = None
        self._version += 1
        total = sum(have.values()) + self._no_date
        self.setAccessibleDescription(f"{photos_text(total)} in {len(have)} months; "
                                      "arrow keys move a month, Page Up / Down a year")
        self.update()

    def months(self) -> list[tuple[int, int, int]]:
        """The months with photos, oldest first."""
        return [s for s in self._slots if s[2]]

    def set_current(self, year: int, month: int) -> None:
        """Mark the month the page shows (no signal)."""
        self._current = (year, month)
        self.update()

    def current(self) -> tuple[int, int] | None:
        return self._current

    # -- geometry -----------------------------------------------------------------
    def sizeHint(self) -> QSize:
        return QSize(96, 480)

    def slim_width(self) -> int:
        """The narrowest width that still shows the years and a bar (beside a list, in its room)."""
        return self._labels + _GAP + 12

    def span_months(self) -> int:
        """How many calendar months from the first photo's to the last's (0 without dated photos)."""
        return len(self._slots)

    def minimumSizeHint(self) -> QSize:
        return QSize(80, 120)

    def _undated_height(self) -> float:
        return QFontMetrics(self._small).height() + 8 if self._no_date else 0.0

    def _slot_height(self) -> float:
        usable = self.height() - _TOP - _BOTTOM - self._undated_height()
        return usable / len(self._slots) if self._slots else 0.0

    def key_at(self, y: float) -> tuple[int, int] | None:
        """The (year, month) at this height (``UNDATED`` for the "No date" row), or None."""
        if self._no_date and y >= self.height() - _BOTTOM - self._undated_height():
            return UNDATED
        if not self._slots:
            return None
        i = math.floor((y - _TOP) / self._slot_height())
        i = min(max(i, 0), len(self._slots) - 1)
        year, month, _ = self._slots[i]
        return year, month

    def y_of(self, year: int, month: int) -> float:
        """The middle of a month's row (``UNDATED``: of the "No date" row)."""
        if (year, month) == UNDATED:
            return self.height() - _BOTTOM - self._undated_height() / 2
        i = next(i for i, s in enumerate(self._slots) if s[:2] == (year, month))
        return _TOP + (i + 0.5) * self._slot_height()

    def text_for(self, key: tuple[int, int] | None) -> str:
        """What hovering a row says: 'March 2019 · 1,234 photos'."""
        if key is None:
            return ""
        if key == UNDATED:
            return f"No date · {photos_text(self._no_date)} without a capture time"
        n = next((s[2] for s in self._slots if s[:2] == key), 0)
        return f"{month_label(*key)} · {photos_text(n) if n else 'no photos'}"

    def _bar_length(self, n: int) -> float:
        room = self.width() - self._labels - _GAP - 4
        return 0.0 if n <= 0 else max(2.0, room * math.sqrt(n / self._max))  # a small month still shows

    # -- painting -----------------------------------------------------------------
    def _bar_rect(self, key: tuple[int, int]) -> QRectF | None:
        """Where a month's (or the "No date" row's) bar is painted; None for a month without photos."""
        n = self._no_date if key == UNDATED else next((s[2] for s in self._slots if s[:2] == key), 0)
        if not n:
            return None
        h = self._undated_height() if key == UNDATED else self._slot_height()
        thick = max(1.0, min(self._slot_height() * 0.7 if self._slots else 12.0, 12.0))
        return QRectF(self._labels + _GAP, self.y_of(*key) - thick / 2, self._bar_length(n), min(thick, h))

    def _strip(self) -> QPixmap:
        """The strip without hover and current marks, drawn once per size and data: a few batched
        calls (bars and ticks as one list each). Each paint then draws this and at most two bars."""
        ratio = self.devicePixelRatioF()
        key = (self.width(), self.height(), ratio, self._version)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        pix = QPixmap(round(self.width() * ratio), round(self.height() * ratio))
        pix.setDevicePixelRatio(ratio)
        pix.fill(Qt.GlobalColor.transparent)
        p = QPainter(pix)
        p.setFont(self._small)
        fm = QFontMetrics(self._small)
        if not self._slots and not self._no_date:
            p.setPen(_TEXT)
            p.drawText(QRectF(4, 0, self.width() - 8, self.height()),
                       Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, "No photos\nto show")
        h = self._slot_height()
        x0 = self._labels + _GAP
        ticks, bars, years, months = [], [], [], []
        last_label = -1e9
        for i, (year, month, n) in enumerate(self._slots):
            top = _TOP + i * h
            if month == 1 or i == 0:  # a year starts: a tick, and its number where there is room
                ticks.append(QLineF(x0 - 3, top, self.width() - 2, top))
                if top - last_label >= fm.height():
                    years.append((QRectF(0, top - 1, self._labels, fm.height()), str(year)))
                    last_label = top
            elif h >= fm.height() + 2 and top - last_label >= fm.height():  # room for months too
                months.append((QRectF(0, top, self._labels, h), MONTHS[month - 1][:3]))
                last_label = top
            if n:
                bars.append(self._bar_rect((year, month)))
        if self._no_date:
            top = self.height() - _BOTTOM - self._undated_height()
            ticks.append(QLineF(2, top, self.width() - 2, top))
            bars.append(self._bar_rect(UNDATED))
            years.append((QRectF(0, top, self._labels, self._undated_height()), "No date"))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(_BAR)
        p.drawRects(bars)
        p.setPen(_FAINT)
        p.drawLines(ticks)
        p.setPen(_TEXT)
        for rect, text in years:
            p.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
        p.setPen(_FAINT.darker(130))
        for rect, text in months:
            p.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
        p.end()
        self._cache = (key, pix)
        return pix

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.drawPixmap(0, 0, self._strip())
        for key, colour in ((self._hover, _BAR_HOVER), (self._current, _BAR_CURRENT)):
            rect = self._bar_rect(key) if key is not None else None
            if rect is not None:
                p.fillRect(rect, colour)
                if key == self._current and self.hasFocus():
                    p.setPen(_BAR_CURRENT)
                    p.drawRect(rect.adjusted(-2, -2, self.width() - rect.right() - 2, 2))
        p.end()

    def _has(self, key) -> bool:
        return any(s[:2] == key for s in self._slots)

    # -- mouse and keys -----------------------------------------------------------
    def _choose(self, key: tuple[int, int] | None) -> None:
        if key is None or key == self._current:
            return
        self._current = key
        self.update()
        if key == UNDATED:
            self.undated_chosen.emit()
        else:
            self.jumped.emit(*key)

    def mouseMoveEvent(self, event) -> None:
        key = self.key_at(event.position().y())
        if key != self._hover:
            self._hover = key
            self.update()
            QToolTip.showText(event.globalPosition().toPoint(), self.text_for(key), self)
        if self._dragging:
            self._choose(key)

    def leaveEvent(self, event) -> None:
        self._hover = None
        self.update()
        super().leaveEvent(event)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._dragging = True
            self._current = None  # a click on the month shown jumps to it again
            self._choose(self.key_at(event.position().y()))

    def mouseReleaseEvent(self, event) -> None:
        self._dragging = False

    def keyPressEvent(self, event) -> None:
        keys = [s[:2] for s in self.months()] + ([UNDATED] if self._no_date else [])
        if not keys:
            return super().keyPressEvent(event)
        at = keys.index(self._current) if self._current in keys else -1
        k = event.key()
        if k == Qt.Key.Key_Down:
            target = min(at + 1, len(keys) - 1)
        elif k == Qt.Key.Key_Up:
            target = max(at - 1, 0)
        elif k in (Qt.Key.Key_PageDown, Qt.Key.Key_PageUp):
            base = keys[at] if at >= 0 else keys[0]
            if base == UNDATED:  # from the "No date" row: the last year is one up
                base = (keys[-2][0] + 1 if len(keys) > 1 else 0, 1)
            year = base[0] + (1 if k == Qt.Key.Key_PageDown else -1)
            later = [i for i, key in enumerate(keys) if key != UNDATED and
                     (key[0] >= year if k == Qt.Key.Key_PageDown else key[0] <= year)]
            target = (later[0] if k == Qt.Key.Key_PageDown else
                      next(i for i in later if keys[i][0] == keys[later[-1]][0])) if later else max(at, 0)
        elif k == Qt.Key.Key_Home:
            target = 0
        elif k == Qt.Key.Key_End:
            target = len(keys) - 1
        else:
            return super().keyPressEvent(event)
        self._choose(keys[target])
        self.setAccessibleDescription(self.text_for(keys[target]))
