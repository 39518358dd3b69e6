"""The Jobs view: queued / running / finished / failed jobs, with Cancel."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionButton,
    QStyleOptionProgressBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.jobs import JobQueue
from core.jobs import Job, JobState

COLUMNS = ["Job", "State", "Progress", "Elapsed", "Action", "Details"]
COL_NAME, COL_STATE, COL_PROGRESS, COL_ELAPSED, COL_CANCEL, COL_DETAILS = range(6)
_STATE_COLORS = {
    JobState.FAILED: QColor("#c0392b"),
    JobState.CANCELLED: QColor("#7f8c8d"),
    JobState.FINISHED: QColor("#27ae60"),
    JobState.RUNNING: QColor("#2471a3"),
}


def details_text(job: Job) -> str:
    """What a job is doing, or how it ended: a done job's last step ("Hashing 0 of 15", reported
    as the step began) would read as if it were still at it."""
    if job.state is JobState.FAILED:
        return job.error or ""
    if job.state is JobState.FINISHED:
        return f"Done in {format_elapsed(job.elapsed)}"
    if job.state is JobState.CANCELLED:
        return "Cancelled" + (f" at {job.progress:.0%}" if job.started_at else " before it started")
    return job.message


def format_elapsed(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, sec = divmod(int(seconds), 60)
    return f"{minutes}:{sec:02d} min" if minutes < 60 else f"{minutes // 60}:{minutes % 60:02d} h"


class JobsModel(QAbstractTableModel):
    def __init__(self, queue: JobQueue, parent=None) -> None:
        super().__init__(parent)
        self.queue = queue
        self.show_internal = False  # the app's housekeeping jobs (device detection, warm-up)
        # every job seen, internal ones too, until "Clear finished": a finished one is its summary
        # (the queue released its result once delivered, and lists only its last finished jobs)
        self._seen: dict[int, Job] = {}
        self._jobs: list[Job] = []
        self._rows: dict[int, int] = {}
        queue.job_added.connect(self._add)
        queue.job_changed.connect(self._update)
        queue.job_finished.connect(self._update)
        for job in queue.jobs():
            self._add(job)
        self._ticker = QTimer(self, interval=500)
        self._ticker.timeout.connect(self._tick)
        self._ticker.start()

    def job(self, row: int) -> Job:
        return self._jobs[row]

    def rowCount(self, parent=QModelIndex()) -> int:  # Qt API
        return 0 if parent.isValid() else len(self._jobs)

    def columnCount(self, parent=QModelIndex()) -> int:
        return len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        job = self._jobs[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == COL_NAME:
                return job.name
            if col == COL_STATE:
                return job.state.value
            if col == COL_PROGRESS:
                return int(job.progress * 100)
            if col == COL_ELAPSED:
                return format_elapsed(job.elapsed) if job.started_at else "—"
            if col == COL_CANCEL:
                return "" if job.state.done else "Cancel"
            if col == COL_DETAILS:
                return details_text(job)
        if role == Qt.ItemDataRole.ForegroundRole and col in (COL_STATE, COL_DETAILS):
            if col == COL_STATE or job.state is JobState.FAILED:
                return _STATE_COLORS.get(job.state)
        if role == Qt.ItemDataRole.ToolTipRole:
            if job.state is JobState.FAILED:
                return job.traceback or job.error
            last = f"\nlast step: {job.message}" if job.state.done and job.message else ""
            return f"{job.name} ({job.lane.value} worker){last}"
        if role == Qt.ItemDataRole.UserRole:
            return job
        return None

    def set_show_internal(self, show: bool) -> None:
        self.show_internal = bool(show)
        self.beginResetModel()
        self._jobs = [j for j in self._seen.values() if self.show_internal or not j.internal]
        self._rows = {j.id: i for i, j in enumerate(self._jobs)}
        self.endResetModel()

    def _add(self, job: Job) -> None:
        self._seen.setdefault(job.id, job)
        if job.id in self._rows or (job.internal and not self.show_internal):
            return
        row = len(self._jobs)
        self.beginInsertRows(QModelIndex(), row, row)
        self._jobs.append(job)
        self._rows[job.id] = row
        self.endInsertRows()

    def _update(self, job: Job) -> None:
        row = self._rows.get(job.id)
        if row is None:
            self._add(job)  # (an internal one stays out)
            return
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def _tick(self) -> None:
        for row, job in enumerate(self._jobs):
            if job.state is JobState.RUNNING:
                self.dataChanged.emit(self.index(row, COL_ELAPSED), self.index(row, COL_ELAPSED))

    def clear_done(self) -> None:
        self.beginResetModel()
        self._seen = {i: j for i, j in self._seen.items() if not j.state.done}
        self._jobs = [j for j in self._jobs if not j.state.done]
        self._rows = {j.id: i for i, j in enumerate(self._jobs)}
        self.endResetModel()


class _JobDelegate(QStyledItemDelegate):
    """Paints the progress bar and the Cancel button; a click on it cancels."""

    cancel_clicked = Signal(int)  # job id

    def paint(self, painter, option, index):
        job: Job = index.data(Qt.ItemDataRole.UserRole)
        style = QApplication.style()
        if index.column() == COL_PROGRESS:
            bar = QStyleOptionProgressBar()
            bar.rect = option.rect.adjusted(2, 3, -2, -3)
            bar.minimum, bar.maximum = 0, 100
            bar.progress = index.data()
            bar.text = f"{bar.progress}%"
            bar.textVisible = True
            bar.state = option.state | QStyle.StateFlag.State_Horizontal
            style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)
            return
        if index.column() == COL_CANCEL and not job.state.done:
            btn = QStyleOptionButton()
            btn.rect = self._button_rect(option.rect)
            btn.text = "Cancel" if not job.cancel_requested else "Stopping…"
            btn.state = QStyle.StateFlag.State_Enabled if not job.cancel_requested else QStyle.StateFlag.State_None
            style.drawControl(QStyle.ControlElement.CE_PushButton, btn, painter)
            return
        super().paint(painter, option, index)

    @staticmethod
    def _button_rect(rect: QRect) -> QRect:
        return rect.adjusted(3, 2, -3, -2)

    def editorEvent(self, event, model, option, index):  # Qt API
        if index.column() == COL_CANCEL and event.type() == QEvent.Type.MouseButtonRelease:
            job: Job = index.data(Qt.ItemDataRole.UserRole)
            if not job.state.done and self._button_rect(option.rect).contains(event.position().toPoint()):
                self.cancel_clicked.emit(job.id)
                return True
        return super().editorEvent(event, model, option, index)


class JobsView(QWidget):
    def __init__(self, queue: JobQueue, parent=None) -> None:
        super().__init__(parent)
        self.queue = queue
        self.model = JobsModel(queue, self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.delegate = _JobDelegate(self.table)
        self.delegate.cancel_clicked.connect(self.queue.cancel)
        self.table.setItemDelegate(self.delegate)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_DETAILS, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(COL_NAME, 240)
        self.table.setColumnWidth(COL_STATE, 80)
        self.table.setColumnWidth(COL_PROGRESS, 140)
        self.table.setColumnWidth(COL_ELAPSED, 80)
        self.table.setColumnWidth(COL_CANCEL, 90)
        self.table.doubleClicked.connect(self._show_details)

        self.clear_button = QPushButton("Clear finished")
        self.clear_button.clicked.connect(self.model.clear_done)
        self.cancel_all_button = QPushButton("Cancel all")
        self.cancel_all_button.clicked.connect(self.cancel_all)
        self.internal_box = QCheckBox("Show internal jobs")
        self.internal_box.setToolTip("The app's own housekeeping: device detection, loading libraries")
        self.internal_box.toggled.connect(self.model.set_show_internal)
        buttons = QHBoxLayout()
        buttons.addWidget(self.internal_box)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_all_button)
        buttons.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.table)
        layout.addLayout(buttons)

    def cancel_all(self) -> None:
        for job in self.queue.jobs():
            if not job.state.done:
                self.queue.cancel(job.id)

    def _show_details(self, index: QModelIndex) -> None:
        job: Job = index.data(Qt.ItemDataRole.UserRole)
        if job.state is JobState.FAILED:
            box = QMessageBox(QMessageBox.Icon.Warning, f"Job failed: {job.name}", job.error or "", parent=self)
            box.setDetailedText(job.traceback or "")
            box.open()
