"""Fusion › Sweep: the 27-setting grid as a job, rows arriving live in a sortable table, CSV export."""

from __future__ import annotations

import csv

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.filedialogs import save_file
from app.fusion.session import FusionSession
from core.jobs import Lane, Priority


class SweepTab(QWidget):
    """``session``: the dataset swept; ``jobs`` runs the grid in a child process, a row per setting."""

    finished = Signal(str)  # the sweep ended: what the status line says
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, session: FusionSession, jobs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.jobs = session, jobs
        self.sweep_rows: list = []
        layout = QVBoxLayout(self)
        self.sweep_table = QTableWidget(0, 6)
        self.sweep_table.setHorizontalHeaderLabels(["temperature", "embedding_dim", "lr", "val macro-F1",
                                                    "test macro-F1", "seconds"])
        self.sweep_table.setSortingEnabled(True)
        self.sweep_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        export = QPushButton("Export CSV…")
        export.clicked.connect(lambda: self.export_sweep(None))
        export.setEnabled(False)
        export.setToolTip("Run the sweep first")
        self.export_button = export
        layout.addWidget(self.sweep_table, 1)
        layout.addWidget(export, 0, Qt.AlignmentFlag.AlignRight)

    def start_sweep(self, base, grid: dict | None = None):
        """Train each setting of ``grid`` (default: 27) around ``base`` (a TrainConfig) on the session's data."""
        data, feats = self.session.data, self.session.features
        self.sweep_rows = []
        self.sweep_table.setRowCount(0)

        def work(progress, cancelled):
            from core.fusion.train import sweep_in_child
            from core.process import run_in_process

            return run_in_process(sweep_in_child, (base, data, feats, grid), progress=progress,
                                  cancelled=cancelled, on_message=lambda kind, r: progress.send(r))

        return self.jobs.submit(work, "Fusion: sweep", Lane.MODEL, on_done=self._sweep_done,
                                on_error=lambda job: self.failed.emit(job.error),
                                on_cancelled=lambda job: self.cancelled.emit(),
                                on_message=self._on_sweep_row, priority=Priority.BATCH)

    def _on_sweep_row(self, row) -> None:
        self.sweep_rows.append(row)
        self.export_button.setEnabled(True)
        self.export_button.setToolTip(f"Save the {len(self.sweep_rows)} settings tried so far, best first")
        self.sweep_table.setSortingEnabled(False)
        r = self.sweep_table.rowCount()
        self.sweep_table.insertRow(r)
        for c, value in enumerate([row.temperature, row.embedding_dim, row.lr, round(row.val_macro_f1, 4),
                                   round(row.test_macro_f1, 4), round(row.seconds, 1)]):
            item = QTableWidgetItem()
            item.setData(Qt.ItemDataRole.DisplayRole, value)
            self.sweep_table.setItem(r, c, item)
        self.sweep_table.setSortingEnabled(True)

    def _sweep_done(self, rows) -> None:
        self.sweep_table.sortItems(3, Qt.SortOrder.DescendingOrder)
        best = rows[0]
        self.finished.emit(f"Sweep done: best val macro-F1 {best.val_macro_f1:.3f} at T={best.temperature}, "
                           f"embedding_dim={best.embedding_dim}, lr={best.lr}")

    def export_sweep(self, path: str | None) -> None:
        if not path:
            path = save_file(self, "export", "Export sweep", "fusion_sweep.csv", "CSV (*.csv)")
        if not path:
            return
        from core.fileio import atomic_write

        with atomic_write(path, newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["temperature", "embedding_dim", "lr", "val_macro_f1", "test_macro_f1", "seconds"])
            for r in sorted(self.sweep_rows, key=lambda r: -r.val_macro_f1):
                w.writerow([r.temperature, r.embedding_dim, r.lr, r.val_macro_f1, r.test_macro_f1, r.seconds])
