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


class PathWorker(QObject):
    """Works paths out one at a time on a pool thread of its own; ``done(path, result, error)``
    arrives on the UI thread. With ``newest_only`` only the newest path asked for is worked out:
    arrowing through twenty photos while one is decoded queues one more, not twenty (a late answer
    for a photo no longer shown is dropped by the caller). Otherwise every path is, in order (the
    compare dialog's columns)."""

    done = Signal(str, object, str)

    def __init__(self, newest_only: bool, parent=None) -> None:
        super().__init__(parent)
        self.newest_only = newest_only
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._lock = threading.Lock()
        self._pending: list[str] = []
        self._running = False

    def start(self, path: str) -> None:
        with self._lock:
            self._pending = [path] if self.newest_only else [*self._pending, path]
            if self._running:  # the running call picks the pending paths up when it ends
                return
            self._running = True
        self.pool.start(self._work)

    def compute(self, path: str) -> tuple[object, str]:
        raise NotImplementedError

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    self._running = False
                    return
                path = self._pending.pop(0)
            result, error = self.compute(path)
            try:
                self.done.emit(path, result, error)
            except RuntimeError:  # the viewer was closed and deleted meanwhile: no one to show it to
                return


class Decoder(PathWorker):
    """Decodes photos (``done(path, QImage, error)``); ``newest_only`` for the viewer's arrows."""

    done = Signal(str, QImage, str)

    def __init__(self, loader: Loader, parent=None, newest_only: bool = False) -> None:
        super().__init__(newest_only, parent)
        self.loader = loader

    def compute(self, path: str) -> tuple[QImage, str]:
        try:
            image = pil_to_qimage(self.loader(path))
            return image, "" if not image.isNull() else "it could not be shown"
        except Exception as exc:  # shown on the viewer; any reader error names the file
            return QImage(), str(getattr(exc, "reason", "") or exc)


class DetailsWorker(PathWorker):
    """Runs the viewer's ``details`` callable (``done(path, rows, error)``), the newest path only."""

    def __init__(self, details: Details, parent=None) -> None:
        super().__init__(True, parent)
        self.details = details

    def compute(self, path: str) -> tuple[list, str]:
        try:
            return list(self.details(path)), ""
        except Exception as exc:  # shown in the panel ("not known: …"), never dropped
            return [], f"{type(exc).__name__}: {exc}"
