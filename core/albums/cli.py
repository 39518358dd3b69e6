"""``python -m core albums ...``"""

from __future__ import annotations

import json
import sys


def cmd_cluster(args) -> int:
    from core.albums.cluster import ClusterSettings
    from core.albums.pipeline import group_events, index_photos
    from core.cache import EmbeddingCache
    from core.cli import _Bar
    from core.models.manager import ModelManager

    encoder = ModelManager(args.device).get(args.preset)
    with EmbeddingCache() as cache:
        index = index_photos(args.dirs, encoder, cache, progress=_Bar())
    settings = ClusterSettings(min_size=args.min_size, time_weight=args.time_weight, dims=args.dims)
    events, unsorted = group_events(index, settings)
    for path, msg in index.errors:
        print(f"skipped {path}: {msg}", file=sys.stderr)
    out = {"events": [e.to_dict() for e in events], "unsorted": unsorted, "model": index.model,
           "settings": settings.__dict__, "skipped": [{"file": p, "error": m} for p, m in index.errors]}
    text = json.dumps(out, ensure_ascii=False, indent=2)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            fh.write(text)
        print(f"{len(events)} events, {len(unsorted)} unsorted → {args.json}")
    else:
        print(text)
    return 0


def register(sub) -> None:
    albums = sub.add_parser("albums", help="photo folders grouped into events").add_subparsers(
        dest="action", required=True)
    p = albums.add_parser("cluster", help="group the photos in folders into events")
    p.add_argument("dirs", nargs="+")
    p.add_argument("--json", help="write the result here (default: print it)")
    p.add_argument("--min-size", type=int, default=None, help="smallest event (default: 2%% of the photos, at least 8)")
    p.add_argument("--time-weight", type=float, default=0.0, help="how much capture-time gaps count (0 = not)")
    p.add_argument("--dims", type=int, default=16)
    p.add_argument("--preset", default="effnet-lite0")
    p.add_argument("--device", default="auto")
    p.set_defaults(func=cmd_cluster)
