"""The Trends page's widgets: data row, model settings, the comparison table and the plots."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)


class TrendsLayout:
    def _build(self) -> None:
        import pyqtgraph as pg

        pg.setConfigOptions(antialias=True, background="w", foreground="#24323f")
        self.open_button = QPushButton("Open posts CSV…")
        self.open_button.clicked.connect(lambda: self.load(None))
        self.demo_button = QPushButton("Make synthetic demo")
        self.demo_button.setToolTip("A seeded SYNTHETIC dataset whose trends follow a stated rule (730 days)")
        self.demo_button.clicked.connect(self.load_demo)
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 500)
        self.epochs.setValue(20)
        self.hidden = QSpinBox()
        self.hidden.setRange(16, 1024)
        self.hidden.setValue(128)
        self.hidden.setToolTip("Fused width (the write-up used 1024)")
        self.train_button = QPushButton("Train")
        self.train_button.clicked.connect(lambda: self.start_training())
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        top = QHBoxLayout()
        for w in (self.open_button, self.demo_button, QLabel("epochs"), self.epochs, QLabel("width"), self.hidden,
                  self.train_button, self.cancel_button):
            top.addWidget(w)
        top.addStretch(1)
        self.info = QLabel("Open a CSV of posts (date,category,image,text,comments,likes,collects) "
                           "or make the synthetic demo.")
        self.info.setWordWrap(True)

        from app.plots import (
            HoverReadout,
            corner_legend,
            curve_style,
            date_label,
            empty_message,
            epoch_label,
            integer_axis,
        )

        def plot(title, left, axis=None, empty="Open a dataset or make the demo"):
            w = pg.PlotWidget(title=title, axisItems={"bottom": axis} if axis is not None else None)
            corner_legend(w, columns=6, above=True)  # one row above the data: covers no curve
            w.setLabel("left", left)
            w.getAxis("left").enableAutoSIPrefix(False)  # a share reads 0.004, not "4 (x0.001)"
            w.getAxis("left").setWidth(52)
            w.getAxis("bottom").setHeight(44)  # room for the tick labels and the axis label
            empty_message(w, empty)
            if isinstance(axis, pg.DateAxisItem):  # empty: the last 60 days, not "00,250" ticks of 0…1
                import time

                w.setXRange(time.time() - 60 * 86400, time.time(), padding=0)
                w.enableAutoRange(x=True)  # the first data still sets the range
            return w

        self.posts_plot = plot("Posts per day (7-day mean)", "posts", pg.DateAxisItem(orientation="bottom"))
        self.loss_plot = plot("Training loss", "loss", integer_axis(), empty="Train: the loss appears here, epoch by epoch")
        self.loss_plot.setLabel("bottom", "epoch")
        self.curves = {k: self.loss_plot.plot(name=k, **curve_style(pg, c))
                       for k, c in (("train", "#2471a3"), ("validation", "#e67e22"), ("test", "#7f8c8d"))}
        self.pred_plot = plot("Share two months later: actual vs predicted", "share of posts",
                              pg.DateAxisItem(orientation="bottom"))
        self.pred_plot.setLabel("bottom", "last day of the 60-day window")
        self.posts_plot.setLabel("bottom", "date")
        self.readouts = [HoverReadout(self.posts_plot, date_label), HoverReadout(self.loss_plot, epoch_label),
                         HoverReadout(self.pred_plot, date_label)]
        self.category = QComboBox()
        self.category.currentIndexChanged.connect(self.update_prediction_plot)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["model (test split)", "accuracy", "macro-F1", "MAE", "Spearman"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, 5):  # the numbers take what they need; the model's name the rest
            self.table.horizontalHeader().setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().hide()
        self.latest = QTableWidget(0, 3)
        self.latest.setHorizontalHeaderLabels(["category", "trend", "predicted share"])
        self.latest.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.latest.verticalHeader().hide()
        self.latest_title = QLabel("Forecast for the month two months after the last day")
        pred_box = QWidget()
        pv = QVBoxLayout(pred_box)
        pv.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Category"))
        row.addWidget(self.category, 1)
        pv.addLayout(row)
        pv.addWidget(self.pred_plot, 1)
        tables = QWidget()
        tv = QVBoxLayout(tables)
        tv.setContentsMargins(0, 0, 0, 0)
        tv.addWidget(self.table, 3)
        self.verdict = QLabel("")  # how the full model compares with each baseline, in words
        self.verdict.setObjectName("trendsVerdict")
        self.verdict.setWordWrap(True)
        tv.addWidget(self.verdict)
        tv.addWidget(self.latest_title)
        tv.addWidget(self.latest, 2)
        overview = QSplitter(Qt.Orientation.Vertical)  # the user can give the plots more room
        for left, right in ((self.posts_plot, self.loss_plot), (pred_box, tables)):
            row_box = QWidget()
            hl = QHBoxLayout(row_box)
            hl.setContentsMargins(0, 0, 0, 0)
            hl.addWidget(left, 1)
            hl.addWidget(right, 1)
            overview.addWidget(row_box)
        overview.setChildrenCollapsible(False)
        overview.setStretchFactor(0, 2)  # the top plots keep room for their legend row and their curves
        overview.setStretchFactor(1, 3)
        from app.runs_view import RunsView
        from app.widgets import JobStrip

        self.runs_view = RunsView(
            self.runs, "trends",
            metrics=[("macro_f1", "macro-F1"), ("accuracy", "accuracy"), ("numeric_only_macro_f1", "numeric-only F1"),
                     ("epochs", "epochs")],
            curves=[("val_loss", "validation loss"), ("train_loss", "training loss"), ("test_loss", "test loss"),
                    ("test_accuracy", "test accuracy")],
            describe=lambda r: (f"hidden {r.settings.get('hidden')} · lr {r.settings.get('lr')} · "
                                f"content {'on' if r.settings.get('use_content', True) else 'off'}"))
        self.runs_view.open_requested.connect(self.open_run)
        self.tabs = QTabWidget()
        self.tabs.addTab(overview, "Overview")
        self.tabs.addTab(self.runs_view, "Runs")
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        self.job_strip = JobStrip(self.context.jobs, "Trends:")
        layout.addWidget(self.job_strip)
        layout.addWidget(self.info)
        layout.addWidget(self.tabs, 1)
        for name, w in (("epochs", self.epochs), ("hidden", self.hidden), ("plots", overview), ("tab", self.tabs)):
            self.keep_view(name, w)  # the user's, back after a restart
        self._set_busy(False)
        self._built = True
        self.runs_view.refresh()
        last = self.runs.last_dataset("trends")
        if last is not None:
            path, problem = last
            if problem:
                self.info.setText(f"Not reopened: {problem}. Open it again to train on it.")
            else:
                self._reopen = True
                self.load(path)
        self.demo_if_new()
