"""Embeddings of every post, built once through the shared cache.

Per post: a text vector (its description), an image vector (its photo) and a
"photo as text" vector for cross-modal matching. With a CLIP preset all three
live in CLIP's joint space. Offline, text comes from the multilingual sentence
encoder (Korean and English in one space), photos from EfficientNet-Lite0,
and a photo's cross-modal vector is its top ImageNet labels embedded by the
same sentence encoder (weighted by their probabilities).

Matching then only reads these matrices: moving a slider never re-encodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.cache import EmbeddingCache
from core.embed import embed_image_files, embed_texts
from core.jobs import CancelCheck, ProgressFn, check_cancel, never_cancelled, null_progress
from core.lostfound.categories import category_phrases, parse_category
from core.lostfound.store import Post
from core.vectors import unit

LABELS_TOP_K = 3


@dataclass
class PostVectors:
    ids: np.ndarray  # (N,) post ids
    is_lost: np.ndarray  # (N,) bool
    text: np.ndarray  # (N, Dt), zero rows where there is no description
    has_text: np.ndarray
    image: np.ndarray  # (N, Di), zero rows where there is no photo
    has_image: np.ndarray
    cross: np.ndarray  # (N, Dt): the photo in text space
    top_category: list[str]
    category_known: np.ndarray
    category_code: np.ndarray  # (N,) int: equal codes = same top-level category
    is_open: np.ndarray
    models: dict = field(default_factory=dict)  # which presets and weights made these
    errors: list[tuple[int, str]] = field(default_factory=list)  # (post id, problem)
    reduced: dict | None = None  # per channel (search-layer index, post rows) for pre-selection (match.prepare_search)
    # How sure the top-level category is: 1 where the user gave a known one, the inferred
    # probability where it was inferred (infer_categories), 0 where there is none. None: all
    # from the user (category_known decides, as before inference existed).
    category_conf: np.ndarray | None = None
    category_inferred: np.ndarray | None = None  # (N,) bool: top_category was inferred, not given
    # (N, K) probability over category_sentences()' top levels: one-hot for the user's own, the
    # inferred distribution for an empty one, zeros where nothing is known (never gates)
    category_prob: np.ndarray | None = None

    def inferred_category(self, post_id: int) -> str:
        """'모자 (inferred, 72%)' for a post whose empty category was inferred; '' otherwise."""
        if self.category_inferred is None:
            return ""
        try:
            i = self.row(post_id)
        except KeyError:  # added after the last refresh
            return ""
        if not self.category_inferred[i]:
            return ""
        return f"{self.top_category[i]} (inferred, {self.category_conf[i]:.0%})"

    def confidence(self) -> np.ndarray:
        return self.category_conf if self.category_conf is not None else self.category_known.astype(np.float64)

    def row(self, post_id: int) -> int:
        hits = np.flatnonzero(self.ids == post_id)
        if not len(hits):
            raise KeyError(f"post {post_id} is not in the index")
        return int(hits[0])

    def __len__(self) -> int:
        return len(self.ids)


class PostEmbedder:
    """Turns posts into vectors with the given encoders, reading and filling the cache."""

    def __init__(self, text_encoder, image_encoder, cache: EmbeddingCache) -> None:
        self.text_encoder = text_encoder
        self.image_encoder = image_encoder
        self.cache = cache
        self.clip = hasattr(image_encoder, "embed_texts") and image_encoder is text_encoder

    def describe(self) -> dict:
        return {"text": self.text_encoder.describe(), "image": self.image_encoder.describe(),
                "cross": "CLIP joint space" if self.clip else
                f"ImageNet top-{LABELS_TOP_K} labels of the photo, embedded as text"}

    def texts(self, texts: list[str], progress: ProgressFn | None = None,
              cancelled: CancelCheck = never_cancelled) -> np.ndarray:
        """Text vectors through the cache; ``progress`` hears count, rate and time left."""
        return embed_texts(texts, self.text_encoder, self.cache, progress, cancelled)

    def photos(self, paths: list[str], cancelled: CancelCheck = never_cancelled,
               progress: ProgressFn = null_progress) -> tuple[np.ndarray, np.ndarray, list[tuple[int, str]]]:
        """(image vectors, cross vectors, [(index, error)]) for photo files, through the pipeline
        every workspace uses (``core.embed.embed_image_files``: decode threads, each distinct
        photo embedded once with its ImageNet labels from the same forward pass, ONNX Runtime
        for big jobs, the cache). Before, a batch ran the network twice (features, then labels)
        with the decoding in between."""
        enc = self.image_encoder
        with_tags = not self.clip and hasattr(enc, "encode_with_top")
        res = embed_image_files(paths, enc, self.cache, progress, cancelled, batch_size=16, with_tags=with_tags)
        dim_i = enc.dim or (res.vectors.shape[1] if len(res.paths) else 0)
        image = np.zeros((len(paths), dim_i), np.float32)
        cross = np.zeros((len(paths), self.text_encoder.dim), np.float32)
        if self.clip:
            labels_text = res.vectors
        elif with_tags and len(res.paths):
            labels_text = self._labels_as_text(res.tags)
        else:  # an image model without ImageNet labels: no photo-as-text channel
            labels_text = np.zeros((len(res.paths), cross.shape[1]), np.float32)
        row = {p: j for j, p in enumerate(res.paths)}
        failed = dict(res.errors)
        errors = []
        for i, path in enumerate(paths):
            j = row.get(str(Path(path)))
            if j is None:
                errors.append((i, failed.get(str(path), "the photo could not be read")))
            else:
                image[i], cross[i] = res.vectors[j], labels_text[j]
        return image, cross, errors

    def _labels_as_text(self, pairs: np.ndarray) -> np.ndarray:
        """(N, Dt): each photo's top ``LABELS_TOP_K`` ImageNet labels (``pairs``: [index, prob, …]
        as the pipeline keeps them) embedded as text, weighted by their probabilities."""
        named = self.image_encoder.label_names(np.asarray(pairs)[:, : 2 * LABELS_TOP_K])
        words = sorted({name for labels in named for name, _ in labels})
        vecs = dict(zip(words, self.texts(words), strict=True))
        out = []
        for labels in named:
            weights = np.array([p for _, p in labels], np.float32)
            v = (weights[:, None] / weights.sum() * np.stack([vecs[name] for name, _ in labels])).sum(0)
            out.append(unit(v))
        return np.stack(out).astype(np.float32)


# Softmax temperature over each category's best phrase cosine, from bench/lostfound_eval.py
# (278 posts, categories left empty, combined 0.5; no inference: hit@1 0.468, hit@5 0.633 and
# 46 unrelated pairs above the "similar" line): 0.05 → 0.460 / 0.590, 0.1 → 0.439 / 0.640,
# 0.2 → 0.482 / 0.655, each with 0 unrelated pairs above the line; 90% of guesses right.
INFER_TEMPERATURE = 0.2


def infer_categories(text: np.ndarray, has_text: np.ndarray, cross: np.ndarray, has_image: np.ndarray,
                     phrases: np.ndarray, owner: list[int], temperature: float = INFER_TEMPERATURE) -> np.ndarray:
    """(N, K) probability of each category per post, from its text and its photo's labels (the
    ``cross`` vectors: the photo in text space) against the category sentences
    (:func:`core.lostfound.categories.category_phrases`: a category's score is its best phrase's
    cosine), in the multilingual sentence space. A softmax over those per channel, averaged over the channels a post has; probability 0
    where it has neither. A vague text ("I lost something") spreads its probability thin, so a
    guess from it weighs little in the category gate."""
    c = unit(phrases, np.float32)
    owner = np.asarray(owner)
    k = int(owner.max()) + 1 if len(owner) else 0
    total = np.zeros((len(text), k))
    count = np.zeros(len(text))
    for vectors, present in ((text, has_text), (cross, has_image)):
        if not present.any():
            continue
        v = unit(vectors[present], np.float32)
        sims = v @ c.T
        best = np.full((len(v), k), -np.inf)
        for j in range(k):  # each category: its best phrase
            best[:, j] = sims[:, owner == j].max(1)
        logits = best / temperature
        p = np.exp(logits - logits.max(1, keepdims=True))
        total[present] += p / p.sum(1, keepdims=True)
        count[present] += 1
    return total / np.maximum(count, 1)[:, None]


# A post left without a category also takes the categories of its nearest posts whose category the
# user gave (text to text, photo to photo; softmax at NEIGHBOUR_TEMPERATURE over the cosines of the
# NEIGHBOURS nearest), averaged with what its own words and labels say. Measured in
# bench/lostfound_eval.py with the found posts' categories given (as staff file them) and the lost
# posts' left empty: lost posts' guesses right 0.871 -> 0.935, hit@1 0.496 -> 0.532 (all given:
# 0.597), no unrelated pair above the similar line. The newest NEIGHBOUR_REFERENCE such posts are
# searched (a lost thing is found around when it was lost), so a refresh stays quick at 100,000.
NEIGHBOURS = 5
NEIGHBOUR_TEMPERATURE = 0.05
NEIGHBOUR_REFERENCE = 2000


def neighbour_categories(channels: list[tuple[np.ndarray, np.ndarray]], prob: np.ndarray, asked: np.ndarray,
                         k: int = NEIGHBOURS, temperature: float = NEIGHBOUR_TEMPERATURE,
                         reference: int = NEIGHBOUR_REFERENCE, block: int = 4096) -> np.ndarray:
    """(N, K) category distribution from each ``asked`` post's nearest posts whose category is
    known (rows of ``prob`` that are one-hot; the newest ``reference`` of them), per channel
    ((vectors, present) pairs, e.g. text and photo) a softmax over the k best cosines, averaged
    over the channels the post shares with them; zeros where there is nothing to go by."""
    known = np.flatnonzero(prob.sum(1) > 0)[-reference:]
    out = np.zeros_like(prob, dtype=np.float64)
    count = np.zeros(len(prob))
    for vectors, present in channels:
        ref = known[present[known]]
        rows = np.flatnonzero(asked & present)
        if len(ref) < k or not len(rows):
            continue
        x = unit(vectors, np.float32)
        labels = prob[ref]
        for s in range(0, len(rows), block):
            part = rows[s:s + block]
            sims = x[part] @ x[ref].T
            top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
            best = np.take_along_axis(sims, top, 1)
            w = np.exp((best - best.max(1, keepdims=True)) / temperature)
            d = (w[:, :, None] * labels[top]).sum(1)
            out[part] += d / d.sum(1, keepdims=True)
            count[part] += 1
    return out / np.maximum(count, 1)[:, None]


def build_vectors(posts: list[Post], embedder: PostEmbedder, progress: ProgressFn = null_progress,
                  cancelled: CancelCheck = never_cancelled) -> PostVectors:
    n = len(posts)
    progress(0.0, f"Embedding {n} posts")
    texts = [p.description for p in posts]
    has_text = np.array([bool(t.strip()) for t in texts], bool)
    dim_t = embedder.text_encoder.dim
    text = np.zeros((n, dim_t), np.float32)
    photo_rows = [i for i, p in enumerate(posts) if p.image]
    text_end = 0.5 if photo_rows else 0.9  # a first refresh of a big import: the texts take most of it
    if has_text.any():
        from core.jobs import sub_progress

        idx = np.flatnonzero(has_text)
        text[idx] = embedder.texts([texts[i] for i in idx], sub_progress(progress, 0.0, text_end), cancelled)
    check_cancel(cancelled)
    progress(text_end, "Embedding photos" if photo_rows else "Matching categories")
    image = np.zeros((n, embedder.image_encoder.dim), np.float32)
    cross = np.zeros((n, dim_t), np.float32)
    has_image = np.zeros(n, bool)
    errors = []
    if photo_rows:
        from core.jobs import sub_progress

        img, crs, errs = embedder.photos([posts[i].image for i in photo_rows], cancelled,
                                         sub_progress(progress, text_end, 0.95))
        bad = {i for i, _ in errs}
        for j, i in enumerate(photo_rows):
            if j not in bad:
                image[i], cross[i], has_image[i] = img[j], crs[j], True
        errors = [(posts[photo_rows[j]].id, msg) for j, msg in errs]
    cats = [parse_category(p.category) for p in posts]
    given = np.array([c.known and bool(c.top) for c in cats], bool)
    tops = [c.top if given[i] else "" for i, c in enumerate(cats)]
    names, phrases, owner = category_phrases()
    prob = np.zeros((n, len(names)))
    for i in np.flatnonzero(given):
        if tops[i] in names:  # "기타" (other) says nothing: it never gates
            prob[i, names.index(tops[i])] = 1.0
    inferred = np.zeros(n, bool)
    if n and not given.all() and (has_text | has_image).any():
        guess = infer_categories(text, has_text, cross, has_image, embedder.texts(phrases), owner)
        if NEIGHBOURS:
            near = neighbour_categories([(text, has_text), (image, has_image)], prob, ~given)
            alike = near.sum(1) > 0
            guess[alike] = (guess[alike] + near[alike]) / 2
        for i in np.flatnonzero(~given & (guess.sum(1) > 0)):
            prob[i], tops[i], inferred[i] = guess[i], names[int(guess[i].argmax())], True
    conf = np.where(given, 1.0, prob.max(1) if len(names) else 0.0)
    progress(1.0, f"{n} posts ready")
    return PostVectors(
        ids=np.array([p.id for p in posts], np.int64),
        is_lost=np.array([p.kind == "lost" for p in posts], bool),
        text=text, has_text=has_text, image=image, has_image=has_image, cross=cross,
        top_category=tops,
        category_code=np.unique(tops, return_inverse=True)[1].astype(np.int64) if n else np.zeros(0, np.int64),
        category_known=given,
        category_conf=conf,
        category_inferred=inferred,
        category_prob=prob,
        is_open=np.array([p.is_open for p in posts], bool),
        models=embedder.describe(),
        errors=errors,
    )
