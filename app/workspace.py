"""What every workspace page shares: a title, a context, and an empty state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

if TYPE_CHECKING:  # for the annotations only: no import at run time
    from app.jobs import JobQueue
    from app.settings import Settings
    from core.cache import EmbeddingCache
    from core.models.manager import ModelManager


def show_folder(folder) -> bool:
    """Open a folder in the system's file manager (the data folder, the logs, a damaged file's)."""
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


@dataclass
class PageContext:
    """What a page needs from the app: the job queue, settings, models, the cache."""

    jobs: JobQueue
    settings: Settings
    models: ModelManager  # used on the model worker only
    cache: EmbeddingCache


class WorkspacePage(QWidget):
    title = "Workspace"
    icon = ""  # a resources/icons/*.svg name
    summary = ""

    def __init__(self, context: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setObjectName(f"page-{type(self).__name__}")
        self._view = None  # app.viewstate.ViewState, made when first asked for
        self._demo_on_show = False  # demo mode asked this page for its demo when first shown

    undo_stack = None  # a QUndoStack for pages whose edits can be undone (Edit → Undo)
    search_field = None  # the QLineEdit Edit → Find (Ctrl+F) goes to, on pages that have one

    def start_demo_when_shown(self) -> None:
        """Demo mode (``app.main.queue_demo``): a page whose demo is a job of its own (Fusion's
        6,400 images, Trends' 730 days of posts) starts it when first shown, so a first start
        shows every workspace at work without loading what is never looked at."""
        self._demo_on_show = True
        if self.isVisible():  # shown already: built, its last dataset (if any) reopening
            self.demo_if_new()

    def demo_if_new(self):
        """The page's demo job (``load_demo``) if demo mode asked for it and this data dir never
        had a dataset on this page (one it had is reopened instead); else None. Pages call it
        when they are first built."""
        if not self._demo_on_show or self.runs.last_dataset(self.icon) is not None:
            return None
        self._demo_on_show = False
        return self.load_demo()

    def view_state(self):
        """The page's ``app.viewstate.ViewState`` (made when first asked for)."""
        if self._view is None:
            from app.viewstate import ViewState

            self._view = ViewState(self.context.settings, self.icon or type(self).__name__, self)
        return self._view

    def keep_view(self, name: str, widget, quiet: bool = False) -> None:
        """Keep ``widget``'s setting between starts (``app.viewstate``): the last one is put
        back now, and View → *Reset this page's view* puts back the page's own."""
        self.view_state().keep(name, widget, quiet)

    def flush_view(self) -> None:
        """Write what the view keeps now (the window is closing)."""
        if self._view is not None:
            self._view.flush()

    def reset_view(self) -> bool:
        """Back to what the page started with; False when it keeps nothing."""
        view = self._view
        if view is None:
            return False
        view.reset()
        return True

    def shutdown(self) -> None:
        """The window is closing: stop any threads the page owns."""

    def release(self) -> None:
        """The job queue has stopped (no job can touch the page's stores any more): close the
        databases the page holds open, so SQLite folds each write-ahead log back into its file
        (``app.main.close_down``)."""

    def confirm(self, key: str, question: str, detail: str) -> bool:
        """Ask once before a destructive group action, with "Don't ask again" (kept in the
        settings under ``confirm/<key>``)."""
        from PySide6.QtWidgets import QCheckBox, QMessageBox

        settings = self.context.settings
        stored = f"confirm/{key}"
        if settings is not None and settings.raw(stored, False):
            return True
        box = QMessageBox(QMessageBox.Icon.Question, self.title, question,
                          QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel, self)
        box.setInformativeText(detail)
        again = QCheckBox("Don't ask again")
        box.setCheckBox(again)
        box.setDefaultButton(QMessageBox.StandardButton.Ok)
        ok = box.exec() == QMessageBox.StandardButton.Ok
        if ok and again.isChecked() and settings is not None:
            settings.set_raw(stored, True)
        return ok

    def empty_state(self) -> QWidget:
        """A panel that says what this workspace will hold."""
        box = QFrame(self)
        box.setObjectName("emptyState")
        layout = QVBoxLayout(box)
        layout.addStretch(1)
        heading = QLabel(self.title, box)
        heading.setObjectName("emptyTitle")
        heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text = QLabel(self.summary, box)
        text.setWordWrap(True)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setObjectName("emptyText")
        text.setFixedWidth(560)
        text.ensurePolished()  # the style sheet's font decides the height
        text.setMinimumHeight(text.heightForWidth(560) + 4)  # never clipped when space runs short
        layout.addWidget(heading)
        layout.addWidget(text, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(box)
        return scroll


class UnavailablePage(WorkspacePage):
    """A workspace whose database cannot be opened (``core.database.StoreUnavailable``): it says
    which file and why, and offers to move a damaged file aside or to try again; the other
    workspaces work as usual (one damaged file used to stop the whole app at start)."""

    def __init__(self, cls: type[WorkspacePage], context: PageContext, error, retry) -> None:
        from PySide6.QtWidgets import QHBoxLayout, QPushButton

        super().__init__(context)
        self.page_class, self.error, self._retry = cls, error, retry
        self.title, self.icon, self.summary = cls.title, cls.icon, cls.summary
        self.setObjectName(f"page-unavailable-{cls.icon}")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        heading = QLabel(f"{cls.title} cannot open its data", self)
        heading.setObjectName("emptyTitle")
        heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message = QLabel(str(error), self)
        self.message.setObjectName("emptyText")
        self.message.setWordWrap(True)
        self.message.setFixedWidth(620)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.ensurePolished()  # the style sheet's font decides the height: never clipped
        self.message.setMinimumHeight(self.message.heightForWidth(620) + 4)
        layout.addWidget(heading)
        layout.addWidget(self.message, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addSpacing(8)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.move_button = QPushButton("Move it aside and start empty", self)
        self.move_button.setToolTip(f"Renames {error.path.name} to {error.path.name}.damaged-<date>: "
                                    "nothing is deleted")
        self.move_button.setVisible(bool(error.damaged))
        self.move_button.clicked.connect(self.move_aside)
        from core.backup import latest_snapshot

        self.snapshot = latest_snapshot(error.path)
        self.restore_button = QPushButton(self)
        if self.snapshot is not None:
            from datetime import datetime

            taken = datetime.strptime(self.snapshot.parent.name[:15], "%Y%m%d-%H%M%S")
            self.restore_button.setText(f"Restore the copy of {taken.day} {taken:%b %Y, %H:%M}")
            self.restore_button.setToolTip(f"The daily snapshot {self.snapshot}; the damaged file is "
                                           "moved aside first (nothing is deleted)")
        self.restore_button.setVisible(self.snapshot is not None)
        self.restore_button.clicked.connect(self.restore)
        folder = QPushButton("Show the folder", self)
        folder.clicked.connect(lambda: show_folder(error.path.parent))
        again = QPushButton("Try again", self)
        again.setToolTip("After restoring a backup or fixing the folder's permissions")
        again.clicked.connect(lambda: self._retry(""))
        for b in (self.restore_button, self.move_button, folder, again):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(2)

    def move_aside(self) -> None:
        """Rename the damaged file (nothing is deleted) and open the workspace on a new one."""
        from core.database import move_aside

        try:
            moved = move_aside(self.error.path)
        except OSError as exc:
            self.message.setText(f"{self.error}\n\nMoving it aside failed: {exc}")
            self.message.setMinimumHeight(self.message.heightForWidth(620) + 4)
            return
        self._retry(f"Moved aside: {moved.name}")  # short: the status bar's right side holds the job

    def restore(self) -> None:
        """Put the newest sound snapshot of the store in its place (the damaged file is moved
        aside, never deleted) and open the workspace on it."""
        from core.backup import restore_snapshot

        try:
            restore_snapshot(self.error.path, self.snapshot)
        except OSError as exc:
            self.message.setText(f"{self.error}\n\nRestoring the copy failed: {exc}")
            self.message.setMinimumHeight(self.message.heightForWidth(620) + 4)
            return
        self._retry(f"Restored from the snapshot of {self.snapshot.parent.name}")
