"""Albums → Event names…: the kinds events are named from, one per line."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout

from app.widgets import ask_to_discard


class VocabularyDialog(QDialog):
    """The list in a text field; Save keeps it, and Cancel or Esc asks before an edited list is
    thrown away (a plain input dialog dropped it without a word)."""

    def __init__(self, words: list[str], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Event names")
        self.discard_box = None
        text = QLabel("Each event's kind is picked from these (one per line): by CLIP with a CLIP model, else "
                      "from the photos' notes, captions and labels; an event none fits is named by its date and "
                      "place. Your renames always win.")
        text.setWordWrap(True)
        self.edit = QPlainTextEdit("\n".join(words))
        self._initial = self.words()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.edit, 1)
        layout.addWidget(buttons)
        self.resize(460, 420)

    def words(self) -> list[str]:
        return [w.strip() for w in self.edit.toPlainText().splitlines() if w.strip()]

    def reject(self) -> None:
        if self.words() == self._initial or ask_to_discard(self, "Discard your changes to the event names?"):
            super().reject()
