"""Plots at TensorBoard's level: legends beside the data, click to hide, smoothing, no made-up axes."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def plot(qtbot):
    import pyqtgraph as pg

    w = pg.PlotWidget()
    qtbot.addWidget(w)
    w.resize(500, 300)
    w.show()
    return w


def test_the_legend_sits_beside_the_data_and_a_click_hides_a_series(plot, qtbot):
    import pyqtgraph as pg

    from app.plots import HoverReadout, corner_legend, curve_style, epoch_label

    legend = corner_legend(plot)
    train = plot.plot([1, 2, 3], [0.9, 0.5, 0.2], name="train", **curve_style(pg, "#2471a3"))
    plot.plot([1, 2, 3], [1.0, 0.8, 0.7], name="validation", **curve_style(pg, "#e67e22"))
    qtbot.wait(20)
    view = plot.getPlotItem().vb.sceneBoundingRect()
    box = legend.sceneBoundingRect()
    assert not box.intersects(view)  # a row above the data: it covers no point
    readout = HoverReadout(plot, epoch_label)
    assert "train" in readout.readout_text(2)
    assert legend.toggle("train") is False and not train.isVisible()
    assert "train" not in readout.readout_text(2)  # a hidden series is left out of the readout
    label = legend.items[0][1]
    assert label.item.font().strikeOut()  # its entry says it is hidden
    # a real click on the entry's line sample shows it again
    sample = legend.items[0][0]
    from PySide6.QtCore import QPoint, Qt

    centre = plot.mapFromScene(sample.sceneBoundingRect().center())
    qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(centre.x(), centre.y()))
    qtbot.waitUntil(train.isVisible, timeout=2000)
    assert not label.item.font().strikeOut()


def test_smoothing_is_tensorboards_debiased_average_and_skips_missing_values():
    from app.plots import smooth

    y = np.array([1.0, 0.0, 0.0, np.nan, 0.0])
    s = smooth(y, 0.5)
    assert s[0] == pytest.approx(1.0)  # debiased: the first point is itself, not pulled to 0
    assert s[1] == pytest.approx(0.5 * 0.5 / 0.75)
    assert np.isnan(s[3]) and np.isfinite(s[4])
    assert np.array_equal(smooth(y, 0.0)[:3], y[:3])
    noisy = 1 / np.arange(1, 200) + np.random.default_rng(0).normal(0, 0.05, 199)
    assert np.std(np.diff(smooth(noisy, 0.9))) < np.std(np.diff(noisy)) / 3


def test_smoothed_curve_draws_raw_faint_under_one_legend_entry(plot):
    from app.plots import SmoothedCurve, corner_legend

    legend = corner_legend(plot)
    curve = SmoothedCurve(plot, "loss", "#2471a3", weight=0.8)
    curve.set_data([1, 2, 3, 4], [4.0, 1.0, 3.0, 0.5])
    assert [label.text for _, label in legend.items] == ["loss"]
    assert len(curve.raw.xData) == 4 and curve.line.yData[1] > 1.0  # smoothed lies above the dip
    legend.toggle("loss")
    assert not curve.raw.isVisible()  # the faint raw line goes with its entry
    curve.set_weight(0.0)
    assert np.allclose(curve.line.yData, [4.0, 1.0, 3.0, 0.5])


def test_an_empty_plot_has_no_made_up_axes(plot, qtbot):
    from app.plots import empty_message

    message = empty_message(plot, "Train a model")
    axis = plot.getPlotItem().getAxis("left")
    assert axis.style["showValues"] is False and message.axes_shown is False
    plot.plot([1, 2], [3, 4])
    qtbot.waitUntil(lambda: axis.style["showValues"] is True, timeout=2000)
    plot.clear()
    plot.getPlotItem().vb.update()
    qtbot.waitUntil(lambda: axis.style["showValues"] is False, timeout=2000)
