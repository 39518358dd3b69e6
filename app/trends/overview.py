"""Trends' Overview tab: posts per day, the training loss, actual vs predicted share of a chosen
category, the comparison with the baselines (in numbers and in words) and the latest forecast.

A widget of its own over a ``TrendsSession``: it draws what the session says (a dataset, an
epoch, a trained forecaster, a reopened run) and needs nothing else.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.trends.session import TrendsSession
from app.widgets import EmptyHint

COLOURS = ["#c0392b", "#2471a3", "#229954", "#d4ac0d", "#7d3c98", "#e67e22", "#5d6d7e", "#a04000"]
ARROWS = {1: "▲ hot", 0: "▶ steady", -1: "▼ cold"}


def _plot(pg, title, left, axis=None, empty="Open a dataset or make the demo", beside=False):
    from app.plots import corner_legend, empty_message

    w = pg.PlotWidget(axisItems={"bottom": axis} if axis is not None else None)
    w.setTitle(title, size="10pt")  # a smaller title row: the data keeps >= 150 px at 1180x760
    # one row above the data, or (many entries, a short plot) a column right of it: covers no curve
    corner_legend(w, columns=1 if beside else 6, above=not beside, beside=beside)
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


def _fit_columns(table: QTableWidget, columns) -> None:
    """Columns as wide as their header and their widest cell, with the cell's margins (Qt's own
    fit to contents left "0.141" and "accuracy" a few px short, cut with "…")."""
    header, fm = table.horizontalHeader(), table.fontMetrics()
    pad = 2 * header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header) + 8
    for col in columns:
        header.setSectionResizeMode(col, QHeaderView.ResizeMode.Fixed)
        name = table.horizontalHeaderItem(col)
        texts = [table.item(r, col).text() for r in range(table.rowCount()) if table.item(r, col) is not None]
        need = max([header.fontMetrics().horizontalAdvance(name.text() if name else "")]
                   + [fm.horizontalAdvance(t) for t in texts])
        header.resizeSection(col, need + pad)


class OverviewTab(QWidget):
    def __init__(self, session: TrendsSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        import pyqtgraph as pg

        from app.plots import (
            HoverReadout,
            SmoothedCurve,
            date_label,
            epoch_label,
            integer_axis,
            smoothing_control,
        )

        self.session = session
        self._pred_items: dict = {}  # the prediction plot's curves, made once (update_prediction_plot)
        self._post_curves: dict = {}  # category name -> its posts-per-day curve
        self._turns = 0  # _in_turns: the newest sequence of steps
        pg.setConfigOptions(antialias=True, background="w", foreground="#24323f")
        self.posts_plot = _plot(pg, "Posts per day (7-day mean)", "posts", pg.DateAxisItem(orientation="bottom"),
                                beside=True)  # a category each: a legend row above took two rows of height
        self.loss_plot = _plot(pg, "Training loss", "loss", integer_axis(),
                               empty="Train: the loss appears here, epoch by epoch", beside=True)
        self.loss_plot.setLabel("bottom", "epoch")
        self.smoothed = {k: SmoothedCurve(self.loss_plot, k, c)
                         for k, c in (("train", "#2471a3"), ("validation", "#e67e22"), ("test", "#7f8c8d"))}
        self.curves = {k: c.line for k, c in self.smoothed.items()}  # the smoothed lines (raw: faint, under)
        # the page puts it in its settings row: under the loss plot it took the data's height
        self.smoothing_box, self.smoothing = smoothing_control(list(self.smoothed.values()))
        self.pred_plot = _plot(pg, "Share two months later: actual vs predicted", "share of posts",
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
        _fit_columns(self.table, range(1, 5))  # the numbers take what they need; the model's name the rest
        self.table.verticalHeader().hide()
        self.latest = QTableWidget(0, 3)
        self.latest.setHorizontalHeaderLabels(["category", "trend", "predicted share"])
        self.latest.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.latest.setWordWrap(False)  # "0.123 (actual 0.145)" on one line: the category's name takes the rest
        _fit_columns(self.latest, (1, 2))
        self.latest.verticalHeader().hide()
        EmptyHint(self.table, "Train (or reopen a run): each model's scores on the test split appear here")
        EmptyHint(self.latest, "After training: each category's predicted trend and share")
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
        self.splitter = QSplitter(Qt.Orientation.Vertical)  # the user can give the plots more room
        for left, right in ((self.posts_plot, self.loss_plot), (pred_box, tables)):
            row_box = QWidget()
            hl = QHBoxLayout(row_box)
            hl.setContentsMargins(0, 0, 0, 0)
            hl.addWidget(left, 1)
            hl.addWidget(right, 1)
            self.splitter.addWidget(row_box)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 1)  # half each: every plot's data >= 150 px at 1180x760 (2:3 left 148)
        self.splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        session.dataset_changed.connect(self._dataset)
        session.history_reset.connect(self._plot_loss)
        session.epoch.connect(lambda _: self._plot_loss())
        session.trained.connect(self._trained)
        session.run_opened.connect(self._run_opened)

    # -- the session's news --------------------------------------------------------------------
    def _dataset(self, prep) -> None:
        p = prep.posts
        self.category.blockSignals(True)
        self.category.clear()
        self.category.addItems(p.categories)
        self.category.blockSignals(False)
        self._in_turns([*(lambda c=c: self._plot_category(c) for c in range(len(p.categories))),
                        self.update_prediction_plot])

    def _plot_loss(self) -> None:
        h = self.session.history
        x = [r.epoch for r in h]
        self.smoothed["train"].set_data(x, [r.train_loss for r in h])
        self.smoothed["validation"].set_data(x, [r.val_loss for r in h])
        self.smoothed["test"].set_data(x, [r.test_loss for r in h])

    def _trained(self, result) -> None:
        self._fill_table()
        self._fill_latest()
        QTimer.singleShot(0, self.update_prediction_plot)  # its own turn of the event loop

    def _run_opened(self, run) -> None:
        """A kept run: its comparison with the baselines and its loss curves; its forecast and
        predicted lines follow (``trained``) where its model can run on the loaded dataset."""
        self._fill_table()
        x = list(range(1, len(run.curves.get("train_loss", [])) + 1))
        for key, name in (("train", "train_loss"), ("validation", "val_loss"), ("test", "test_loss")):
            self.smoothed[key].set_data(x, run.curves.get(name, []))
        if self.session.can_forecast(run):
            self.latest_title.setText(f"Run {run.label} reopened: its forecast is being computed again…")
            return
        self.latest.setRowCount(0)  # another run's forecast is not this one's
        changed = run.dataset_changed()
        why = (" (its dataset changed since)" if changed else " (its dataset is gone)" if changed is None
               else "" if run.dataset == self.session.dataset_path else " (trained on another dataset: open it)")
        self.latest_title.setText(f"Run {run.label} reopened{why}: train again to see the per-category forecast.")

    # -- drawing -------------------------------------------------------------------------------
    def _in_turns(self, steps: list) -> None:
        """Run ``steps`` one per event-loop turn: making the plots' curves and legend rows took
        the UI thread 145 ms in one go when the demo loaded (bench/pages_ui.py --page trends,
        traced with STALL_TRACE=1); a newer call drops the rest of an older one's steps."""
        self._turns += 1
        mine, rest = self._turns, list(steps)

        def step() -> None:
            if mine != self._turns or not rest:
                return
            rest.pop(0)()
            if rest:
                QTimer.singleShot(0, step)

        step()

    def _plot_category(self, c: int) -> None:
        """Posts per day (7-day mean) of category ``c``; the curves of the previous dataset are
        reused when its categories are the same."""
        import pyqtgraph as pg

        p = self.session.prep.posts
        curves = self._post_curves
        if c == 0 and list(curves) != list(p.categories):
            self.posts_plot.clear()
            curves.clear()
        daily = np.bincount(p.days[p.category == c], minlength=p.n_days)[:p.n_days].astype(float)
        y = np.convolve(daily, np.ones(7) / 7, mode="same")
        name = p.categories[c]
        if name not in curves:  # 730 points: a 2 px antialiased pen paints 10x slower
            curves[name] = self.posts_plot.plot(pen=pg.mkPen(COLOURS[c % len(COLOURS)], width=1), name=name)
        curves[name].setData(self._when(np.arange(p.n_days)), y)

    def _fill_table(self) -> None:
        from core.trends.service import verdict

        rows = self.session.rows
        said = verdict(rows)
        losing = "does worse" in said
        self.verdict.setText(said)
        self.verdict.setStyleSheet("color: #a04000; font-weight: 600" if losing else "color: #1e5631")
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, key in enumerate(("model", "accuracy", "macro_f1", "mae", "spearman")):
                v = row[key]
                item = QTableWidgetItem(v if isinstance(v, str) else ("–" if v != v else f"{v:.3f}"))
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        _fit_columns(self.table, range(1, 5))

    def _fill_latest(self) -> None:
        prep = self.session.prep
        lab = prep.labels
        last = lab.end_day.max()
        idx, cls, prop = self.session.result["latest"]
        month = prep.posts.day_date(lab.target_days[idx[0]][0]).strftime("%Y-%m")
        reopened = self.session.result.get("reopened")
        self.latest_title.setText(f"Forecast for {month} (windows ending {prep.posts.day_date(last)})"
                                  + (f", run {reopened} reopened" if reopened else
                                     "; the latest windows whose month is known"))
        self.latest.setRowCount(len(idx))
        for r, (i, c, p) in enumerate(zip(idx, cls, prop, strict=True)):
            self.latest.setItem(r, 0, QTableWidgetItem(prep.posts.categories[lab.category[i]]))
            self.latest.setItem(r, 1, QTableWidgetItem(ARROWS[int(c)]))
            self.latest.setItem(r, 2, QTableWidgetItem(f"{p:.3f} (actual {lab.proportion[i]:.3f})"))
        _fit_columns(self.latest, (1, 2))

    def update_prediction_plot(self) -> None:
        """Actual vs predicted share of the chosen category. The curves are made once and then
        given new data: re-creating them (and their legend rows) took 20-35 ms of the UI thread."""
        prep, result = self.session.prep, self.session.result
        if prep is None:
            return
        import pyqtgraph as pg

        items = self._pred_items
        if "actual" not in items:
            items["actual"] = self.pred_plot.plot(name="actual", pen=pg.mkPen("#2c3e50", width=2))
        c = self.category.currentIndex()
        lab = prep.labels
        idx = np.flatnonzero(lab.category == c)
        items["actual"].setData(self._when(lab.end_day[idx]), lab.proportion[idx])
        trained = result is not None
        if trained:
            test = prep.split.test
            mine = np.flatnonzero(lab.category[test] == c)
            for key, colour, name in (("model", "#c0392b", "model"), ("numeric", "#16a085", "numeric-only")):
                r = result.get(key)
                if r is not None and key not in items:
                    items[key] = self.pred_plot.plot(
                        name=name, pen=pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine))
                if key in items:
                    items[key].setData(*((self._when(lab.end_day[test][mine]), r.test_pred["proportion"][mine])
                                         if r is not None else ([], [])))
            start = float(self._when(np.array([lab.end_day[test].min()]))[0])
            if "test line" not in items:
                items["test line"] = pg.InfiniteLine(start, pen=pg.mkPen("#95a5a6", style=Qt.PenStyle.DotLine),
                                                     label="test period", labelOpts={"position": 0.9})
                self.pred_plot.addItem(items["test line"])
            items["test line"].setValue(start)
        for key in ("model", "numeric"):  # no model (a new dataset): no stale prediction
            if key in items and not trained:
                items[key].setData([], [])
        if "test line" in items:
            items["test line"].setVisible(trained)

    def _when(self, days: np.ndarray) -> np.ndarray:
        """Day numbers of the dataset as epoch seconds, for the date axes."""
        import datetime as dt

        start = dt.datetime.combine(self.session.prep.posts.start, dt.time(12)).timestamp()
        return start + np.asarray(days, np.float64) * 86400.0
