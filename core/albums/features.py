"""The image features Albums groups by: each photo's embedding or, with mirror test-time
augmentation, the mean of the embeddings of the photo and of its horizontal mirror.

The mirror's embedding is cached under its own name (``<preset>:mirror``) beside the photo's
(``<preset>``), so both coexist: turning the option on embeds only the mirrors, turning it off
again embeds nothing.
"""

from __future__ import annotations

import os

import numpy as np

from core.cache import EmbeddingCache
from core.embed import EmbedResult, embed_image_files
from core.images import open_image
from core.jobs import CancelCheck, ProgressFn, never_cancelled, null_progress, sub_progress
from core.vectors import unit

MIRROR_NAMESPACE = ":mirror"
MIRROR_DEFAULT = False  # measured on six collections (bench/albums_eval.py --mirror): see docs/albums.md


def open_mirrored(path: str | os.PathLike[str]):
    """The photo as the app reads it (EXIF orientation applied), mirrored left to right."""
    from PIL import ImageOps

    return ImageOps.mirror(open_image(path, draft=(512, 512)))


def embed_photos(paths: list[str | os.PathLike[str]], encoder, cache: EmbeddingCache,
                 progress: ProgressFn = null_progress, cancelled: CancelCheck = never_cancelled,
                 mirror: bool = MIRROR_DEFAULT, **kwargs) -> EmbedResult:
    """``embed_image_files`` (its keyword arguments: batch_size, with_tags ...), and with ``mirror``
    each photo's vector averaged with its mirror's (unit length again). Tags come from the photo
    itself. A photo whose mirror cannot be read keeps its own vector and the error is reported."""
    if not mirror:
        return embed_image_files(paths, encoder, cache, progress, cancelled, **kwargs)
    plain = embed_image_files(paths, encoder, cache, sub_progress(progress, 0.0, 0.5), cancelled, **kwargs)
    kwargs.pop("with_tags", None)
    flipped = embed_image_files(plain.paths, encoder, cache, sub_progress(progress, 0.5, 1.0), cancelled,
                                loader=open_mirrored, namespace=MIRROR_NAMESPACE, **kwargs)
    row = {p: i for i, p in enumerate(flipped.paths)}
    both = np.array([i for i, p in enumerate(plain.paths) if p in row], dtype=int)
    vectors = plain.vectors.copy()
    if len(both):
        mirrored = flipped.vectors[[row[plain.paths[i]] for i in both]]
        vectors[both] = unit(plain.vectors[both].astype(np.float32) + mirrored.astype(np.float32))
    plain.vectors = vectors.astype(np.float32)
    plain.computed += flipped.computed
    plain.errors = list(plain.errors) + [(p, f"its mirror: {why}") for p, why in flipped.errors]
    return plain


def cached_photo_vectors(paths: list[str], encoder, cache: EmbeddingCache,
                         mirror: bool = MIRROR_DEFAULT) -> tuple[np.ndarray, np.ndarray]:
    """The vectors ``embed_photos`` gave ``paths`` before, read back by the content keys the cache
    last recorded for them (``EmbeddingCache.known_keys``): no file is opened or stat'ed.
    ``(float32 (N, D), found (N,))``; a photo whose key or vector (or, with ``mirror``, its
    mirror's) is not in the cache is not found: the caller embeds it."""
    known = cache.known_keys(paths)
    keys = [known.get(p, "") for p in paths]
    vectors, found = cache.get_many(encoder.cache_name, keys)
    if mirror and len(keys):
        flipped, found_flipped = cache.get_many(encoder.cache_name + MIRROR_NAMESPACE, keys)
        found &= found_flipped
        vectors += flipped
        del flipped
        vectors = unit(vectors, np.float32)
    found &= np.fromiter((bool(k) for k in keys), dtype=bool, count=len(keys))
    return vectors, found
