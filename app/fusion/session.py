"""What the Fusion tabs share: the loaded dataset, the training's epochs and the trained model.

The page loads data and trains; it says so here, and each tab (the plots, Evaluation, Inspector)
follows the signals, never another tab's attributes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal


@dataclass
class ValidationSplit:
    """The trained model's validation split, as the model sees it (sensors standardised)."""

    vision: np.ndarray  # (n, D) image features
    sensors: np.ndarray  # (n, S) standardised readings
    labels: np.ndarray  # (n,)
    index: np.ndarray  # (n,) rows of the dataset


class FusionSession(QObject):
    dataset_changed = Signal(object)  # core.fusion.data.FusionData
    history_reset = Signal()  # the epochs shown were replaced (a new training, a reopened run)
    epoch = Signal(object)  # one epoch's report, appended to ``history``
    trained = Signal(object)  # core.fusion.train result: the model, its split, its scores

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.data = None  # core.fusion.data.FusionData
        self.features = None  # (N, D) cached image features of ``data``
        self.dataset_path: str | None = None
        self.history: list = []
        self.result = None
        self.val: ValidationSplit | None = None

    def set_dataset(self, path: str, data, features) -> None:
        self.data, self.features, self.dataset_path = data, features, path
        self.dataset_changed.emit(data)

    def set_history(self, history: list) -> None:
        self.history = list(history)
        self.history_reset.emit()

    def add_epoch(self, report) -> None:
        self.history.append(report)
        self.epoch.emit(report)

    def set_result(self, result) -> None:
        _, va, _ = result.split
        sensors = ((self.data.sensors[va] - result.sensor_mean) / result.sensor_std).astype(np.float32)
        vision = result.vision if result.vision is not None else self.features
        self.result = result
        self.val = ValidationSplit(vision[va], sensors, self.data.labels[va], va)
        self.trained.emit(result)
