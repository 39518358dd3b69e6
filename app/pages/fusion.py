"""The Fusion workspace: train and inspect the sensor + vision classifier, live.

The heavy parts (pyqtgraph, torch) load when the page is first shown, so
they never slow the app's start.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.pages.base import PageContext, WorkspacePage
from app.widgets import thumbnail
from core.jobs import Lane

CLASS_COLORS = ["#27ae60", "#f1c40f", "#e67e22", "#c0392b"]


class _Relay(QObject):
    """Carries per-epoch reports and sweep rows from the model worker to the UI thread."""

    epoch = Signal(object)
    sweep_row = Signal(object)


class FusionPage(WorkspacePage):
    title = "Fusion"
    icon = "fusion"
    summary = ("Train and inspect a sensor + vision classifier (Normal / Caution / Warning / Critical) "
               "whose class text embeddings weight each modality.")

    def __init__(self, context: PageContext, parent=None) -> None:
        super().__init__(context, parent)
        self.built = False
        self.data = None
        self.features = None
        self.result = None
        self.history: list = []
        self.sweep_rows: list = []
        self.train_job = None
        self.last_error: str | None = None
        self.dataset_path: str | None = None
        self._reopen_run = False  # after the last dataset reopens at start: show its latest run
        from core.runs import RunStore

        self.runs = RunStore()  # kept across restarts: datasets by path, runs with their models
        self.relay = _Relay(self)
        self.relay.epoch.connect(self._on_epoch)
        self.relay.sweep_row.connect(self._on_sweep_row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self._placeholder = self.empty_state()
        layout.addWidget(self._placeholder)

    def showEvent(self, event) -> None:  # noqa: N802
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
        layout.addWidget(self.job_strip)

        form = QGridLayout()
        self.modality = self._combo(["fusion", "sensor", "vision"])
        self.fusion_type = self._combo(["text_similarity", "late"])
        self.loss = self._combo(["ce", "cb", "paco"])
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
        self.sweep_button.clicked.connect(lambda: self.start_sweep())
        form.setColumnStretch(9, 1)
        actions = QHBoxLayout()  # a row of their own: the page (and the window) fits 1,180 px
        for button in (self.train_button, self.cancel_button, self.sweep_button):
            actions.addWidget(button)
        actions.addStretch(1)
        layout.addLayout(form)
        layout.addLayout(actions)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._training_tab(pg), "Training")
        self.tabs.addTab(self._evaluation_tab(), "Evaluation")
        self.tabs.addTab(self._inspector_tab(pg), "Inspector")
        self.tabs.addTab(self._sweep_tab(), "Sweep")
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
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color: #5a6a7a")
        # A fixed height: new text must not re-lay out the page (and re-render every plot) each epoch.
        self.status.setFixedHeight(2 * self.status.fontMetrics().lineSpacing() + 4)
        layout.addWidget(self.status)
        self._set_busy(False)
        self._reopen_last_dataset()

    def shutdown(self) -> None:
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
        data, feats, device = self.data, self.features, self.context.models.device.torch_device

        def work(progress, cancelled):
            from core.fusion.runs import load_result

            return load_result(run, data, feats, device)

        def done(result):
            self.history = list(result.history)
            for refresh in (self._plot_loss, self._plot_acc, self._plot_weights):
                refresh()
            self._trained(result)
            self.status.setText(f"Run {run.label} reopened: test macro-F1 {result.test['macro_f1']:.3f} "
                                f"(same as when it was trained).")

        return self.context.jobs.submit(work, f"Fusion: open run #{run_id}", Lane.MODEL, on_done=done,
                                        on_error=lambda job: self._error(job.error))

    @staticmethod
    def _combo(items) -> QComboBox:
        c = QComboBox()
        c.addItems(items)
        return c

    def _plot(self, pg, title: str, ylabel: str, legend_columns: int = 1):
        from app.widgets import corner_legend, integer_axis

        w = pg.PlotWidget(title=title, axisItems={"bottom": integer_axis()})
        w.setLabel("bottom", "epoch")
        w.setLabel("left", ylabel)
        corner_legend(w, legend_columns)
        w.showGrid(x=True, y=True, alpha=0.2)
        for axis in ("left", "bottom"):
            w.getAxis(axis).enableAutoSIPrefix(False)
        # A fixed axis width: wider tick labels must not resize (and re-lay out) the plot.
        w.getAxis("left").setWidth(52)
        return w

    def _training_tab(self, pg) -> QWidget:
        tab = QWidget()
        grid = QGridLayout(tab)
        self.loss_plot = self._plot(pg, "Loss", "loss")
        self.acc_plot = self._plot(pg, "Accuracy", "accuracy")
        self.sim_plot = self._plot(pg, "Similarity to the true class (val)", "cosine", legend_columns=4)
        self.weight_plot = self._plot(pg, "Learned modality weights", "weight")
        from app.widgets import curve_style

        self.curves = {
            "train_loss": self.loss_plot.plot(name="train", **curve_style(pg, "#2471a3")),
            "val_loss": self.loss_plot.plot(name="val", **curve_style(pg, "#e67e22")),
            "train_acc": self.acc_plot.plot(name="train", **curve_style(pg, "#2471a3")),
            "val_acc": self.acc_plot.plot(name="val", **curve_style(pg, "#e67e22")),
            "vision_weight": self.weight_plot.plot(name="vision", **curve_style(pg, "#8e44ad")),
            "sensor_weight": self.weight_plot.plot(name="sensor", **curve_style(pg, "#16a085")),
        }
        self.sim_curves = {}
        for c, color in enumerate(CLASS_COLORS):
            self.sim_curves[("v", c)] = self.sim_plot.plot(name=f"vision {c}", **curve_style(pg, color))
            self.sim_curves[("s", c)] = self.sim_plot.plot(name=f"sensor {c}", **curve_style(pg, color, dashed=True))
        # Draw once with placeholder data: the first real epoch then does not pay for
        # first-time text layout and glyph caching (measured ~150 ms on 2 cores).
        for curve in list(self.curves.values()) + list(self.sim_curves.values()):
            curve.setData([1, 2], [0.0, 1.0])
        for plot in (self.loss_plot, self.acc_plot, self.sim_plot, self.weight_plot):
            plot.grab()
        for curve in list(self.curves.values()) + list(self.sim_curves.values()):
            curve.setData([], [])
        grid.addWidget(self.loss_plot, 0, 0)
        grid.addWidget(self.acc_plot, 0, 1)
        grid.addWidget(self.sim_plot, 1, 0)
        grid.addWidget(self.weight_plot, 1, 1)
        return tab

    def _evaluation_tab(self) -> QWidget:
        tab = QWidget()
        layout = QHBoxLayout(tab)
        left = QVBoxLayout()
        self.confusion = QTableWidget(0, 0)
        self.confusion.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for header in (self.confusion.horizontalHeader(), self.confusion.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)  # the cells fill the pane
        self.per_class = QTableWidget(0, 3)
        self.per_class.setHorizontalHeaderLabels(["precision", "recall", "F1"])
        self.per_class.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.eval_label = QLabel("Train a model to see its confusion matrix (validation split).")
        left.addWidget(QLabel("Confusion matrix (rows: true, columns: predicted)"))
        left.addWidget(self.confusion, 1)
        left.addWidget(QLabel("Per class"))
        left.addWidget(self.per_class, 1)
        right = QFormLayout()
        self.t_slider = QSlider(Qt.Orientation.Horizontal, minimum=1, maximum=100, value=10)
        self.v_slider = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=200, value=50)
        self.s_slider = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=200, value=50)
        self.slider_values = QLabel("")
        for s in (self.t_slider, self.v_slider, self.s_slider):
            s.valueChanged.connect(self.rerun_inference)
        reset = QPushButton("Back to the learned values")
        reset.clicked.connect(self.reset_sliders)
        right.addRow("Temperature", self.t_slider)
        right.addRow("Vision weight", self.v_slider)
        right.addRow("Sensor weight", self.s_slider)
        right.addRow("", self.slider_values)
        right.addRow("", reset)
        right.addRow("", self.eval_label)
        box = QWidget()
        box.setLayout(right)
        layout.addLayout(left, 3)
        layout.addWidget(box, 2)
        return tab

    def _inspector_tab(self, pg) -> QWidget:
        tab = QWidget()
        layout = QHBoxLayout(tab)
        side = QVBoxLayout()
        self.sample = QSpinBox(minimum=0, maximum=0)
        self.sample.valueChanged.connect(self.inspect)
        self.sample_image = QLabel()
        self.sample_image.setFixedSize(160, 160)
        self.sample_image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.sample_info = QLabel("")
        self.sample_info.setWordWrap(True)
        side.addWidget(QLabel("Validation sample"))
        side.addWidget(self.sample)
        side.addWidget(self.sample_image)
        side.addWidget(self.sample_info, 1)
        self.bar_plots = {}
        plots = QGridLayout()
        for i, (key, title) in enumerate([("sim_vision", "Vision ↔ class similarity"),
                                          ("sim_sensor", "Sensor ↔ class similarity"),
                                          ("weights", "Softmax weights (vision | sensor)"),
                                          ("probs", "Fused prediction")]):
            w = pg.PlotWidget(title=title)
            w.showGrid(y=True, alpha=0.2)
            self.bar_plots[key] = w
            plots.addWidget(w, i // 2, i % 2)
        layout.addLayout(side, 1)
        layout.addLayout(plots, 4)
        return tab

    def _sweep_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
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
        return tab

    # -- data -------------------------------------------------------------------
    def load_demo(self, limit: int | None = None):
        from core.fusion.gas_demo import DEMO_NOTE, build_gas_demo, default_gas_csv
        from core.paths import data_dir

        gas = default_gas_csv()
        if not gas.exists():
            self._error(f"The gas readings are not here ({gas}); load your own dataset instead.")
            return None
        out = data_dir() / "fusion" / ("gas_demo" if limit is None else f"gas_demo_{limit}")

        def build(progress, cancelled):
            return build_gas_demo(gas, out, limit=limit, progress=progress, cancelled=cancelled)

        self.demo_note = DEMO_NOTE
        return self.context.jobs.submit(build, "Fusion: build the gas demo set", Lane.IO,
                                        on_done=lambda path: self.load_dataset(str(path)),
                                        on_error=lambda job: self._error(job.error))

    def load_dataset(self, path: str | None):
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Fusion dataset", "", "CSV (*.csv)")
        if not path:
            return None
        ctx = self.context

        def work(progress, cancelled):
            from core.fusion.data import load_dataset
            from core.fusion.features import image_features

            data = load_dataset(path)
            encoder = ctx.models.get("effnet-lite0", progress, cancelled)
            return data, image_features(data, encoder, ctx.cache, progress, cancelled), encoder.describe()

        return ctx.jobs.submit(work, f"Fusion: load {Path(path).name} and its image features", Lane.MODEL,
                               on_done=lambda r: self._dataset_ready(path, *r),
                               on_error=lambda job: self._error(job.error))

    def _dataset_ready(self, path, data, features, encoder) -> None:
        self.data, self.features = data, features
        self.dataset_path = str(Path(path).resolve())
        self.runs.remember_dataset("fusion", self.dataset_path)
        self.runs_view.refresh()
        if self._reopen_run:
            self._reopen_run = False
            mine = [r for r in self.runs.list("fusion", self.dataset_path) if r.model]
            if mine and not mine[-1].dataset_changed():
                QTimer.singleShot(0, lambda run_id=mine[-1].id: self.open_run(run_id))
        legend = self.sim_plot.getPlotItem().legend
        if legend is not None:  # name the curves after this dataset's classes
            legend.clear()
            legend.setColumnCount(2)
            for c, name in enumerate(data.class_names[:len(CLASS_COLORS)]):
                legend.addItem(self.sim_curves[("v", c)], f"vision {name}")
                legend.addItem(self.sim_curves[("s", c)], f"sensor {name}")
        counts = np.bincount(data.labels, minlength=len(data.class_names))
        note = getattr(self, "demo_note", "") if "gas_demo" in path else ""
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
        data, feats, relay, dataset = self.data, self.features, self.relay, self.dataset_path
        self.history = []
        for curve in list(self.curves.values()) + list(self.sim_curves.values()):
            curve.setData([], [])

        def work(progress, cancelled):
            from core.fusion.train import train_in_child
            from core.process import run_in_process

            # A child process: training in a thread would starve the UI thread of the GIL
            # (plots stalled 180-360 ms per epoch). Fine-tuning loads its own backbone there,
            # so the shared encoder that serves the cache is never changed.
            result = run_in_process(train_in_child, (cfg, data, feats, "effnet-lite0"), progress=progress,
                                    cancelled=cancelled, on_message=lambda kind, r: relay.epoch.emit(r))
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
                                                  on_cancelled=lambda job: self._set_busy(False))
        self._set_busy(True)
        return self.train_job

    def cancel(self) -> None:
        if self.train_job is not None:
            self.context.jobs.cancel(self.train_job.id)

    def _set_busy(self, busy: bool) -> None:
        has_data = self.data is not None
        self.train_button.setEnabled(not busy and has_data)
        self.sweep_button.setEnabled(not busy and has_data)
        self.cancel_button.setEnabled(busy)

    def _on_epoch(self, report) -> None:
        self.history.append(report)
        h = self.history
        self.status.setText(f"epoch {h[-1].epoch}: val accuracy {h[-1].val_acc:.3f}, "
                            f"val macro-F1 {h[-1].val_macro_f1:.3f}")
        # One plot per event-loop turn: repainting all four at once stalled the window
        # for ~100 ms (software rendering on 2 cores); one at a time stays short.
        for i, refresh in enumerate((self._plot_loss, self._plot_acc, self._plot_sims, self._plot_weights)):
            QTimer.singleShot(25 * i, refresh)

    def _x(self) -> list[int]:
        return [r.epoch for r in self.history]

    def _plot_loss(self) -> None:
        for key in ("train_loss", "val_loss"):
            self.curves[key].setData(self._x(), [getattr(r, key) for r in self.history])

    def _plot_acc(self) -> None:
        for key in ("train_acc", "val_acc"):
            self.curves[key].setData(self._x(), [getattr(r, key) for r in self.history])

    def _plot_weights(self) -> None:
        h = self.history
        if h and h[-1].vision_weight is not None:
            self.curves["vision_weight"].setData(self._x(), [r.vision_weight for r in h])
            self.curves["sensor_weight"].setData(self._x(), [r.sensor_weight for r in h])

    def _plot_sims(self) -> None:
        h = self.history
        for (mod, c), curve in self.sim_curves.items():
            values = [(r.sim_vision if mod == "v" else r.sim_sensor) for r in h]
            if values and values[-1] is not None:
                curve.setData(self._x(), [v[c] for v in values])

    def _trained(self, result) -> None:
        self.result = result
        self._set_busy(False)
        self.runs_view.refresh()
        tr, va, te = result.split
        self.val_sensors = ((self.data.sensors[va] - result.sensor_mean) / result.sensor_std).astype(np.float32)
        vision = result.vision if result.vision is not None else self.features
        self.val_vision = vision[va]
        self.val_labels = self.data.labels[va]
        self.val_index = va
        self.sample.setMaximum(len(va) - 1)
        self.reset_sliders(rerun=False)
        # the worker already evaluated the learned settings: show that, no inference on the UI thread
        self._show_eval(result.val)
        self.status.setText(f"Trained: test macro-F1 {result.test['macro_f1']:.3f}, test accuracy "
                            f"{result.test['accuracy']:.3f} (best epoch by val macro-F1; image features: "
                            f"{result.feature_source or 'cached'}).")
        self.inspect()

    def reset_sliders(self, rerun: bool = True) -> None:
        model = self.result.model if self.result else None
        for s in (self.t_slider, self.v_slider, self.s_slider):
            s.blockSignals(True)
        self.t_slider.setValue(int(round(self.temperature.value() * 100)))
        if model is not None and hasattr(model, "vision_weight"):
            self.v_slider.setValue(int(round(float(model.vision_weight.detach()) * 100)))
            self.s_slider.setValue(int(round(float(model.sensor_weight.detach()) * 100)))
        for s in (self.t_slider, self.v_slider, self.s_slider):
            s.blockSignals(False)
        if rerun:
            self.rerun_inference()

    def overrides(self) -> dict:
        return {"temperature": self.t_slider.value() / 100, "vision_weight": self.v_slider.value() / 100,
                "sensor_weight": self.s_slider.value() / 100}

    def rerun_inference(self) -> dict | None:
        """Inference on the validation split with the sliders' values: no retraining."""
        if self.result is None:
            return None
        from core.fusion.train import evaluate

        o = self.overrides()
        res = evaluate(self.result.model, self.val_vision, self.val_sensors, self.val_labels,
                       len(self.data.class_names), **o)
        self._show_eval(res)
        return res

    def _show_eval(self, res) -> None:
        o = self.overrides()
        self.slider_values.setText(f"T = {o['temperature']:.2f}, vision {o['vision_weight']:.2f}, "
                                   f"sensor {o['sensor_weight']:.2f}")
        self.current_eval = res
        self._show_confusion(res)
        self.eval_label.setText(f"Validation accuracy {res['accuracy']:.3f}, macro-F1 {res['macro_f1']:.3f}"
                                f" (trained: {self.result.val['accuracy']:.3f} / {self.result.val['macro_f1']:.3f})")
        self.inspect()

    def _show_confusion(self, res) -> None:
        names = list(self.data.class_names)
        cm = np.array(res["confusion"])
        k = len(names)
        # a heat-map of row shares (what share of each true class went where), with the counts,
        # the row percentages and the totals of each row and column
        self.confusion.setRowCount(k + 1)
        self.confusion.setColumnCount(k + 1)
        self.confusion.setHorizontalHeaderLabels([f"→ {n}" for n in names] + ["total"])
        self.confusion.setVerticalHeaderLabels(names + ["total"])
        rows = cm.sum(1)
        for i in range(k + 1):
            for j in range(k + 1):
                if i < k and j < k:
                    share = cm[i, j] / rows[i] if rows[i] else 0.0
                    item = QTableWidgetItem(f"{cm[i, j]}\n{share:.0%}")
                    a = int(40 + 200 * share)
                    item.setBackground(QColor(36, 113, 163, a) if i == j else QColor(192, 57, 43, a))
                    if share > 0.55:
                        item.setForeground(QColor("white"))
                    item.setToolTip(f"true {names[i]}, predicted {names[j]}: {cm[i, j]} of {rows[i]} ({share:.1%})")
                elif i < k:
                    item = QTableWidgetItem(f"{rows[i]}\n{cm[i, i] / max(rows[i], 1):.0%} right")
                elif j < k:
                    item = QTableWidgetItem(f"{cm[:, j].sum()}\npredicted")
                else:
                    item = QTableWidgetItem(f"{cm.sum()}\n{np.trace(cm) / max(cm.sum(), 1):.0%} right")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.confusion.setItem(i, j, item)
        self.per_class.setRowCount(len(names))
        self.per_class.setVerticalHeaderLabels(names)
        for i in range(len(names)):
            for j, key in enumerate(("precision", "recall", "f1")):
                self.per_class.setItem(i, j, QTableWidgetItem(f"{res[key][i]:.3f}"))

    def inspect(self) -> None:
        if self.result is None or not hasattr(self, "current_eval"):
            return
        import pyqtgraph as pg

        i = self.sample.value()
        out = self.current_eval["outputs"]
        names = list(self.data.class_names)
        x = np.arange(len(names))
        probs = np.exp(out["logits"][i] - out["logits"][i].max())
        probs /= probs.sum()
        series = {"sim_vision": out.get("sim_vision"), "sim_sensor": out.get("sim_sensor"), "probs": None}
        for key, plot in self.bar_plots.items():
            plot.clear()
            axis = plot.getAxis("bottom")
            axis.setTicks([list(enumerate(names))])
            if key == "weights":
                if "w_vision" in out:
                    plot.addItem(pg.BarGraphItem(x=x - 0.2, height=out["w_vision"][i], width=0.35, brush="#8e44ad"))
                    plot.addItem(pg.BarGraphItem(x=x + 0.2, height=out["w_sensor"][i], width=0.35, brush="#16a085"))
                continue
            values = probs if key == "probs" else series[key]
            if values is None:
                continue
            row = values if key == "probs" else values[i]
            plot.addItem(pg.BarGraphItem(x=x, height=row, width=0.6, brushes=CLASS_COLORS[:len(names)]))
        true = names[int(self.val_labels[i])]
        pred = names[int(probs.argmax())]
        sample = int(self.val_index[i])
        self.sample_image.setPixmap(thumbnail(self.data.images[sample], 150))
        sensors = ", ".join(f"{c} {v:.0f}" for c, v in zip(self.data.sensor_columns, self.data.sensors[sample],
                                                             strict=True))
        self.sample_info.setText(f"true: <b>{true}</b><br>predicted: <b>{pred}</b> ({probs.max():.2f})"
                                 f"<br>{sensors}")

    # -- sweep ------------------------------------------------------------------
    def start_sweep(self, grid: dict | None = None):
        if self.data is None:
            self._error("Load a dataset first.")
            return None
        base = self.config()
        data, feats, relay = self.data, self.features, self.relay
        self.sweep_rows = []
        self.sweep_table.setRowCount(0)

        def work(progress, cancelled):
            from core.fusion.train import sweep_in_child
            from core.process import run_in_process

            return run_in_process(sweep_in_child, (base, data, feats, grid), progress=progress,
                                  cancelled=cancelled, on_message=lambda kind, r: relay.sweep_row.emit(r))

        self.train_job = self.context.jobs.submit(work, "Fusion: sweep", Lane.MODEL,
                                                  on_done=lambda rows: self._sweep_done(rows),
                                                  on_error=lambda job: self._error(job.error),
                                                  on_cancelled=lambda job: self._set_busy(False))
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
            path, _ = QFileDialog.getSaveFileName(self, "Export sweep", "fusion_sweep.csv", "CSV (*.csv)")
        if not path:
            return
        from core.fileio import atomic_write

        with atomic_write(path, newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["temperature", "embedding_dim", "lr", "val_macro_f1", "test_macro_f1", "seconds"])
            for r in sorted(self.sweep_rows, key=lambda r: -r.val_macro_f1):
                w.writerow([r.temperature, r.embedding_dim, r.lr, r.val_macro_f1, r.test_macro_f1, r.seconds])

    def _error(self, text: str) -> None:
        self.last_error = text
        self.status.setText(f"<span style='color:#c0392b'>{text}</span>")
        self._set_busy(False)
