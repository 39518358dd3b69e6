"""The Trends workspace: load daily posts, see them over time, train the forecaster with live
loss curves, compare predicted vs actual shares per category and the baselines.

Everything heavy runs off the UI thread: embedding on the model worker, training in a child
process (``core.process``); pyqtgraph loads when the page is first shown.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QTableWidgetItem

from app.filedialogs import open_file
from app.trends.layout import TrendsLayout
from app.workspace import PageContext, WorkspacePage
from core.jobs import Lane, Priority
from core.paths import data_dir

COLOURS = ["#c0392b", "#2471a3", "#229954", "#d4ac0d", "#7d3c98", "#e67e22", "#5d6d7e", "#a04000"]
ARROWS = {1: "▲ hot", 0: "▶ steady", -1: "▼ cold"}


class TrendsPage(TrendsLayout, WorkspacePage):
    title = "Trends"
    icon = "trends"
    summary = "Forecast which categories of daily posts will be popular two months from now."

    def __init__(self, context: PageContext, parent=None) -> None:
        super().__init__(context, parent)
        self.prep = None  # core.trends.service.Prepared
        self.result = None  # {"model": TrendResult, "numeric": TrendResult}
        self.rows: list[dict] = []
        self._pred_items: dict = {}  # the prediction plot's curves, made once (update_prediction_plot)
        self._post_curves: dict = {}  # category name -> its posts-per-day curve
        self._turns = 0  # _in_turns: the newest sequence of steps
        self.history = []
        self.train_job = None
        self.last_error: str | None = None
        self._built = False
        self.dataset_path: str | None = None
        from core.runs import RunStore

        self.runs = RunStore()  # kept across restarts: the dataset by path, runs with their models

    def release(self) -> None:
        self.runs.close()

    def open_run(self, run_id: int) -> None:
        """Show a kept run: its comparison with the baselines and its loss curves."""
        run = self.runs.get(run_id)
        self.rows = run.metrics.get("rows", [])
        self._fill_table()
        x = list(range(1, len(run.curves.get("train_loss", [])) + 1))
        for key, name in (("train", "train_loss"), ("validation", "val_loss"), ("test", "test_loss")):
            self.curves[key].setData(x, run.curves.get(name, []))
        self.tabs.setCurrentIndex(0)
        changed = run.dataset_changed()
        self.latest_title.setText(f"Run {run.label} reopened" + (" (its dataset changed since)" if changed else "")
                                  + ": train again to see the per-category forecast.")

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._built:
            self._build()

    # -- data -----------------------------------------------------------------------
    def load_demo(self):
        out = data_dir() / "trends" / "synthetic"

        def work(progress, cancelled):
            from core.process import run_in_process
            from core.trends.synthetic import make_dataset_in_child

            return run_in_process(make_dataset_in_child, (str(out),), progress=progress, cancelled=cancelled)

        return self.context.jobs.submit(work, "Trends: make synthetic demo", Lane.IO, on_done=self.load,
                                        on_error=self._failed)

    def load(self, path: str | None):
        if not self._built:
            self._build()
        if path is None:
            path = open_file(self, "tables", "Posts CSV", "CSV (*.csv)")
        if not path:
            return None
        ctx = self.context

        def work(progress, cancelled):
            from core.trends.service import prepare

            return prepare(path, ctx.models, ctx.cache, progress=progress, cancelled=cancelled)

        self.info.setText(f"Loading {path}…")
        return ctx.jobs.submit(work, f"Trends: load {Path(path).name}", Lane.MODEL, on_done=self._loaded,
                               on_error=self._failed, priority=Priority.BATCH)

    def _loaded(self, prep) -> None:
        self.prep, self.result = prep, None
        self.dataset_path = str(Path(prep.posts.source).resolve())
        self.runs.remember_dataset("trends", self.dataset_path)
        if getattr(self, "_reopen", False):
            self._reopen = False
            mine = self.runs.list("trends", self.dataset_path)
            if mine:
                QTimer.singleShot(0, lambda run_id=mine[-1].id: self.open_run(run_id))
        p = prep.posts
        synthetic = "SYNTHETIC data (core/trends/synthetic.py). " if p.synthetic else ""
        self.info.setText(f"{synthetic}{len(p)} posts, {len(p.categories)} categories, {p.n_days} days from "
                          f"{p.start}; {len(prep.labels.proportion)} samples: {len(prep.split.train)} train "
                          f"(earlier), {len(prep.split.test)} test (later, no shared day)."
                          + (f" {len(prep.errors)} images could not be read." if prep.errors else ""))
        self.info.setStyleSheet("color: #8e44ad; font-weight: 600" if p.synthetic else "")
        self.category.blockSignals(True)
        self.category.clear()
        self.category.addItems(p.categories)
        self.category.blockSignals(False)
        self._set_busy(False)
        self._in_turns([*(lambda c=c: self._plot_category(c) for c in range(len(p.categories))),
                        self.update_prediction_plot])

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

        p = self.prep.posts
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

    # -- training -----------------------------------------------------------------------
    def start_training(self):
        if self.prep is None:
            self.info.setText("Load a dataset first.")
            return None
        from core.trends.model import TrendConfig  # torch is loaded by now (start-up warm-up)

        cfg = TrendConfig(epochs=self.epochs.value(), hidden=self.hidden.value(),
                          device=self.context.models.device.torch_device)
        prep, dataset = self.prep, self.dataset_path
        self.history = []
        for c in self.curves.values():
            c.setData([], [])

        def work(progress, cancelled):
            from core.process import run_in_process
            from core.runs import RunStore
            from core.trends.runs import save_run
            from core.trends.service import latest_forecast, report, train_in_child

            result = run_in_process(train_in_child, (prep.tokens, prep.labels, prep.split, cfg), progress=progress,
                                    cancelled=cancelled, on_message=lambda kind, e: progress.send(e))
            # the comparison and the latest forecast run the models: here, not on the UI thread
            result["rows"] = report(prep, result["model"], result["numeric"])
            result["latest"] = latest_forecast(prep, result["model"])
            if dataset:  # kept in the data dir: settings, comparison, curves, model
                store = RunStore()
                try:
                    result["run_id"] = save_run(store, dataset, prep, result, result["rows"]).id
                finally:
                    store.close()
            return result

        self.train_job = self.context.jobs.submit(work, "Trends: train forecaster", Lane.MODEL, on_done=self._trained,
                                                  on_error=self._failed, on_cancelled=lambda j: self._set_busy(False),
                                                  on_message=self._epoch, priority=Priority.BATCH)
        self._set_busy(True)
        return self.train_job

    def cancel(self) -> None:
        if self.train_job is not None:
            self.context.jobs.cancel(self.train_job.id)

    def _epoch(self, e) -> None:
        self.history.append(e)
        x = [h.epoch for h in self.history]
        self.curves["train"].setData(x, [h.train_loss for h in self.history])
        self.curves["validation"].setData(x, [h.val_loss for h in self.history])
        self.curves["test"].setData(x, [h.test_loss for h in self.history])

    def _trained(self, result) -> None:
        self.result = result
        self.rows = result["rows"]
        self._fill_table()
        self.runs_view.refresh()
        self._fill_latest()
        QTimer.singleShot(0, self.update_prediction_plot)  # its own turn of the event loop
        self._set_busy(False)

    def _fill_table(self) -> None:
        from core.trends.service import verdict

        said = verdict(self.rows)
        losing = "does worse" in said
        self.verdict.setText(said)
        self.verdict.setStyleSheet("color: #a04000; font-weight: 600" if losing else "color: #1e5631")
        self.table.setRowCount(len(self.rows))
        for r, row in enumerate(self.rows):
            for c, key in enumerate(("model", "accuracy", "macro_f1", "mae", "spearman")):
                v = row[key]
                item = QTableWidgetItem(v if isinstance(v, str) else ("–" if v != v else f"{v:.3f}"))
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)

    def _fill_latest(self) -> None:
        lab = self.prep.labels
        last = lab.end_day.max()
        idx, cls, prop = self.result["latest"]
        month = self.prep.posts.day_date(lab.target_days[idx[0]][0]).strftime("%Y-%m")
        self.latest_title.setText(f"Forecast for {month} (windows ending {self.prep.posts.day_date(last)}); "
                                  "the latest windows whose month is known")
        self.latest.setRowCount(len(idx))
        for r, (i, c, p) in enumerate(zip(idx, cls, prop, strict=True)):
            self.latest.setItem(r, 0, QTableWidgetItem(self.prep.posts.categories[lab.category[i]]))
            self.latest.setItem(r, 1, QTableWidgetItem(ARROWS[int(c)]))
            self.latest.setItem(r, 2, QTableWidgetItem(f"{p:.3f} (actual {lab.proportion[i]:.3f})"))

    def update_prediction_plot(self) -> None:
        """Actual vs predicted share of the chosen category. The curves are made once and then
        given new data: re-creating them (and their legend rows) took 20-35 ms of the UI thread."""
        if self.prep is None:
            return
        import pyqtgraph as pg

        items = self._pred_items
        if "actual" not in items:
            items["actual"] = self.pred_plot.plot(name="actual", pen=pg.mkPen("#2c3e50", width=2))
        c = self.category.currentIndex()
        lab = self.prep.labels
        idx = np.flatnonzero(lab.category == c)
        items["actual"].setData(self._when(lab.end_day[idx]), lab.proportion[idx])
        trained = self.result is not None
        if trained:
            test = self.prep.split.test
            mine = np.flatnonzero(lab.category[test] == c)
            for key, colour, name in (("model", "#c0392b", "model"), ("numeric", "#16a085", "numeric-only")):
                r = self.result.get(key)
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

        start = dt.datetime.combine(self.prep.posts.start, dt.time(12)).timestamp()
        return start + np.asarray(days, np.float64) * 86400.0

    def _set_busy(self, busy: bool) -> None:
        self.train_button.setEnabled(not busy and self.prep is not None)
        self.cancel_button.setEnabled(busy)
        self.open_button.setEnabled(not busy)
        self.demo_button.setEnabled(not busy)

    def _failed(self, job) -> None:
        self.last_error = job.error
        if self._built:
            self._set_busy(False)
            self.info.setText(f"{job.name} failed: {job.error}")
