"""Settings: compute device, default models, workers. Saved through app.settings."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.settings import Key, Settings
from app.workspace import show_folder
from core.models.registry import presets_for
from core.paths import data_dir

DEVICE_CHOICES = [
    ("auto", "Automatic (CUDA, then Apple MPS, then CPU)"),
    ("cuda", "NVIDIA GPU (CUDA)"),
    ("mps", "Apple GPU (MPS)"),
    ("cpu", "CPU"),
]


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, available: list[str] | None = None, parent=None) -> None:
        """``available``: device kinds found here (None while still detecting)."""
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings
        form = QFormLayout()

        self.device = QComboBox()
        for value, label in DEVICE_CHOICES:
            missing = available is not None and value not in ("auto", "cpu") and value not in available
            self.device.addItem(label + ("  — not found here" if missing else ""), value)
        self.device.setCurrentIndex(self.device.findData(settings.get(Key.DEVICE)))
        form.addRow("Compute device:", self.device)

        self.image_preset = self._preset_combo("image", settings.get(Key.IMAGE_PRESET))
        form.addRow("Image model:", self.image_preset)
        self.text_preset = self._preset_combo("text", settings.get(Key.TEXT_PRESET))
        form.addRow("Text model (English):", self.text_preset)
        self.ml_text_preset = self._preset_combo(
            "text", settings.get(Key.MULTILINGUAL_TEXT_PRESET), multilingual=True)
        form.addRow("Text model (multilingual):", self.ml_text_preset)

        self.io_workers = QSpinBox()
        self.io_workers.setRange(1, 16)
        self.io_workers.setValue(settings.get(Key.IO_WORKERS))
        self.io_workers.setToolTip("Threads that decode images and make thumbnails (applies at restart)")
        form.addRow("File I/O workers:", self.io_workers)

        self.allow_downloads = QCheckBox("Download missing model weights when online")
        self.allow_downloads.setChecked(settings.get(Key.ALLOW_DOWNLOADS))
        form.addRow("", self.allow_downloads)

        folder = QWidget()
        row = QHBoxLayout(folder)
        row.setContentsMargins(0, 0, 0, 0)
        path = QLabel(str(data_dir()))
        path.setToolTip("Set SIMSCOPE_DATA_DIR to use another folder")
        open_btn = QPushButton("Open")
        open_btn.clicked.connect(lambda: show_folder(data_dir()))
        row.addWidget(path, 1)
        row.addWidget(open_btn)
        form.addRow("Data folder:", folder)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    @staticmethod
    def _preset_combo(task: str, current: str, multilingual: bool = False) -> QComboBox:
        combo = QComboBox()
        for p in presets_for(task):
            if multilingual and not p.multilingual:
                continue
            combo.addItem(p.title, p.name)
        idx = combo.findData(current)
        combo.setCurrentIndex(max(idx, 0))
        return combo

    def accept(self) -> None:
        self.settings.set(Key.DEVICE, self.device.currentData())
        self.settings.set(Key.IMAGE_PRESET, self.image_preset.currentData())
        self.settings.set(Key.TEXT_PRESET, self.text_preset.currentData())
        self.settings.set(Key.MULTILINGUAL_TEXT_PRESET, self.ml_text_preset.currentData())
        self.settings.set(Key.IO_WORKERS, self.io_workers.value())
        self.settings.set(Key.ALLOW_DOWNLOADS, self.allow_downloads.isChecked())
        super().accept()
