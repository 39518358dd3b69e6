"""The add / edit form for a Lost & Found post."""

from __future__ import annotations

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from app.filedialogs import open_file
from app.lostfound.models import status_label, status_value
from app.widgets import PhotoDrop, ask_to_discard
from core.images import ImageError, open_image
from core.lostfound.categories import TOP_LEVELS
from core.lostfound.store import STATUSES, Post


class PostDialog(QDialog):
    def __init__(self, post: Post | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit post" if post and post.id else "New post")
        self.original = post
        self.photo_changed = False
        self.kind = QComboBox()
        self.kind.addItem("Lost (분실)", "lost")
        self.kind.addItem("Found (습득)", "found")
        self.description = QPlainTextEdit()
        self.description.setPlaceholderText("What is it? Colour, brand, marks… (Korean or English)")
        self.description.setFixedHeight(80)
        self.category = QComboBox()
        self.category.setEditable(True)
        self.category.addItem("")
        for top, info in TOP_LEVELS.items():
            self.category.addItem(top)
            for sub in info["sub"]:
                self.category.addItem(f"{top} > {sub}")
        self.storage = QLineEdit()
        self.status = QComboBox()
        self.status.setEditable(True)
        self.status.addItems([status_label(v) for v in STATUSES])  # "Returned (반환됨)": 반환됨 is stored
        self.place = QLineEdit()
        self.date = QDateEdit(QDate.currentDate())
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.photo = PhotoDrop()
        self.photo.changed.connect(self._photo_changed)
        choose = QPushButton("Choose photo…")
        choose.clicked.connect(self._choose)
        remove = QPushButton("Remove photo")
        remove.clicked.connect(lambda: self.photo.set_path(None))
        self.error = QLabel("")
        self.error.setStyleSheet("color: #c0392b")
        self.error.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Kind:", self.kind)
        form.addRow("Description:", self.description)
        form.addRow("Category:", self.category)
        form.addRow("Status:", self.status)
        form.addRow("Place:", self.place)
        form.addRow("Date:", self.date)
        form.addRow("Kept at:", self.storage)
        photo_buttons = QHBoxLayout()
        photo_buttons.addWidget(choose)
        photo_buttons.addWidget(remove)
        right = QVBoxLayout()
        right.addWidget(self.photo, 1)
        right.addLayout(photo_buttons)
        body = QHBoxLayout()
        body.addLayout(form, 2)
        body.addLayout(right, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(body)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

        if post is not None:
            self.kind.setCurrentIndex(self.kind.findData(post.kind))
            self.description.setPlainText(post.description)
            self.category.setCurrentText(post.category)
            self.status.setCurrentText(status_label(post.status))
            self.place.setText(post.place)
            self.storage.setText(post.storage_location)
            if post.date:
                self.date.setDate(QDate.fromString(post.date, "yyyy-MM-dd"))
            self.photo.set_path(post.image)
        self.photo_changed = False
        self._initial = self.values()
        self.discard_box = None  # the question Cancel asks when something was typed (tests answer it)

    def reject(self) -> None:
        """Cancel, Esc or the close button: what was typed is not thrown away without asking."""
        if self.values() == self._initial and not self.photo_changed:
            super().reject()
            return
        new = self.original is None or not self.original.id
        if ask_to_discard(self, "Discard this post?" if new else "Discard your changes to this post?"):
            super().reject()

    def _photo_changed(self, _path) -> None:
        self.photo_changed = True
        self.error.setText("")

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.adjustSize()

    def _choose(self) -> None:
        path = open_file(self, "photos", "Photo", "Images (*.jpg *.jpeg *.png *.webp *.heic *.tif *.tiff *.bmp)")
        if path:
            self.photo.set_path(path)

    def values(self) -> dict:
        return {
            "kind": self.kind.currentData(),
            "description": self.description.toPlainText().strip(),
            "category": self.category.currentText().strip(),
            "status": status_value(self.status.currentText()),
            "place": self.place.text().strip(),
            "date": self.date.date().toString("yyyy-MM-dd"),
            "storage_location": self.storage.text().strip(),
        }

    def accept(self) -> None:
        """Check the form before closing: the user never loses what they typed."""
        values = self.values()
        if self.photo.path and self.photo_changed:
            try:
                open_image(self.photo.path)
            except ImageError as exc:
                self._show_error(f"That photo cannot be used: {exc.reason}. Choose another or remove it.")
                return
        if not values["description"] and not self.photo.path:
            self._show_error("Write a description or add a photo: a post needs something to match on.")
            return
        super().accept()
