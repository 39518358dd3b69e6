"""Small widgets that keep the Albums page's chrome compact, so the photo grid gets the room.

* :class:`FewLines`: wrapped text cut to a few lines with "…" (the whole text in its tooltip);
  ``text()`` is still the whole text.
* :class:`ClosableBanner`: a note with a close button (the demo album's).
* :func:`popup_button`: a tool-bar button that opens a panel of controls (the grouping tuning).
* :class:`ThumbSize`: a slider for the size of the grid's thumbnails.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QTextLayout
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QSlider,
    QStyle,
    QToolButton,
    QWidget,
    QWidgetAction,
)


class FewLines(QLabel):
    """Word-wrapped text, at most ``lines`` lines high, the last one cut with "…" when it must be;
    then the tooltip holds the whole text. ``text()`` is the whole text."""

    def __init__(self, lines: int = 2, parent=None) -> None:
        super().__init__(parent)
        self.lines, self._full, self._needed = lines, "", 0
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)  # cut by characters: never markup
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Maximum)

    def text(self) -> str:  # Qt API: the whole text, not the cut one shown
        return self._full

    def setText(self, text: str) -> None:  # Qt API
        self._full = text
        self._cut()
        self.updateGeometry()

    def _wrapped(self, width: int) -> list[str]:
        """The whole text in the lines Qt wraps it into at ``width``."""
        out = []
        for paragraph in self._full.split("\n"):
            layout = QTextLayout(paragraph, self.font())
            layout.beginLayout()
            while (line := layout.createLine()).isValid():
                line.setLineWidth(width)
                out.append(paragraph[line.textStart():line.textStart() + line.textLength()].rstrip())
            layout.endLayout()
        return out

    def _cut(self) -> None:
        width = self.contentsRect().width()
        lines = self._wrapped(width) if width > 0 and self._full else [self._full]
        self._needed = len(lines) if self._full else 0
        if len(lines) <= self.lines:
            super().setText(self._full)
            self.setToolTip("")
            return
        last = self.fontMetrics().elidedText(" ".join(lines[self.lines - 1:]), Qt.TextElideMode.ElideRight, width)
        super().setText("\n".join([*lines[:self.lines - 1], last]))
        self.setToolTip(self._full)

    def resizeEvent(self, event) -> None:  # Qt API
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._cut()
            self.updateGeometry()  # as many lines as the text needs at the new width

    def hasHeightForWidth(self) -> bool:  # Qt API: the size hint says it
        return False

    def _height(self, lines: int) -> int:
        margins = self.contentsMargins()
        return self.fontMetrics().lineSpacing() * lines + margins.top() + margins.bottom() + 2 if lines else 0

    def sizeHint(self) -> QSize:  # Qt API: the lines the text needs at this width, up to ``lines``
        return QSize(super().sizeHint().width(), self._height(min(self._needed, self.lines)))

    def minimumSizeHint(self) -> QSize:  # Qt API
        return QSize(super().minimumSizeHint().width(), self._height(min(self._needed, 1)))


class ClosableBanner(QWidget):
    """A note across the page with × at its end. The × is a checkable button (checked: closed), so
    the page's view state keeps it between starts and View → Reset this page's view opens it again."""

    def __init__(self, text: str, object_name: str, parent=None) -> None:
        super().__init__(parent)
        self.label = QLabel(text)
        self.label.setObjectName(object_name)  # the style sheet's look for it
        self.label.setWordWrap(True)
        self.close_button = QToolButton()
        self.close_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_TitleBarCloseButton))
        self.close_button.setAutoRaise(True)
        self.close_button.setCheckable(True)
        self.close_button.setToolTip("Close this note (View → Reset this page's view shows it again)")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(2)
        row.addWidget(self.label, 1)
        row.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)

def popup_button(text: str, tip: str, panel: QWidget, icon=None) -> QToolButton:
    """A tool-bar button that opens ``panel`` below it (it stays open while its controls are used)."""
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    if icon is not None:
        button.setIcon(icon)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    menu = QMenu(button)
    action = QWidgetAction(menu)
    action.setDefaultWidget(panel)
    menu.addAction(action)
    button.setMenu(menu)
    return button


class ThumbSize(QWidget):
    """"Size" and a slider: the grid's thumbnails from ``low`` to ``high`` points."""

    def __init__(self, low: int, high: int, value: int, parent=None) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(low, high)
        self.slider.setSingleStep(10)
        self.slider.setPageStep(20)
        self.slider.setValue(value)
        self.slider.setFixedWidth(90)
        self.slider.setToolTip("The size of the thumbnails")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Size"))
        row.addWidget(self.slider)
