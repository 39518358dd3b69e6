"""What the Trends tabs share: the prepared dataset, the training's epochs and the trained models.

The page loads data, trains and reopens kept runs; it says so here, and the Overview tab follows
the signals, never the page's attributes.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class TrendsSession(QObject):
    dataset_changed = Signal(object)  # core.trends.service.Prepared
    history_reset = Signal()  # the epochs shown were replaced (a new training)
    epoch = Signal(object)  # one epoch's report, appended to ``history``
    trained = Signal(object)  # {"model", "numeric", "rows", "latest", ...}: the forecaster and its comparison
    run_opened = Signal(object)  # a kept core.runs.Run: its comparison and loss curves, no model

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.prep = None  # core.trends.service.Prepared
        self.dataset_path: str | None = None
        self.result = None  # {"model": TrendResult, "numeric": TrendResult, "rows", "latest"}
        self.rows: list[dict] = []  # the comparison with the baselines (core.trends.service.report)
        self.history: list = []

    def set_dataset(self, path: str, prep) -> None:
        self.prep, self.dataset_path, self.result = prep, path, None
        self.dataset_changed.emit(prep)

    def set_history(self, history: list) -> None:
        self.history = list(history)
        self.history_reset.emit()

    def add_epoch(self, report) -> None:
        self.history.append(report)
        self.epoch.emit(report)

    def set_result(self, result: dict) -> None:
        self.result, self.rows = result, result["rows"]
        self.trained.emit(result)

    def open_run(self, run) -> None:
        self.rows = run.metrics.get("rows", [])
        self.run_opened.emit(run)

    def can_forecast(self, run) -> bool:
        """Whether a kept run's model can forecast again: it kept one, and the dataset it was
        trained on is the one loaded, unchanged (the same test split and latest windows)."""
        return bool(run.model) and run.dataset == self.dataset_path and run.dataset_changed() is False
