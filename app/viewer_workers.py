"""The viewer's work off the UI thread: decoding a photo (or drawing a logo) and the caller's
details rows (Albums' event and "why here"), each on a pool thread of its own."""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QThreadPool, Signal
from PySide6.QtGui import QImage

Details = Callable[[str], list[tuple[str, str]]]  # extra info rows for a path (its event, why it is there)
Loader = Callable[[str], object]  # path -> PIL image (a drawing's renderer for Logos)


def pil_to_qimage(image) -> QImage:
    image = image.convert("RGBA") if image.mode not in ("RGB", "RGBA") else image
    fmt = QImage.Format.Format_RGBA8888 if image.mode == "RGBA" else QImage.Format.Format_RGB888
    data = image.tobytes()
    return QImage(data, image.width, image.height, len(data) // image.height, fmt).copy()


def default_loader(path: str):
    from core.images import open_image

    return open_image(path)


class Decoder(QObject):
    """Decodes photos on a pool thread; ``done(path, image, error)`` arrives on the UI thread."""

    done = Signal(str, QImage, str)

    def __init__(self, loader: Loader, parent=None) -> None:
        super().__init__(parent)
        self.loader = loader
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)

    def start(self, path: str) -> None:
        self.pool.start(lambda: self._work(path))

    def _work(self, path: str) -> None:
        try:
            image = pil_to_qimage(self.loader(path))
            self.done.emit(path, image, "" if not image.isNull() else "it could not be shown")
        except Exception as exc:  # shown on the viewer; any reader error names the file
            self.done.emit(path, QImage(), str(getattr(exc, "reason", "") or exc))


class DetailsWorker(QObject):
    """Runs the viewer's ``details`` callable on a pool thread of its own; ``done(path, rows,
    error)`` arrives on the UI thread. Only the newest path asked for is worked out: arrowing
    through twenty photos while one is explained queues one more call, not twenty."""

    done = Signal(str, object, str)

    def __init__(self, details: Details, parent=None) -> None:
        super().__init__(parent)
        self.details = details
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._lock = threading.Lock()
        self._wanted: str | None = None
        self._running = False

    def start(self, path: str) -> None:
        with self._lock:
            self._wanted = path
            if self._running:  # the running call picks the newest path up when it ends
                return
            self._running = True
        self.pool.start(self._work)

    def _work(self) -> None:
        while True:
            with self._lock:
                path, self._wanted = self._wanted, None
                if path is None:
                    self._running = False
                    return
            try:
                rows, error = list(self.details(path)), ""
            except Exception as exc:  # shown in the panel ("not known: …"), never dropped
                rows, error = [], f"{type(exc).__name__}: {exc}"
            try:
                self.done.emit(path, rows, error)
            except RuntimeError:  # the viewer was closed and deleted meanwhile: no one to show it to
                return
