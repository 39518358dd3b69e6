"""Fusion › Sweep: the 27-setting grid as a job, rows arriving live in a sortable table, CSV export."""

from __future__ import annotations

import csv

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidgetItem

from app.filedialogs import save_file
from core.jobs import Lane, Priority


class FusionSweep:
    # -- sweep ------------------------------------------------------------------
    def start_sweep(self, grid: dict | None = None):
        if self.data is None:
            self._error("Load a dataset first.")
            return None
        base = self.config()
        data, feats = self.data, self.features
        self.sweep_rows = []
        self.sweep_table.setRowCount(0)

        def work(progress, cancelled):
            from core.fusion.train import sweep_in_child
            from core.process import run_in_process

            return run_in_process(sweep_in_child, (base, data, feats, grid), progress=progress,
                                  cancelled=cancelled, on_message=lambda kind, r: progress.send(r))

        self.train_job = self.context.jobs.submit(work, "Fusion: sweep", Lane.MODEL,
                                                  on_done=lambda rows: self._sweep_done(rows),
                                                  on_error=lambda job: self._error(job.error),
                                                  on_cancelled=lambda job: self._set_busy(False),
                                                  on_message=self._on_sweep_row, priority=Priority.BATCH)
        self._set_busy(True)
        self.tabs.setCurrentIndex(3)
        return self.train_job

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
        self._set_busy(False)
        self.sweep_table.sortItems(3, Qt.SortOrder.DescendingOrder)
        best = rows[0]
        self.status.setText(f"Sweep done: best val macro-F1 {best.val_macro_f1:.3f} at T={best.temperature}, "
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
