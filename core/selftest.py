"""Small end-to-end checks that a build (source or frozen bundle) really works.

Each check is a plain job function ``fn(progress, cancelled)``; the GUI's
``--self-test`` runs them through the job queue, ``python -m core selftest``
runs them directly. They use the bundled demo data and the offline models,
and exercise what a broken bundle loses first: compiled torchvision operators,
package data and metadata, a spawned child process.
"""

from __future__ import annotations

from collections.abc import Callable

from core.jobs import CancelCheck, ProgressFn


def check_torch_ops(progress: ProgressFn, cancelled: CancelCheck) -> str:
    """torchvision's compiled operators (a naive bundle dies with 'torchvision::nms does not exist').
    Beside a CPU torch the CUDA-built torchvision's operators cannot load and are not shipped
    (core/torchvision_compat.py): there the check is that torchvision imports and its v2
    transforms (SimCLR's augmentations) run."""
    import torch
    import torchvision

    if torch.version.cuda is None and not torchvision.extension._has_ops():
        from torchvision.transforms import v2

        views = v2.Compose([v2.RandomResizedCrop(32, scale=(0.5, 1.0)), v2.RandomHorizontalFlip(),
                            v2.ToDtype(torch.float32, scale=True)])(torch.zeros(3, 64, 48, dtype=torch.uint8))
        if tuple(views.shape) != (3, 32, 32):
            raise RuntimeError(f"torchvision's v2 transforms gave shape {tuple(views.shape)}")
        return (f"torch {torch.__version__} (CPU), torchvision {torchvision.__version__}: transforms ok, "
                "compiled operators not shipped")
    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], dtype=torch.float32)
    keep = torchvision.ops.nms(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.5)
    if keep.tolist() != [0, 2]:
        raise RuntimeError(f"torchvision.ops.nms gave {keep.tolist()}")
    # a CUDA build self-tests on the CPU, GPU or not (every check below runs there): say which
    gpus = torch.cuda.device_count() if torch.version.cuda else 0
    where = f"{gpus} CUDA GPU(s) seen, checks run on the CPU" if gpus else "no GPU seen, checks run on the CPU"
    return f"torch {torch.__version__}, torchvision {torchvision.__version__}: nms ok; {where}"


def check_albums(progress: ProgressFn, cancelled: CancelCheck) -> str:
    """Index the demo photos with the offline image model and group them as the app does by
    default: the automatic settings (timm, HDBSCAN, SciPy's linkage, scikit-learn's read-out,
    SQLite), so a bundle missing any of them fails here, not at a user's first album."""
    from core.albums.cluster import ClusterSettings
    from core.albums.pipeline import Album, make_models
    from core.albums.store import AlbumStore
    from core.cache import EmbeddingCache
    from core.models.manager import ModelManager
    from core.paths import resource

    models = make_models(ModelManager("cpu"), captions=False)
    with EmbeddingCache() as cache, AlbumStore(":memory:") as store:
        album = Album(store, cache, models)
        report = album.add([resource("demo", "photos")], progress, cancelled)
        group = album.regroup(ClusterSettings())
    if report.errors or report.found == 0 or group.events == 0:
        raise RuntimeError(f"demo photos: {report.summary()} {report.errors}; {group.events} events")
    return f"{report.summary()}; {group.events} events"


def check_logos(progress: ProgressFn, cancelled: CancelCheck) -> str:
    """Index the demo logos (SVG through resvg), look one up, hash them for duplicates."""
    from core.cache import EmbeddingCache
    from core.logos.dedup import duplicate_groups, phashes
    from core.logos.index import build_index
    from core.logos.service import DEFAULT_PRESET
    from core.models.manager import ModelManager
    from core.paths import resource

    with EmbeddingCache() as cache:  # Logos' default model: its weights ship in resources/
        index, errors = build_index(resource("demo", "logos"), ModelManager("cpu").get(DEFAULT_PRESET), cache,
                                    progress, cancelled)
        bits, ok, _ = phashes(index.files, cache)
    if errors or len(index) < 2:
        raise RuntimeError(f"demo logos: {len(index)} indexed, {errors}")
    q = next(f for f in index.files if f.endswith("sun.svg"))
    best = index.search(index.vector_of(q), k=1, exclude=q)[0]
    groups = duplicate_groups(bits, ok)
    return (f"{len(index)} logos with {DEFAULT_PRESET}; nearest to sun.svg: {best.file.rsplit('/', 1)[-1]}; "
            f"{len(groups)} duplicate groups")


def check_lostfound(progress: ProgressFn, cancelled: CancelCheck) -> str:
    """Multilingual sentence model (Korean included) + matching on the demo posts."""
    from core.cache import EmbeddingCache
    from core.lostfound.demo import demo_csv
    from core.lostfound.service import LostFound, make_embedder
    from core.lostfound.store import PostStore
    from core.models.manager import ModelManager
    from core.paths import data_dir

    store = PostStore(data_dir() / "selftest-lostfound.sqlite")
    if store.count() == 0:
        store.import_file(str(demo_csv()))
    with EmbeddingCache() as cache:
        service = LostFound(store, make_embedder(ModelManager("cpu"), cache))
        service.refresh(progress, cancelled)
        first = store.list()[0]
        matches = service.match(first.id)
    if not matches:
        raise RuntimeError("no matches for a demo post")
    return f"{store.count()} posts; best match for #{first.id}: #{matches[0].post_id} ({matches[0].score:.2f})"


def check_fusion(progress: ProgressFn, cancelled: CancelCheck) -> str:
    """One epoch of the fusion model in a spawned child process (freeze_support in a bundle)."""
    import numpy as np

    from core.fusion.data import FusionData
    from core.fusion.train import TrainConfig, train_in_child
    from core.process import run_in_process

    rng = np.random.default_rng(0)
    n = 80
    labels = np.arange(n) % 4
    data = FusionData((rng.normal(0, 1, (n, 7)) + labels[:, None]).astype(np.float32),
                      [f"sample{i}.png" for i in range(n)], labels.astype(np.int64),
                      ("Normal", "Caution", "Warning", "Critical"), [f"s{i}" for i in range(7)])
    vision = (rng.normal(0, 1, (n, 1280)) + labels[:, None]).astype(np.float32)  # EfficientNet-Lite0 width
    cfg = TrainConfig(num_epochs=1, batch_size=16, embedding_dim=32, hidden=32)
    result = run_in_process(train_in_child, (cfg, data, vision, None, "self-test"), progress=progress,
                            cancelled=cancelled)
    return f"1 epoch in a child process: val accuracy {result.val['accuracy']:.2f}"


def check_trends(progress: ProgressFn, cancelled: CancelCheck) -> str:
    """A small SYNTHETIC posts set: labels, leak-free split, embeddings, one epoch of a narrow model."""
    from core.cache import EmbeddingCache
    from core.models.manager import ModelManager
    from core.paths import data_dir
    from core.trends.model import TrendConfig, train_trends
    from core.trends.service import prepare
    from core.trends.synthetic import make_dataset

    csv_path = make_dataset(data_dir() / "selftest-trends", days=480, categories=3, seed=0)
    with EmbeddingCache() as cache:
        prep = prepare(csv_path, ModelManager("cpu"), cache, progress=progress, cancelled=cancelled)
    result = train_trends(prep.tokens, prep.labels, prep.split, TrendConfig(hidden=16, heads=2, epochs=1),
                          cancelled=cancelled)
    return (f"{len(prep.posts)} synthetic posts, {len(prep.split.train)}/{len(prep.split.test)} train/test "
            f"samples, 1 epoch: loss {result.history[0].train_loss:.2f}")


def check_simclr(progress: ProgressFn, cancelled: CancelCheck) -> str:
    """One epoch of Logos' SimCLR training on the demo logos, in a spawned child as the Train tab
    runs it: the shipped backbone, torchvision's v2 augmentations, autograd on CPU, a checkpoint."""
    import math

    from core.logos.settings import TrainSettings
    from core.logos.simclr import train_in_child
    from core.paths import data_dir, resource
    from core.process import run_in_process

    files = sorted(str(p) for p in resource("demo", "logos").iterdir() if p.suffix in (".svg", ".png"))
    settings = TrainSettings(epochs=1, batch_size=8, image_size=64, hidden_dim=64, projection_dim=32)
    result = run_in_process(train_in_child, (files, settings, str(data_dir() / "selftest-simclr"), []),
                            progress=progress, cancelled=cancelled)
    loss = result["history"][-1]["train_loss"] if result["history"] else float("nan")
    if not result["finished"] or not math.isfinite(loss):
        raise RuntimeError(f"SimCLR epoch: finished {result['finished']}, loss {loss}")
    return f"1 epoch on {len(files)} demo logos in a child process: loss {loss:.3f}"


CHECKS: dict[str, Callable[[ProgressFn, CancelCheck], str]] = {
    "torch operators": check_torch_ops,
    "Albums": check_albums,
    "Logos": check_logos,
    "Lost & Found": check_lostfound,
    "Fusion": check_fusion,
    "Trends": check_trends,
    "SimCLR": check_simclr,
}
