"""The Models dialog: every preset, its status, and Download / Import from file."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
)

from app.filedialogs import open_file, pick_folder
from app.jobs import JobQueue
from core.jobs import Job, Lane
from core.models.registry import PRESETS, Preset, preset_status
from core.models.weights import import_weights

COLUMNS = ["Model", "Task", "Status", "Where"]


class ModelsDialog(QDialog):
    def __init__(self, jobs: JobQueue, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.resize(900, 520)
        self.jobs = jobs
        self.last_error: str | None = None
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # long paths keep their start and file name
        self.table.itemSelectionChanged.connect(self._show_details)
        self.details = QTextBrowser()
        self.details.setOpenExternalLinks(False)
        self.details.setMaximumHeight(170)

        self.download_button = QPushButton("Download")
        self.download_button.clicked.connect(self.download_selected)
        self.import_button = QPushButton("Import from file…")
        self.import_button.clicked.connect(self.import_selected)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.import_button)
        buttons.addStretch(1)
        buttons.addWidget(refresh)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        layout.addLayout(buttons)
        self.refresh()
        self.table.selectRow(0)

    def refresh(self) -> None:
        selected = self.selected_preset()
        self.table.setRowCount(0)
        for row, preset in enumerate(PRESETS.values()):
            status = preset_status(preset)
            self.table.insertRow(row)
            cells = [preset.title, preset.task, status.summary,
                     status.location if status.available else status.location]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, preset.name)
                if col == 2:
                    item.setForeground(QColor("#27ae60" if status.available else "#c0392b"))
                if col == 3:
                    item.setToolTip(text)  # the whole path or reason
                self.table.setItem(row, col, item)
            if selected is not None and preset.name == selected.name:
                self.table.selectRow(row)
        self._show_details()

    def selected_preset(self) -> Preset | None:
        items = self.table.selectedItems()
        return PRESETS[items[0].data(Qt.ItemDataRole.UserRole)] if items else None

    def _show_details(self) -> None:
        preset = self.selected_preset()
        if preset is None:
            self.details.clear()
            return
        status = preset_status(preset)
        state = (f"<b style='color:#27ae60'>Available</b> ({status.summary}): {status.location}"
                 if status.available else
                 f"<b style='color:#c0392b'>Missing</b>: {status.location}<br><b>How to get it:</b> "
                 f"{preset.how_to_get}")
        self.details.setHtml(
            f"<b>{preset.title}</b> — preset <code>{preset.name}</code><br>{preset.note}<br>"
            f"Model <code>{preset.model_id}</code>, weights <code>{preset.weights}</code>, "
            f"{preset.dim or '—'}-d, license {preset.license or 'see source'}<br>{state}")
        self.download_button.setEnabled(not status.available and bool(preset.hf_repo))
        self.import_button.setEnabled(not preset.package)

    def download_selected(self) -> Job | None:
        preset = self.selected_preset()
        if preset is None:
            return None
        from core.models.download import download

        return self.jobs.submit(
            lambda progress, cancelled: download(preset.name, progress, cancelled),
            f"Download {preset.title}", Lane.IO,
            on_done=lambda _: self.refresh(),
            on_error=lambda job: self._error(f"Could not download {preset.title}", job.error),
        )

    def import_selected(self, path: str | None = None) -> Job | None:
        preset = self.selected_preset()
        if preset is None:
            return None
        if not path:
            if preset.family in ("sentence_transformers", "hf_clip"):
                path = pick_folder(self, "models", f"Model folder for {preset.title}", next_in_parent=True)
            else:
                path = open_file(self, "models", f"Weights for {preset.title}",
                                 "Weights (*.safetensors *.bin *.pt *.pth);;All files (*)")
        if not path:
            return None
        # Checking a file loads it into the model: a model-worker job, not the UI thread.
        return self.jobs.submit(
            lambda progress, cancelled: import_weights(preset.name, path),
            f"Import weights for {preset.title}", Lane.MODEL,
            on_done=lambda _: self.refresh(),
            on_error=lambda job: self._error(f"Could not import {path}", job.error),
        )

    def _error(self, title: str, text: str | None) -> None:
        self.last_error = text
        box = QMessageBox(QMessageBox.Icon.Warning, title, text or "unknown error", parent=self)
        box.open()  # not exec(): the event loop keeps running
