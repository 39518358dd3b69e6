"""The window's status bar: a message too long for the room left is cut at a word, with "…",
never mid-word (Qt's own bar clips it), and the whole message is its tooltip."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics, QPainter
from PySide6.QtWidgets import QStatusBar, QStyle, QStyleOption


def elide_words(text: str, metrics: QFontMetrics, width: int) -> str:
    """``text`` if it fits in ``width`` pixels, else as many whole words as fit, then "…"."""
    if metrics.horizontalAdvance(text) <= width:
        return text
    words = text.split(" ")
    lo, hi = 0, len(words)  # the most words whose text + " …" fits
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if metrics.horizontalAdvance(" ".join(words[:mid]).rstrip(",;:") + " …") <= width:
            lo = mid
        else:
            hi = mid - 1
    if lo == 0:  # not even one word: Qt's character elision is all that fits
        return metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)
    return " ".join(words[:lo]).rstrip(",;:") + " …"


class StatusBar(QStatusBar):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.messageChanged.connect(lambda message: self.setToolTip(message))
        self.shown_text = ""  # what the last paint drew (tests read it)

    def _room(self) -> int:
        """Pixels from the left edge to the first permanent widget shown."""
        right = self.width()
        for child in self.children():
            if hasattr(child, "isVisible") and child.isWidgetType() and child.isVisible() \
                    and child.objectName() != "qt_sizegrip" and child.geometry().x() > 0:
                right = min(right, child.geometry().x())
        return max(0, right - 12)

    def paintEvent(self, event) -> None:  # Qt API
        message = self.currentMessage()
        if not message:
            self.shown_text = ""
            super().paintEvent(event)
            return
        painter = QPainter(self)
        option = QStyleOption()
        option.initFrom(self)
        self.style().drawPrimitive(QStyle.PrimitiveElement.PE_PanelStatusBar, option, painter, self)
        self.shown_text = elide_words(message, self.fontMetrics(), self._room())
        painter.setPen(self.palette().windowText().color())
        painter.drawText(self.rect().adjusted(6, 0, -self.width() + self._room() + 6, 0),
                         Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextSingleLine,
                         self.shown_text)
