"""What the Lost & Found parts share: the post store, its posts as last read, and the matcher.

The page reads the store and builds the matcher (``core.lostfound.service.LostFound``) on the
model worker; it says so here, and the posts list and the matches panel follow the signals.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from core.lostfound.store import Post, PostStore


class LostFoundSession(QObject):
    posts_changed = Signal(list)  # every post of the store (core.lostfound.store.Post)
    service_changed = Signal(object)  # core.lostfound.service.LostFound (its vectors refreshed), or None

    def __init__(self, store: PostStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.posts: list[Post] = []
        self.service = None  # core.lostfound.service.LostFound once the models are loaded

    def reload(self) -> None:
        """Read the posts again (an edit, an import, an undo changed the store)."""
        self.posts = self.store.list()
        self.posts_changed.emit(self.posts)

    def set_service(self, service) -> None:
        self.service = service
        self.service_changed.emit(service)

    def inferred_category(self, post_id: int) -> str:
        """The category the matcher infers for a post whose user left it empty, or ''."""
        vectors = self.service.vectors if self.service is not None else None
        return vectors.inferred_category(post_id) if vectors is not None else ""
