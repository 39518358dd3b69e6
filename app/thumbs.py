"""Thumbnails for views with thousands of photos: made off the UI thread, cached on disk and in memory.

A view asks :meth:`ThumbnailLoader.pixmap`; the first time it gets ``None``
(the view paints a placeholder) and a pooled thread makes or reads the disk
thumbnail and centres it on a square (a ``QImage``: nothing is painted on the UI
thread); ``ready(path)`` then tells the view to repaint that item.

The newest request is served first and only the last ``queue_items`` wait: a view
asks for what it paints, so rows scrolled past fall out of the queue unmade.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict

from PySide6.QtCore import QObject, QThreadPool, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap

from core.images import ImageError
from core.thumbs import thumbnail_file


def repaint_when_ready(view, model) -> None:
    """Repaint a row of a ``QListView`` when the model's ``icon_ready(row)`` says its thumbnail came.

    Not ``dataChanged``: a ``QListView`` answers every ``dataChanged`` by laying out all its rows
    again (its rows may have changed size), so each thumbnail that came while the event list of a
    100,000-photo album scrolled cost a layout of its 2,263 rows: ~4,600 ``rowCount`` calls into
    Python per scroll step, 27-36 ms a step against 7 ms (bench/albums_ui.py). The icon is read again
    when the row is painted, so repainting its rectangle is all it needs."""

    def ready(row: int) -> None:
        if 0 <= row < model.rowCount():
            view.viewport().update(view.visualRect(model.index(row)))

    model.icon_ready.connect(ready)


def screen_ratio() -> float:
    """The highest device pixel ratio of the screens (2 on a Retina or 200 % display, 1.5 at
    150 %): thumbnails are made with that many pixels per point, so they are sharp on every
    screen the window may move to (drawn at 1x they were blown up 2x and blurred)."""
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is None:
        return 1.0
    return max((s.devicePixelRatio() for s in QGuiApplication.screens()), default=1.0)


class ThumbnailLoader(QObject):
    ready = Signal(str)  # a path whose thumbnail (or failure tile) is now available
    _loaded = Signal(str, QImage, str)  # from pool threads, delivered queued

    def __init__(self, size: int = 160, memory_items: int = 3000, parent: QObject | None = None,
                 loader=None, kind: str = "photo", ratio: float | None = None, queue_items: int = 400) -> None:
        super().__init__(parent)
        self.size = size  # in points (device-independent pixels), as views lay them out
        self.ratio = max(1.0, ratio or screen_ratio())
        self.pixels = round(size * self.ratio)  # what is decoded and cached: sharp on a HiDPI screen
        self._loader, self._kind = loader, kind
        self.pool = QThreadPool(self)
        # half the cores at most, two at most: the rest stay for the model and the UI thread (on
        # 2 cores, two thumbnail threads beside a job made 50-60 ms frames)
        self.pool.setMaxThreadCount(max(1, min(2, (os.cpu_count() or 2) // 2)))
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        self._pending: set[str] = set()  # asked for and not back yet (queued or being made)
        self._queue: OrderedDict[str, None] = OrderedDict()  # waiting for a thread, newest last
        self._lock = threading.Lock()  # the queue and the count of threads draining it
        self._draining = 0
        self._stopped = False
        self.queue_items = queue_items
        self.dropped = 0  # requests that fell out of the queue unmade (rows scrolled past)
        self.errors: dict[str, str] = {}
        self._memory_items = memory_items
        self._loaded.connect(self._on_loaded)

    def pixmap(self, path: str) -> QPixmap | None:
        pix = self._pixmaps.get(path)
        if pix is not None:
            self._pixmaps.move_to_end(path)
            return pix
        start = False
        with self._lock:
            if path in self._queue:
                self._queue.move_to_end(path)  # asked again: on screen now, made next
            elif path not in self._pending and not self._stopped:
                self._pending.add(path)
                self._queue[path] = None
                while len(self._queue) > self.queue_items:  # the oldest asks: rows scrolled past
                    old, _ = self._queue.popitem(last=False)
                    self._pending.discard(old)
                    self.dropped += 1
                if self._draining < self.pool.maxThreadCount():
                    self._draining += 1
                    start = True
        if start:
            self.pool.start(self._drain)
        return None

    def queued(self) -> list[str]:
        """The paths waiting for a thread, the next one made last."""
        with self._lock:
            return list(self._queue)

    def _drain(self) -> None:
        """A pool thread: makes the newest request until none waits."""
        while True:
            with self._lock:
                if not self._queue or self._stopped:
                    self._draining -= 1
                    return
                path, _ = self._queue.popitem(last=True)
            self._work(path)

    def _work(self, path: str) -> None:
        try:
            image = QImage(str(thumbnail_file(path, self.pixels, loader=self._loader, kind=self._kind)))
            if image.isNull():
                self._loaded.emit(path, image, "the thumbnail could not be read")
            else:
                self._loaded.emit(path, self._square(image), "")
        except ImageError as exc:
            self._loaded.emit(path, QImage(), exc.reason)

    def _on_loaded(self, path: str, image: QImage, error: str) -> None:
        with self._lock:
            self._pending.discard(path)
        if error:
            self.errors[path] = error
            pix = self.failure_tile()
        else:
            pix = QPixmap.fromImage(image)
            pix.setDevicePixelRatio(self.ratio)
        self._pixmaps[path] = pix
        while len(self._pixmaps) > self._memory_items:
            self._pixmaps.popitem(last=False)
        self.ready.emit(path)

    def _square(self, image: QImage) -> QImage:
        """Centred on a transparent size×size square (on the pool thread: a QImage, not a QPixmap):
        every item of a grid gets the same decoration size, so names under the photos line up and
        are never drawn over."""
        n = self.pixels
        if image.width() == n and image.height() == n:
            return image
        out = QImage(n, n, QImage.Format.Format_ARGB32_Premultiplied)  # in device pixels
        out.fill(QColor(0, 0, 0, 0))
        p = QPainter(out)
        p.drawImage((n - image.width()) // 2, (n - image.height()) // 2, image)
        p.end()
        return out

    def failure_tile(self) -> QPixmap:
        from PySide6.QtCore import QRect

        pix = QPixmap(self.pixels, self.pixels)
        pix.setDevicePixelRatio(self.ratio)  # the painter works in points from here
        pix.fill(QColor("#e3e6ea"))
        p = QPainter(pix)
        p.setPen(QColor("#b0413e"))
        p.drawText(QRect(0, 0, self.size, self.size), 0x84, "cannot\nread")  # AlignCenter
        p.end()
        return pix

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._queue.clear()
        self.pool.clear()
        self.pool.waitForDone(5000)
