"""What the Lost & Found parts share: the post store, its posts as last read, and the matcher.

The page reads the store and builds the matcher (``core.lostfound.service.LostFound``) on the
model worker; it says so here, and the posts list and the matches panel follow the signals.
"""

from __future__ import annotations

import bisect

from PySide6.QtCore import QObject, Signal

from core.lostfound.store import Post, PostStore


class LostFoundSession(QObject):
    # every post read again: ``posts`` is a new list (no argument: a Signal(list) hands each slot a
    # copy, 42 ms of the UI thread at 100,000 posts, and one taken before later in-place updates)
    posts_changed = Signal()
    posts_updated = Signal(list, list)  # posts changed or added (Post), ids of posts gone: ``posts`` updated in place
    service_changed = Signal(object)  # core.lostfound.service.LostFound (its vectors refreshed), or None

    def __init__(self, store: PostStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.posts: list[Post] = []  # in the order of their ids (``PostStore.list``)
        self.service = None  # core.lostfound.service.LostFound once the models are loaded

    def reload(self) -> None:
        """Read every post again (an import changed the store)."""
        self.posts = self.store.list()
        self.posts_changed.emit()

    def refresh(self, post_ids: list[int]) -> None:
        """Read again only these posts (an edit, a status, an add, a delete, an undo or redo of
        them): ``posts`` is updated in place, each found by its id (the list is in id order), and
        ``posts_updated`` says what changed. Reading every post took 0.5 s of the window at
        100,000 posts (bench/lostfound_reload.py)."""
        fresh = self.store.posts_with_ids(post_ids)
        changed, gone = [], []
        for pid in sorted(set(post_ids)):
            post = fresh.get(pid)
            at = bisect.bisect_left(self.posts, pid, key=lambda p: p.id)
            here = at < len(self.posts) and self.posts[at].id == pid
            if post is not None:
                if here:
                    self.posts[at] = post
                else:
                    self.posts.insert(at, post)  # a new post (or one an undo brought back)
                changed.append(post)
            elif here:  # deleted
                del self.posts[at]
                gone.append(pid)
        self.posts_updated.emit(changed, gone)

    def set_service(self, service) -> None:
        self.service = service
        self.service_changed.emit(service)

    def inferred_category(self, post_id: int) -> str:
        """The category the matcher infers for a post whose user left it empty, or ''."""
        vectors = self.service.vectors if self.service is not None else None
        return vectors.inferred_category(post_id) if vectors is not None else ""
