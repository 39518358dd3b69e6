"""The Runs view shared by Fusion and Trends: every run kept in ``core.runs`` with its settings
and metrics in one table; tick two or more to overlay their curves and read their metrics side
by side (TensorBoard's run comparison); open one to show it on the page again, or delete it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

RUN_COLORS = ["#2471a3", "#e67e22", "#16a085", "#8e44ad", "#c0392b", "#7f8c8d", "#d4ac0d", "#1abc9c"]


class RunsView(QWidget):
    open_requested = Signal(int)  # run id

    def __init__(self, store, workspace: str, metrics: list[tuple[str, str]], curves: list[tuple[str, str]],
                 describe, parent=None) -> None:
        """``metrics``/``curves``: (key, label); ``describe(run) -> str``: its settings in a few words."""
        import pyqtgraph as pg

        from app.plots import HoverReadout, corner_legend, empty_message, epoch_label, integer_axis

        super().__init__(parent)
        self.store, self.workspace, self.metrics, self.curve_keys, self.describe = \
            store, workspace, metrics, curves, describe
        self.runs = []
        self.table = QTableWidget(0, 3 + len(metrics))
        self.table.setHorizontalHeaderLabels(["run", "when", "settings"] + [label for _, label in metrics])
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(False)
        self.table.itemChanged.connect(lambda *_: self.update_plot())
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.curve_choice = QComboBox()
        for key, label in curves:
            self.curve_choice.addItem(label, key)
        self.curve_choice.currentIndexChanged.connect(lambda *_: self.update_plot())
        self.plot = pg.PlotWidget(title="Ticked runs", axisItems={"bottom": integer_axis()})
        self.plot.setLabel("bottom", "epoch")
        self.plot.getAxis("left").enableAutoSIPrefix(False)  # 0.84, not "840 (x0.001)"
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.legend = corner_legend(self.plot)
        self.readout = HoverReadout(self.plot, epoch_label)
        empty_message(self.plot, "Tick runs in the table to overlay their curves")
        self.open_button = QPushButton("Open")
        self.open_button.setToolTip("Show the selected run on the page (plots, evaluation)")
        self.open_button.clicked.connect(self._open)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self._delete)
        self.hint = QLabel("Tick two or more runs to overlay their curves; their metrics are side by side above.")
        self.hint.setStyleSheet("color: #5a6a7a")
        top = QHBoxLayout()
        top.addWidget(QLabel("Curve"))
        top.addWidget(self.curve_choice)
        top.addStretch(1)
        top.addWidget(self.open_button)
        top.addWidget(self.delete_button)
        lower = QWidget()
        lv = QVBoxLayout(lower)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addLayout(top)
        lv.addWidget(self.plot, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(lower)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split, 1)
        layout.addWidget(self.hint)
        self._selection_changed()

    def refresh(self, dataset: str | None = None) -> None:
        self.runs = self.store.list(self.workspace, dataset)
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.runs))
        for r, run in enumerate(reversed(self.runs)):  # newest first
            first = QTableWidgetItem(f"#{run.id}")
            first.setFlags(first.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            first.setCheckState(Qt.CheckState.Checked if r < 2 else Qt.CheckState.Unchecked)
            first.setData(Qt.ItemDataRole.UserRole, run.id)
            first.setToolTip(f"dataset: {run.dataset}")
            self.table.setItem(r, 0, first)
            self.table.setItem(r, 1, QTableWidgetItem(run.label.split(" · ")[1]))
            settings = QTableWidgetItem(self.describe(run))
            settings.setToolTip("\n".join(f"{k}: {v}" for k, v in run.settings.items()))
            self.table.setItem(r, 2, settings)
            for c, (key, _) in enumerate(self.metrics):
                value = run.metrics.get(key)
                item = QTableWidgetItem("–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value))
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, 3 + c, item)
        self.table.resizeColumnToContents(0)
        self.table.blockSignals(False)
        self.update_plot()
        self._selection_changed()

    def ticked(self) -> list[int]:
        return [self.table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(self.table.rowCount())
                if self.table.item(r, 0).checkState() == Qt.CheckState.Checked]

    def update_plot(self) -> None:
        import pyqtgraph as pg

        from app.plots import curve_style

        self.plot.clear()
        self.legend.clear()
        key = self.curve_choice.currentData()
        self.plot.setLabel("left", self.curve_choice.currentText())
        by_id = {run.id: run for run in self.runs}
        for i, run_id in enumerate(self.ticked()):
            values = [v for v in by_id[run_id].curves.get(key, []) if v is not None]
            if values:
                self.plot.plot(list(range(1, len(values) + 1)), values, name=by_id[run_id].label,
                               **curve_style(pg, RUN_COLORS[i % len(RUN_COLORS)]))

    def selected_run(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole) if rows else None

    def _selection_changed(self) -> None:
        some = self.selected_run() is not None
        for button in (self.open_button, self.delete_button):
            button.setEnabled(some)
            button.setToolTip(button.toolTip() if some else "Select a run first")

    def _open(self) -> None:
        run_id = self.selected_run()
        if run_id is not None:
            self.open_requested.emit(run_id)

    def _delete(self) -> None:
        run_id = self.selected_run()
        if run_id is not None:
            self.store.delete(run_id)
            self.refresh()
