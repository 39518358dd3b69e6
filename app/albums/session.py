"""What the Albums parts share: the album store, the group shown, the results of a search, the
tuning, and what the last job left (its report, the search index, the duplicate groups).

The page makes one ``AlbumSession`` and hands it to each part (the tool bar, the events panel,
the group view, the edits and the jobs); a part that changes the album says so here
(``reload``, ``select``, ``show_results``) and the parts that show it follow the signals. The
``core.albums.pipeline.Album`` the jobs use lives in ``worker_state`` and is touched on the model
worker only.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.albums.grid import SIMILAR
from core.albums.cluster import ClusterSettings
from core.albums.events import PrototypeSettings
from core.albums.store import AlbumStore

TUNING_KEYS = ("min_size", "time", "image", "loose", "closeness", "metric", "model")


def explain_text(store, photo_id: int, index, time_gap_hours: float) -> str:
    """``core.albums.explain.explain_photo`` as one line for the page ("" if the photo is gone)."""
    from core.albums.explain import explain_photo

    vector_of = index.vector if index is not None else (lambda _path: None)
    try:
        lines = explain_photo(store, photo_id, vector_of, time_gap_hours)
    except KeyError:  # removed meanwhile
        return ""
    return "Why here: " + " ".join(lines)


def default_tuning() -> dict:
    """The tool bar's controls as a new album starts: "auto" size, images only, strict, cosine."""
    from core.albums.pipeline import IMAGE_PRESETS

    return {"min_size": 0, "time": 0, "image": 100, "loose": 0, "closeness": PrototypeSettings().threshold,
            "metric": "cosine", "model": IMAGE_PRESETS[0]}


class AlbumSession(QObject):
    changed = Signal()  # the album changed (an edit, a job, an undo): the views read it again
    results_changed = Signal()  # a search's results came: their row and their group, the album unchanged
    events_edited = Signal(list)  # these events' names or notes changed, no photo moved: their rows read again
    current_changed = Signal(object)  # the group shown: an event id, UNSORTED / UNSURE / ERRORS / SIMILAR, None
    message = Signal(str)  # for the page's note

    def __init__(self, store: AlbumStore | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store if store is not None else AlbumStore()
        self.worker_state: dict = {"album": None}  # core.albums.pipeline.Album: model worker only
        self.current: object = None
        # (photo or words, [(path, score or label)], None / "words" / "duplicates"): the results group
        self.similar: tuple[str, list, str | None] | None = None
        self.beats: dict[str, float] = {}  # the Similar view: path → share of unrelated pairs it beats
        self.before_results: object = None  # the group shown before the results: back when they go
        self.search_index = None  # core.search.SearchIndex of the album's photos, made by the last job
        self.duplicate_groups: list = []  # core.albums.duplicates.DuplicateGroup: the Duplicates view's
        self.last_report = None
        self.last_error: str | None = None
        self.last_group = None  # core.albums.pipeline's grouping summary of the last regroup
        self.arriving: set[int] = set()  # ids of add jobs still running
        saved = self.store.get_meta("tuning", {}) or {}
        self.tuning = {**default_tuning(), **{k: v for k, v in saved.items() if k in TUNING_KEYS}}

    # -- the views ----------------------------------------------------------------------
    def reload(self) -> None:
        """The store changed: every view reads it again (the group shown stays shown)."""
        self.changed.emit()

    def rows_written(self, keys: dict) -> None:
        """An undo or redo wrote these rows ({table: [key]}): events alone are read again by their
        rows, anything else by a reload of every view."""
        if set(keys) <= {"events"}:
            self.events_edited.emit([key[0] for key in keys.get("events", ())])
        else:
            self.reload()

    def select(self, key) -> None:
        """Show another group (the events list's choice, or an edit's result)."""
        self.current = key
        self.current_changed.emit(key)

    def say(self, text: str) -> None:
        self.message.emit(text)

    def show_results(self, similar: tuple[str, list, str | None], beats: dict[str, float] | None = None) -> None:
        """A search's, Find similar's or Duplicates' photos, shown as one group (selected)."""
        self.similar, self.beats = similar, beats or {}
        if self.current != SIMILAR:
            self.before_results = self.current  # shown again when the search is cleared
        self.current = SIMILAR
        self.results_changed.emit()  # the events are not read again (the album did not change)

    def clear_search(self) -> bool:
        """The search box was emptied: its "Words: …" (and a "Similar to …") group goes; False
        when there was none (the Duplicates view stays)."""
        if self.similar is None or self.similar[2] == "duplicates":
            return False
        self.similar, self.beats = None, {}
        if self.current == SIMILAR:
            self.current = self.before_results  # the group shown before the search (the first event if gone)
        self.reload()
        return True

    def duplicates_shown(self) -> bool:
        return self.current == SIMILAR and self.similar is not None and self.similar[2] == "duplicates"

    def duplicate_group_of(self, path: str):
        """The duplicates group (``core.albums.duplicates.DuplicateGroup``) holding ``path``."""
        return next((g for g in self.duplicate_groups if path in g.paths), None)

    # -- the tuning -------------------------------------------------------------------
    @property
    def preset(self) -> str:
        return self.tuning["model"]

    def set_tuning(self, **values) -> None:
        self.tuning.update(values)

    def save_tuning(self) -> None:
        """The album's tuning and model, kept in its own store (back after a restart)."""
        self.store.set_meta("tuning", dict(self.tuning))

    def cluster_settings(self) -> ClusterSettings:
        t = self.tuning
        return ClusterSettings(min_size=t["min_size"] or None, time_weight=t["time"] / 50,
                               image_weight=t["image"] / 100, reach=1.0 + t["loose"] / 50)

    def proto_settings(self) -> PrototypeSettings:
        return PrototypeSettings(metric=self.tuning["metric"], threshold=self.tuning["closeness"])

    # -- why here -----------------------------------------------------------------------
    def explain(self, photo_id: int) -> str:
        """Why the photo is where it is, in a few lines, on this thread (tests, the viewer)."""
        return explain_text(self.store, photo_id, self.search_index, self.cluster_settings().time_gap_hours)

    def close(self) -> None:
        """The job queue has stopped: close the album's store connections."""
        album = self.worker_state["album"]
        if album is not None:
            album.store.close()
        self.store.close()
