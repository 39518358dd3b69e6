"""pyqtgraph helpers shared by every page's plots, so they read at a glance.

- ``integer_axis``: epoch axes tick whole numbers only;
- ``curve_style``: a pen plus a marker, so a series of one point still shows;
- ``corner_legend``: a legend on a light background in a corner, or below the plot when it has
  many entries (``outside=True``), drawn only once it has entries;
- ``HoverReadout``: a crosshair following the mouse and a box with the values of every curve at
  the nearest x (``readout_text`` is the same text for a given x, for tests and tooltips);
- ``empty_message``: a grey line in the middle of a plot that has no data yet, gone with the first
  curve that has points; the axes show no made-up ticks until then;
- ``smooth`` / ``SmoothedCurve``: TensorBoard's debiased exponential moving average, drawn over
  the raw values (faint), for loss curves.

Legends are never drawn over the data (a row above it, or below it when they have many
entries), and clicking an entry (its line or its name) hides or shows that series, as in
TensorBoard.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt


def integer_axis(orientation: str = "bottom"):
    """A pyqtgraph axis that only ticks whole numbers (epochs: 1, 2, 3, never 1.5)."""
    import pyqtgraph as pg

    class IntegerAxis(pg.AxisItem):
        def tickValues(self, minVal, maxVal, size):  # pyqtgraph API
            out = []
            for spacing, values in super().tickValues(minVal, maxVal, size):
                if spacing < 1:
                    continue
                out.append((spacing, [v for v in values if float(v).is_integer()]))
            if not out:  # zoomed in below one step: the whole numbers in view
                lo, hi = int(np.ceil(minVal)), int(np.floor(maxVal))
                out = [(1.0, list(range(lo, hi + 1)))]
            return out

        def tickStrings(self, values, scale, spacing):  # pyqtgraph API
            return [str(int(round(v))) for v in values]

    return IntegerAxis(orientation)


def curve_style(pg, color: str, dashed: bool = False) -> dict:
    """Pen plus a point marker: a series with one point still shows."""
    pen = pg.mkPen(color, width=2, style=Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)
    return {"pen": pen, "symbol": "t" if dashed else "o", "symbolSize": 6, "symbolBrush": color,
            "symbolPen": pg.mkPen(color)}


def toggle_faint(item, label) -> None:
    """A hidden series' name is drawn grey and struck out, so its entry says it is hidden."""
    label.setText(label.text, color="#24323f" if item.isVisible() else "#9aa5b1")
    font = label.item.font()
    font.setStrikeOut(not item.isVisible())
    label.item.setFont(font)


def corner_legend(plot, columns: int = 1, outside: bool = False, above: bool = False, beside: bool = False):
    """A legend in the top-right corner on a light background, so curves under it stay readable;
    with ``outside`` it sits below the plot, in its own row, and covers nothing. Drawn only once
    it has entries (no empty box on an empty plot). With ``above`` it is one row between the title
    and the data (small plots: a row of ~20 px instead of a box over the newest points); with
    ``beside`` a column right of the data (many entries on a short plot: width, not height)."""
    import pyqtgraph as pg

    def has_data(curve) -> bool:
        x = getattr(curve, "xData", ())  # a PlotDataItem; other items count as drawn
        return x is not None and len(x) > 0

    class Legend(pg.LegendItem):
        """Shown only while one of its curves has data: no entries over an empty plot."""

        def addItem(self, curve, name):  # pyqtgraph API
            super().addItem(curve, name)
            changed = getattr(curve, "sigPlotChanged", None)
            if changed is not None:
                changed.connect(self.update_visible)
            sample, label = self.items[-1]
            sample.setToolTip(f"Click to hide or show {name}")
            label.setToolTip(f"Click to hide or show {name}")
            # the name toggles its series as the line sample does (pyqtgraph: the sample only)
            label.mouseClickEvent = lambda event, s=sample: s.mouseClickEvent(event)
            sample.sigClicked.connect(lambda item, lab=label: toggle_faint(item, lab))
            self.update_visible()

        def toggle(self, name: str) -> bool:
            """Hide or show the series called ``name`` (what a click on its entry does); its new state."""
            for sample, label in self.items:
                if label.text == name:
                    sample.item.setVisible(not sample.item.isVisible())
                    sample.update()
                    toggle_faint(sample.item, label)
                    return sample.item.isVisible()
            raise KeyError(name)

        def removeItem(self, curve):  # pyqtgraph API
            super().removeItem(curve)
            self.update_visible()

        def clear(self):
            super().clear()
            self.update_visible()

        def update_visible(self, *_):
            self.setVisible(any(has_data(sample.item) for sample, _ in self.items))
            if beside:  # as tall as its entries, at the top of the data's row: rows never spread out
                self.setMaximumHeight(max(1.0, self.layout.preferredHeight()))

        def paint(self, p, *args):
            if self.items:
                super().paint(p, *args)

    item = plot.getPlotItem() if hasattr(plot, "getPlotItem") else plot
    if beside:
        legend = Legend(colCount=columns, brush=pg.mkBrush(255, 255, 255, 0), pen=None, labelTextSize="8pt")
        item.layout.addItem(legend, 2, 3)  # the data's row, right of its right axis' cell
        from PySide6.QtWidgets import QSizePolicy

        # its entries never make the data's row taller (8 entries pushed the axis below the plot)
        legend.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        item.layout.setAlignment(legend, Qt.AlignmentFlag.AlignTop)
        legend.layout.setVerticalSpacing(-6)  # 8 entries fit beside a plot 150 px high
        item.legend = legend
        return legend
    if not outside:  # a box in the corner covered the newest points: a row above the data instead
        above = True
    if outside or above:
        legend = Legend(colCount=columns, brush=pg.mkBrush(255, 255, 255, 0), pen=None)
        # the row under the bottom axis, or the top axis' row (the axis is not used on these plots
        # and leaves its cell): either way beside the data, never over it
        if above:
            item.layout.removeItem(item.getAxis("top"))
        item.layout.addItem(legend, 1 if above else 4, 1)
        if above:
            item.layout.setAlignment(legend, Qt.AlignmentFlag.AlignRight)
            legend.layout.setContentsMargins(0, 0, 0, 0)
            legend.layout.setVerticalSpacing(0)
    else:
        legend = Legend(offset=(-8, 8), colCount=columns, brush=pg.mkBrush(255, 255, 255, 225),
                        pen=pg.mkPen("#d8dee4"))
        legend.setParentItem(item.vb)
    item.legend = legend  # PlotItem.plot(name=...) adds its curves here
    return legend


def epoch_label(x: float) -> str:
    return f"epoch {int(round(x))}"


def date_label(x: float) -> str:
    """A POSIX time (what ``pg.DateAxisItem`` plots) as a date."""
    import datetime as dt

    return dt.datetime.fromtimestamp(x, tz=dt.timezone.utc).strftime("%d %b %Y")


def _fmt(v: float) -> str:
    return f"{v:.4g}" if abs(v) < 1e4 else f"{v:,.0f}"


class HoverReadout:
    """A crosshair on ``plot`` and a box with each named curve's value at the nearest x.

    ``x_format`` turns an x into its label ("epoch 3", a date); the box sits in the top-left
    corner of the view so it never hides the point under the mouse."""

    def __init__(self, plot, x_format: Callable[[float], str] | None = None) -> None:
        import pyqtgraph as pg

        self.item = plot.getPlotItem() if hasattr(plot, "getPlotItem") else plot
        self.x_format = x_format or (lambda x: f"x = {_fmt(x)}")
        self.line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#8795a1", width=1,
                                                                          style=Qt.PenStyle.DashLine))
        self.label = pg.TextItem(anchor=(0, 0), color="#24323f", fill=pg.mkBrush(255, 255, 255, 230),
                                 border=pg.mkPen("#d8dee4"))
        for g in (self.line, self.label):
            g.setZValue(30)
            g.hide()
            self.item.addItem(g, ignoreBounds=True)
        self.proxy = pg.SignalProxy(self.item.scene().sigMouseMoved, rateLimit=30, slot=self._moved)

    def curves(self) -> list:
        return [c for c in self.item.listDataItems()
                if c.name() and c.isVisible() and c.xData is not None and len(c.xData)]

    def readout_text(self, x: float) -> str:
        """The values of every named curve at the x nearest ``x`` (each curve its own nearest)."""
        rows = []
        nearest_x = None
        for c in self.curves():
            xs, ys = np.asarray(c.xData, dtype=float), np.asarray(c.yData, dtype=float)
            i = int(np.argmin(np.abs(xs - x)))
            if nearest_x is None or abs(xs[i] - x) < abs(nearest_x - x):
                nearest_x = float(xs[i])
            rows.append((c.name(), float(ys[i]), float(xs[i])))
        if nearest_x is None:
            return ""
        lines = [self.x_format(nearest_x)]
        lines += [f"{name}: {_fmt(y)}" + ("" if xi == nearest_x else f" (at {self.x_format(xi)})")
                  for name, y, xi in rows]
        return "\n".join(lines)

    def show_at(self, x: float) -> str:
        for g in (self.line, self.label):
            if g.scene() is None:  # plot.clear() took them out with the curves: back in
                self.item.addItem(g, ignoreBounds=True)
        text = self.readout_text(x)
        if not text:
            self.hide()
            return ""
        self.line.setPos(x)
        self.label.setText(text)
        (x0, _), (_, y1) = self.item.vb.viewRange()
        self.label.setPos(x0, y1)
        self.line.show()
        self.label.show()
        return text

    def hide(self) -> None:
        self.line.hide()
        self.label.hide()

    def _moved(self, event) -> None:
        pos = event[0]
        if not self.item.vb.sceneBoundingRect().contains(pos):
            self.hide()
            return
        self.show_at(self.item.vb.mapSceneToView(pos).x())


def empty_message(plot, text: str):
    """A grey message in the middle of a plot while none of its curves has a point."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QGraphicsSimpleTextItem

    item = plot.getPlotItem() if hasattr(plot, "getPlotItem") else plot

    def has_data() -> bool:
        for c in item.listDataItems():  # curves (PlotDataItem) and scatters alike
            x = c.getData()[0] if hasattr(c, "getData") else None
            if x is not None and len(x):
                return True
        return False

    axes = [item.getAxis(name) for name in ("left", "bottom") if item.getAxis(name) is not None]

    def show_axes(shown: bool) -> None:
        """No ticks on a plot without data: the 0..1 a view starts with is made up."""
        for axis in axes:
            axis.setStyle(showValues=shown)
        label.axes_shown = shown

    class Message(QGraphicsSimpleTextItem):
        def paint(self, painter, option, widget=None):  # checked at every paint: never stale
            data = has_data()
            if data != label.axes_shown:
                QTimer.singleShot(0, item, lambda: show_axes(has_data()))  # not inside a paint; dropped with the plot
            if not data:
                super().paint(painter, option, widget)

    label = Message(text, item.vb)
    label.setBrush(Qt.GlobalColor.gray)
    label.setZValue(25)
    label.has_data = has_data
    label.axes_shown = True
    show_axes(has_data())
    item.vb.empty_message = label  # the Python side (its paint) lives as long as the view

    def place(*_):
        r, b = item.vb.boundingRect(), label.boundingRect()
        label.setPos((r.width() - b.width()) / 2, (r.height() - b.height()) / 2)
        label.update()

    item.vb.sigResized.connect(place)
    item.vb.sigStateChanged.connect(place)
    place()
    return label


def smooth(values, weight: float) -> np.ndarray:
    """TensorBoard's smoothing: an exponential moving average, debiased so the first points are
    not pulled towards 0; NaN values (an epoch without a validation loss) are skipped and stay NaN."""
    y = np.asarray(values, dtype=float)
    out = np.full_like(y, np.nan)
    if not 0 < weight < 1:
        return y.copy()
    last, steps = 0.0, 0
    for i, v in enumerate(y):
        if not np.isfinite(v):
            continue
        steps += 1
        last = last * weight + (1 - weight) * v
        out[i] = last / (1 - weight ** steps)
    return out


class SmoothedCurve:
    """A loss curve drawn twice: the raw values faint, their smoothed line over them (one legend
    entry, the smoothed one's). ``set_weight`` re-draws with another smoothing (0: raw only)."""

    def __init__(self, plot, name: str, color: str, weight: float = 0.6, dashed: bool = False) -> None:
        import pyqtgraph as pg

        item = plot.getPlotItem() if hasattr(plot, "getPlotItem") else plot
        faint = pg.mkColor(color)
        faint.setAlpha(70)
        self.raw = item.plot([], [], pen=pg.mkPen(faint, width=1))
        self.line = item.plot([], [], name=name, **curve_style(pg, color, dashed))
        self.line.visibleChanged.connect(lambda: self.raw.setVisible(self.line.isVisible()))
        self.weight = weight
        self.x = np.zeros(0)
        self.y = np.zeros(0)

    def set_data(self, x, y) -> None:
        self.x, self.y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        self._draw()

    def set_weight(self, weight: float) -> None:
        self.weight = weight
        self._draw()

    def _draw(self) -> None:
        smoothed = smooth(self.y, self.weight)
        keep = np.isfinite(smoothed)
        self.line.setData(self.x[keep], smoothed[keep])
        raw_keep = np.isfinite(self.y)
        self.raw.setData(self.x[raw_keep], self.y[raw_keep] if self.weight > 0 else [])


def smoothing_control(curves: list, weight: float = 0.6):
    """A "Smoothing" slider (0 to 0.99, as TensorBoard's) for ``curves`` (SmoothedCurve): returns
    (the widget, its slider); moving it re-draws every curve with the new weight."""
    from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget

    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setRange(0, 99)
    slider.setValue(round(weight * 100))
    slider.setFixedWidth(140)
    tip = ("TensorBoard's smoothing of the loss curves: an average over the last epochs (0: none); "
           "the raw values stay drawn faint")
    slider.setToolTip(tip)
    value = QLabel(f"{weight:.2f}")
    value.setFixedWidth(value.fontMetrics().horizontalAdvance("0.00") + 6)

    def changed(v: int) -> None:
        value.setText(f"{v / 100:.2f}")
        for curve in curves:
            curve.set_weight(v / 100)

    slider.valueChanged.connect(changed)
    name = QLabel("Smoothing")
    name.setToolTip(tip)
    row.addWidget(name)
    row.addWidget(slider)
    row.addWidget(value)
    row.addStretch(1)
    return box, slider


def explain_entry(plot, curve, name: str, why: str = "") -> None:
    """A series that has no points for a reason says so in the legend: its entry reads ``why``
    (grey, no line sample) instead of a name beside a line that is nowhere; ``why=""`` puts the
    name back."""
    item = plot.getPlotItem() if hasattr(plot, "getPlotItem") else plot
    for sample, label in item.legend.items:
        if sample.item is curve:
            label.setText(why or name, color="#7b8794" if why else "#24323f")
            sample.setVisible(not why)
            label.setToolTip(why or f"Click to hide or show {name}")
            return
    raise KeyError(name)
