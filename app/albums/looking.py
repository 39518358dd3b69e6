"""Looking at the Albums page's photos: "why here", what a results group says, duplicates side by side.

Double-click or Space on a photo in the grid opens :class:`app.viewer.PhotoViewer` on the photos
shown (``app.albums.group.GroupView``); its info panel adds the photo's event and why it is
there (``AlbumSession.explain``). In the "Duplicates & bursts" view the same gestures, the Compare
button and the photo menu open the photo's group in :class:`app.compare.CompareDialog`
(:class:`DuplicatesReview`), whose one action keeps the suggested photo and moves the others into
a folder (``app.albums.keep``: one undoable step).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from app.albums.session import AlbumSession
from app.filedialogs import pick_folder


def group_texts(source: str, kind: str | None) -> tuple[str, str]:
    """The name and the caption of a results group: Duplicates & bursts (``source``: what was
    found), Words (``source``: the words) or Similar (``source``: the photo's path)."""
    from core.albums.relevance import CUT, share_text

    if kind == "duplicates":
        return "Duplicates & bursts", (
            f"{source}. Each group: the suggested keeper first (most pixels, then the sharpest, then the most "
            "EXIF), then its copies. Nothing is deleted: select photos and use Remove, or move them elsewhere "
            "yourself.")
    if kind == "words":
        return f"Words: {source}", (
            "Photos whose note, caption or tags are nearest these words, best first: only those more alike "
            f"than {share_text(CUT)} of unrelated pairs (everyday words against this album). Before each name "
            "the share they beat; hover for the cosine in the multilingual sentence space, or CLIP's score.")
    return f"Similar to {Path(source).name}", (
        "The photos nearest this one across the whole album, most alike first: only those more alike than "
        f"{share_text(CUT)} of random pairs of its photos. Before each name the share they beat; hover for the "
        "cosine of the image embeddings.")


class DuplicatesReview(QObject):
    """A duplicates group side by side (``compare_group``) and its one action, keep the suggested
    photo and move the others into a folder (``keep_suggested``): one step on the undo stack."""

    def __init__(self, session: AlbumSession, undo_stack, parent: QWidget) -> None:
        super().__init__(parent)
        self.session, self.undo_stack, self.widget = session, undo_stack, parent
        self.compare_dialog = None  # app.compare.CompareDialog, the last one opened

    def compare_group(self, path: str):
        """The group of ``path`` side by side (the photos still in the album), the keeper marked."""
        from app.compare import CompareDialog

        group = self.session.duplicate_group_of(path)
        here = self.session.store.paths()
        paths = [p for p in group.paths if p in here] if group is not None else []
        if group is None or len(paths) < 2 or group.keeper not in paths:
            self.session.say(f"{Path(path).name}: its group has no other photo in the album now.")
            return None
        if self.compare_dialog is not None:
            self.compare_dialog.close()
        self.compare_dialog = CompareDialog(paths, group.keeper, group.why, self.widget,
                                            on_keep=lambda keeper, others: bool(self.keep_suggested(group)))
        self.compare_dialog.show()
        return self.compare_dialog

    def keep_suggested(self, group, folder: str | None = None):
        """Keep the group's suggested photo, move the others (those still in the album) into a
        folder the user picks: one step on Edit → Undo. The (old, new) paths moved."""
        from dataclasses import replace

        from app.albums.keep import keep_and_move_aside

        store = self.session.store
        here = store.paths()
        group = replace(group, paths=[p for p in group.paths if p in here])
        folder = folder or pick_folder(self.widget, "duplicates", "Move the other photos of the group into…")
        if not folder:
            return []
        try:
            moved = keep_and_move_aside(self.undo_stack, store, group, folder, self.session.reload,
                                        self.session.say)
        except OSError as exc:
            self.session.say(f"Nothing was moved: {exc}")
            return []
        names = ", ".join(Path(old).name for old, _ in moved)
        self.session.say(f"Kept {Path(group.keeper).name}; moved {names} to {folder} (out of the album). "
                          "Edit → Undo (Ctrl+Z) puts them back.")
        return moved
