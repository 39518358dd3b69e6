"""Folders in, events out: scan → embed (cached) → EXIF → cluster → name → prototypes."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from core.albums.cluster import ClusterSettings, cluster, prototypes
from core.albums.exif import read_exif
from core.cache import EmbeddingCache
from core.embed import embed_image_files
from core.images import list_images
from core.jobs import (
    CancelCheck,
    ProgressFn,
    check_cancel,
    never_cancelled,
    null_progress,
    sub_progress,
)


@dataclass
class PhotoIndex:
    paths: list[str]
    vectors: np.ndarray  # (N, D)
    times: np.ndarray  # (N,) hours since the epoch, NaN when unknown
    gps: list[tuple[float, float] | None]
    tags: list[list[tuple[str, float]]]  # top ImageNet labels (offline), shown as tags
    model: dict
    errors: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Event:
    name: str
    caption: str
    tags: list[str]
    prototypes: list[str]
    photos: list[str]
    start: str | None = None
    end: str | None = None

    def to_dict(self) -> dict:
        return {"name": self.name, "caption": self.caption, "tags": self.tags, "prototypes": self.prototypes,
                "photos": self.photos, "start": self.start, "end": self.end}


def index_photos(folders: list[str | os.PathLike[str]], encoder, cache: EmbeddingCache,
                 progress: ProgressFn = null_progress, cancelled: CancelCheck = never_cancelled) -> PhotoIndex:
    files = list_images(folders)
    if not files:
        raise FileNotFoundError(f"no photos found in {', '.join(map(str, folders))}")
    with_tags = hasattr(encoder, "encode_with_top")
    res = embed_image_files(files, encoder, cache, sub_progress(progress, 0.0, 0.9), cancelled, batch_size=16,
                            with_tags=with_tags)
    times, gps = [], []
    for i, p in enumerate(res.paths):
        if i % 100 == 0:
            check_cancel(cancelled)
            progress(0.9 + 0.1 * i / max(len(res.paths), 1), "Reading capture times")
        info = read_exif(p)
        times.append(info["taken_at"].timestamp() / 3600 if info["taken_at"] else np.nan)
        gps.append(info["gps"])
    tags = encoder.label_names(res.tags) if with_tags and res.tags is not None else [[] for _ in res.paths]
    progress(1.0, f"{len(res.paths)} photos indexed")
    return PhotoIndex(res.paths, res.vectors, np.array(times, np.float64), gps, tags,
                      {"image": encoder.describe(), "captions": "none offline: ImageNet labels shown as tags"},
                      res.errors)


def _short(label: str) -> str:
    return label.split(",")[0].strip()


def group_events(index: PhotoIndex, settings: ClusterSettings | None = None) -> tuple[list[Event], list[str]]:
    settings = settings or ClusterSettings()
    labels, _ = cluster(index.vectors, settings, times=index.times)
    events = []
    for e in range(labels.max() + 1 if len(labels) else 0):
        members = np.flatnonzero(labels == e)
        counts = Counter(_short(t[0][0]) for t in (index.tags[i] for i in members) if t)
        top_tags = [t for t, _ in counts.most_common(3)]
        times = index.times[members]
        known = times[~np.isnan(times)]
        start = end = None
        if len(known):
            from datetime import datetime

            start = datetime.fromtimestamp(known.min() * 3600).strftime("%Y-%m-%d")
            end = datetime.fromtimestamp(known.max() * 3600).strftime("%Y-%m-%d")
        name = " · ".join(top_tags[:2]).title() if top_tags else f"Event {e + 1}"
        if start:
            name += f" ({start})"
        events.append(Event(name=name, caption="", tags=top_tags,
                            prototypes=[index.paths[i] for i in prototypes(index.vectors, labels, e)],
                            photos=[index.paths[i] for i in members], start=start, end=end))
    unsorted = [index.paths[i] for i in np.flatnonzero(labels == -1)]
    return events, unsorted
