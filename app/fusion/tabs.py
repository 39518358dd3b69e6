"""The Fusion page's tabs: live training plots, evaluation, the sample inspector, the sweep table."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

CLASS_COLORS = ["#27ae60", "#f1c40f", "#e67e22", "#c0392b"]


class FusionTabs:
    @staticmethod
    def _combo(items) -> QComboBox:
        c = QComboBox()
        c.addItems(items)
        return c

    def _plot(self, pg, title: str, ylabel: str, legend_columns: int = 1, outside: bool = False):
        from app.plots import HoverReadout, corner_legend, empty_message, epoch_label, integer_axis

        w = pg.PlotWidget(title=title, axisItems={"bottom": integer_axis()})
        w.setLabel("bottom", "epoch")
        w.setLabel("left", ylabel)
        corner_legend(w, legend_columns, outside=outside)
        w.showGrid(x=True, y=True, alpha=0.2)
        for axis in ("left", "bottom"):
            w.getAxis(axis).enableAutoSIPrefix(False)
        # A fixed axis width: wider tick labels must not resize (and re-lay out) the plot.
        w.getAxis("left").setWidth(52)
        self.readouts = [*getattr(self, "readouts", []), HoverReadout(w, epoch_label)]
        empty_message(w, "Train a model: its curves appear here, epoch by epoch")
        return w

    def _training_tab(self, pg) -> QWidget:
        tab = QWidget()
        grid = QGridLayout(tab)
        self.loss_plot = self._plot(pg, "Loss", "loss")
        self.acc_plot = self._plot(pg, "Accuracy", "accuracy")
        self.sim_plot = self._plot(pg, "Similarity to the true class (val)", "cosine", legend_columns=4,
                                   outside=True)  # 8 entries: below the plot, covering nothing
        self.weight_plot = self._plot(pg, "Learned modality weights", "weight")
        from app.plots import curve_style

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
