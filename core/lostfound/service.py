"""Lost & Found as one object the GUI and the CLI share: store + vectors + matching."""

from __future__ import annotations

from dataclasses import dataclass

from core.cache import EmbeddingCache
from core.jobs import CancelCheck, ProgressFn, never_cancelled, null_progress
from core.lostfound.index import PostEmbedder, PostVectors, build_vectors
from core.lostfound.match import (
    Calibration,
    Match,
    MatchSettings,
    fit_calibration,
    prepare_search,
    rank,
)
from core.lostfound.store import PostStore

OFFLINE_MODELS = ("use-multilingual", "effnet-lite0")  # text, image
CLIP_PRESETS = ("clip-xlmr-b32", "clip-ko-large", "clip-vit-b32")


def make_embedder(models, cache: EmbeddingCache, clip_preset: str | None = None,
                  progress: ProgressFn | None = None, cancelled: CancelCheck | None = None) -> PostEmbedder:
    """One multilingual CLIP for everything when given; otherwise the offline pair."""
    if clip_preset:
        clip = models.get(clip_preset, progress, cancelled)
        return PostEmbedder(clip, clip, cache)
    text, image = OFFLINE_MODELS
    return PostEmbedder(models.get(text, progress, cancelled), models.get(image, progress, cancelled), cache)


@dataclass
class MatchReportRow:
    post_id: int
    kind: str
    description: str
    match_id: int
    match_description: str
    score: float
    breakdown: dict


class LostFound:
    def __init__(self, store: PostStore, embedder: PostEmbedder) -> None:
        self.store = store
        self.embedder = embedder
        self.vectors: PostVectors | None = None
        self.calibration = Calibration()

    def refresh(self, progress: ProgressFn = null_progress, cancelled: CancelCheck = never_cancelled) -> PostVectors:
        """(Re)build the vectors of all posts from the cache, computing only new ones."""
        self.vectors = build_vectors(self.store.list(), self.embedder, progress, cancelled)
        self.calibration = fit_calibration(self.vectors)
        prepare_search(self.vectors)  # big stores: reduced vectors for fast pre-selection
        return self.vectors

    def _ready(self) -> PostVectors:
        if self.vectors is None:
            self.refresh()
        return self.vectors

    def match(self, post_id: int, settings: MatchSettings | None = None, k: int | None = 10,
              exact: bool = False) -> list[Match]:
        return rank(self._ready(), post_id, settings or MatchSettings(), self.calibration, k, exact=exact)

    def match_all(self, settings: MatchSettings | None = None, k: int = 3,
                  progress: ProgressFn = null_progress,
                  cancelled: CancelCheck = never_cancelled) -> list[MatchReportRow]:
        """Matches above the "similar" line for every open post."""
        from core.jobs import check_cancel

        settings = settings or MatchSettings()
        v = self._ready()
        posts = {p.id: p for p in self.store.list()}
        rows = []
        open_ids = [int(i) for i, o in zip(v.ids, v.is_open, strict=True) if o]
        for n, pid in enumerate(open_ids):
            check_cancel(cancelled)
            for m in self.match(pid, settings, k):
                if m.similar and posts.get(m.post_id) and posts[m.post_id].is_open:
                    rows.append(MatchReportRow(pid, posts[pid].kind, posts[pid].description, m.post_id,
                                               posts[m.post_id].description, m.score, m.breakdown))
            progress((n + 1) / max(len(open_ids), 1))
        return rows
