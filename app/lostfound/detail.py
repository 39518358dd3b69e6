"""The selected post, in full: its photo large, every field, and the status actions."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

PHOTO = 180


class PostDetail(QWidget):
    status_requested = Signal(int, str)  # post id, new status
    edit_requested = Signal(int)
    photo_requested = Signal(int)  # post id: its photo clicked, to be seen large (the viewer)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.post = None
        # post id -> its inferred category ("모자 (inferred, 72%)") when the user left it empty
        self.inferred_of = lambda _post_id: ""
        self.photo = QLabel("No post selected")
        self.photo.setFixedSize(PHOTO, PHOTO)
        self.photo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.photo.setStyleSheet("background: #eef1f4; color: #5a6a7a; border-radius: 4px")
        self.photo.installEventFilter(self)  # a click opens the photo in the viewer
        self.fields: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        for key, label in (("title", "Post"), ("description", "Description"), ("category", "Category"),
                           ("place", "Place"), ("date", "Date"), ("storage_location", "Kept at"),
                           ("status", "Status")):
            value = QLabel("")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fields[key] = value
            form.addRow(label, value)
        self.returned_button = QPushButton("Mark returned")
        self.returned_button.clicked.connect(lambda: self._status("반환됨"))
        self.reopen_button = QPushButton("Reopen")
        self.reopen_button.clicked.connect(lambda: self._status("보관중" if self.post and self.post.kind == "found"
                                                                else "분실"))
        self.edit_button = QPushButton("Edit…")
        self.edit_button.clicked.connect(lambda: self.post and self.edit_requested.emit(self.post.id))
        buttons = QHBoxLayout()
        for b in (self.returned_button, self.reopen_button, self.edit_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addLayout(buttons)
        right.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.photo, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(right, 1)
        self.show_post(None)

    def show_post(self, post) -> None:
        from app.lostfound.models import status_label
        from app.widgets import thumbnail

        self.post = post
        if post is None:
            self.photo.clear()
            self.photo.setText("No post selected")
            for v in self.fields.values():
                v.setText("")
        else:
            if post.image:
                self.photo.setPixmap(thumbnail(post.image, PHOTO))
                self.photo.setCursor(Qt.CursorShape.PointingHandCursor)
                self.photo.setToolTip("Click: the photo large, with its matches' photos (← →)")
            else:
                self.photo.unsetCursor()
                self.photo.setToolTip("")
                self.photo.clear()
                self.photo.setText("no photo")
            kind = "Lost (분실)" if post.kind == "lost" else "Found (습득)"
            values = {"title": f"#{post.id} · {kind}", "description": post.description,
                      "category": post.category or self.inferred_of(post.id),
                      "place": post.place, "date": post.date, "storage_location": post.storage_location,
                      "status": status_label(post.status)}
            for key, label in self.fields.items():
                label.setText(values.get(key) or "–")
        is_open = post is not None and post.is_open
        self.returned_button.setEnabled(is_open)
        self.returned_button.setToolTip("" if is_open else "Select an open post")
        self.reopen_button.setEnabled(post is not None and not post.is_open)
        self.reopen_button.setToolTip("" if post is not None and not post.is_open else "Only a returned post reopens")
        self.edit_button.setEnabled(post is not None)

    def eventFilter(self, obj, event) -> bool:  # Qt API
        if (obj is self.photo and event.type() == QEvent.Type.MouseButtonRelease and self.post is not None
                and self.post.image and event.button() == Qt.MouseButton.LeftButton):
            self.photo_requested.emit(self.post.id)
            return True
        return False

    def _status(self, status: str) -> None:
        if self.post is not None:
            self.status_requested.emit(self.post.id, status)
