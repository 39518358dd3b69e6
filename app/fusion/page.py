"""The Fusion workspace: train and inspect the sensor + vision classifier, live.

The heavy parts (pyqtgraph, torch) load when the page is first shown, so
they never slow the app's start.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
)

from app.filedialogs import open_file
from app.fusion.evaluation import EvaluationTab, InspectorTab
from app.fusion.session import FusionSession
from app.fusion.sweep import SweepTab
from app.fusion.tabs import TrainingPlots
from app.workspace import PageContext, WorkspacePage
from core.jobs import Lane, Priority


def _combo(items) -> QComboBox:
    c = QComboBox()
    c.addItems(items)
    return c


class FusionPage(WorkspacePage):
    """The dataset row, the training form and its buttons, the tabs (each a widget over a shared
    ``FusionSession``: Training's curves, Evaluation, Inspector, Sweep, Runs) and a status line."""

    title = "Fusion"
    icon = "fusion"
    summary = ("Train and inspect a sensor + vision classifier (Normal / Caution / Warning / Critical) "
               "whose class text embeddings weight each modality.")

    def __init__(self, context: PageContext, parent=None) -> None:
        super().__init__(context, parent)
        self.built = False
        self.session = FusionSession(self)
        self.train_job = None
        self.last_error: str | None = None
        self._reopen_run = False  # after the last dataset reopens at start: show its latest run
        from core.runs import RunStore

        self.runs = RunStore()  # kept across restarts: datasets by path, runs with their models
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self._placeholder = self.empty_state()
        layout.addWidget(self._placeholder)

    @property
    def data(self):
        return self.session.data

    @property
    def dataset_path(self) -> str | None:
        return self.session.dataset_path

    @property
    def result(self):
        return self.session.result

    @result.setter
    def result(self, result) -> None:  # None: the next training's result is awaited
        self.session.result = result

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self.built:
            self.build()

    # -- layout -----------------------------------------------------------------
    def build(self) -> None:
        import pyqtgraph as pg

        pg.setConfigOptions(antialias=True, background="w", foreground="#24323f")
        self.built = True
        self._placeholder.hide()
        layout = self.layout()

        data_row = QHBoxLayout()
        self.load_button = QPushButton("Load dataset…")
        self.load_button.clicked.connect(lambda: self.load_dataset(None))
        self.demo_button = QPushButton("Use the gas demo set")
        self.demo_button.clicked.connect(lambda: self.load_demo())
        self.data_label = QLabel("No dataset loaded. A dataset is a CSV with sensor columns, an image column "
                                 "and a label column (see README).")
        self.data_label.setWordWrap(True)
        data_row.addWidget(self.load_button)
        data_row.addWidget(self.demo_button)
        data_row.addWidget(self.data_label, 1)
        layout.addLayout(data_row)
        from app.widgets import JobStrip

        self.job_strip = JobStrip(self.context.jobs, "Fusion:")  # building the demo, features: progress here

        form = QGridLayout()
        self.modality = _combo(["fusion", "sensor", "vision"])
        self.fusion_type = _combo(["text_similarity", "late"])
        self.loss = _combo(["ce", "cb", "paco"])
        self.embedding_dim = QSpinBox(minimum=8, maximum=2048, value=512, singleStep=64)
        self.temperature = QDoubleSpinBox(decimals=2, minimum=0.01, maximum=5.0, singleStep=0.05)
        self.temperature.setValue(0.1)
        self.epochs = QSpinBox(minimum=1, maximum=500, value=30)
        self.batch_size = QSpinBox(minimum=2, maximum=4096, value=32)
        self.lr = QDoubleSpinBox(decimals=5, minimum=1e-5, maximum=1.0, singleStep=1e-4)
        self.lr.setValue(1e-3)  # after decimals: with the default 2 decimals 0.001 became the minimum
        self.fine_tune = QCheckBox("fine-tune backbone")
        self.fine_tune.setToolTip("Train EfficientNet-Lite0 too (images decoded every epoch: slow on a CPU). "
                                  "Off: frozen features from the cache.")
        for i, (label, w) in enumerate([("Modality", self.modality), ("Fusion", self.fusion_type),
                                        ("Loss", self.loss), ("Embedding dim", self.embedding_dim),
                                        ("Temperature", self.temperature), ("Epochs", self.epochs),
                                        ("Batch size", self.batch_size), ("Learning rate", self.lr),
                                        ("Backbone", self.fine_tune)]):
            form.addWidget(QLabel(label), 0, i)
            form.addWidget(w, 1, i)
        self.train_button = QPushButton("Train")
        self.train_button.clicked.connect(self.start_training)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        self.sweep_button = QPushButton("Run sweep (27 settings)")
        self.sweep_button.clicked.connect(lambda: self.start_sweep())  # the default grid
        form.setColumnStretch(9, 1)
        actions = QHBoxLayout()  # a row of their own: the page (and the window) fits 1,180 px
        for button in (self.train_button, self.cancel_button, self.sweep_button):
            actions.addWidget(button)
        actions.addStretch(1)
        layout.addLayout(form)
        layout.addLayout(actions)

        s, jobs = self.session, self.context.jobs
        self.plots = TrainingPlots(s)
        self.evaluation = EvaluationTab(s, self.temperature.value)
        self.inspector = InspectorTab(s, self.evaluation)
        self.sweep = SweepTab(s, jobs)
        self.sweep.finished.connect(self._sweep_finished)
        self.sweep.failed.connect(self._error)
        self.sweep.cancelled.connect(lambda: self._set_busy(False))
        self.tabs = QTabWidget()
        for tab, name in ((self.plots, "Training"), (self.evaluation, "Evaluation"), (self.inspector, "Inspector"),
                          (self.sweep, "Sweep")):
            self.tabs.addTab(tab, name)
        from app.runs_view import RunsView

        self.runs_view = RunsView(
            self.runs, "fusion",
            metrics=[("val_macro_f1", "val F1"), ("test_macro_f1", "test F1"), ("test_accuracy", "test acc"),
                     ("epochs", "epochs")],
            curves=[("val_macro_f1", "val macro-F1"), ("val_loss", "val loss"), ("train_loss", "train loss"),
                    ("val_acc", "val accuracy")],
            describe=lambda r: (f"{r.settings.get('modality')}/{r.settings.get('fusion_type')} · "
                                f"{r.settings.get('loss')} · dim {r.settings.get('embedding_dim')} · "
                                f"T {r.settings.get('temperature')} · lr {r.settings.get('lr')}"))
        self.runs_view.open_requested.connect(self.open_run)
        self.tabs.addTab(self.runs_view, "Runs")
        self.runs_view.refresh()
        layout.addWidget(self.tabs, 1)
        self.job_strip.float_in_tab_row(self.tabs)  # right of the tabs: no line of its own
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: #5a6a7a")
        # A fixed height: new text must not re-lay out the page (and re-render every plot) each epoch.
        self.status.setFixedHeight(2 * self.status.fontMetrics().lineSpacing() + 4)
        layout.addWidget(self.status)
        for name, w in (("modality", self.modality), ("fusion", self.fusion_type), ("loss", self.loss),
                        ("embedding dim", self.embedding_dim), ("temperature", self.temperature), ("epochs", self.epochs),
                        ("batch", self.batch_size), ("lr", self.lr), ("fine-tune", self.fine_tune), ("tab", self.tabs)):
            self.keep_view(name, w)  # the training form as the user left it
        self._set_busy(False)
        self._reopen_last_dataset()
        self.demo_if_new()

    def release(self) -> None:
        self.runs.close()

    def _reopen_last_dataset(self) -> None:
        """What this page showed before the restart: the last dataset (if unchanged) and its latest run."""
        last = self.runs.last_dataset("fusion")
        if last is None:
            return
        path, problem = last
        if problem:
            self.status.setText(f"Not reopened: {problem}. Load it again to train on it.")
            return
        self._reopen_run = True
        self.load_dataset(path)

    def open_run(self, run_id: int):
        """Show a kept run again: its model re-evaluated on the loaded dataset, its curves."""
        run = self.runs.get(run_id)
        if self.data is None or run.dataset != self.dataset_path:
            self._error(f"Run #{run_id} was trained on {run.dataset}: load that dataset first.")
            return None
        if run.dataset_changed():
            self._error(f"{Path(run.dataset).name} changed since run #{run_id}: its results were for the old file.")
            return None
        data, feats, device = self.data, self.session.features, self.context.models.device.torch_device

        def work(progress, cancelled):
            from core.fusion.runs import load_result

            return load_result(run, data, feats, device)

        def done(result):
            self.session.set_history(result.history)
            self._trained(result)
            self.status.setText(f"Run {run.label} reopened: test macro-F1 {result.test['macro_f1']:.3f} "
                                f"(same as when it was trained).")

        return self.context.jobs.submit(work, f"Fusion: open run #{run_id}", Lane.MODEL, on_done=done,
                                        on_error=lambda job: self._error(job.error))

    # -- data -------------------------------------------------------------------
    demo_limit: int | None = None  # the gas demo's rows (None: all 6,400)
    demo_note = ""  # what the demo set is (synthetic), shown under its name

    def load_demo(self, limit: int | None = None):
        from core.fusion.gas_demo import DEMO_NOTE, build_gas_demo, default_gas_csv
        from core.paths import data_dir

        limit = self.demo_limit if limit is None else limit
        gas = default_gas_csv()
        if not gas.exists():
            self._error(f"The gas readings are not here ({gas}); load your own dataset instead.")
            return None
        out = data_dir() / "fusion" / ("gas_demo" if limit is None else f"gas_demo_{limit}")

        def build(progress, cancelled):
            return build_gas_demo(gas, out, limit=limit, progress=progress, cancelled=cancelled)

        self.demo_note = DEMO_NOTE
        self._loading("Building the gas demo set (its readings and images)…")
        return self.context.jobs.submit(build, "Fusion: build the gas demo set", Lane.IO,
                                        on_done=lambda path: self.load_dataset(str(path)),
                                        on_error=lambda job: self._error(job.error))

    def load_dataset(self, path: str | None):
        if not path:
            path = open_file(self, "tables", "Fusion dataset", "CSV (*.csv)")
        if not path:
            return None
        ctx = self.context
        self._loading(f"Loading {Path(path).name} and its image features…")

        def work(progress, cancelled):
            from core.fusion.data import load_dataset
            from core.fusion.features import image_features

            data = load_dataset(path)
            encoder = ctx.models.get("effnet-lite0", progress, cancelled)
            return data, image_features(data, encoder, ctx.cache, progress, cancelled), encoder.describe()

        return ctx.jobs.submit(work, f"Fusion: load {Path(path).name} and its image features", Lane.MODEL,
                               on_done=lambda r: self._dataset_ready(path, *r),
                               on_error=lambda job: self._error(job.error), priority=Priority.BATCH)

    def _dataset_ready(self, path, data, features, encoder) -> None:
        self.session.set_dataset(str(Path(path).resolve()), data, features)
        self.runs.remember_dataset("fusion", self.dataset_path)
        self.runs_view.refresh()
        if self._reopen_run:
            self._reopen_run = False
            mine = [r for r in self.runs.list("fusion", self.dataset_path) if r.model]
            if mine and not mine[-1].dataset_changed():
                QTimer.singleShot(0, lambda run_id=mine[-1].id: self.open_run(run_id))
        counts = np.bincount(data.labels, minlength=len(data.class_names))
        note = self.demo_note if "gas_demo" in path else ""
        self.data_label.setText(
            f"<b>{Path(path).name}</b>: {len(data)} samples, sensors {', '.join(data.sensor_columns)}; "
            + ", ".join(f"{n} {c}" for n, c in zip(counts, data.class_names, strict=True))
            + f"; image features: {encoder['preset']}"
            + (f"<br><i>{note}</i>" if note else ""))
        self._set_busy(False)

    # -- training ---------------------------------------------------------------
    def config(self):
        from core.fusion.train import TrainConfig

        return TrainConfig(modality=self.modality.currentText(), fusion_type=self.fusion_type.currentText(),
                           loss=self.loss.currentText(), embedding_dim=self.embedding_dim.value(),
                           temperature=self.temperature.value(), num_epochs=self.epochs.value(),
                           batch_size=self.batch_size.value(), lr=self.lr.value(),
                           fine_tune=self.fine_tune.isChecked(),
                           device=self.context.models.device.torch_device)

    def start_training(self):
        if self.data is None:
            self._error("Load a dataset first.")
            return None
        cfg = self.config()
        data, feats, dataset = self.data, self.session.features, self.dataset_path
        self.session.set_history([])

        def work(progress, cancelled):
            from core.fusion.train import train_in_child
            from core.process import run_in_process

            # A child process: training in a thread would starve the UI thread of the GIL
            # (plots stalled 180-360 ms per epoch). Fine-tuning loads its own backbone there,
            # so the shared encoder that serves the cache is never changed.
            result = run_in_process(train_in_child, (cfg, data, feats, "effnet-lite0"), progress=progress,
                                    cancelled=cancelled, on_message=lambda kind, r: progress.send(r))
            if dataset:  # kept: settings, metrics, curves and the model, in the data dir
                from core.fusion.runs import save_run
                from core.runs import RunStore

                store = RunStore()
                try:
                    result.run_id = save_run(store, dataset, result).id
                finally:
                    store.close()
            return result

        self.train_job = self.context.jobs.submit(work, f"Fusion: train {cfg.modality}/{cfg.fusion_type}",
                                                  Lane.MODEL, on_done=self._trained,
                                                  on_error=lambda job: self._error(job.error),
                                                  on_cancelled=lambda job: self._set_busy(False),
                                                  on_message=self._on_epoch, priority=Priority.BATCH)
        self._set_busy(True)
        return self.train_job

    def start_sweep(self, grid: dict | None = None):
        """The grid (default: 27 settings) around the form's settings, its rows live in Sweep."""
        if self.data is None:
            self._error("Load a dataset first.")
            return None
        self.train_job = self.sweep.start_sweep(self.config(), grid)
        self._set_busy(True)
        self.tabs.setCurrentWidget(self.sweep)
        return self.train_job

    def _sweep_finished(self, text: str) -> None:
        self._set_busy(False)
        self.status.setText(text)

    def cancel(self) -> None:
        if self.train_job is not None:
            self.context.jobs.cancel(self.train_job.id)

    def _set_busy(self, busy: bool) -> None:
        has_data = self.data is not None
        self.train_button.setEnabled(not busy and has_data)
        self.sweep_button.setEnabled(not busy and has_data)
        self.cancel_button.setEnabled(busy)

    def _on_epoch(self, report) -> None:
        self.session.add_epoch(report)
        h = self.session.history
        self.status.setText(f"epoch {h[-1].epoch}: val accuracy {h[-1].val_acc:.3f}, "
                            f"val macro-F1 {h[-1].val_macro_f1:.3f}")

    def _trained(self, result) -> None:
        self._set_busy(False)
        self.runs_view.refresh()
        self.session.set_result(result)  # Evaluation shows what the worker evaluated; Inspector follows
        self.status.setText(f"Trained: test macro-F1 {result.test['macro_f1']:.3f}, test accuracy "
                            f"{result.test['accuracy']:.3f} (best epoch by val macro-F1; image features: "
                            f"{result.feature_source or 'cached'}).")

    def _loading(self, text: str) -> None:
        if self.data is None:  # a loaded dataset stays described until the new one is ready
            self.data_label.setText(text)

    def _error(self, text: str) -> None:
        self.last_error = text
        self._loading("No dataset loaded.")
        self.status.setText(f"<span style='color:#c0392b'>{text}</span>")
        self._set_busy(False)
