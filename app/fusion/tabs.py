"""Fusion › Training: the live curves (loss, accuracy, similarity to the true class, modality weights)."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QGridLayout, QWidget

from app.fusion.session import FusionSession

CLASS_COLORS = ["#27ae60", "#f1c40f", "#e67e22", "#c0392b"]


class TrainingPlots(QWidget):
    """``session``: each epoch the page's training reports is drawn here as it comes."""

    def __init__(self, session: FusionSession, parent: QWidget | None = None) -> None:
        import pyqtgraph as pg

        super().__init__(parent)
        self.session = session
        self.readouts = []
        grid = QGridLayout(self)
        # legends in a column right of the data: 8 entries below it took the data's height at
        # 1180×760 (a flat line), a row above it 20 px of four plots' height
        self.loss_plot = self._plot(pg, "Loss", "loss")
        self.acc_plot = self._plot(pg, "Accuracy", "accuracy")
        self.sim_plot = self._plot(pg, "Similarity to the true class (val)", "cosine")
        self.weight_plot = self._plot(pg, "Learned modality weights", "weight")
        from app.plots import SmoothedCurve, curve_style, smoothing_control

        self.smoothed = {"train_loss": SmoothedCurve(self.loss_plot, "train", "#2471a3"),
                         "val_loss": SmoothedCurve(self.loss_plot, "val", "#e67e22")}
        self.smoothing_box, self.smoothing = smoothing_control(list(self.smoothed.values()))
        self.curves = {
            "train_loss": self.smoothed["train_loss"].line,
            "val_loss": self.smoothed["val_loss"].line,
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
        grid.addWidget(self.smoothing_box, 2, 0)
        grid.setContentsMargins(4, 4, 4, 4)
        grid.setSpacing(4)
        session.dataset_changed.connect(self._name_classes)
        session.history_reset.connect(self._redraw)
        session.epoch.connect(self._on_epoch)

    def _plot(self, pg, title: str, ylabel: str):
        from app.plots import HoverReadout, corner_legend, empty_message, epoch_label, integer_axis

        w = pg.PlotWidget(axisItems={"bottom": integer_axis()})
        w.setTitle(title, size="10pt")  # a smaller title row: the data keeps ≥ 150 px at 1180×760
        w.setLabel("bottom", "epoch")
        w.setLabel("left", ylabel)
        corner_legend(w, beside=True)
        w.showGrid(x=True, y=True, alpha=0.2)
        for axis in ("left", "bottom"):
            w.getAxis(axis).enableAutoSIPrefix(False)
        # A fixed axis width: wider tick labels must not resize (and re-lay out) the plot.
        w.getAxis("left").setWidth(52)
        self.readouts.append(HoverReadout(w, epoch_label))
        empty_message(w, "Train a model: its curves appear here, epoch by epoch")
        return w

    def _name_classes(self, data) -> None:
        legend = self.sim_plot.getPlotItem().legend
        if legend is not None:  # name the curves after this dataset's classes
            legend.clear()
            for c, name in enumerate(data.class_names[:len(CLASS_COLORS)]):
                legend.addItem(self.sim_curves[("v", c)], f"vision {name}")
                legend.addItem(self.sim_curves[("s", c)], f"sensor {name}")

    def _redraw(self) -> None:
        if not self.session.history:
            for curve in list(self.curves.values()) + list(self.sim_curves.values()):
                curve.setData([], [])
            for smoothed in self.smoothed.values():  # and the faint raw lines under them
                smoothed.set_data([], [])
            return
        for refresh in (self._plot_loss, self._plot_acc, self._plot_sims, self._plot_weights):
            refresh()  # a reopened run: every plot, its similarities too

    def _on_epoch(self, _report) -> None:
        # One plot per event-loop turn: repainting all four at once stalled the window
        # for ~100 ms (software rendering on 2 cores); one at a time stays short.
        for i, refresh in enumerate((self._plot_loss, self._plot_acc, self._plot_sims, self._plot_weights)):
            QTimer.singleShot(25 * i, refresh)

    def _x(self) -> list[int]:
        return [r.epoch for r in self.session.history]

    def _plot_loss(self) -> None:
        for key in ("train_loss", "val_loss"):
            self.smoothed[key].set_data(self._x(), [getattr(r, key) for r in self.session.history])

    def _plot_acc(self) -> None:
        for key in ("train_acc", "val_acc"):
            self.curves[key].setData(self._x(), [getattr(r, key) for r in self.session.history])

    def _plot_weights(self) -> None:
        h = self.session.history
        if h and h[-1].vision_weight is not None:
            self.curves["vision_weight"].setData(self._x(), [r.vision_weight for r in h])
            self.curves["sensor_weight"].setData(self._x(), [r.sensor_weight for r in h])

    def _plot_sims(self) -> None:
        h = self.session.history
        for (mod, c), curve in self.sim_curves.items():
            values = [(r.sim_vision if mod == "v" else r.sim_sensor) for r in h]
            if values and values[-1] is not None:
                curve.setData(self._x(), [v[c] for v in values])
