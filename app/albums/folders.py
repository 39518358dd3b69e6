"""The watched folders of an album, with Remove."""



from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
)


class FoldersDialog(QDialog):
    """The album's folders (and single photos added on their own), with Remove."""

    remove_requested = Signal(str)

    def __init__(self, folders: list[str], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Album folders")
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        info = QLabel("Photos are read from these folders and their sub-folders. Removing one takes its "
                      "photos out of the album (with their notes and places in events); the files stay on disk.")
        info.setWordWrap(True)
        self.remove_button = QPushButton("Remove folder")
        self.remove_button.clicked.connect(self._remove)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(info)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.resize(560, 320)
        self.set_folders(folders)

    def set_folders(self, folders: list[str]) -> None:
        self.list.clear()
        self.list.addItems(folders)
        if folders:
            self.list.setCurrentRow(0)
        self.remove_button.setEnabled(bool(folders))

    def _remove(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.remove_requested.emit(item.text())


