"""Bulk embedding on a Ray cluster: the same preprocessing and model code as the desktop, the
same embedding cache.

``embed_on_ray(paths, preset, cache)`` runs one Ray Data job: the files still to embed (the
cache is asked first, by the same content keys) become a dataset of paths, and
``map_batches`` sends them through :class:`EmbedActor`, a class-based UDF, so each worker loads
the model once (``core.models.manager``, or the caller's ``load_encoder``) and prepares every
image with the function the desktop pipeline uses (``core.embed._prepare``: the photo reader, or
the caller's ``loader``: Logos passes its SVG/raster loader). Workers ask for a GPU when the cluster has them. The vectors stream back
to this process, which writes them into its embedding cache under the key the desktop uses, so
``embed_image_files`` afterwards finds every one and computes nothing: the app, every
workspace and the rest of the CLI then use them as if they had been made here. A file that
cannot be read is reported per file, as locally.

When to use it: more images than one machine embeds in the time you have (about 30-120 images/s
on a 2-core desktop CPU, depending on the model). The files must be readable at the same path
on every node (a shared or network file system); the cache stays on the machine that runs the
command. ``bench/ray_embed.py`` measures the overhead against the local pipeline.

Ray is an optional extra (``pip install -e ".[cluster]"``), imported only here and only when
asked for; the app and the rest of the CLI never import it.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from core.cache import EmbeddingCache
from core.embed import EmbedResult
from core.jobs import CancelCheck, Cancelled, ProgressFn, never_cancelled, null_progress


def _ray():
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise RuntimeError(
            "the Ray path needs the cluster extra: pip install -e \".[cluster]\" (or pip install \"ray[data]\")"
        ) from exc
    return ray


def add_ray_arguments(p) -> None:
    """``--ray [ADDRESS]`` and ``--workers N`` on an argparse parser (``embed``, ``logos index``)."""
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="embed as a Ray Data job (needs the cluster extra): on the cluster at ADDRESS, "
                        "or on a local Ray instance without one; the vectors land in this machine's cache")
    p.add_argument("--workers", type=int, default=None, help="Ray: model replicas (default: one per GPU, "
                   "else one per 2 CPUs)")


def check_reachable(address: str | None, timeout_s: float = 5.0) -> None:
    """Raise ``ConnectionError`` naming the address when nothing answers there within
    ``timeout_s``: Ray's own connect retries for minutes. "auto" and no address are not checked."""
    if not address or address == "auto":
        return
    import socket

    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"Ray address {address!r} is not HOST:PORT (or ray://HOST:PORT, or auto)")
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise ConnectionError(f"cannot reach the Ray cluster at {address} ({exc.strerror or exc}); "
                              f"is it running (ray start --head), and is the port open?") from None


class EmbedActor:
    """One Ray worker: the preset's model, loaded once; ``__call__`` embeds a batch of paths
    with the desktop's preprocessing and forward (``core.embed._prepare`` and ``_encode``: ONNX
    Runtime on a CPU, the encoder's torch forward on a GPU). ``loader`` and ``load_encoder`` are
    :func:`embed_on_ray`'s (pickled to the worker)."""

    def __init__(self, preset: str, device: str, loader=None, load_encoder=None) -> None:
        from core.embed import _onnx_forward, _open_photo
        from core.models.manager import ModelManager

        models = ModelManager(device)
        self.encoder = load_encoder(models, preset) if load_encoder is not None else models.get(preset)
        self.loader = loader or _open_photo
        # on a CPU worker, ONNX Runtime as the desktop's big jobs (the export is made once per node)
        self.onnx = _onnx_forward(self.encoder)

    def __call__(self, batch: dict) -> dict:
        from core.embed import _encode, _prepare, _stack
        from core.images import ImageError
        from core.models.onnx import shared_prepare

        prepare = shared_prepare(self.encoder)
        prepared = [_prepare(self.encoder, str(p), self.loader, prepare) for p in batch["path"]]
        good = [i for i, t in enumerate(prepared) if not isinstance(t, ImageError)]
        vectors = np.zeros((len(prepared), self.encoder.dim), np.float32)
        if good:
            vectors[good] = _encode(self.encoder, _stack([prepared[i] for i in good], self.onnx), False, self.onnx)[0]
        errors = [t.reason if isinstance(t, ImageError) else "" for t in prepared]
        return {"key": batch["key"], "path": batch["path"], "vector": vectors, "error": np.array(errors, dtype=object)}


def embed_on_ray(paths: list[str | os.PathLike[str]], preset: str, cache: EmbeddingCache,
                 address: str | None = None, workers: int | None = None,
                 batch_size: int = 16, device: str = "auto", progress: ProgressFn = null_progress,
                 cancelled: CancelCheck = never_cancelled, num_cpus: int | None = None,
                 encoder=None, loader=None, namespace: str = "", load_encoder=None) -> EmbedResult:
    """Embed ``paths`` with ``preset`` (or a trained checkpoint) on Ray and put the vectors into
    ``cache`` as the desktop would. ``address``: a running cluster ("auto", "ray://host:10001");
    None starts a local Ray instance (``num_cpus`` of this machine's CPUs). ``workers``: model
    replicas (default: one per GPU when the cluster has GPUs, else one per 2 CPUs). ``encoder``:
    this process's copy of the model, for its cache name (loaded on the CPU when not given; the
    CLI passes the one it then reads the cache with).

    What is embedded is the caller's: ``loader(path) -> PIL image`` reads a file (default the
    photo reader; it must pickle: a module-level function or a ``functools.partial`` of one),
    the vectors go into the cache under ``<cache name><namespace>``, and
    ``load_encoder(models, preset) -> encoder`` loads the model on each worker (default
    ``models.get(preset)``). Logos passes its logo loader, namespace and checkpoint loader.

    The result counts what was computed and reused and names the files that failed; the vectors
    themselves are in ``cache`` (``embed_image_files`` then reads them, computing nothing)."""
    check_reachable(address)
    from core.models.manager import ModelManager

    if encoder is not None:
        local = encoder
    else:
        models = ModelManager("cpu")
        local = load_encoder(models, preset) if load_encoder is not None else models.get(preset)
    cache_name = local.cache_name + namespace
    result = EmbedResult(preset=local.name, weights=local.weights, engine="Ray")
    progress(0.0, f"Checking {len(paths)} files")
    keys: dict[int, str] = {}
    for i, p in enumerate(paths):
        try:
            keys[i] = cache.file_key(p)
        except OSError as exc:
            result.errors.append((str(p), f"cannot read the file ({exc.strerror or exc})"))
        if i % 256 == 0:
            if cancelled():
                raise Cancelled()
            progress(0.05 * i / max(len(paths), 1), f"Checking {i} of {len(paths)} files")
    ok = sorted(keys)
    _, found = cache.get_many(cache_name, [keys[i] for i in ok])
    result.reused = int(found.sum())
    first: dict[str, int] = {}
    for j in np.flatnonzero(~found):  # identical files (same content key) are embedded once
        first.setdefault(keys[ok[j]], ok[j])
    todo = sorted(first.values())
    progress(0.05, f"{result.reused} in cache, {len(todo)} to embed on Ray")
    if todo:
        with ray_session(address, num_cpus) as ray:
            _run(ray, [str(Path(paths[i])) for i in todo], [keys[i] for i in todo], preset, device,
                 {"loader": loader, "load_encoder": load_encoder}, workers, batch_size, cache, cache_name,
                 result, progress, cancelled)
    progress(1.0, result.summary())
    return result


@contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None):
    """``with ray_session(address) as ray:`` one connection to Ray (a local instance when no
    address) for one or more :func:`embed_on_ray` calls; shut down at the end if started here."""
    check_reachable(address)
    ray = _ray()
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=address, num_cpus=num_cpus if address is None else None,
                 include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    try:
        yield ray
    finally:
        if started_here:
            ray.shutdown()


def _run(ray, paths, keys, preset, device, udf_options, workers, batch_size, cache, cache_name,
         result, progress, cancelled) -> None:
    import logging

    from ray.data import ActorPoolStrategy, DataContext

    DataContext.get_current().enable_progress_bars = False  # progress goes through ``progress``
    logging.getLogger("ray.data").setLevel(logging.WARNING)  # its per-dataset INFO lines: noise on the CLI
    gpus = int(ray.cluster_resources().get("GPU", 0))
    cpus = int(ray.cluster_resources().get("CPU", 1))
    if workers is None:
        workers = gpus or max(1, cpus // 2)
    if device == "auto":
        device = "cuda" if gpus else "cpu"
    per_worker = {"num_gpus": 1} if gpus and device.startswith("cuda") else {"num_cpus": max(1, cpus // workers)}
    ds = ray.data.from_items([{"path": p, "key": k} for p, k in zip(paths, keys, strict=True)],
                             override_num_blocks=max(1, min(len(paths) // batch_size, 4 * workers)))
    out = ds.map_batches(EmbedActor, fn_constructor_kwargs={"preset": preset, "device": device, **udf_options},
                         batch_size=batch_size, compute=ActorPoolStrategy(size=workers), batch_format="numpy",
                         **per_worker)
    done = 0
    for batch in out.iter_batches(batch_size=batch_size, batch_format="numpy"):
        if cancelled():
            raise Cancelled()
        errors = [str(e) for e in batch["error"]]
        good = [i for i, e in enumerate(errors) if not e]
        if good:
            cache.put_many(cache_name, [str(batch["key"][i]) for i in good], np.asarray(batch["vector"])[good])
        result.errors += [(str(batch["path"][i]), e) for i, e in enumerate(errors) if e]
        result.computed += len(good)
        done += len(errors)
        progress(0.05 + 0.95 * done / len(paths), f"Embedded {done} of {len(paths)} on Ray ({workers} workers)")
