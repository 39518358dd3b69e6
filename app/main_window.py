"""The main window: the five workspaces, the Jobs view, the status bar."""

from __future__ import annotations

import logging

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QStackedWidget,
    QWidget,
)

from app.backups import BackupActions
from app.devices import detect_device
from app.jobs import JobQueue
from app.jobs_view import JobsView
from app.settings import Key, Settings
from app.widgets import ask, key_list
from app.workspace import PageContext, UnavailablePage, WorkspacePage, show_folder
from app.workspaces import PAGE_CLASSES
from core import __version__
from core.jobs import Job, JobState, Lane
from core.paths import resource

log = logging.getLogger(__name__)


class MainWindow(BackupActions, QMainWindow):
    def __init__(self, jobs: JobQueue, settings: Settings, context: PageContext) -> None:
        super().__init__()
        self.jobs = jobs
        self.settings = settings
        self.context = context
        self.device = None  # core.device.DeviceInfo once detected
        self.available_devices: list = []
        self.setWindowTitle(f"Simscope {__version__}")
        self.setWindowIcon(QIcon(str(resource("icons", "simscope.svg"))))
        self.resize(1180, 760)

        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setIconSize(QSize(22, 22))
        self.nav.setFixedWidth(180)
        self.stack = QStackedWidget()
        self.pages: list[WorkspacePage] = []
        for cls in PAGE_CLASSES:
            page = self._make_page(cls)
            self.pages.append(page)
            self.stack.addWidget(page)
            item = QListWidgetItem(QIcon(str(resource("icons", f"{cls.icon}.svg"))), cls.title)
            item.setSizeHint(QSize(160, 40))
            self.nav.addItem(item)
        self.nav.currentRowChanged.connect(self._show_page)
        central = QWidget()  # the sidebar has a fixed width: a layout, not a splitter, so no empty gutter
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.jobs_view = JobsView(jobs)
        self.jobs_dock = QDockWidget("Jobs", self)
        self.jobs_dock.setObjectName("jobsDock")
        self.jobs_dock.setWidget(self.jobs_view)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.jobs_dock)
        self.resizeDocks([self.jobs_dock], [220], Qt.Orientation.Vertical)
        self.jobs_dock.hide()
        from app.viewstate import ViewState

        self.jobs_view_state = ViewState(settings, "jobs", self)  # its columns and filter, as the pages' views
        self.jobs_view_state.keep("columns", self.jobs_view.table.horizontalHeader())
        self.jobs_view_state.keep("internal", self.jobs_view.internal_box)

        self._build_status_bar()
        self._build_menus()
        jobs.job_added.connect(self._on_job_event)
        jobs.job_changed.connect(self._on_job_event)
        jobs.job_finished.connect(self._on_job_finished)
        settings.changed.connect(self._on_setting_changed)

        geometry = settings.get(Key.WINDOW_GEOMETRY)
        if geometry:
            self.restoreGeometry(geometry)
        state = settings.get(Key.WINDOW_STATE)
        if state:
            self.restoreState(QByteArray(state))
        self.nav.setCurrentRow(min(max(settings.get(Key.LAST_PAGE), 0), len(self.pages) - 1))
        self.undo_group.setActiveStack(self.current_page().undo_stack)

    # -- building ---------------------------------------------------------------
    def _build_status_bar(self) -> None:
        from app.statusbar import StatusBar

        self.setStatusBar(StatusBar(self))  # long messages cut at a word, whole in the tooltip
        bar = self.statusBar()
        self.job_label = QLabel("")
        self.job_label.setObjectName("jobLabel")
        self.job_label.setFixedWidth(380)  # changing text never re-lays out the window
        self.job_progress = QProgressBar()
        self.job_progress.setRange(0, 100)
        self.job_progress.setFixedWidth(180)
        self.job_progress.setTextVisible(True)
        self.job_progress.hide()
        self.device_label = QLabel("Device: detecting…")
        self.device_label.setObjectName("deviceLabel")
        self.device_label.setToolTip("Change it in Tools → Settings")
        # Reserve the progress bar's height: showing it must not resize the pages (a relayout
        # re-renders every plot on the Fusion page).
        bar.setFixedHeight(max(bar.sizeHint().height(), self.job_progress.sizeHint().height() + 8))
        bar.addPermanentWidget(self.job_label)
        bar.addPermanentWidget(self.job_progress)
        bar.addPermanentWidget(self.device_label)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.backup_action = QAction("&Back up data…", self)
        self.backup_action.setToolTip("A whole copy of your stores, photos, trained models and settings, "
                                      "taken safely while Simscope runs")
        self.backup_action.triggered.connect(lambda: self.back_up())
        file_menu.addAction(self.backup_action)
        self.restore_action = QAction("&Restore from a backup…", self)
        self.restore_action.setToolTip("Put a backup in place of your data (Simscope restarts; what it replaces "
                                       "is moved aside, nothing is deleted)")
        self.restore_action.triggered.connect(lambda: self.restore_from_backup())
        file_menu.addAction(self.restore_action)
        file_menu.addSeparator()
        from app.data_folders import folder_actions

        self.demo_action, self.own_data_action = folder_actions(self, file_menu)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        from PySide6.QtGui import QUndoGroup

        self.undo_group = QUndoGroup(self)  # each page's QUndoStack; the shown page's is active
        for page in self.pages:
            if page.undo_stack is not None:
                self.undo_group.addStack(page.undo_stack)
        edit_menu = self.menuBar().addMenu("&Edit")
        self.undo_action = self.undo_group.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_group.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts(key_list("Ctrl+Shift+Z", QKeySequence.StandardKey.Redo))
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        edit_menu.addSeparator()
        self.find_action = QAction("&Find", self, shortcut=QKeySequence.StandardKey.Find)
        self.find_action.setToolTip("To the page's search field (Albums: search by words; Lost & Found: posts)")
        self.find_action.triggered.connect(self.find)
        edit_menu.addAction(self.find_action)

        self.view_menu = view_menu = self.menuBar().addMenu("&View")
        self.jobs_action = self.jobs_dock.toggleViewAction()
        self.jobs_action.setText("&Jobs")
        self.jobs_action.setShortcut(QKeySequence("Ctrl+J"))
        view_menu.addAction(self.jobs_action)
        for i, page in enumerate(self.pages):
            # "&" in a menu text is a mnemonic: "Lost & Found" showed as "Lost _Found"
            action = QAction(page.title.replace("&", "&&"), self, shortcut=QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(lambda _=False, i=i: self.nav.setCurrentRow(i))
            view_menu.addAction(action)
        view_menu.addSeparator()
        reset_view = QAction("&Reset this page's view", self)
        reset_view.setToolTip("Its sliders, choices, splitters and columns as they were at the first start")
        reset_view.triggered.connect(lambda: self.current_page().reset_view())
        view_menu.addAction(reset_view)

        tools = self.menuBar().addMenu("&Tools")
        models_action = QAction("&Models…", self)
        models_action.triggered.connect(self.open_models)
        tools.addAction(models_action)
        settings_action = QAction("&Settings…", self, shortcut=QKeySequence.StandardKey.Preferences)
        settings_action.triggered.connect(self.open_settings)
        tools.addAction(settings_action)
        tools.addAction("&Learned event kinds…", self.open_kinds)  # Albums' kinds learned from names

        help_menu = self.menuBar().addMenu("&Help")
        from core.paths import data_dir, log_dir

        self.data_folder_action = QAction("Show the &data folder", self)
        self.data_folder_action.setToolTip(str(data_dir()))
        self.data_folder_action.triggered.connect(lambda: show_folder(data_dir()))
        self.log_folder_action = QAction("Show the &logs", self)
        self.log_folder_action.setToolTip(str(log_dir()))
        self.log_folder_action.triggered.connect(lambda: show_folder(log_dir()))
        about = QAction("&About Simscope", self)
        about.triggered.connect(lambda: QMessageBox.about(
            self, "About Simscope",
            f"<b>Simscope {__version__}</b><br>Multimodal similarity workbench.<br>"
            "Models run on your own GPU (CUDA / Apple MPS) or CPU.<br><br>"
            f"Data: {data_dir()}<br>Logs: {log_dir()}"))
        from app.guide import guide_action

        self.guide_action = guide_action(self)
        help_menu.addAction(self.guide_action)
        help_menu.addSeparator()
        for action in (self.data_folder_action, self.log_folder_action):
            help_menu.addAction(action)
        help_menu.addSeparator()
        help_menu.addAction(about)

    # -- behaviour --------------------------------------------------------------
    def start(self) -> None:
        """Work that follows the first paint: device detection imports torch off the UI thread,
        then the other heavy libraries are imported while the window is idle (``core.warmup``)."""
        from core.backup import snapshot_stores
        from core.warmup import warm_up

        self.refresh_device()
        self.jobs.submit(warm_up, "Load libraries", Lane.IO, internal=True)
        # about once a day, a copy of every store a damaged one can be restored from
        self.jobs.submit(lambda progress, cancelled: snapshot_stores(), "Snapshot the stores", Lane.IO,
                         internal=True, on_error=lambda job: log.warning("snapshot failed: %s", job.error))

    def refresh_device(self) -> Job:
        self.device_label.setText("Device: detecting…")
        preference = self.settings.get(Key.DEVICE)
        return self.jobs.submit(
            lambda progress, cancelled: detect_device(preference),
            "Detect compute device", Lane.IO, internal=True,
            on_done=self._device_detected,
            on_error=lambda job: self.device_label.setText(f"Device: error ({job.error})"),
        )

    def _device_detected(self, result) -> None:
        self.device, self.available_devices = result
        self.device_label.setText(f"Device: {self.device.label}")
        models = self.context.models
        preference = self.settings.get(Key.DEVICE)
        # The model manager belongs to the model worker: change it there.
        self.jobs.submit(lambda p, c: models.set_device_preference(preference),
                         "Switch compute device", Lane.MODEL, internal=True)

    def _on_setting_changed(self, key: str) -> None:
        if key == Key.DEVICE.value:
            self.refresh_device()
        elif key == Key.ALLOW_DOWNLOADS.value:
            self.context.models.allow_download = self.settings.get(Key.ALLOW_DOWNLOADS)

    def _show_page(self, row: int) -> None:
        if row >= 0:
            self.stack.setCurrentIndex(row)
            self.settings.set(Key.LAST_PAGE, row)
            self._on_job_event()  # the new page's job comes first
            if hasattr(self, "undo_group"):
                self.undo_group.setActiveStack(self.pages[row].undo_stack)
                self.find_action.setEnabled(self.pages[row].search_field is not None)

    def find(self) -> None:
        """Edit → Find (Ctrl+F): the current page's search field, its text selected to type over."""
        field = self.current_page().search_field
        if field is not None:
            field.setFocus(Qt.FocusReason.ShortcutFocusReason)
            field.selectAll()

    def _make_page(self, cls: type[WorkspacePage]) -> WorkspacePage:
        """The workspace's page, or one that says its database cannot be opened (and why)."""
        import sqlite3

        from core.database import StoreUnavailable, checking

        try:
            try:
                return cls(self.context)
            except sqlite3.DatabaseError as exc:  # damage deep in a store opens without complaint and
                log.warning("%s: %s: checking its stores", cls.title, exc)  # shows at its first query:
                with checking():  # open them again, each checked page by page, to name the file
                    return cls(self.context)
        except StoreUnavailable as exc:
            log.warning("%s: %s", cls.title, exc)
            path = exc.path
            return UnavailablePage(cls, self.context, exc, lambda note: self._reopen_pages(path, note))

    def _reopen_pages(self, path, note: str = "") -> None:
        """Build again, in place, every page that could not open ``path`` (it was moved aside or
        restored; Fusion and Trends share their runs file)."""
        for row, old in enumerate(list(self.pages)):
            if not isinstance(old, UnavailablePage) or old.error.path != path:
                continue
            page = self._make_page(old.page_class)
            self.pages[row] = page
            self.stack.insertWidget(row, page)
            self.stack.removeWidget(old)
            old.deleteLater()
            if page.undo_stack is not None:
                self.undo_group.addStack(page.undo_stack)
            if self.nav.currentRow() == row:
                self.stack.setCurrentIndex(row)
                self.undo_group.setActiveStack(page.undo_stack)
            if isinstance(page, UnavailablePage):
                note = f"{page.title}: still cannot open {page.error.path.name}"
        if note:
            self.statusBar().showMessage(note, 15000)

    def current_page(self) -> WorkspacePage:
        return self.pages[self.stack.currentIndex()]

    def shown_job(self) -> tuple[Job | None, int]:
        """The job the status bar shows (the current page's first, else the oldest running user
        job) and how many other user jobs are running."""
        running = [j for j in self.jobs.running() if not j.internal]
        if not running:
            return None, 0
        prefix = f"{self.current_page().title}:"
        mine = [j for j in running if j.name.startswith(prefix)]
        shown = (mine or running)[0]
        return shown, len(running) - 1

    def _on_job_event(self, job: Job | None = None) -> None:
        shown, others = self.shown_job()
        if shown is None:
            self.job_progress.hide()
            self.job_label.setText("")
            return
        text = shown.name + (f" — {shown.message}" if shown.message else "")
        if others:
            text = f"{text}  (+{others} more: View → Jobs)"
        metrics = self.job_label.fontMetrics()
        self.job_label.setText(metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, self.job_label.width()))
        self.job_label.setToolTip(text)
        self.job_progress.setValue(int(shown.progress * 100))
        self.job_progress.show()

    def _on_job_finished(self, job: Job) -> None:
        if job.state is JobState.FAILED:
            # in the log too, with its traceback: what Help → Show the logs is for
            log.warning("job %r failed: %s\n%s", job.name, job.error, (job.traceback or "").rstrip())
            self.statusBar().showMessage(f"{job.name} failed: {job.error}  (details in View → Jobs)", 15000)
        elif job.state is JobState.CANCELLED:
            self.statusBar().showMessage(f"{job.name}: cancelled", 5000)
        self._on_job_event(job)

    def open_settings(self):
        from app.dialogs.settings_dialog import SettingsDialog

        kinds = [d.kind for d in self.available_devices] if self.available_devices else None
        dialog = SettingsDialog(self.settings, kinds, self)
        dialog.open()
        return dialog

    def open_models(self):
        from app.dialogs.models_dialog import ModelsDialog

        dialog = ModelsDialog(self.jobs, self)
        dialog.open()
        return dialog

    def open_kinds(self):
        from app.albums.kinds_dialog import open_kinds_dialog
        return open_kinds_dialog(self)

    force_close = False  # a signal or the session's end: close without asking (app.main.quit_on_signals)

    def confirm_quit(self) -> bool:
        """Closing stops the running jobs: with any of the user's running or waiting, say which
        and ask (Keep working is the default)."""
        jobs = [j for j in self.jobs.jobs() if not j.state.done and not j.internal]
        if not jobs:
            return True
        lines = [f"• {j.name}" + (f": {j.progress:.0%}" if j.state is JobState.RUNNING else ": waiting")
                 for j in jobs[:6]] + ([f"… and {len(jobs) - 6} more"] if len(jobs) > 6 else [])
        return ask(self, "Quit Simscope?", f"{len(jobs)} job{'s are' if len(jobs) > 1 else ' is'} not finished:",
                   "\n".join(lines) + "\n\nQuitting stops them. What they finished is kept (photos and logos "
                   "already embedded stay in the cache, a logo training keeps its last epoch for Resume); the "
                   "rest runs again when asked.", "Quit", "Keep working", "_quit_box", warning=True)

    def closeEvent(self, event) -> None:  # Qt API
        if not self.force_close and not self.confirm_quit():
            event.ignore()
            return
        self.settings.set(Key.WINDOW_GEOMETRY, bytes(self.saveGeometry().data()))
        self.settings.set(Key.WINDOW_STATE, bytes(self.saveState().data()))
        for page in self.pages:
            page.flush_view()
        self.jobs_view_state.flush()
        self.settings.sync()  # with the pages' views (app.viewstate), kept since the last idle write
        for page in self.pages:
            page.shutdown()
        super().closeEvent(event)
