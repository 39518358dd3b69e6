"""Small widgets shared by the pages."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QPoint, QSize, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QSizePolicy, QWidget

from core.images import ImageError, is_image_path, open_image


@lru_cache(maxsize=2048)
def thumbnail(path: str, size: int = 64) -> QPixmap:
    """A cached thumbnail (``size`` in points, made with the screen's pixels per point: sharp on
    HiDPI); a grey tile for a photo that cannot be read."""
    from app.thumbs import screen_ratio

    ratio = screen_ratio()
    pixels = round(size * ratio)
    try:
        im = open_image(path, draft=(pixels * 2, pixels * 2))
        im.thumbnail((pixels, pixels))
        data = im.tobytes("raw", "RGB")
        qim = QImage(data, im.width, im.height, im.width * 3, QImage.Format.Format_RGB888).copy()
        pix = QPixmap.fromImage(qim)
        pix.setDevicePixelRatio(ratio)
        return pix
    except ImageError:
        pix = QPixmap(size, size)
        pix.fill(Qt.GlobalColor.lightGray)
        return pix


class PhotoDrop(QLabel):
    """A photo well: drop an image file on it (or set one); shows a preview."""

    changed = Signal(object)  # the new path, or None

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.path: str | None = None
        self.setAcceptDrops(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(200, 160)
        self.setObjectName("photoDrop")
        self.setStyleSheet("#photoDrop { border: 2px dashed #9aa8b5; border-radius: 6px; color: #5a6a7a; }")
        self.set_path(None)

    def set_path(self, path: str | None) -> None:
        self.path = path
        if path:
            self.setPixmap(thumbnail(path, 180))
            self.setToolTip(path)
        else:
            self.clear()
            self.setText("Drop a photo here\n(optional)")
            self.setToolTip("")
        self.changed.emit(path)

    def dragEnterEvent(self, event) -> None:  # Qt API
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile() and is_image_path(urls[0].toLocalFile()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        path = event.mimeData().urls()[0].toLocalFile()
        if Path(path).exists():
            self.set_path(path)
            event.acceptProposedAction()


def eta_text(progress: float, elapsed: float) -> str:
    """'12 s left' / '3 min left' from the share done and the seconds spent ('' too early to say)."""
    if progress <= 0.02 or elapsed < 1.0:
        return ""
    left = elapsed * (1 - progress) / progress
    if left < 60:
        return f"{left:.0f} s left"
    if left < 3600:
        return f"{left / 60:.0f} min left"
    return f"{left / 3600:.1f} h left"


def rate_text(message: str, elapsed: float) -> str:
    """'23.4/s' from a progress message that counts ('Embedded 120 of 6400'), else ''."""
    import re

    m = re.search(r"(\d[\d,]*) of (\d[\d,]*)", message or "")
    if not m or elapsed < 1.0:
        return ""
    done = int(m.group(1).replace(",", ""))
    return f"{done / elapsed:.1f}/s" if done else ""


class ElidedLabel(QLabel):
    """One line of plain text cut with "…" to the width it is given, the whole text as its tooltip.
    Its minimum width does not follow the text: a long job name or message must not widen the
    page (and the window: one page's minimum is the window's, kept while its strip is hidden)."""

    def __init__(self, text: str = "", min_width: int = 40, parent=None) -> None:
        super().__init__(parent)
        self.full_text, self.min_width = "", min_width
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.set_text(text)

    def set_text(self, text: str) -> None:
        self.full_text = text
        self.updateGeometry()
        self._elide()

    def sizeHint(self) -> QSize:  # Qt API: the whole text's width
        return QSize(self.fontMetrics().horizontalAdvance(self.full_text) + 4, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # Qt API
        return QSize(min(self.min_width, self.sizeHint().width()), super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:  # Qt API
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self.full_text, Qt.TextElideMode.ElideRight,
                                              self.contentsRect().width())
        super().setText(shown)
        self.setToolTip(self.full_text if shown != self.full_text else "")


class JobStrip(QWidget):
    """A page's own running job: name, progress bar, what it is doing, time left, and Cancel.

    Follows every queued job whose name starts with ``prefix`` (e.g. "Fusion:"), the most
    recently started first; hidden when none of them is running. Internal jobs (a selected
    photo's explanation) are left out: they would flash a bar and a Cancel on every click."""

    def __init__(self, queue, prefix: str, parent=None) -> None:
        super().__init__(parent)
        self.queue, self.prefix = queue, prefix
        self.setObjectName("jobStrip")
        self.label = ElidedLabel(min_width=120)  # name and detail cut with "…" to the room they have
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setFixedWidth(220)
        self.detail = ElidedLabel()
        self.detail.setStyleSheet("color: #5a6a7a")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._cancel)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 2, 0, 2)
        row.addWidget(self.label)
        row.addWidget(self.bar)
        row.addWidget(self.detail, 1)
        row.addWidget(self.cancel_button)
        self.job = None
        queue.job_added.connect(self._changed)
        queue.job_changed.connect(self._changed)
        queue.job_finished.connect(self._finished)
        # its room is kept while hidden: a job starting or ending does not re-lay the page out
        # (which resized and repainted every plot on it: 30-90 ms of the UI thread)
        policy = self.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.setSizePolicy(policy)
        self.tabs = None  # the tab widget whose tab row it floats in (float_in_tab_row)
        self.hide()

    def float_in_tab_row(self, tabs) -> None:
        """Show the strip in the free room right of ``tabs``' tab bar, in no layout: the page has
        no line for it, so no empty band while no job runs (its kept room was a ~34 px band above
        the plots at 1180x760) and nothing moves when a job begins or ends (a line that came and
        went moved the page under the pointer and re-laid every plot out). ``tabs`` must be in
        the page already; the page's layout must not hold the strip."""
        self.tabs = tabs
        self.setParent(tabs.parentWidget())  # the page: room above the tab bar too, for a taller button
        self.layout().setContentsMargins(0, 0, 0, 0)
        self.bar.setMinimumWidth(60)  # narrow windows: the bar gives way before Cancel does
        self.bar.setMaximumWidth(220)
        self.layout().setStretchFactor(self.bar, 1)  # and takes its 220 px where there is room
        for widget in (tabs, tabs.tabBar()):
            widget.installEventFilter(self)
        self._place()

    def eventFilter(self, obj, event) -> bool:  # Qt API: follow the tab bar (a resize, a tab added)
        if self.tabs is not None and event.type() in (QEvent.Type.Resize, QEvent.Type.Move, QEvent.Type.Show):
            self._place()
        return False

    def _place(self) -> None:
        page, bar = self.parentWidget(), self.tabs.tabBar()
        corner = bar.mapTo(page, QPoint(bar.width(), bar.height()))  # the tab bar's bottom right
        left = corner.x() + 24
        right = self.tabs.mapTo(page, QPoint(self.tabs.width(), 0)).x()
        height = max(bar.height(), self.sizeHint().height())
        top = max(0, corner.y() - height - 1)  # its foot on the tab row's, above the pane's frame line
        self.setGeometry(left, top, max(0, right - left), height)
        self.raise_()

    def _mine(self, job) -> bool:
        return job.name.startswith(self.prefix) and not job.internal

    def _changed(self, job) -> None:
        if not self._mine(job) or job.state.done:
            return
        self.job = job
        self._show(job)

    def _finished(self, job) -> None:
        if self.job is not None and job.id == self.job.id:
            waiting = [j for j in self.queue.jobs() if self._mine(j) and not j.state.done]
            self.job = waiting[-1] if waiting else None
            if self.job is None:
                self.hide()
            else:
                self._show(self.job)

    def _show(self, job) -> None:
        import time

        self.label.set_text(job.name[len(self.prefix):].strip() or job.name)
        self.bar.setValue(int(job.progress * 1000))
        started = job.started_at
        elapsed = time.monotonic() - started if started else 0.0
        parts = [job.message] if job.message else []
        if started is None:
            parts.append("waiting for the worker")
        else:
            parts.append(f"{job.progress:.0%}")
            if "/s" not in (job.message or ""):  # core's own counts ("… · 2.7/s · about 1 s left") are not repeated
                parts += [rate_text(job.message, elapsed), eta_text(job.progress, elapsed)]
        self.detail.set_text(" · ".join(p for p in parts if p))
        self.cancel_button.setEnabled(not job.cancel_requested)
        self.show()

    def _cancel(self) -> None:
        if self.job is not None:
            self.queue.cancel(self.job.id)
            self.cancel_button.setEnabled(False)


class EmptyHint(QObject):
    """Text drawn in the middle of an item view while it has no rows ("No posts yet: …"),
    so an empty table says what to do instead of showing bare headers. ``text``: a string, or
    a function giving it when the view is drawn (it depends on why the view is empty)."""

    def __init__(self, view, text) -> None:
        super().__init__(view)
        self.view, self.text = view, text
        view.viewport().installEventFilter(self)
        view.empty_hint = self

    def current(self) -> str:
        model = self.view.model()
        if model is not None and model.rowCount() > 0:
            return ""
        return self.text() if callable(self.text) else self.text

    def eventFilter(self, obj, event) -> bool:  # Qt API
        from PySide6.QtCore import QEvent

        text = self.current() if event.type() == QEvent.Type.Paint else ""
        if text:
            from PySide6.QtGui import QColor, QPainter

            painter = QPainter(obj)
            painter.setPen(QColor("#5a6a7a"))
            rect = obj.rect().adjusted(24, 24, -24, -24)
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), text)
            painter.end()
        return False


def ask(parent, title: str, question: str, detail: str, act: str, keep: str, kept_as: str,
        warning: bool = False) -> bool:
    """A question whose safe answer (``keep``) is the default; True when the user chose ``act``.
    The box is kept on ``parent`` as ``kept_as`` (tests answer it)."""
    from PySide6.QtWidgets import QMessageBox

    icon = QMessageBox.Icon.Warning if warning else QMessageBox.Icon.Question
    box = QMessageBox(icon, title, question, parent=parent)
    if detail:
        box.setInformativeText(detail)
    act_button = box.addButton(act, QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(box.addButton(keep, QMessageBox.ButtonRole.RejectRole))
    setattr(parent, kept_as, box)
    box.exec()
    return box.clickedButton() is act_button


def ask_to_discard(dialog, question: str) -> bool:
    """Cancel, Esc or the close button on a form with something typed: ask before throwing it
    away (Keep editing is the default). True: discard."""
    return ask(dialog, dialog.windowTitle(), question, "", "Discard", "Keep editing", "discard_box")


def fit_to_current_text(combo) -> None:
    """Keep a combo box as wide as its current item needs in the font it is drawn with (the
    style's frame, arrow and icon included), re-measured when the choice changes: a width
    given in characters is cut by a wider font (DejaVu Sans draws "EfficientNet-Lite0 (ImageNet,
    offline)" 6 px wider than 24 average characters)."""
    from PySide6.QtWidgets import QComboBox, QStyle, QStyleOptionComboBox

    def fit() -> None:
        opt = QStyleOptionComboBox()
        combo.initStyleOption(opt)
        text_w = combo.fontMetrics().horizontalAdvance(combo.currentText())
        icon_w = combo.iconSize().width() + 4 if not combo.itemIcon(combo.currentIndex()).isNull() else 0
        size = combo.style().sizeFromContents(QStyle.ContentsType.CT_ComboBox, opt,
                                              QSize(text_w + icon_w, combo.fontMetrics().height()), combo)
        combo.setMinimumWidth(size.width())

    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.currentIndexChanged.connect(fit)
    fit()


def key_list(*keys) -> list:
    """Shortcuts for ``QAction.setShortcuts``: each ``QKeySequence`` or standard key (all of the
    platform's bindings for it) once. An action given one sequence twice never fires: Qt calls it
    ambiguous. Redo was [Ctrl+Shift+Z, StandardKey.Redo], and on X11 the standard Redo is
    Ctrl+Shift+Z, so Ctrl+Shift+Z did nothing there ("QAction::event: Ambiguous shortcut overload")."""
    from PySide6.QtGui import QKeySequence

    out: dict[str, QKeySequence] = {}
    for key in keys:
        for seq in (QKeySequence.keyBindings(key) if isinstance(key, QKeySequence.StandardKey) else [QKeySequence(key)]):
            out.setdefault(seq.toString(), seq)
    return list(out.values())

