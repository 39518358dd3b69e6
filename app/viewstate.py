"""What the user set on a page's view, kept between starts.

A page calls ``self.keep_view(name, widget)`` (:meth:`app.workspace.WorkspacePage.keep_view`)
for each control whose setting is the user's and not the data's: a slider, a spin box, a check
box, a model choice, a tab, a splitter, a table's columns. The value kept from the last start
is put back at once, and every change is written to the settings file under
``view/<page>/<name>`` (Qt writes it, whole, at the next idle moment and when the app closes).
View → *Reset this page's view* puts back what the page started with.

A kept value that no longer fits (a model no longer in the list, a splitter of another shape)
is left out, never forced; a value from an older version that cannot be read is dropped.
"""

from __future__ import annotations

import json
import logging

from PySide6.QtCore import QByteArray, QObject
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QDoubleSpinBox,
    QHeaderView,
    QSplitter,
    QTabWidget,
)

log = logging.getLogger(__name__)


def _number(widget, value):
    return float(value) if isinstance(widget, QDoubleSpinBox) else int(float(value))


class _Control:
    """How to read, write and follow one kind of widget: ``get() -> value`` (what the settings
    file keeps: a number, a bool, text or bytes), ``put(value) -> bool`` (False: it did not
    fit), and the signal that says it changed."""

    def __init__(self, widget) -> None:
        self.widget = widget
        w = widget
        if isinstance(w, QComboBox):  # by its item's data, else its text (a list filled anew)
            self.get = lambda: json.dumps({"data": w.currentData() if isinstance(w.currentData(), (str, int, float, type(None)))
                                           else None, "text": w.currentText()})
            self.put = self._put_combo
            self.signal = w.currentIndexChanged
        elif isinstance(w, QTabWidget):
            self.get, self.signal = w.currentIndex, w.currentChanged
            self.put = lambda v: self._put_index(int(float(v)))
        elif isinstance(w, (QSplitter, QHeaderView)):
            self.get = w.saveState  # a QByteArray: '@ByteArray(…)' in the file, not a pickled Python object
            self.put = lambda v: isinstance(v, QByteArray) and bool(w.restoreState(v))
            self.signal = w.splitterMoved if isinstance(w, QSplitter) else w.sectionResized
        elif isinstance(w, QAbstractButton) and w.isCheckable():
            self.get, self.signal = w.isChecked, w.toggled
            self.put = lambda v: (w.setChecked(v if isinstance(v, bool) else str(v).lower() in ("1", "true")), True)[1]
        elif isinstance(w, (QAbstractSlider, QAbstractSpinBox)):
            self.get, self.signal = w.value, w.valueChanged
            self.put = lambda v: (w.setValue(_number(w, v)), True)[1]
        else:
            raise TypeError(f"cannot keep the view of a {type(w).__name__}")

    def _put_combo(self, value) -> bool:
        saved = json.loads(value)
        w = self.widget
        i = w.findData(saved["data"]) if saved.get("data") is not None else -1
        if i < 0:
            i = w.findText(saved.get("text", ""))
        if i < 0:
            return False
        w.setCurrentIndex(i)
        return True

    def _put_index(self, i: int) -> bool:
        if not 0 <= i < self.widget.count():
            return False
        self.widget.setCurrentIndex(i)
        return True


class ViewState(QObject):
    """The kept view of one page (``settings``: :class:`app.settings.Settings`, or None: nothing
    is kept, as in tests that build a page alone)."""

    def __init__(self, settings, page: str, parent: QObject | None = None) -> None:
        from PySide6.QtCore import QTimer

        super().__init__(parent)
        self.settings = settings
        self.page = page
        self._kept: dict[str, tuple[_Control, object, bool]] = {}  # name → (control, first value, quiet)
        # a splitter dragged or a window resized (stretching a column) changes many times a second:
        # the values are written once things are still, and at close (flush)
        self._changed: set[str] = set()
        self._values: dict[str, object] = {}  # remember(): values that are not a control's (the event shown)
        self._timer = QTimer(self, singleShot=True, interval=400)
        self._timer.timeout.connect(self.flush)

    def key(self, name: str) -> str:
        return f"view/{self.page}/{name}"

    def keep(self, name: str, widget, quiet: bool = False) -> None:
        """Put back the value kept for ``widget`` and keep each change of it. ``quiet``: put it
        back without the widget's signals (a model choice whose signal would start loading the
        model before the page is shown)."""
        control = _Control(widget)
        self._kept[name] = (control, control.get(), quiet)
        if self.settings is not None:
            saved = self.settings.view_value(self.key(name))
            if saved is not None:
                self._put(name, control, saved, quiet)
            control.signal.connect(lambda *_: self._note(name))

    def _note(self, name: str) -> None:
        self._changed.add(name)
        self._timer.start()

    def remember(self, name: str, value) -> None:
        """Keep a value that is not a control's (the event shown, the post selected), written as
        the controls' are: once things are still."""
        if self.settings is not None:
            self._values[name] = value
            self._timer.start()

    def kept(self, name: str):
        """What ``remember`` kept at the last start, or None."""
        return self.settings.view_value(self.key(name)) if self.settings is not None else None

    def flush(self) -> None:
        """Write the values changed since the last write (the window calls it when it closes)."""
        self._timer.stop()
        for name in sorted(self._changed):
            self.settings.set_view_value(self.key(name), self._kept[name][0].get())
        for name, value in self._values.items():
            self.settings.set_view_value(self.key(name), value)
        self._changed.clear()
        self._values.clear()

    def _put(self, name: str, control: _Control, value, quiet: bool) -> None:
        was = control.widget.blockSignals(True) if quiet else None
        try:
            if not control.put(value):
                log.info("view %s: the kept %s no longer fits; left as it is", self.page, name)
        except (ValueError, TypeError, KeyError, json.JSONDecodeError) as exc:  # an old or hand-edited file
            log.warning("view %s: the kept %s cannot be read (%s); dropped", self.page, name, exc)
            self.settings.remove_view_value(self.key(name))
        finally:
            if quiet:
                control.widget.blockSignals(was)

    def reset(self) -> None:
        """What the page started with, and nothing kept."""
        for name, (control, first, quiet) in self._kept.items():
            self._put(name, control, first, quiet)
        self._timer.stop()
        self._changed.clear()
        if self.settings is not None:
            for name in self._kept:
                self.settings.remove_view_value(self.key(name))
