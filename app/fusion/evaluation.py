"""Fusion › Evaluation and Inspector: the confusion heat-map, per-class scores, and inference re-run with the sliders' temperature and modality weights (no retraining); one validation sample's similarities, weights and prediction."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
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
    QVBoxLayout,
    QWidget,
)

from app.fusion.session import FusionSession
from app.fusion.tabs import CLASS_COLORS
from app.widgets import thumbnail


class EvaluationTab(QWidget):
    """``session``: the trained model, re-evaluated on its validation split with the sliders' values;
    ``temperature``: the form's temperature (where "Back to the learned values" puts its slider)."""

    evaluated = Signal(object)  # a dict, core.fusion.train.evaluate's result: scores, confusion, outputs

    def __init__(self, session: FusionSession, temperature: Callable[[], float],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session, self.temperature = session, temperature
        self.current_eval: dict | None = None
        layout = QHBoxLayout(self)
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
        session.trained.connect(self._trained)

    def _trained(self, result) -> None:
        """The worker already evaluated the learned settings: shown, no inference on the UI thread."""
        self.reset_sliders(rerun=False)
        self._show_eval(result.val)

    def reset_sliders(self, rerun: bool = True) -> None:
        result = self.session.result
        model = result.model if result else None
        for s in (self.t_slider, self.v_slider, self.s_slider):
            s.blockSignals(True)
        self.t_slider.setValue(int(round(self.temperature() * 100)))
        if model is not None and hasattr(model, "vision_weight"):  # a text-similarity model (late fusion has none)
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
        s = self.session
        if s.result is None:
            return None
        from core.fusion.train import evaluate

        res = evaluate(s.result.model, s.val.vision, s.val.sensors, s.val.labels, len(s.data.class_names),
                       **self.overrides())
        self._show_eval(res)
        return res

    def _show_eval(self, res) -> None:
        o = self.overrides()
        self.slider_values.setText(f"T = {o['temperature']:.2f}, vision {o['vision_weight']:.2f}, "
                                   f"sensor {o['sensor_weight']:.2f}")
        self.current_eval = res
        self._show_confusion(res)
        trained = self.session.result.val
        self.eval_label.setText(f"Validation accuracy {res['accuracy']:.3f}, macro-F1 {res['macro_f1']:.3f}"
                                f" (trained: {trained['accuracy']:.3f} / {trained['macro_f1']:.3f})")
        self.evaluated.emit(res)

    def _show_confusion(self, res) -> None:
        names = list(self.session.data.class_names)
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



class InspectorTab(QWidget):
    """``session``: the validation split; ``evaluation`` says what the model makes of it now (the
    sliders' values): one sample's similarities, softmax weights and fused prediction."""

    def __init__(self, session: FusionSession, evaluation: EvaluationTab, parent: QWidget | None = None) -> None:
        import pyqtgraph as pg

        super().__init__(parent)
        self.session = session
        self.current_eval: dict | None = None
        layout = QHBoxLayout(self)
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
        evaluation.evaluated.connect(self._evaluated)

    def _evaluated(self, res: dict) -> None:
        self.sample.blockSignals(True)  # a new split may be shorter: its samples only
        self.sample.setMaximum(len(self.session.val.index) - 1)
        self.sample.blockSignals(False)
        self.current_eval = res
        self.inspect()

    def inspect(self) -> None:
        s = self.session
        if s.result is None or self.current_eval is None:
            return
        import pyqtgraph as pg

        i = self.sample.value()
        out = self.current_eval["outputs"]
        names = list(s.data.class_names)
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
        true = names[int(s.val.labels[i])]
        pred = names[int(probs.argmax())]
        sample = int(s.val.index[i])
        self.sample_image.setPixmap(thumbnail(s.data.images[sample], 150))
        sensors = ", ".join(f"{c} {v:.0f}" for c, v in zip(s.data.sensor_columns, s.data.sensors[sample],
                                                             strict=True))
        self.sample_info.setText(f"true: <b>{true}</b><br>predicted: <b>{pred}</b> ({probs.max():.2f})"
                                 f"<br>{sensors}")
