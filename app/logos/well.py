"""The query well (drop, paste or pick a logo) and logos drawn for the compare pane."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QImage, QPixmap
from PySide6.QtWidgets import QLabel

from core.logos.images import is_logo_path, load_logo

THUMB = 96
VIEWER_SIZE = 1024  # a logo in the viewer: drawings rendered this large, so zooming stays sharp


def load_logo_large(path: str):
    """The viewer's loader: a logo (an SVG drawn by resvg) fitted on white, VIEWER_SIZE square."""
    return load_logo(path, VIEWER_SIZE)


def logo_info(path: str) -> list[tuple[str, str]]:
    """The viewer's info rows for a logo: a drawing has no pixels or EXIF, a raster its size."""
    import os

    from core.photo_info import human_bytes, photo_info

    if path.lower().endswith((".svg", ".svgz")):
        rows = [("File", os.path.basename(path)), ("Folder", os.path.dirname(path)),
                ("Kind", f"SVG drawing (shown drawn at {VIEWER_SIZE} px)")]
        try:
            rows.append(("File size", human_bytes(os.stat(path).st_size)))
        except OSError as exc:
            rows.append(("Problem", f"cannot be read: {exc.strerror or exc}"))
        return rows
    return [r for r in photo_info(path).rows() if r[0] not in ("Taken", "Camera", "Lens", "Exposure")]


def logo_pixmap(path: str, size: int) -> QPixmap:
    """A logo drawn now (for one or two images: the query and the comparison)."""
    from app.thumbs import screen_ratio
    from core.images import ImageError

    ratio = screen_ratio()  # drawn with as many pixels as the screen has per point: sharp on HiDPI
    try:
        im = load_logo(path, round(size * ratio))
    except ImageError:
        pix = QPixmap(size, size)
        pix.fill(QColor("#e3e6ea"))
        return pix
    data = im.tobytes("raw", "RGB")
    pix = QPixmap.fromImage(QImage(data, im.width, im.height, im.width * 3, QImage.Format.Format_RGB888).copy())
    pix.setDevicePixelRatio(ratio)
    return pix


class QueryWell(QLabel):
    """Drop a logo here (or paste one, or pick a file)."""

    dropped = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setFixedSize(200, 200)
        self.setObjectName("queryWell")
        self.setStyleSheet("#queryWell { border: 2px dashed #9aa8b5; border-radius: 6px; color: #5a6a7a; }")
        self.setText("Drop a logo here\n(or paste: Ctrl+V)")

    def show_logo(self, path: str) -> None:
        self.setPixmap(logo_pixmap(path, 180))
        self.setToolTip(path)

    def dragEnterEvent(self, event) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile() and is_logo_path(urls[0].toLocalFile()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        self.dropped.emit(event.mimeData().urls()[0].toLocalFile())
        event.acceptProposedAction()


