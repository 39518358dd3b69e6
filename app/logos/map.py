"""Logos › Map: a PCA map of the index with the query star and the hovered logo's thumbnail."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from app.logos.session import LogoSession
from app.logos.well import logo_pixmap
from core.logos.images import load_logo


class MapTab(QWidget):
    """``session``: the index drawn (the query a star), followed while the tab shows. Built when
    first shown (pyqtgraph is imported then)."""

    def __init__(self, session: LogoSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.built = False
        self._map_xy = None
        session.index_changed.connect(self._index_changed)
        session.query_changed.connect(self._follow)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.build()
        self.update_map()

    def _index_changed(self, _index) -> None:
        self._map_xy = None
        self._follow()

    def _follow(self) -> None:
        if self.isVisible():
            self.update_map()

    def build(self) -> None:
        """The plot and the hover preview (once)."""
        if self.built:
            return
        self.built = True
        import pyqtgraph as pg

        pg.setConfigOptions(antialias=True, background="w", foreground="#24323f")
        from app.plots import corner_legend, empty_message

        self.map_plot = pg.PlotWidget(title="Embedding map (PCA of the index)")
        self.map_plot.getAxis("left").setWidth(48)
        self.map_plot.setLabel("bottom", "principal component 1")
        self.map_plot.setLabel("left", "principal component 2")
        for axis in ("left", "bottom"):
            self.map_plot.getAxis(axis).enableAutoSIPrefix(False)
        corner_legend(self.map_plot)
        self.scatter = pg.ScatterPlotItem(size=7, pen=None, brush=pg.mkBrush(36, 113, 163, 150), hoverable=True,
                                          hoverSize=12, tip=None, name="indexed logo")
        self.map_plot.addItem(self.scatter)
        self.query_marker = pg.ScatterPlotItem(size=20, symbol="star", brush=pg.mkBrush("#e74c3c"), pen="k",
                                               name="query")
        self.map_plot.addItem(self.query_marker)
        empty_message(self.map_plot, "Index a folder of logos to see its map")
        # (both are named: PlotItem.addItem put them in the legend)
        # the hovered logo's thumbnail beside the point, inside the plot
        self.map_thumb = pg.ImageItem()
        self.map_thumb.setZValue(20)
        self.map_thumb.hide()
        self.map_plot.addItem(self.map_thumb, ignoreBounds=True)  # never rescales the view
        self.scatter.sigHovered.connect(self._map_hover)
        self.map_preview = QLabel("Hover a point to see its logo")
        self.map_preview.setFixedSize(200, 230)
        self.map_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.map_preview.setWordWrap(True)
        h = QHBoxLayout(self)
        h.addWidget(self.map_plot, 1)
        h.addWidget(self.map_preview)

    # -- map ----------------------------------------------------------------------------
    def update_map(self) -> None:
        index, query = self.session.index, self.session.query_vector
        if index is None or not self.built:
            return
        if self._map_xy is None:
            x = index.vectors - index.vectors.mean(0)
            _, _, vt = np.linalg.svd(x[:: max(1, len(x) // 2000)], full_matrices=False)
            self._pcs = vt[:2]
            self._map_mean = index.vectors.mean(0)
            self._map_xy = x @ self._pcs.T
            self.scatter.setData(pos=self._map_xy, data=list(range(len(self._map_xy))))
        if query is not None:
            q = (query - self._map_mean) @ self._pcs.T
            self.query_marker.setData(pos=[q])
        else:
            self.query_marker.setData(pos=[])

    def _map_hover(self, item, points, ev) -> None:
        if len(points) == 0:
            return
        i = points[0].data()
        path = self.session.index.files[i]
        self.map_preview.setPixmap(logo_pixmap(path, 180))
        self.map_preview.setToolTip(path)
        self._thumb_beside(i, path)

    def _thumb_beside(self, i: int, path: str) -> None:
        """A small picture of the hovered logo next to its point (a tenth of the view wide)."""
        from core.images import ImageError

        try:
            im = np.asarray(load_logo(path, 64))
        except ImageError:
            self.map_thumb.hide()
            return
        (x0, x1), (y0, y1) = self.map_plot.viewRange()
        w, h = (x1 - x0) / 10, (y1 - y0) / 10
        x, y = self._map_xy[i]
        self.map_thumb.setImage(np.ascontiguousarray(im.transpose(1, 0, 2)[:, ::-1]))
        self.map_thumb.setRect(x + w * 0.15, y + h * 0.15, w, h)
        self.map_thumb.show()
