"""``python -m core logos ...``"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _manager(args):
    from core.models.manager import ModelManager

    return ModelManager(args.device, tiny=getattr(args, "tiny", False))


def cmd_index(args) -> int:
    from core.cache import EmbeddingCache
    from core.logos.index import build_index
    from core.logos.service import load_encoder
    from core.progress import ProgressBar

    ray_device, args.device = args.device, ("cpu" if args.ray is not None else args.device)
    encoder = load_encoder(_manager(args), args.model)
    if args.ray is not None:  # fill the cache on Ray first; the index then reads every vector from it
        from functools import partial

        from core.cluster import embed_on_ray, ray_session
        from core.logos.images import list_logos, load_logo, load_logo_part
        from core.logos.index import NAMESPACE, PART_NAMESPACE, wide_logos

        files = [str(f) for f in list_logos(args.dir)]
        if files:  # none: build_index says so below
            with EmbeddingCache() as cache, ray_session(args.ray or None):
                options = {"progress": ProgressBar(), "device": ray_device, "workers": args.workers,
                           "encoder": encoder, "load_encoder": load_encoder, "address": args.ray or None}
                embed_on_ray(files, args.model, cache, loader=partial(load_logo, size=encoder.logo_size),
                             namespace=NAMESPACE, **options)
                wide = wide_logos(files, cache)  # the wordmarks' icons, on Ray too
                if wide:
                    embed_on_ray(wide, args.model, cache, loader=partial(load_logo_part, size=encoder.logo_size),
                                 namespace=PART_NAMESPACE, **options)
    from core.logos.images import use_render_processes

    use_render_processes()  # as the app: SVGs drawn in two children (resvg holds the GIL; +10% here)
    with EmbeddingCache() as cache:
        index, errors = build_index(args.dir, encoder, cache, progress=ProgressBar())
    index.save(args.out)
    for path, msg in errors:
        print(f"skipped {path}: {msg}", file=sys.stderr)
    print(f"{len(index)} logos indexed with {encoder.describe()['preset']} → {args.out}")
    return 0


def cmd_query(args) -> int:
    from core.logos.index import LogoIndex, stale_model
    from core.logos.query import onnx_query_vector

    index = LogoIndex.load(args.index)
    model = index.meta.get("model", {})
    vector = index.vector_of(str(Path(args.image))) if not args.reencode else None
    part = index.part_of(str(Path(args.image))) if vector is not None else None
    if vector is None and (why := stale_model(index.meta)):
        print(f"{args.index}: {why}. A new logo cannot be compared with it: index the folder again "
              f"('python -m core logos index {index.meta.get('folder', 'DIR')} --out {args.index}'; "
              "a few seconds per hundred logos).", file=sys.stderr)
        return 2
    if vector is None and args.device in ("auto", "cpu") and not getattr(args, "tiny", False):
        got = onnx_query_vector(args.image, model, part=True)  # no torch: ~1 s from the shell
        if got is not None:
            vector, part = got
    if vector is None:  # no export for this model yet: torch, which makes one for the next query
        from core.logos.index import embed_query
        from core.logos.service import load_encoder

        choice = model.get("checkpoint") or model.get("preset") or "effnet-lite0"
        vector, part = embed_query(args.image, load_encoder(_manager(args), choice), part=True)
    hits = index.search(vector, args.k, args.threshold, exclude=None if args.keep_self else str(Path(args.image)),
                        exact=args.exact, query_part=part)
    if args.json:
        print(json.dumps([{"file": h.file, "score": round(h.score, 6), **({"via": h.via} if h.via else {})}
                          for h in hits], ensure_ascii=False, indent=1))
    else:
        for h in hits:
            print(f"{h.rank:3d}  {h.score:.3f}  {h.file}" + (f"  (by {h.via})" if h.via else ""))
    return 0


def cmd_dedup(args) -> int:
    from core.cache import EmbeddingCache
    from core.logos.dedup import duplicate_groups, phashes
    from core.logos.images import scan_logos

    found, skipped = scan_logos(args.dir)
    files = [str(f) for f in found]
    with EmbeddingCache() as cache:
        bits, ok, errors = phashes(files, cache)
    errors = skipped + list(errors)
    groups = duplicate_groups(bits, ok, args.threshold)
    for path, msg in errors:
        print(f"skipped {path}: {msg}", file=sys.stderr)
    if args.json:
        print(json.dumps([{"keep": g.keep, "files": g.files, "distances": g.distances} for g in groups],
                         ensure_ascii=False, indent=1))
    else:
        for g in groups:
            print(f"keep {g.keep}")
            for f, d in zip(g.files, g.distances, strict=True):
                if f != g.keep:
                    print(f"   {d:2d} bits  {f}")
        print(f"{len(groups)} groups of near-duplicates among {len(ok)} logos (threshold {args.threshold} bits)")
    return 0


def cmd_train(args) -> int:
    from dataclasses import asdict

    from core.cache import EmbeddingCache
    from core.logos.dedup import duplicate_groups, phashes
    from core.logos.images import scan_logos
    from core.logos.settings import TrainSettings
    from core.logos.simclr import train_simclr
    from core.progress import ProgressBar

    manager = _manager(args)
    found, skipped = scan_logos(args.dir)
    for path, msg in skipped:
        print(f"skipped {path}: {msg}", file=sys.stderr)
    files = [str(f) for f in found]
    if len(files) < 2:
        raise FileNotFoundError(f"training needs at least 2 logos; {args.dir} has {len(files)}")
    with EmbeddingCache() as cache:
        bits, ok, unread = phashes(files, cache)
    for path, msg in unread:
        print(f"skipped {path}: {msg}", file=sys.stderr)
    groups = [[ok.index(f) for f in g.files] for g in duplicate_groups(bits, ok)]
    settings = TrainSettings(epochs=args.epochs, batch_size=args.batch_size, image_size=args.image_size,
                             temperature=args.temperature, threshold=args.threshold,
                             negative_weight=args.negative_weight, lr=args.lr, backbone=args.backbone,
                             device=manager.device.torch_device)
    from core.logos.simclr import features_backbone

    backbone = features_backbone(manager.get(args.backbone).model).to(settings.device)
    out = Path(args.out)
    run_dir = out.parent if out.suffix == ".pt" else out
    state = train_simclr(ok, settings, backbone, run_dir, groups, resume=args.resume, progress=ProgressBar(),
                         on_epoch=lambda e: print(f"epoch {e.epoch}: train {e.train_loss:.4f} val {e.val_loss:.4f}",
                                                          file=sys.stderr))
    ck = run_dir / "checkpoint.pt"
    if out.suffix == ".pt" and out != ck:
        ck.replace(out)
        ck = out
    print(json.dumps({"checkpoint": str(ck), "settings": asdict(settings),
                      "history": [asdict(h) for h in state.history]}, indent=1))
    return 0


def register(sub) -> None:
    logos = sub.add_parser("logos", help="logo index, look-up, duplicates, SimCLR training").add_subparsers(
        dest="action", required=True)
    p = logos.add_parser("index", help="embed every logo in a folder and save the index")
    p.add_argument("dir", help="a folder of logo images (scanned recursively)")
    p.add_argument("--out", required=True, help="index folder (combined_featuremap.npy + file names)")
    p.add_argument("--model", default="simscope-logo",
                   help="a preset (simscope-logo: the shipped logo model; effnet-lite0; swin-t) or a trained checkpoint.pt")
    from core.cluster import add_ray_arguments

    add_ray_arguments(p)
    p.set_defaults(func=cmd_index)
    p = logos.add_parser("query", help="top-k look-alikes of a logo")
    p.add_argument("image", help="the logo to look up (any image file)")
    p.add_argument("--index", required=True, help="an index folder written by logos index")
    p.add_argument("-k", type=int, default=10, help="how many look-alikes (default 10)")
    p.add_argument("--threshold", type=float, default=-1.0, help="only hits with at least this cosine score")
    p.add_argument("--json", action="store_true")
    p.add_argument("--keep-self", action="store_true", help="list the query itself when it is in the index")
    p.add_argument("--reencode", action="store_true", help="embed the query even when it is in the index")
    p.add_argument("--exact", action="store_true",
                   help="scan every vector (large indexes answer from an HNSW graph otherwise)")
    p.set_defaults(func=cmd_query)
    p = logos.add_parser("dedup", help="near-duplicate groups by perceptual hash")
    p.add_argument("dir", help="a folder of logo images (scanned recursively)")
    p.add_argument("--threshold", type=int, default=4, help="hash bits that may differ (0-64)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_dedup)
    p = logos.add_parser("train", help="train SimCLR on a folder of logos")
    p.add_argument("dir", help="a folder of logo images (scanned recursively; no labels needed)")
    p.add_argument("--out", required=True, help="checkpoint file (.pt) or run folder")
    p.add_argument("--epochs", type=int, default=10, help="passes over the logos (default 10)")
    p.add_argument("--batch-size", type=int, default=32, help="logos per step; each brings two views (default 32)")
    p.add_argument("--image-size", type=int, default=224, help="the views' side in pixels (default 224)")
    p.add_argument("--temperature", type=float, default=0.5, help="the contrastive loss's temperature (default 0.5)")
    p.add_argument("--threshold", type=float, default=0.9, help="re-weight negatives above this cosine")
    p.add_argument("--negative-weight", type=float, default=0.7,
                   help="the weight of negatives above --threshold: look-alikes of other brands (default 0.7)")
    p.add_argument("--lr", type=float, default=3e-4, help="learning rate (default 0.0003)")
    p.add_argument("--backbone", default="simscope-logo",
                   help="simscope-logo (the shipped logo model, the default), effnet-lite0 (ImageNet) or swin-t (needs its weights: models import)")
    p.add_argument("--resume", help="a checkpoint.pt to continue from")
    p.add_argument("--tiny", action="store_true", help=argparse_hidden())
    p.set_defaults(func=cmd_train)
    for action in ("index", "query", "train"):
        logos.choices[action].add_argument("--device", default="auto")


def argparse_hidden():
    import argparse

    return argparse.SUPPRESS
