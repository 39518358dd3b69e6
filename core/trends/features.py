"""Per-post image and text vectors (cached, from the registry) arranged as per-day tokens."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.cache import EmbeddingCache
from core.embed import embed_image_files, embed_texts
from core.jobs import CancelCheck, ProgressFn, never_cancelled, null_progress, sub_progress
from core.trends.data import Posts

OFFLINE = ("effnet-lite0", "use-multilingual")  # image, text


@dataclass
class DayTokens:
    image: np.ndarray  # (C, D, P, Ei) float16: up to P posts per category-day
    text: np.ndarray  # (C, D, P, Et) float16
    mask: np.ndarray  # (C, D, P) bool: a real post
    numeric: np.ndarray  # (C, D, 3) log1p of the day's summed comments, likes, collects
    models: dict


def post_vectors(posts: Posts, image_encoder, text_encoder, cache: EmbeddingCache,
                 progress: ProgressFn = null_progress, cancelled: CancelCheck = never_cancelled):
    """(N, Ei) and (N, Et): zeros for a post without an image or text."""
    with_image = [i for i, p in enumerate(posts.images) if p]
    unique = sorted({posts.images[i] for i in with_image})
    res = embed_image_files(unique, image_encoder, cache, sub_progress(progress, 0, 0.8), cancelled)
    vec_of = dict(zip(res.paths, res.vectors, strict=True))
    img = np.zeros((len(posts), image_encoder.dim or res.vectors.shape[1]), np.float32)
    for i in with_image:
        v = vec_of.get(str(posts.images[i]))
        if v is not None:
            img[i] = v
    progress(0.85, "Embedding texts")
    texts = sorted({t for t in posts.texts if t})
    tv = embed_texts(texts, text_encoder, cache) if texts else np.zeros((0, 512), np.float32)
    t_of = dict(zip(texts, tv, strict=True))
    txt = np.zeros((len(posts), tv.shape[1] if len(tv) else 512), np.float32)
    for i, t in enumerate(posts.texts):
        if t:
            txt[i] = t_of[t]
    progress(1.0, f"{len(unique)} images, {len(texts)} texts embedded")
    return img, txt, res.errors


def project(x: np.ndarray, dims: int, seed: int) -> np.ndarray:
    """A fixed, seeded random projection (Johnson–Lindenstrauss): keeps cosine structure, learns
    nothing from the data (so nothing leaks from the test period), and makes training ~10× cheaper."""
    if x.shape[1] <= dims:
        return x
    r = np.random.default_rng(seed).normal(0, 1 / np.sqrt(dims), (x.shape[1], dims)).astype(np.float32)
    return x @ r


def day_tokens(posts: Posts, img: np.ndarray, txt: np.ndarray, max_posts: int = 8, seed: int = 0,
               models: dict | None = None, dims: int = 64) -> DayTokens:
    rng = np.random.default_rng(seed)
    img, txt = project(img, dims, seed + 1), project(txt, dims, seed + 2)
    C, D = len(posts.categories), posts.n_days
    image = np.zeros((C, D, max_posts, img.shape[1]), np.float16)
    text = np.zeros((C, D, max_posts, txt.shape[1]), np.float16)
    mask = np.zeros((C, D, max_posts), bool)
    counts = np.zeros((C, D, 3), np.float32)
    np.add.at(counts, (posts.category, posts.days), posts.counts)
    order = np.lexsort((posts.days, posts.category))
    groups: dict[tuple[int, int], list[int]] = {}
    for i in order:
        groups.setdefault((int(posts.category[i]), int(posts.days[i])), []).append(int(i))
    for (c, d), idx in groups.items():
        if len(idx) > max_posts:
            idx = sorted(rng.choice(idx, max_posts, replace=False).tolist())
        image[c, d, : len(idx)] = img[idx]
        text[c, d, : len(idx)] = txt[idx]
        mask[c, d, : len(idx)] = True
    return DayTokens(image, text, mask, np.log1p(counts), models or {})
