"""Small widgets that keep the Albums page's chrome compact, so the photo grid gets the room.

* :class:`FewLines`: wrapped text cut to a few lines with "…" (the whole text in its tooltip);
  ``text()`` is still the whole text.
* :class:`ClosableBanner`: a note with a close button (the demo album's).
* :func:`popup_button`: a tool-bar button that opens a panel of controls (the grouping tuning).
* :class:`ThumbSize`: a slider for the size of the grid's thumbnails.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
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
from superqt import QElidingLabel


class FewLines(QElidingLabel):
    """Word-wrapped text, at most ``lines`` lines high, the last one cut with "…" when it must be;
    then the tooltip holds the whole text."""

    def __init__(self, lines: int = 2, parent=None) -> None:
        super().__init__(parent)
        self.lines = lines
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Maximum)
        self._fit_height()

    def _fit_height(self) -> None:
        margins = self.contentsMargins()
        self.setMaximumHeight(self.fontMetrics().lineSpacing() * self.lines + margins.top() + margins.bottom() + 2)

    def setText(self, text: str) -> None:  # Qt API
        super().setText(text)
        self.updateGeometry()
        self._tip()

    def setStyleSheet(self, sheet: str) -> None:  # Qt API (a font size changes the line height)
        super().setStyleSheet(sheet)
        self.ensurePolished()
        self._fit_height()

    def resizeEvent(self, event) -> None:  # Qt API
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()  # as many lines as the text needs at the new width
        self._tip()

    def hasHeightForWidth(self) -> bool:  # Qt API: the size hint below says it (QLabel's reads the cut text)
        return False

    def _needed(self) -> int:
        """The height of the whole text, wrapped to the label's width."""
        flags = int(self.alignment() | Qt.TextFlag.TextWordWrap)
        margins = self.contentsMargins()
        rect = self.fontMetrics().boundingRect(QRect(0, 0, max(1, self.contentsRect().width()), 10_000), flags,
                                               self.text())
        return rect.height() + margins.top() + margins.bottom() + 2 if self.text() else 0

    def sizeHint(self) -> QSize:  # Qt API: the lines the text needs at this width, up to ``lines``
        return QSize(super().sizeHint().width(), min(self._needed(), self.maximumHeight()))

    def minimumSizeHint(self) -> QSize:  # Qt API
        return QSize(super().minimumSizeHint().width(), min(self._needed(), self.fontMetrics().lineSpacing() + 2))

    def _tip(self) -> None:
        cut = self.width() > 0 and self._needed() > self.maximumHeight()
        self.setToolTip(self.text() if cut else "")


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
