"""The Trends workspace: load daily posts, see them over time, train the forecaster with live
loss curves, compare predicted vs actual shares per category and the baselines.

The page holds the data row, the training settings and their buttons, and the tabs (Overview, a
widget over a shared ``TrendsSession``, and the kept Runs). Everything heavy runs off the UI
thread: embedding on the model worker, training in a child process (``core.process``) whose
epochs come through the job's channel; pyqtgraph loads when the page is first shown.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSpinBox, QTabWidget, QVBoxLayout

from app.filedialogs import open_file
from app.trends.session import TrendsSession
from app.workspace import PageContext, WorkspacePage
from core.jobs import Lane, Priority
from core.paths import data_dir


class TrendsPage(WorkspacePage):
    title = "Trends"
    icon = "trends"
    summary = "Forecast which categories of daily posts will be popular two months from now."

    def __init__(self, context: PageContext, parent=None) -> None:
        super().__init__(context, parent)
        self.session = TrendsSession(self)
        self.train_job = None
        self.last_error: str | None = None
        self._built = False
        self._reopen = False  # the last dataset reopens at start: then show its latest run
        from core.runs import RunStore

        self.runs = RunStore()  # kept across restarts: the dataset by path, runs with their models

    @property
    def prep(self):
        return self.session.prep

    @property
    def dataset_path(self) -> str | None:
        return self.session.dataset_path

    @property
    def history(self) -> list:
        return self.session.history

    @property
    def rows(self) -> list[dict]:
        return self.session.rows

    def release(self) -> None:
        self.runs.close()

    def open_run(self, run_id: int):
        """Show a kept run: its comparison with the baselines and its loss curves (Overview), then,
        where its model can run on the loaded dataset, its forecast and predicted lines (a job)."""
        run = self.runs.get(run_id)
        self.session.open_run(run)
        self.tabs.setCurrentIndex(0)
        if not self.session.can_forecast(run):
            return None
        prep = self.prep

        def work(progress, cancelled):
            from core.trends.runs import load_result

            return load_result(run, prep)

        def done(result) -> None:
            if self.prep is prep:  # not a dataset opened since
                self.session.set_result(result)

        return self.context.jobs.submit(work, f"Trends: forecast again with run #{run_id}", Lane.MODEL,
                                        on_done=done, on_error=self._failed)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._built:
            self._build()

    def _build(self) -> None:
        from app.runs_view import RunsView
        from app.trends.overview import OverviewTab
        from app.widgets import JobStrip

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
        self.overview = OverviewTab(self.session)
        top.addWidget(self.overview.smoothing_box)  # the loss plot's: here it takes none of the plot's height
        self.info = QLabel("Open a CSV of posts (date,category,image,text,comments,likes,collects) "
                           "or make the synthetic demo.")
        self.info.setWordWrap(True)
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
        self.tabs.addTab(self.overview, "Overview")
        self.tabs.addTab(self.runs_view, "Runs")
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.info)
        layout.addWidget(self.tabs, 1)
        self.job_strip = JobStrip(self.context.jobs, "Trends:")
        self.job_strip.float_in_tab_row(self.tabs)  # right of the tabs: no line of its own
        for name, w in (("epochs", self.epochs), ("hidden", self.hidden), ("plots", self.overview.splitter),
                        ("tab", self.tabs), ("smoothing", self.overview.smoothing)):
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
        self.session.set_dataset(str(Path(prep.posts.source).resolve()), prep)  # Overview draws it
        self.runs.remember_dataset("trends", self.dataset_path)
        if self._reopen:
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
        self._set_busy(False)

    # -- training -----------------------------------------------------------------------
    def start_training(self):
        if self.prep is None:
            self.info.setText("Load a dataset first.")
            return None
        from core.trends.model import TrendConfig  # torch is loaded by now (start-up warm-up)

        cfg = TrendConfig(epochs=self.epochs.value(), hidden=self.hidden.value(),
                          device=self.context.models.device.torch_device)
        prep, dataset = self.prep, self.dataset_path
        self.session.set_history([])

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
                                                  on_message=self.session.add_epoch, priority=Priority.BATCH)
        self._set_busy(True)
        return self.train_job

    def cancel(self) -> None:
        if self.train_job is not None:
            self.context.jobs.cancel(self.train_job.id)

    def _trained(self, result) -> None:
        self.session.set_result(result)  # Overview fills the comparison, the forecast and the plot
        self.runs_view.refresh()
        self._set_busy(False)

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
