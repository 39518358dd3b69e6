"""A photo viewer (a loupe): one photo large, zoom, next / previous, and what is known of it.

Opened by double-click or Space on a photo in Albums, Lost & Found and Logos. Keys: ← / →
previous / next (within the event or the results the viewer was opened on), Home / End, F fit,
1 actual pixels (100 %), + / − or the wheel to zoom (under the pointer), I the info panel,
Esc or Space back. The photo is decoded off the UI thread (full resolution, so 100 % is true
pixels); the info panel (``core.photo_info``) reads only the header and EXIF. The caller's extra
rows (``details``: an album photo's event and why it is there, ~160 ms among 10,000 photos) are
worked out off the UI thread too: "…" until they arrive, only the newest photo's asked for, and
an answer for a photo no longer shown is dropped.

And a comparison of duplicates side by side (:class:`CompareDialog`): each photo with its
info, the rows that differ between them in bold, the suggested keeper marked, and one action
that keeps it and moves the others into a folder (the page makes that an undoable step).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QImage, QKeySequence, QPainter, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.viewer_workers import (
    Decoder,
    Details,
    DetailsWorker,
    Loader,
    default_loader,
)
from core.photo_info import photo_info

Info = Callable[[str], list[tuple[str, str]]]  # the info rows of a path, in place of a photo's (a drawing's)

ZOOM_STEP = 1.25
MIN_SCALE, MAX_SCALE = 0.02, 32.0


class ImageView(QGraphicsView):
    """The photo, fitted to the view or at a zoom; the wheel zooms under the pointer."""

    zoomed = Signal(float)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.item = QGraphicsPixmapItem()
        self.item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self.item)
        self.setRenderHints(QPainter.RenderHint.SmoothPixmapTransform | QPainter.RenderHint.Antialiasing)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setBackgroundBrush(Qt.GlobalColor.black)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.fitting = True

    def set_image(self, image: QImage) -> None:
        pix = QPixmap.fromImage(image)
        self.item.setPixmap(pix)
        self.scene().setSceneRect(QRectF(pix.rect()))
        self.fit()

    def scale_now(self) -> float:
        return self.transform().m11()

    def fit(self) -> None:
        self.fitting = True
        if not self.item.pixmap().isNull():
            self.resetTransform()
            self.fitInView(self.item, Qt.AspectRatioMode.KeepAspectRatio)
            if self.scale_now() > 1:  # small photos are not blown up when fitted
                self.resetTransform()
        self.zoomed.emit(self.scale_now())

    def actual_pixels(self) -> None:
        self.fitting = False
        self.resetTransform()
        ratio = self.devicePixelRatioF() or 1.0
        self.scale(1 / ratio, 1 / ratio)  # one photo pixel per screen pixel, also on HiDPI
        self.zoomed.emit(self.scale_now())

    def zoom(self, factor: float) -> None:
        target = min(max(self.scale_now() * factor, MIN_SCALE), MAX_SCALE)
        self.fitting = False
        self.scale(target / self.scale_now(), target / self.scale_now())
        self.zoomed.emit(self.scale_now())

    def wheelEvent(self, event) -> None:  # Qt API
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom(ZOOM_STEP ** steps)

    def resizeEvent(self, event) -> None:  # Qt API
        super().resizeEvent(event)
        if self.fitting:
            self.fit()


def _form(rows: list[tuple[str, str]], bold: set[str] = frozenset()) -> QWidget:
    box = QWidget()
    form = QFormLayout(box)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    for label, text in rows:
        value = QLabel(text)
        value.setWordWrap(True)
        value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        value.setObjectName(f"info:{label}")
        name = QLabel(label)
        if label in bold:
            for w in (name, value):
                font = w.font()
                font.setBold(True)
                w.setFont(font)
            value.setStyleSheet("color: #b3261e")
        form.addRow(name, value)
    return box


class PhotoViewer(QDialog):
    """``paths`` shown one at a time from ``index``; ``details`` adds rows (event, why) per path,
    worked out off the UI thread (it must not touch widgets); ``details_in_thread=False`` for a
    callable that only looks rows up (no "…" flash)."""

    shown = Signal(str)  # the path now shown (after decoding, or with its error)
    details_shown = Signal(str)  # the path whose ``details`` rows are now in the panel

    def __init__(self, paths: list[str], index: int = 0, parent=None, details: Details | None = None,
                 loader: Loader | None = None, title: str = "", info: Info | None = None,
                 details_in_thread: bool = True) -> None:
        super().__init__(parent)
        self.info_of = info or (lambda path: photo_info(path).rows())
        self.paths = list(paths)
        self.index = max(0, min(index, len(self.paths) - 1))
        self.details = details
        self.details_path = ""  # whose details rows the panel shows ("" while they are awaited)
        self._base_rows: list[tuple[str, str]] = []
        self._detail_labels: list[str] = []  # the last answer's labels: "…" under them while waiting
        self.details_worker = None
        if details is not None and details_in_thread:
            self.details_worker = DetailsWorker(details, self)
            self.details_worker.done.connect(self._details_arrived)
        self.title = title
        self.setWindowTitle(title or "Photo")
        self.setModal(False)
        self.resize(1100, 720)
        self._cache: OrderedDict[str, QImage] = OrderedDict()  # the last few decoded, for ← → back and forth
        self.errors: dict[str, str] = {}
        self.decoder = Decoder(loader or default_loader, self, newest_only=True)
        self.decoder.done.connect(self._decoded)

        self.view = ImageView()
        self.view.zoomed.connect(self._show_zoom)
        self.message = QLabel()
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setStyleSheet("color: #ddd; background: black; padding: 12px")
        self.message.hide()
        self.info = QScrollArea()
        self.info.setWidgetResizable(True)
        self.info.setFixedWidth(320)

        bar = QToolBar()
        self.actions_by_name: dict[str, QAction] = {}
        for name, text, keys, slot in (
            ("previous", "◀ Previous", ["Left", "PgUp"], self.previous),
            ("next", "Next ▶", ["Right", "PgDown"], self.next),
            ("fit", "Fit", ["F"], self.view.fit),
            ("actual", "100 %", ["1"], self.view.actual_pixels),
            ("zoom_in", "Zoom in", ["+", "="], lambda: self.view.zoom(ZOOM_STEP)),
            ("zoom_out", "Zoom out", ["-"], lambda: self.view.zoom(1 / ZOOM_STEP)),
            ("info", "Info", ["I"], self.toggle_info),
            ("first", "First", ["Home"], lambda: self.go(0)),
            ("last", "Last", ["End"], lambda: self.go(len(self.paths) - 1)),
        ):
            action = QAction(text, self)
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.setToolTip(f"{text} ({' / '.join(keys)})")
            action.triggered.connect(slot)
            self.actions_by_name[name] = action
            if name not in ("first", "last"):
                bar.addAction(action)
            else:
                self.addAction(action)
        close = QAction("Back", self)
        close.setShortcuts([QKeySequence("Space")])  # Esc closes any dialog
        close.triggered.connect(self.reject)
        self.addAction(close)
        self.position = QLabel()
        self.zoom_label = QLabel()
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        bar.addWidget(self.zoom_label)
        bar.addWidget(QLabel("   "))
        bar.addWidget(self.position)

        middle = QHBoxLayout()
        middle.setContentsMargins(0, 0, 0, 0)
        middle.addWidget(self.view, 1)
        middle.addWidget(self.message, 1)
        middle.addWidget(self.info)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(bar)
        layout.addLayout(middle, 1)
        if self.paths:
            self.go(self.index)

    # -- navigation --------------------------------------------------------------
    @property
    def path(self) -> str:
        return self.paths[self.index] if self.paths else ""

    def go(self, index: int) -> None:
        if not self.paths:
            return
        self.index = max(0, min(index, len(self.paths) - 1))
        self.position.setText(f"{self.index + 1} / {len(self.paths)}")
        self.actions_by_name["previous"].setEnabled(self.index > 0)
        self.actions_by_name["next"].setEnabled(self.index < len(self.paths) - 1)
        self.setWindowTitle(f"{self.path.rsplit('/', 1)[-1]} — {self.title}" if self.title else self.path)
        self._show_info(self.path)
        image = self._cache.get(self.path)
        if image is not None:
            self._show_image(self.path, image)
        else:
            self.message.setText("Loading…")
            self.decoder.start(self.path)

    def next(self) -> None:
        self.go(self.index + 1)

    def previous(self) -> None:
        self.go(self.index - 1)

    def toggle_info(self) -> None:
        self.info.setVisible(not self.info.isVisible())

    # -- showing -------------------------------------------------------------------
    def _decoded(self, path: str, image: QImage, error: str) -> None:
        if error:
            self.errors[path] = error
        else:
            self._cache[path] = image
            while len(self._cache) > 4:
                self._cache.popitem(last=False)
        if path == self.path:
            if error:
                self.view.hide()
                self.message.setText(f"{path}\ncannot be shown: {error}")
                self.message.show()
                self.shown.emit(path)
            else:
                self._show_image(path, image)

    def _show_image(self, path: str, image: QImage) -> None:
        self.message.hide()
        self.view.show()
        self.view.set_image(image)
        self.shown.emit(path)

    def _show_zoom(self, scale: float) -> None:
        ratio = self.view.devicePixelRatioF() or 1.0
        text = f"{scale * ratio * 100:.0f} %"
        self.zoom_label.setText(f"Fit ({text})" if self.view.fitting else text)

    def _show_info(self, path: str) -> None:
        self._base_rows = list(self.info_of(path))
        self.details_path = ""
        if self.details is None:
            self._set_rows([])
        elif self.details_worker is None:
            self._details_arrived(path, list(self.details(path)), "")
        else:
            self._set_rows([(label, "…") for label in self._detail_labels or ["Details"]])
            self.details_worker.start(path)

    def _details_arrived(self, path: str, rows: list, error: str) -> None:
        if path != self.path:
            return  # a late answer for a photo no longer shown
        if error:
            rows = [("Details", f"not known ({error})")]
        else:
            self._detail_labels = [label for label, _text in rows]
        self.details_path = path
        self._set_rows(rows)
        self.details_shown.emit(path)

    def _set_rows(self, detail_rows: list[tuple[str, str]]) -> None:
        self.info_rows = self._base_rows + list(detail_rows)
        self.info.setWidget(_form(self.info_rows))


class _SpaceOpens(QObject):
    """Space on an item view opens its current item (a key filter: the view would take Space
    to select, before a shortcut saw it)."""

    def __init__(self, view, open_at: Callable[[int], object]) -> None:
        super().__init__(view)
        self.view, self.open_at = view, open_at
        view.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # Qt API
        if (event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Space
                and not event.modifiers() and self.view.currentIndex().isValid()):
            self.open_at(self.view.currentIndex().row())
            return True
        return False


def open_on_space(view, open_at: Callable[[int], object]) -> QObject:
    """Space on ``view`` (a QAbstractItemView) calls ``open_at(row)`` with its current row."""
    return _SpaceOpens(view, open_at)


def open_on_activate(view, open_at: Callable[[int], object]) -> QObject:
    """Double-click or Space on an item of ``view`` (a QAbstractItemView) calls ``open_at(row)``
    with its row (the current one for Space)."""
    view.doubleClicked.connect(lambda index: open_at(index.row()))
    return open_on_space(view, open_at)
