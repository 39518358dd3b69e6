"""Frozen image features for Fusion, through the shared embedding cache."""

from __future__ import annotations

import numpy as np

from core.cache import EmbeddingCache
from core.embed import embed_image_files
from core.fusion.data import FusionData
from core.jobs import CancelCheck, ProgressFn, never_cancelled, null_progress


class FeatureError(RuntimeError):
    pass


def image_features(data: FusionData, encoder, cache: EmbeddingCache, progress: ProgressFn = null_progress,
                   cancelled: CancelCheck = never_cancelled) -> np.ndarray:
    """(N, D) features in the dataset's order; computed once, then read from the cache."""
    res = embed_image_files(data.images, encoder, cache, progress, cancelled)
    if res.errors:
        shown = "; ".join(f"{p}: {m}" for p, m in res.errors[:10])
        raise FeatureError(f"{len(res.errors)} images could not be used: {shown}")
    return res.vectors
