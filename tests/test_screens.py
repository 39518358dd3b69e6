"""Every page and every tab at 1180×760 and 1920×1080: a screenshot each in out/screenshots/,
and no button, tab or single-line label whose text is cut (its text wider than the widget); no
list, table or header cell elided (at 1920 none; at 1180 only with its full text as a tooltip);
every plot's data area at least 150 px high with its legend inside the plot, not clipped."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QLabel,
    QListView,
    QStyle,
    QStyleOptionViewItem,
    QTabWidget,
)

from tests.conftest import assert_not_blank, save_screenshot, show_page

SIZES = [(1180, 760), (1920, 1080)]
ICONS = ["albums", "logos", "lostfound", "fusion", "trends"]


def _clipped(root) -> list[str]:
    """Visible buttons and one-line labels whose text does not fit their width."""
    out = []
    for w in root.findChildren(QAbstractButton) + root.findChildren(QLabel):
        if not w.isVisibleTo(root) or w.width() <= 0:
            continue
        text = w.text()
        if not text or "\n" in text or "<" in text:
            continue  # rich text and multi-line text are laid out by Qt
        if isinstance(w, QLabel) and (w.wordWrap() or not w.pixmap().isNull()):
            continue
        if isinstance(w, QAbstractButton):  # squeezed below the size its style asks for
            need, room = w.sizeHint().width(), w.width()
        else:
            need, room = w.fontMetrics().horizontalAdvance(text), w.contentsRect().width()
        if need > room + 1:
            out.append(f"{type(w).__name__} {text!r}: needs {need} px, has {room}")
    for box in root.findChildren(QComboBox):  # the shown choice, beside the drop-down arrow
        if box.isVisibleTo(root) and box.currentText() and not box.isEditable():
            need = box.fontMetrics().horizontalAdvance(box.currentText()) + 28
            if need > box.width() + 1:
                out.append(f"QComboBox {box.currentText()!r}: needs {need} px, has {box.width()}")
    return out


# pages whose polish waits for their tab conversion (issue 38): what they still show is listed, not hidden
PENDING: dict[str, str] = {}
MIN_PLOT_HEIGHT = 150  # px of data area: below it a curve reads as a flat line


def _elided_cells(root, tooltip_ok: bool) -> list[str]:
    """Visible cells of lists, tables and trees (and their headers) whose text does not fit: wider
    than a table cell, or, in an icon grid that wraps, a word wider than the cell or more lines
    than it has. ``tooltip_ok``: a cut cell whose tooltip holds the full text passes (small windows)."""
    out = []
    for view in root.findChildren(QAbstractItemView):
        model = view.model()
        if model is None or not view.isVisibleTo(root) or view.viewport().width() <= 0:
            continue
        fm, port = view.fontMetrics(), view.viewport().rect()
        grid = isinstance(view, QListView) and view.viewMode() == QListView.ViewMode.IconMode
        columns = [view.modelColumn()] if isinstance(view, QListView) else range(model.columnCount())
        for row in range(min(model.rowCount(), 300)):
            for col in columns:
                index = model.index(row, col)
                text = index.data(Qt.ItemDataRole.DisplayRole)
                rect = view.visualRect(index)
                if not isinstance(text, str) or not text or not rect.intersects(port) or view.isIndexHidden(index):
                    continue
                if (grid and view.wordWrap()) or (not grid and _wraps(view, index)):
                    room = rect.width() - (4 if grid else 8)
                    words = max(fm.horizontalAdvance(w) for w in text.split()) if text.split() else 0
                    lines = fm.boundingRect(QRect(0, 0, room, 10_000), Qt.TextFlag.TextWordWrap, text).height()
                    icon = view.iconSize().height() if index.data(Qt.ItemDataRole.DecorationRole) else 0
                    cut = words > room or lines > rect.height() - icon
                else:
                    icon = view.iconSize().width() + 4 if index.data(Qt.ItemDataRole.DecorationRole) else 0
                    need = max(fm.horizontalAdvance(t) for t in text.split("\n")) + icon + 8
                    cut = need > rect.width() + 1
                    if "\n" in text:
                        cut = cut or fm.lineSpacing() * (text.count("\n") + 1) > rect.height() + 1
                tip = index.data(Qt.ItemDataRole.ToolTipRole)
                if cut and not (tooltip_ok and isinstance(tip, str) and text.replace("\n", " ") in tip.replace("\n", " ")):
                    out.append(f"{type(view).__name__} {view.objectName()!r} cell {text!r} ({rect.width()} px wide)")
        for header in (getattr(view, "horizontalHeader", lambda: None)(),):
            if header is None or not header.isVisibleTo(root):
                continue
            for col in range(model.columnCount()):
                name = model.headerData(col, Qt.Orientation.Horizontal)
                if isinstance(name, str) and name and not header.isSectionHidden(col):
                    margin = header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
                    need = header.fontMetrics().horizontalAdvance(name) + 2 * margin
                    if need > header.sectionSize(col) + 1:
                        out.append(f"header {name!r}: needs {need} px, has {header.sectionSize(col)}")
    return out


def _wraps(view, index) -> bool:
    """Whether a table's cell is drawn word-wrapped (the view wraps and its delegate keeps it so)."""
    if not view.wordWrap() or "\n" in str(index.data(Qt.ItemDataRole.DisplayRole)):
        return False
    delegate = view.itemDelegateForIndex(index)
    if not hasattr(delegate, "initStyleOption"):
        return False
    option = QStyleOptionViewItem()
    option.features |= QStyleOptionViewItem.ViewItemFeature.WrapText
    delegate.initStyleOption(option, index)
    return bool(option.features & QStyleOptionViewItem.ViewItemFeature.WrapText)


def _collapsed_plots(root) -> list[str]:
    """Visible plots whose data area is under MIN_PLOT_HEIGHT px, or whose legend is cut off."""
    import pyqtgraph as pg

    out = []
    for plot in root.findChildren(pg.PlotWidget):
        if not plot.isVisibleTo(root) or plot.height() <= 0:
            continue
        item = plot.getPlotItem()
        title = item.titleLabel.text or plot.objectName() or "a plot"
        height = item.vb.sceneBoundingRect().height()
        if height < MIN_PLOT_HEIGHT:
            out.append(f"plot {title!r}: data area {height:.0f} px high (widget {plot.height()} px)")
        legend = item.legend
        if legend is not None and legend.isVisible() and legend.items:
            shown = plot.mapFromScene(legend.sceneBoundingRect()).boundingRect()
            if not plot.rect().adjusted(-1, -1, 1, 1).contains(shown):
                out.append(f"plot {title!r}: legend cut off ({shown} outside {plot.rect()})")
    return out


@pytest.mark.timeout(300)
@pytest.mark.parametrize("icon", ICONS)
def test_every_page_and_tab_fits_at_both_sizes(window, qtbot, icon):
    window.show()
    for size in SIZES:
        page = show_page(window, icon, size)
        qtbot.wait(120)
        tabs = [t for t in page.findChildren(QTabWidget) if t.isVisibleTo(page)]
        views = [(None, None)] + [(t, i) for t in tabs for i in range(t.count())]
        for tab_widget, i in views:
            name = f"screen-{icon}-{size[0]}"
            if tab_widget is not None:
                tab_widget.setCurrentIndex(i)
                qtbot.wait(80)
                name += "-" + tab_widget.tabText(i).lower().replace(" ", "-").replace("&", "")
            assert_not_blank(save_screenshot(window, name), min_colors=8)
            cut = _clipped(window) + _elided_cells(window, tooltip_ok=size[0] < 1920) + _collapsed_plots(window)
            if cut and icon in PENDING:
                pytest.xfail(f"{icon}: {PENDING[icon]}:\n" + "\n".join(cut))
            assert not cut, f"{icon} at {size}, {name}: text cut off or plot collapsed:\n" + "\n".join(cut)
