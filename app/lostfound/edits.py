"""Lost & Found edits (add, edit, status, delete): each one undoable step on the post store."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from core.lostfound.store import Post, PostError


class LostFoundEdits:
    # -- actions ----------------------------------------------------------------
    def edit_post(self, post: Post | None):
        from app.lostfound.dialog import PostDialog

        dialog = PostDialog(post, self)
        dialog.accepted.connect(lambda: self._save(dialog))
        dialog.open()
        return dialog

    def _save(self, dialog) -> None:
        from app.undo import record

        values = dialog.values()
        try:
            if dialog.original is not None and dialog.original.id:
                pid = dialog.original.id
                photo = dialog.photo.path if dialog.photo_changed and dialog.photo.path else None

                def change():
                    self.store.update(pid, photo=photo, **values)
                    if dialog.photo_changed and not dialog.photo.path:
                        self.store.remove_photo(pid)

                text = f"Edited post #{pid}"
                record(self.undo_stack, self.store, text, change, self._after_undo)
            else:
                pid = record(self.undo_stack, self.store, "Added a post",
                             lambda: self.store.add(Post(**values), photo=dialog.photo.path).id, self._after_undo)
                text = f"Added post #{pid}"
                self.undo_stack.command(self.undo_stack.count() - 1).setText(text)
            self.note.setText(f"{text}. Edit → Undo (Ctrl+Z) takes it back.")
        except (PostError, OSError, ValueError) as exc:
            self.last_error = str(exc)
            QMessageBox(QMessageBox.Icon.Warning, "Post not saved", str(exc), parent=self).open()
            return
        self.posts_model.set_posts(self.store.list())
        self.select_post(pid)
        self.refresh_vectors()

    def set_status(self, post_id: int, status: str) -> None:
        """A status change (returned, reopened): one undoable step."""
        from app.undo import record

        record(self.undo_stack, self.store, f"Post #{post_id}: status {status}",
               lambda: self.store.update(post_id, status=status), self._after_undo)
        self.note.setText(f"Post #{post_id} is now '{status}'. Edit → Undo (Ctrl+Z) takes it back.")
        self.posts_model.set_posts(self.store.list())
        self.select_post(post_id)

    def delete_selected(self) -> None:
        post = self.selected_post()
        if post is None:
            return
        from app.undo import record

        record(self.undo_stack, self.store, f"Deleted post #{post.id}", lambda: self.store.delete(post.id),
               self._after_undo)
        self.note.setText(f"Post #{post.id} deleted. Edit → Undo (Ctrl+Z) brings it back.")
        self.reload_posts()

    def undo_delete(self) -> None:
        """The last edit (a delete, an edit, an add) undone: Edit → Undo does the same."""
        if self.undo_stack.canUndo():
            import re

            text = self.undo_stack.undoText()
            self.undo_stack.undo()
            self.note.setText(f"Undone: {text}.")
            restored = re.match(r"Deleted post #(\d+)", text)
            if restored:
                self.select_post(int(restored.group(1)))

    def _after_undo(self) -> None:
        self.reload_posts()  # keeps the selected post selected, and re-embeds what changed
