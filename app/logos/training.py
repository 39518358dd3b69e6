"""Logos › Train: SimCLR in a child process with live loss curves, pause / resume, and the kept runs."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.logos.session import LogoSession, no_keep
from app.widgets import fit_to_current_text
from core.jobs import Lane, Priority


class TrainTab(QWidget):
    """``session``: the index whose logos it trains on (and the duplicate groups, kept together);
    ``jobs`` runs the training in a child process with ``models``' device; ``keep_view`` keeps the
    form's values between starts. Built when first shown (pyqtgraph is imported then)."""

    message = Signal(str)  # for this tab's note
    trained = Signal(dict)  # a run finished or paused: its checkpoint can serve an index
    use_checkpoint = Signal(str)  # index the folder again with this run's model

    def __init__(self, session: LogoSession, jobs, models, keep_view=no_keep, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.jobs, self.models, self.keep_view = session, jobs, models, keep_view
        self.train_job = None
        self.run_dir: Path | None = None
        self.history: list[dict] = []
        self.built = False
        self._busy = False
        self._runs: list[dict] = []
        session.index_changed.connect(self._update_run_actions)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.build()

    def build(self) -> None:
        """The form, the buttons, the runs and the loss plot (once)."""
        if self.built:
            return
        self.built = True
        import pyqtgraph as pg

        from core.logos.service import TrainSettings

        d = TrainSettings()
        self.epochs = self._ispin(1, 500, 10)
        self.batch = self._ispin(4, 512, d.batch_size)
        self.image_size = self._ispin(32, 512, d.image_size)
        self.temperature = self._dspin(0.01, 2.0, d.temperature, 0.05)
        self.rw_threshold = self._dspin(0.0, 1.01, d.threshold, 0.01)
        self.neg_weight = self._dspin(0.0, 1.0, d.negative_weight, 0.05)
        self.lr = self._dspin(1e-6, 1e-1, d.lr, 1e-4, decimals=6)
        self.backbone = QComboBox()
        self.backbone.addItem("Simscope logos (offline)", "simscope-logo")
        self.backbone.addItem("EfficientNet-Lite0 (offline)", "effnet-lite0")
        self.backbone.addItem("Swin-T (import its weights)", "swin-t")
        self.backbone.setItemData(0, "The app's logo model (Lite0 trained on 1,141 brands): your training starts from it",
                                  Qt.ItemDataRole.ToolTipRole)
        self.backbone.setItemData(1, "ImageNet weights that ship with the app", Qt.ItemDataRole.ToolTipRole)
        self.backbone.setItemData(2, "Needs its weights: Tools → Models", Qt.ItemDataRole.ToolTipRole)
        fit_to_current_text(self.backbone)  # never cut, in whatever font draws it
        form = QFormLayout()
        for label, w in (("Backbone", self.backbone), ("Epochs", self.epochs), ("Batch size", self.batch),
                         ("Image size", self.image_size), ("Temperature", self.temperature),
                         ("Re-weight negatives above (cosine)", self.rw_threshold),
                         ("… with weight", self.neg_weight), ("Learning rate", self.lr)):
            form.addRow(label, w)
        self.train_button = QPushButton("Train")
        self.train_button.clicked.connect(lambda: self.start_training())
        self.pause_button = QPushButton("Pause")
        self.pause_button.setToolTip("Stop after this epoch; Resume continues from its checkpoint")
        self.pause_button.clicked.connect(self.pause_training)
        self.resume_button = QPushButton("Resume")
        self.resume_button.clicked.connect(lambda: self.start_training(resume=True))
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_training)
        buttons = QHBoxLayout()
        for b in (self.train_button, self.pause_button, self.resume_button, self.cancel_button):
            buttons.addWidget(b)
        self.runs = QListWidget()
        self.runs.currentRowChanged.connect(self._show_run)
        self.use_run = QPushButton("Index with this model")
        self.use_run.clicked.connect(self._use_selected_run)
        pg.setConfigOptions(antialias=True, background="w", foreground="#24323f")
        from app.plots import (
            HoverReadout,
            SmoothedCurve,
            corner_legend,
            empty_message,
            epoch_label,
            integer_axis,
            smoothing_control,
        )

        self.loss_plot = pg.PlotWidget(title="NT-Xent loss", axisItems={"bottom": integer_axis()})
        corner_legend(self.loss_plot)
        self.loss_plot.setLabel("bottom", "epoch")
        self.loss_plot.setLabel("left", "loss")
        self.loss_plot.getAxis("left").setWidth(48)
        self.train_smoothed = SmoothedCurve(self.loss_plot, "train", "#2471a3")
        self.val_smoothed = SmoothedCurve(self.loss_plot, "validation", "#e67e22")
        self.train_curve, self.val_curve = self.train_smoothed.line, self.val_smoothed.line
        self.smoothing_box, self.smoothing = smoothing_control([self.train_smoothed, self.val_smoothed])
        self.loss_readout = HoverReadout(self.loss_plot, epoch_label)
        empty_message(self.loss_plot, "Train, or select a run: its loss per epoch appears here")
        left = QVBoxLayout()
        left.addLayout(form)
        left.addLayout(buttons)
        runs_label = QLabel("Runs, kept in the data dir")
        runs_label.setToolTip("Each run is a folder there: params.json, losses.csv, checkpoint.pt")
        left.addWidget(runs_label)
        left.addWidget(self.runs, 1)
        left.addWidget(self.use_run)
        h = QHBoxLayout(self)
        lw = QWidget()
        lw.setLayout(left)
        lw.setFixedWidth(400)  # the form, the four buttons and the backbone names fit
        h.addWidget(lw)
        plot_column = QVBoxLayout()
        plot_column.addWidget(self.loss_plot, 1)
        plot_column.addWidget(self.smoothing_box)
        h.addLayout(plot_column, 1)
        self.keep_view("train smoothing", self.smoothing)
        for name, w in (("backbone", self.backbone), ("epochs", self.epochs), ("batch", self.batch),
                        ("image size", self.image_size), ("temperature", self.temperature),
                        ("re-weight above", self.rw_threshold), ("negative weight", self.neg_weight), ("lr", self.lr)):
            self.keep_view(f"train {name}", w)
        self._set_training(False)
        self._fill_runs()

    @staticmethod
    def _ispin(lo, hi, value) -> QSpinBox:
        s = QSpinBox()
        s.setRange(lo, hi)
        s.setValue(value)
        return s

    @staticmethod
    def _dspin(lo, hi, value, step, decimals=3) -> QDoubleSpinBox:
        s = QDoubleSpinBox()
        s.setDecimals(decimals)  # before the value, or Qt rounds it
        s.setRange(lo, hi)
        s.setSingleStep(step)
        s.setValue(value)
        return s

    # -- training ---------------------------------------------------------------------
    def settings(self):
        from core.logos.service import TrainSettings

        return TrainSettings(epochs=self.epochs.value(), batch_size=self.batch.value(),
                             image_size=self.image_size.value(), temperature=self.temperature.value(),
                             threshold=self.rw_threshold.value(), negative_weight=self.neg_weight.value(),
                             lr=self.lr.value(), backbone=self.backbone.currentData(),
                             device=self.models.device.torch_device)

    def start_training(self, resume: bool = False):
        self.build()
        index = self.session.index
        if index is None:
            self.message.emit("Index a folder first: training uses its logos.")
            return None
        from core.logos.service import TrainSettings, runs_dir

        files = list(index.files)
        resume_from = None
        if resume:
            run = self._selected_run()
            if run is None or not run["checkpoint"]:
                self.message.emit("Select a run with a checkpoint to resume.")
                return None
            self.run_dir = Path(run["dir"])
            resume_from = run["checkpoint"]
            settings = TrainSettings(**run["params"])
            self.history = list(run["history"])
        else:
            settings = self.settings()
            self.run_dir = runs_dir() / time.strftime("%Y%m%d-%H%M%S")
            self.history = []
        groups = [[files.index(f) for f in g.files if f in files] for g in self.session.groups]
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "pause.request").unlink(missing_ok=True)
        run_dir, tiny = str(self.run_dir), self.models.tiny
        self._redraw_losses()

        def work(progress, cancelled):
            from core.logos.simclr import train_in_child
            from core.process import run_in_process

            return run_in_process(train_in_child, (files, settings, run_dir, groups, resume_from, tiny),
                                  progress=progress, cancelled=cancelled,
                                  on_message=lambda kind, e: progress.send(e))  # an epoch's losses

        self.train_job = self.jobs.submit(work, f"Logos: train SimCLR ({settings.backbone})", Lane.MODEL,
                                          on_done=self._trained, on_error=self._failed, on_message=self._epoch,
                                          on_cancelled=lambda job: self._set_training(False),
                                          priority=Priority.BATCH)
        self._set_training(True)
        return self.train_job

    def pause_training(self) -> None:
        if self.run_dir is not None and self.train_job is not None and not self.train_job.state.done:
            (self.run_dir / "pause.request").touch()
            self.message.emit("Pausing after this epoch…")

    def cancel_training(self) -> None:
        if self.train_job is not None:
            self.jobs.cancel(self.train_job.id)

    def _epoch(self, e: dict) -> None:
        self.history.append(e)
        self._redraw_losses()

    def _redraw_losses(self) -> None:
        if not self.built:
            return
        from app.plots import explain_entry
        from core.logos.settings import MIN_FOR_VALIDATION

        ep = [h["epoch"] for h in self.history]
        self.train_smoothed.set_data(ep, [h["train_loss"] for h in self.history])
        val = [h["val_loss"] for h in self.history]
        self.val_smoothed.set_data(ep, val)
        # NaN throughout: the run had no validation split (fewer logos than a split needs)
        none = bool(self.history) and not np.isfinite(np.asarray(val, dtype=float)).any()
        explain_entry(self.loss_plot, self.val_curve, "validation",
                      f"no validation split: too few logos (a split needs {MIN_FOR_VALIDATION})" if none else "")

    def _trained(self, result: dict) -> None:
        self._set_training(False)
        state = "finished" if result["finished"] else "paused (Resume continues)"
        self.message.emit(f"Training {state}: {len(result['history'])} epochs, checkpoint {result['checkpoint']}")
        self._fill_runs()
        self.trained.emit(result)

    def _failed(self, job) -> None:
        self._set_training(False)
        self.message.emit(f"{job.name} failed: {job.error}")

    def _set_training(self, busy: bool) -> None:
        self._busy = busy
        if not self.built:
            return
        self.train_button.setEnabled(not busy)
        self.pause_button.setEnabled(busy)
        self.cancel_button.setEnabled(busy)
        self._update_run_actions()

    def _update_run_actions(self, *_) -> None:
        """Resume and "Index with this model" only when they can act, and say why not."""
        if not self.built:
            return
        run = self._selected_run()
        busy, index = self._busy, self.session.index
        finished = run is not None and len(run["history"]) >= run["params"].get("epochs", 0)
        can_resume = not busy and run is not None and bool(run["checkpoint"]) and not finished
        self.resume_button.setEnabled(can_resume)
        self.resume_button.setToolTip("Continue the selected run from its checkpoint" if can_resume else
                                      "Training is running" if busy else
                                      "Select a paused run in the list below" if run is None or finished else
                                      "This run has no checkpoint yet")
        can_use = not busy and run is not None and bool(run["checkpoint"]) and index is not None
        self.use_run.setEnabled(can_use)
        self.use_run.setToolTip("Re-index the folder with this run's trained backbone" if can_use else
                                "Index a folder first" if index is None else
                                "Select a run with a checkpoint" if run is None or not run["checkpoint"] else
                                "Training is running")

    def _fill_runs(self) -> None:
        from core.logos.service import list_runs, runs_dir

        self._runs = list_runs(runs_dir())
        self.runs.clear()
        for r in self._runs:
            last = r["history"][-1] if r["history"] else None
            text = (f"{Path(r['dir']).name}: {r['params']['backbone']}, {len(r['history'])}/{r['params']['epochs']} "
                    f"epochs" + (f", loss {last['train_loss']:.3f}" if last else ""))
            self.runs.addItem(text)
        self._update_run_actions()

    def _selected_run(self):
        row = self.runs.currentRow() if self.built else -1
        return self._runs[row] if 0 <= row < len(self._runs) else None

    def _show_run(self, row: int) -> None:
        self._update_run_actions()
        run = self._selected_run()
        if run is not None and (self.train_job is None or self.train_job.state.done):
            self.history = list(run["history"])
            self._redraw_losses()

    def _use_selected_run(self):
        """Index the folder again with the selected run's model (the page does: its model choice)."""
        run = self._selected_run()
        if run is None or not run["checkpoint"] or self.session.index is None:
            self.message.emit("Select a run with a checkpoint (and index a folder first).")
            return
        self.use_checkpoint.emit(run["checkpoint"])
