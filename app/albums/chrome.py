"""Small widgets that keep the Albums page's chrome compact, so the photo grid gets the room.

* :class:`FewLines`: wrapped text cut to a few lines with "…" (the whole text in its tooltip);
  ``text()`` is still the whole text.
* :class:`ClosableBanner`: a note with a close button (the demo album's).
* :func:`popup_button`: a tool-bar button that opens a panel of controls (the grouping tuning).
* :class:`ThumbSize`: a slider for the size of the grid's thumbnails.
* :class:`NameEdit`: a line edit for a name, shown from its start, as wide as the name asks,
  its whole text in the tooltip when it is cut.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QTextLayout
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QSizePolicy,
    QSlider,
    QStyle,
    QStyleOptionFrame,
    QToolButton,
    QWidget,
    QWidgetAction,
)


class FewLines(QLabel):
    """Word-wrapped text, at most ``lines`` lines high, the last one cut with "…" when it must be;
    then the tooltip holds the whole text. ``text()`` is the whole text. ``setToolTip`` adds
    details below it (the page's models after a job) until the next ``setText``: it never
    replaces the whole text of a cut line."""

    def __init__(self, lines: int = 2, parent=None) -> None:
        super().__init__(parent)
        self.lines, self._full, self._needed, self._details, self._cut_now = lines, "", 0, "", False
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)  # cut by characters: never markup
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Maximum)

    def text(self) -> str:  # Qt API: the whole text, not the cut one shown
        return self._full

    def setText(self, text: str) -> None:  # Qt API
        self._full, self._details = text, ""  # the details were the last text's
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
        self._cut_now = len(lines) > self.lines
        if not self._cut_now:
            super().setText(self._full)
        else:
            last = self.fontMetrics().elidedText(" ".join(lines[self.lines - 1:]), Qt.TextElideMode.ElideRight, width)
            super().setText("\n".join([*lines[:self.lines - 1], last]))
        self._tip()

    def setToolTip(self, details: str) -> None:  # Qt API: details, shown below a cut text
        self._details = details
        self._tip()

    def _tip(self) -> None:
        super().setToolTip("\n\n".join(t for t in (self._full if self._cut_now else "", self._details) if t))

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


class NameEdit(QLineEdit):
    """A line edit for a name ("Monastery · Arezzo · 22 Oct 2008"): after ``setText`` it shows
    the name from its start (a plain QLineEdit leaves it scrolled to its end, cut at the left);
    its size hint is the name's width, so a layout gives it the room the name needs (a
    stretching neighbour takes the rest); where it still gets less, the tooltip is the name."""

    def setText(self, text: str) -> None:  # Qt API
        super().setText(text)
        self.setCursorPosition(0)
        self.updateGeometry()
        self._tip()

    def needed_width(self) -> int:
        """The width that shows the whole text (or the placeholder) with the frame and margins."""
        self.ensurePolished()
        text = self.text() or self.placeholderText()
        margins = self.textMargins()
        option = QStyleOptionFrame()
        self.initStyleOption(option)
        inner = self.fontMetrics().horizontalAdvance(text) + margins.left() + margins.right() + 2 * 2 + 4
        return self.style().sizeFromContents(QStyle.ContentsType.CT_LineEdit, option,
                                             QSize(inner, self.fontMetrics().height()), self).width()

    def fits(self) -> bool:
        return self.width() >= self.needed_width() - 1

    def sizeHint(self) -> QSize:  # Qt API
        hint = super().sizeHint()
        return QSize(max(hint.width(), self.needed_width()), hint.height())

    def _tip(self) -> None:
        self.setToolTip("" if self.fits() or not self.text() else self.text())

    def resizeEvent(self, event) -> None:  # Qt API
        super().resizeEvent(event)
        self._tip()
