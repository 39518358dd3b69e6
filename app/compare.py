"""Duplicates side by side (the Albums' Duplicates view): each photo large, the rows that differ
in bold, the suggested keeper marked, and one action that keeps it and moves the others aside."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QVBoxLayout

from app.viewer import ImageView, _form
from app.viewer_workers import Decoder, Loader, default_loader
from core.photo_info import compare


class CompareDialog(QDialog):
    """Duplicates side by side: the rows that differ in bold, the suggested keeper marked, and one
    action — keep it, move the others into a folder (``on_keep(keeper, others)`` does the move)."""

    def __init__(self, paths: list[str], keeper: str, why: str = "", parent=None,
                 on_keep: Callable[[str, list[str]], None] | None = None, loader: Loader | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Compare {len(paths)} photos")
        self.resize(min(1600, 420 * len(paths) + 40), 760)
        self.comparison = compare(paths, keeper)
        self.keeper = keeper
        self.on_keep = on_keep
        columns = QHBoxLayout()
        self.views: list[ImageView] = []
        self.decoder = Decoder(loader or default_loader, self)
        self.decoder.done.connect(self._decoded)
        for info in self.comparison.infos:
            column = QVBoxLayout()
            head = QLabel(("★ Suggested keeper" + (f": {why}" if why else "")) if info.path == keeper
                          else "A copy")
            head.setObjectName("keeperHead" if info.path == keeper else "copyHead")
            head.setStyleSheet("font-weight: 600; color: #1b6e20" if info.path == keeper else "color: #555")
            head.setWordWrap(True)
            column.addWidget(head)
            view = ImageView()
            view.setMinimumSize(260, 220)
            self.views.append(view)
            column.addWidget(view, 1)
            rows = info.rows() + [("EXIF fields", str(info.exif_fields))]
            column.addWidget(_form(rows, bold=self.comparison.differ))
            columns.addLayout(column, 1)
            self.decoder.start(info.path)
        buttons = QDialogButtonBox()
        self.keep_button = buttons.addButton("Keep the suggested photo, move the others aside…",
                                             QDialogButtonBox.ButtonRole.AcceptRole)
        self.keep_button.setToolTip("The others are moved into a folder you choose (never deleted); Edit → Undo "
                                    "puts them back")
        self.keep_button.setEnabled(on_keep is not None)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.accepted.connect(self.keep_suggested)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addWidget(buttons)

    def _decoded(self, path: str, image: QImage, error: str) -> None:
        for info, view in zip(self.comparison.infos, self.views, strict=True):
            if info.path == path and not error:
                view.set_image(image)

    def keep_suggested(self) -> None:
        if self.on_keep is not None:
            others = [i.path for i in self.comparison.infos if i.path != self.keeper]
            if self.on_keep(self.keeper, others) is False:
                return  # nothing was done (no folder picked, or the move refused): the comparison stays
        self.accept()
