"""Fusion › Evaluation and Inspector: the confusion heat-map, per-class scores, and inference re-run with the sliders' temperature and modality weights (no retraining)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QTableWidgetItem

from app.fusion.tabs import CLASS_COLORS
from app.widgets import thumbnail


class FusionEvaluation:
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
