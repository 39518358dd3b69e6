"""``python -m core lostfound ...``"""

from __future__ import annotations

import json
import sys


def _service(args):
    from core.cache import EmbeddingCache
    from core.lostfound.service import LostFound, make_embedder
    from core.lostfound.store import PostStore
    from core.models.manager import ModelManager

    models = ModelManager(getattr(args, "device", "auto"))
    store = PostStore()
    return LostFound(store, make_embedder(models, EmbeddingCache(), getattr(args, "clip", None)))


def cmd_import(args) -> int:
    from core.lostfound.store import PostStore

    store = PostStore()
    report = store.import_file(args.file)
    for msg in report.messages():
        print(msg, file=sys.stderr)
    out = {"summary": report.summary(), "added": report.added,
           "duplicates": len(report.duplicates), "errors": len(report.errors), "warnings": len(report.warnings)}
    print(json.dumps(out, ensure_ascii=False) if args.json else report.summary())
    return 1 if report.errors else 0  # 1: some rows were not imported (each named above)


def cmd_list(args) -> int:
    from core.lostfound.store import PostStore

    posts = PostStore().list(kind=args.kind)
    if args.json:
        print(json.dumps([p.to_dict() for p in posts], ensure_ascii=False, indent=2))
    else:
        for p in posts:
            photo = "photo" if p.image else "-"
            print(f"#{p.id:<5} {p.kind:<5} {photo:<5} {p.category:<16} {p.description}")
    return 0


def _settings(args):
    from core.lostfound.match import MatchSettings

    return MatchSettings(text_weight=args.text_weight, image_gate=args.image_gate,
                         category_cap=args.category_cap, similar_threshold=args.threshold)


def _refreshed(service):
    """``service`` with every post's vectors made: the first time after an import with a progress
    bar on stderr (count, rate, time left), for 100,000 new posts' texts take minutes."""
    from core.progress import ProgressBar

    service.refresh(progress=ProgressBar())
    return service


def cmd_match(args) -> int:
    service = _service(args)
    try:
        service.store.get(args.post_id)  # an unknown id said plainly, before any embedding
    except KeyError as exc:
        raise KeyError(f"{exc.args[0]} (python -m core lostfound list shows the ids)") from None
    _refreshed(service)
    matches = service.match(args.post_id, _settings(args), args.k)
    if args.json:
        print(json.dumps({"post_id": args.post_id, "models": service.vectors.models,
                          "matches": [m.to_dict() for m in matches]}, ensure_ascii=False, indent=2))
    else:
        for m in matches:
            post = service.store.get(m.post_id)
            mark = "similar" if m.similar else ""
            print(f"#{m.post_id:<5} {m.text():<27} {mark:<8} {post.description}")
    return 0


def cmd_match_all(args) -> int:
    from dataclasses import asdict

    rows = _refreshed(_service(args)).match_all(_settings(args), args.k)
    print(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=2))
    return 0


def cmd_export(args) -> int:
    from core.lostfound.store import PostStore

    print(f"{PostStore().export(args.file)} posts written to {args.file}")
    return 0


def cmd_demo(args) -> int:
    from core.lostfound.demo import load_demo
    from core.lostfound.store import PostStore

    report = load_demo(PostStore())
    print(report.summary())
    return 0


IMPORT_COLUMNS = """\
columns (a CSV header row, or the keys of a JSON list of objects or {"posts": [...]}; UTF-8):
  kind              lost or found (required)
  description       what it is, in any language (a description or a photo is required)
  image             a photo's path, relative to the file's folder (copied into the store)
  category          e.g. 지갑, 우산, wallet (empty: inferred from the description)
  storage_location  where a found item is kept, e.g. 경비실
  status            e.g. 보관중, 분실; 반환됨 / returned / closed close the post
  place             where it was lost or found
  date              when, e.g. 2026-11-01
Other columns are not used (a warning names them). A row with an error is skipped and named by
its line; the other rows are imported. A post already in the store (same kind, texts, place,
date and photo) is counted as a duplicate, not added again.
example:
  kind,image,description,category,storage_location,status,place,date
  lost,wallet.jpg,검은색 반지갑,지갑,,분실,도서관,2026-11-01"""


def register(sub) -> None:
    import argparse

    lf = sub.add_parser("lostfound", help="lost & found posts and their matches").add_subparsers(
        dest="action", required=True)
    p = lf.add_parser("import", help="import posts from CSV or JSON", epilog=IMPORT_COLUMNS,
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", help="a .csv or .json file of posts (columns below)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_import)
    p = lf.add_parser("list", help="the stored posts")
    p.add_argument("--kind", choices=["lost", "found"], help="only lost or only found posts")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_list)
    for name, func, help_ in (("match", cmd_match, "ranked matches for one post"),
                              ("match-all", cmd_match_all, "matches above the line for every open post")):
        p = lf.add_parser(name, help=help_)
        if name == "match":
            p.add_argument("post_id", type=int, help="the post's id (python -m core lostfound list shows the ids)")
        p.add_argument("-k", type=int, default=10 if name == "match" else 3,
                       help="matches per post (default %(default)s)")
        p.add_argument("--text-weight", type=float, default=0.5,
                       help="0..1: the description's share of the score, the photo's is the rest (the page's "
                            "slider; default 0.5)")
        p.add_argument("--image-gate", type=float, default=0.2,
                       help="a photo↔photo score (calibrated) below this sets the match to 0 (default 0.2)")
        p.add_argument("--category-cap", type=float, default=0.1,
                       help="different top-level categories pull the score down to this (default 0.1)")
        p.add_argument("--threshold", type=float, default=0.95,
                       help="the 'similar' line: a match beating this share of unrelated pairs (default 0.95)")
        p.add_argument("--clip", help="a CLIP preset (e.g. clip-xlmr-b32) instead of the offline models")
        p.add_argument("--device", default="auto")
        p.add_argument("--json", action="store_true")
        p.set_defaults(func=func)
    p = lf.add_parser("export", help="write all posts to CSV or JSON (by extension)")
    p.add_argument("file", help="the file to write: .csv or .json (the columns lostfound import reads)")
    p.set_defaults(func=cmd_export)
    p = lf.add_parser("demo", help="add the bundled demo posts")
    p.set_defaults(func=cmd_demo)
