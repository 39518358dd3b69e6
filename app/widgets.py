"""Small widgets shared by the pages."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel

from core.images import ImageError, is_image_path, open_image


@lru_cache(maxsize=2048)
def thumbnail(path: str, size: int = 64) -> QPixmap:
    """A cached thumbnail; a grey tile for a photo that cannot be read."""
    try:
        im = open_image(path, draft=(size * 2, size * 2))
        im.thumbnail((size, size))
        data = im.tobytes("raw", "RGB")
        qim = QImage(data, im.width, im.height, im.width * 3, QImage.Format.Format_RGB888).copy()
        return QPixmap.fromImage(qim)
    except ImageError:
        pix = QPixmap(size, size)
        pix.fill(Qt.GlobalColor.lightGray)
        return pix


class PhotoDrop(QLabel):
    """A photo well: drop an image file on it (or set one); shows a preview."""

    changed = Signal(object)  # the new path, or None

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.path: str | None = None
        self.setAcceptDrops(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(200, 160)
        self.setObjectName("photoDrop")
        self.setStyleSheet("#photoDrop { border: 2px dashed #9aa8b5; border-radius: 6px; color: #5a6a7a; }")
        self.set_path(None)

    def set_path(self, path: str | None) -> None:
        self.path = path
        if path:
            self.setPixmap(thumbnail(path, 180))
            self.setToolTip(path)
        else:
            self.clear()
            self.setText("Drop a photo here\n(optional)")
            self.setToolTip("")
        self.changed.emit(path)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt API
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile() and is_image_path(urls[0].toLocalFile()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        path = event.mimeData().urls()[0].toLocalFile()
        if Path(path).exists():
            self.set_path(path)
            event.acceptProposedAction()
