"""Lost & Found edits (add, edit, status, delete): each one undoable step on the post store.

``PostEdits`` asks and records; it says what happened (``message``), which post changed
(``edited``: the page reads that post again, selects it and, for a new or edited post, embeds
it), and which posts a delete, an undo or a redo changed (``changed``).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from app.lostfound.session import LostFoundSession
from core.lostfound.store import Post, PostError


class PostEdits(QObject):
    message = Signal(str)  # for the page's note
    failed = Signal(str)  # a post not saved, and why
    edited = Signal(int, bool)  # the post to select; whether its text or photo changed (embed it)
    reload = Signal()  # the store changed under the view: every post to be read again
    changed = Signal(list)  # these posts changed (a delete, an undo or redo): the page reads them, and only them, again

    def __init__(self, session: LostFoundSession, undo_stack, parent: QWidget) -> None:
        super().__init__(parent)
        self.session, self.undo_stack, self.widget = session, undo_stack, parent

    def edit_post(self, post: Post | None):
        from app.lostfound.dialog import PostDialog

        dialog = PostDialog(post, self.widget)
        dialog.accepted.connect(lambda: self._save(dialog))
        dialog.open()
        return dialog

    def _save(self, dialog) -> None:
        from app.undo import record

        store = self.session.store
        values = dialog.values()
        try:
            if dialog.original is not None and dialog.original.id:
                pid = dialog.original.id
                photo = dialog.photo.path if dialog.photo_changed and dialog.photo.path else None

                def change():
                    store.update(pid, photo=photo, **values)
                    if dialog.photo_changed and not dialog.photo.path:
                        store.remove_photo(pid)

                text = f"Edited post #{pid}"
                record(self.undo_stack, store, text, change, self.after_undo, self._undone)
            else:
                pid = record(self.undo_stack, store, "Added a post",
                             lambda: store.add(Post(**values), photo=dialog.photo.path).id, self.after_undo,
                             self._undone)
                text = f"Added post #{pid}"
                self.undo_stack.command(self.undo_stack.count() - 1).setText(text)
            self.message.emit(f"{text}. Edit → Undo (Ctrl+Z) takes it back.")
        except (PostError, OSError, ValueError) as exc:
            self.failed.emit(str(exc))
            QMessageBox(QMessageBox.Icon.Warning, "Post not saved", str(exc), parent=self.widget).open()
            return
        self.edited.emit(pid, True)

    def set_status(self, post_id: int, status: str) -> None:
        """A status change (returned, reopened): one undoable step."""
        from app.lostfound.models import status_label
        from app.undo import record

        store, said = self.session.store, status_label(status)  # 'Returned (반환됨)', as the detail reads
        record(self.undo_stack, store, f"Post #{post_id}: status {said}",
               lambda: store.update(post_id, status=status), self.after_undo, self._undone)
        self.message.emit(f"Post #{post_id} is now '{said}'. Edit → Undo (Ctrl+Z) takes it back.")
        self.edited.emit(post_id, False)

    def delete(self, post: Post | None) -> None:
        if post is None:
            return
        from app.undo import record

        store = self.session.store
        record(self.undo_stack, store, f"Deleted post #{post.id}", lambda: store.delete(post.id), self.after_undo,
               self._undone)
        self.message.emit(f"Post #{post.id} deleted. Edit → Undo (Ctrl+Z) brings it back.")
        self.changed.emit([post.id])

    def undo_delete(self) -> None:
        """The last edit (a delete, an edit, an add) undone: Edit → Undo does the same."""
        if self.undo_stack.canUndo():
            import re

            text = self.undo_stack.undoText()
            self.undo_stack.undo()
            self.message.emit(f"Undone: {text}.")
            restored = re.match(r"Deleted post #(\d+)", text)
            if restored:
                self.edited.emit(int(restored.group(1)), False)

    def after_undo(self) -> None:
        self.reload.emit()  # the page keeps the selected post selected, and re-embeds what changed

    def _undone(self, keys: dict) -> None:
        """An undo or redo wrote these rows ({"posts": [(id,), …]}): those posts are read again."""
        self.changed.emit([key[0] for key in keys.get("posts", ())])
