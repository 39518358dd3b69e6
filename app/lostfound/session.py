"""What the Lost & Found parts share: the post store, its posts as last read, and the matcher.

The page reads the store and builds the matcher (``core.lostfound.service.LostFound``) on the
model worker; it says so here, and the posts list and the matches panel follow the signals.
"""

from __future__ import annotations

import bisect

from PySide6.QtCore import QObject, Signal

from core.lostfound.store import Post, PostStore


class LostFoundSession(QObject):
    posts_changed = Signal(list)  # every post of the store (core.lostfound.store.Post)
    posts_updated = Signal(list, list)  # posts changed or added (Post), ids of posts gone: ``posts`` updated in place
    service_changed = Signal(object)  # core.lostfound.service.LostFound (its vectors refreshed), or None

    def __init__(self, store: PostStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.posts: list[Post] = []  # by id
        self._at: dict[int, int] = {}  # post id → its place in ``posts``
        self.service = None  # core.lostfound.service.LostFound once the models are loaded

    def reload(self) -> None:
        """Read the posts again (an import, an undo changed the store)."""
        self.posts = self.store.list()
        self._at = {p.id: i for i, p in enumerate(self.posts)}
        self.posts_changed.emit(self.posts)

    def refresh(self, post_ids: list[int]) -> None:
        """Read again only these posts (an edit, a status, an add or a delete of a few): ``posts``
        is updated in place and ``posts_updated`` says what changed. Reading every post took 0.5 s
        of the window at 100,000 posts (bench/lostfound_reload.py)."""
        fresh = self.store.posts_with_ids(post_ids)
        changed, gone = [], []
        for pid in sorted(set(post_ids)):
            post, at = fresh.get(pid), self._at.get(pid)
            if post is not None and at is not None:
                self.posts[at] = post
                changed.append(post)
            elif post is not None:  # a new post: ids only grow, so it is the last (else placed by id)
                at = len(self.posts) if not self.posts or self.posts[-1].id < pid else \
                    bisect.bisect_left([p.id for p in self.posts], pid)
                self.posts.insert(at, post)
                changed.append(post)
                if at < len(self.posts) - 1:
                    self._at = {p.id: i for i, p in enumerate(self.posts)}
                else:
                    self._at[pid] = at
            elif at is not None:  # deleted
                del self.posts[at]
                self._at = {p.id: i for i, p in enumerate(self.posts)}
                gone.append(pid)
        self.posts_updated.emit(changed, gone)

    def set_service(self, service) -> None:
        self.service = service
        self.service_changed.emit(service)

    def inferred_category(self, post_id: int) -> str:
        """The category the matcher infers for a post whose user left it empty, or ''."""
        vectors = self.service.vectors if self.service is not None else None
        return vectors.inferred_category(post_id) if vectors is not None else ""
