"""``python -m core albums ...``"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def cmd_cluster(args) -> int:
    from core.albums.cluster import ClusterSettings
    from core.albums.pipeline import Album, make_models
    from core.albums.store import AlbumStore
    from core.cache import EmbeddingCache
    from core.models.manager import ModelManager
    from core.progress import ProgressBar

    settings = ClusterSettings(min_size=args.min_size, time_weight=args.time_weight, dims=args.dims,
                               image_weight=args.image_weight, reach=args.reach, time_first=not args.no_time_first,
                               time_gap_hours=args.time_gap, jump_km=args.jump_km)  # bad values: before any model
    models = make_models(ModelManager(args.device), args.preset, captions=not args.no_captions)
    for note in models.notes:
        print(note.splitlines()[0], file=sys.stderr)
    with EmbeddingCache() as cache, AlbumStore(args.store or ":memory:") as store:
        album = Album(store, cache, models)
        report = album.add(args.dirs, progress=ProgressBar())
        album.regroup(settings)
        out = album.to_json()
    out["settings"] = settings.__dict__
    out["not_read"] = [{"file": p, "why": m} for p, m in report.skipped]
    for path, msg in report.skipped + report.errors:
        print(f"skipped {path}: {msg}", file=sys.stderr)
    text = json.dumps(out, ensure_ascii=False, indent=2)
    if args.json:
        from core.fileio import atomic_write_text

        atomic_write_text(args.json, text)
        print(f"{len(out['events'])} events, {len(out['unsorted'])} unsorted → {args.json}")
    else:
        print(text)
    return 0


def cmd_add(args) -> int:
    """Add folders to the app's album (or ``--store``) and index them, with count, rate and time
    left; a kill or Ctrl-C half-way loses only the batch in flight (run it again: it goes on).
    New photos are placed into the existing events; ``--regroup`` groups the whole library again."""
    from core.albums.cluster import ClusterSettings
    from core.albums.pipeline import Album, make_models
    from core.albums.store import AlbumStore, default_path
    from core.cache import EmbeddingCache
    from core.models.manager import ModelManager
    from core.progress import ProgressBar

    models = make_models(ModelManager(args.device), args.preset, captions=not args.no_captions)
    with EmbeddingCache() as cache, AlbumStore(args.store or default_path()) as store:
        album = Album(store, cache, models)
        report = album.add(args.dirs, progress=ProgressBar())
        for path, msg in report.skipped + report.errors:
            print(f"skipped {path}: {msg}", file=sys.stderr)
        settings = ClusterSettings(time_gap_hours=args.time_gap)
        grouped = album.regroup(settings) if args.regroup else album.place_new(settings)
        print(report.summary())
        print(grouped.summary() if hasattr(grouped, "summary") else
              f"grouped: {grouped.events} events, {grouped.unsorted} unsorted")
    return 0


def cmd_export(args) -> int:
    from core.albums.pipeline import export_album
    from core.albums.store import AlbumStore, default_path

    with AlbumStore(args.store or default_path()) as store:
        report = export_album(store, args.out, args.mode)
    for path, msg in report["problems"]:
        print(f"not exported {path}: {msg}", file=sys.stderr)
    print(f"{report['exported']} photos → {report['folder']}")
    return 0 if not report["problems"] else 1


def _open_album(args, models, cache, store):
    """The album to search: ``--in`` folders (a throw-away store) or the app's; None if empty."""
    from core.albums.pipeline import Album
    from core.progress import ProgressBar

    album = Album(store, cache, models)
    if args.within:
        report = album.add(args.within, progress=ProgressBar())
    elif not store.folders():
        print("The album is empty: add folders in the app, or pass --in DIR…", file=sys.stderr)
        return None
    else:
        report = album.index(progress=ProgressBar())
    for path, why in report.errors:  # left out of the look-up, each said by name
        print(f"skipped {path}: {why}", file=sys.stderr)
    return album


def _print_hits(args, found) -> None:
    """What passed the cut, in the page's units ('beats 99.7%' of unrelated pairs, then the raw
    cosine); how many were left below goes to stderr (--json keeps stdout to the hits)."""
    from core.albums.relevance import beats_text

    if args.json:
        print(json.dumps(found.to_json(), ensure_ascii=False, indent=1))
    else:
        for rank, (p, raw, share) in enumerate(found.hits, 1):
            print(f"{rank:3d}  {beats_text(share):<13} raw {raw:.3f}  {p}")
    print(found.summary(), file=sys.stderr)


def _on_album(args, find):
    """``find(album)`` on the album the arguments name (``--in`` folders or the app's):
    (exit code, result); errors are printed, naming what is wrong."""
    from core.albums.pipeline import make_models
    from core.albums.store import AlbumStore, default_path
    from core.cache import EmbeddingCache
    from core.models.manager import ModelManager

    models = make_models(ModelManager(args.device), args.preset, captions=False)
    with EmbeddingCache() as cache, AlbumStore(":memory:" if args.within else args.store or default_path()) as store:
        album = _open_album(args, models, cache, store)
        if album is None:
            return 2, None
        try:
            return 0, find(album)
        except (ValueError, RuntimeError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2, None


def _search_cmd(args, find) -> int:
    code, hits = _on_album(args, find)
    if not code:
        _print_hits(args, hits)
    return code


def cmd_similar(args) -> int:
    """The photos nearest one photo, across the app's album (or across ``--in`` folders)."""
    from core.albums.relevance import similar_found

    return _search_cmd(args, lambda album: similar_found(album.search_index(), args.photo, args.k,
                                                         album.models.image, args.cut / 100))


def cmd_search(args) -> int:
    """Photos matching words, across the app's album (or across ``--in`` folders)."""
    query = " ".join(args.words)

    def find(album):
        from core.albums.pipeline import widened_note
        from core.albums.relevance import words_found

        hits, kind = words_found(album, query, args.k, args.cut / 100)
        if kind:  # stderr: --json keeps stdout to the hits
            print(f"also {widened_note(kind)}", file=sys.stderr)
        return hits

    return _search_cmd(args, find)


def cmd_why(args) -> int:
    """Why a photo is in its event (or unsorted): its time segment, its nearest photos, the margin."""
    from core.albums.cluster import ClusterSettings
    from core.albums.explain import explain_photo

    def find(album):
        if args.within:  # a throw-away album: group it first, as the app would
            album.regroup(ClusterSettings(time_gap_hours=args.time_gap))
        want = Path(args.photo).resolve()
        photo = next((p for p in album.store.photos("all") if Path(p.path).resolve() == want), None)
        if photo is None:
            raise ValueError(f"{args.photo} is not in the album")
        return explain_photo(album.store, photo.id, album.search_index().vector, args.time_gap)

    code, lines = _on_album(args, find)
    if not code:
        print(json.dumps({"photo": args.photo, "why": lines}, ensure_ascii=False, indent=1) if args.json
              else "\n".join(lines))
    return code


def cmd_duplicates(args) -> int:
    """Duplicates and bursts with a suggested keeper; ``--move-to`` moves the others (never deletes)."""
    from core.albums.duplicates import move_others

    code, groups = _on_album(args, lambda album: album.duplicates())
    if code:
        return code
    moved = {}
    if args.move_to:
        for g in groups:
            moved.update(zip([p for p in g.paths if p != g.keeper], move_others(g, args.move_to), strict=True))
    out = [{"kind": g.kind, "keep": g.keeper, "why": g.why, "photos": g.paths,
            **({"moved": {p: moved[p] for p in g.paths if p in moved}} if moved else {})} for g in groups]
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=1))
    else:
        for g in out:
            print(f"{g['kind']}: keep {g['keep']} ({g['why']})")
            for p in g["photos"]:
                if p != g["keep"]:
                    print(f"    {p}" + (f" -> {moved[p]}" if p in moved else ""))
        print(f"{len(out)} groups" + (f"; {len(moved)} photos moved to {args.move_to}" if moved else ""))
    return 0


def cmd_kinds(args) -> int:
    """The event kinds learned from the names the user gave events (``core.albums.kinds``): list, or forget."""
    from core.albums.kinds import KindStore, default_path

    if args.kinds_action == "forget" and not (args.all or args.kind):
        print("error: name the kind to forget, or --all", file=sys.stderr)
        return 2
    if not default_path().exists():
        print("No kinds learned yet: rename an event in Albums and group again.", file=sys.stderr)
        return 0 if args.kinds_action == "list" else 1
    with KindStore() as kinds:
        if args.kinds_action == "forget":
            n = kinds.forget(None if args.all else args.kind)
            what = "every kind" if args.all else f"'{args.kind}'"
            print(f"Forgot {what}: {n} named event{'s' if n != 1 else ''}" if n else
                  f"No kind '{args.kind}' is learned (albums kinds list)")
            return 0 if n or args.all else 1
        rows = kinds.kinds()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    for r in [] if args.json else rows:
        print(f"{r['kind']}: {r['photos']} example photos from " + ", ".join(f"'{n}'" for n in r["named"]))
    return 0


def cmd_events(args) -> int:
    """The album's events with their photo counts: largest first as the page lists them, or
    ``--by-date`` in the order they happened with each one's dates; ``--months``: photos per month."""
    from core.albums.store import AlbumStore, default_path
    from core.albums.timeline import events_by_date, month_label, photos_text, timeline

    path = Path(args.store) if args.store else default_path()
    if not path.exists():
        print(f"No album at {path}: add folders in the app or with albums add.", file=sys.stderr)
        return 1
    with AlbumStore(path) as store:
        if args.months:
            line = timeline(store)
            if args.json:
                print(json.dumps({"months": [m.__dict__ for m in line.months], "no_date": line.no_date},
                                 indent=1))
            else:
                for m in line.months:
                    print(f"{month_label(m.year, m.month):<16} {m.count:>8,}")
                print(f"{'No date':<16} {line.no_date:>8,}\n{photos_text(line.total)} in "
                      f"{len(line.months)} months")
            return 0
        spans = events_by_date(store)
    if not args.by_date:
        spans.sort(key=lambda s: (-s.count, s.id))
    if args.json:
        print(json.dumps([{**s.__dict__, "dates": s.dates_text()} for s in spans], ensure_ascii=False, indent=1))
    else:
        for s in spans:
            print(f"{s.count:>7,}  {s.dates_text():<28} {s.name or f'Event {s.id}'}")
        print(f"{len(spans):,} events")
    return 0


def _album_options(p, preset_help: str = "image model (the album's, for cached vectors)") -> None:
    """The options every look-up in an album shares: where, which store, model, output."""
    p.add_argument("--in", dest="within", nargs="+", metavar="DIR",
                   help="look in these folders (default: the app's album)")
    p.add_argument("--store", help="the album's SQLite file (default: the app's)")
    p.add_argument("--preset", default="effnet-lite0", help=preset_help)
    p.add_argument("--json", action="store_true")
    p.add_argument("--device", default="auto")


def register(sub) -> None:
    from core.albums.relevance import CUT

    albums = sub.add_parser("albums", help="photo folders grouped into events").add_subparsers(
        dest="action", required=True)
    p = albums.add_parser("cluster", help="group the photos in folders into events")
    p.add_argument("dirs", nargs="+", help="photo folders (scanned recursively) or single photos")
    p.add_argument("--json", help="write the result here (default: print it)")
    p.add_argument("--min-size", type=int, default=None, help="smallest event (default: 2%% of the photos, at least 8; a fifth of a small album)")
    p.add_argument("--time-weight", type=float, default=0.0,
                   help="content stage: how much capture-time gaps count (0 = not)")
    p.add_argument("--time-gap", type=float, default=6.0,
                   help="hours between two photos that start a new event (time and place first; default 6)")
    p.add_argument("--jump-km", type=float, default=50.0,
                   help="a move of more than this between two photos with GPS starts a new event (default 50)")
    p.add_argument("--no-time-first", action="store_true",
                   help="group by content alone, ignoring capture-time segments")
    p.add_argument("--image-weight", type=float, default=1.0,
                   help="image vs caption/note vectors (1 = image only)")
    p.add_argument("--reach", type=float, default=1.0,
                   help="a photo HDBSCAN leaves out joins an event when it lies within this many times the "
                        "event's extent (1 = no further out than its members; higher = fewer unsorted)")
    p.add_argument("--dims", type=int, default=None,
                   help="PCA dimensions (default: with --min-size unset too, the events 8 / 16 / 32 dimensions × 3 sizes agree on; else 16)")
    p.add_argument("--preset", default="effnet-lite0", help="image model (effnet-lite0 offline, clip-vit-b32, …)")
    p.add_argument("--no-captions", action="store_true", help="do not caption with CoCa even when it is there")
    p.add_argument("--store", help="keep the album in this SQLite file (default: a throw-away one)")
    p.add_argument("--device", default="auto")
    p.set_defaults(func=cmd_cluster)
    p = albums.add_parser("add", help="add folders to the album and index them (safe to stop and run again); "
                                      "new photos join the existing events")
    p.add_argument("dirs", nargs="+", help="photo folders (scanned recursively) or single photos to add")
    p.add_argument("--regroup", action="store_true", help="group the whole library again (default: place the new photos)")
    p.add_argument("--time-gap", type=float, default=6.0, help="hours between two photos that start a new event (default 6)")
    p.add_argument("--store", help="the album's SQLite file (default: the app's)")
    p.add_argument("--preset", default="effnet-lite0", help="image model (effnet-lite0 offline, clip-vit-b32, …)")
    p.add_argument("--no-captions", action="store_true", help="do not caption with CoCa even when it is there")
    p.add_argument("--device", default="auto")
    p.set_defaults(func=cmd_add)
    p = albums.add_parser("export", help="one folder per event, plus events.json and photos.csv")
    p.add_argument("out", help="the folder to export into (existing files are never overwritten)")
    p.add_argument("--mode", choices=("copy", "link"), default="copy",
                   help="copy the photos, or link to them (a copy where links are not allowed; default copy)")
    p.add_argument("--store", help="the album's SQLite file (default: the app's)")
    p.set_defaults(func=cmd_export)
    p = albums.add_parser("similar", help="the photos nearest one photo (image embeddings), best first")
    p.add_argument("photo", help="a photo of the album, or any photo file (embedded first)")
    p.add_argument("-k", type=int, default=20, help="at most this many photos (default 20)")
    p.add_argument("--cut", type=float, default=CUT * 100, metavar="PERCENT",
                   help="show only photos more alike than this %% of unrelated pairs of the album "
                        "(default %(default)g; 0 shows the best k whatever their score)")
    _album_options(p)
    p.set_defaults(func=cmd_similar)
    p = albums.add_parser("search", help="photos matching words (\"beach\", \"생일 케이크\"): their notes, "
                                         "captions and tags in a multilingual sentence space, or CLIP")
    p.add_argument("words", nargs="+", help="the words to look for, in any language the models read")
    p.add_argument("-k", type=int, default=20, help="at most this many photos (default 20)")
    p.add_argument("--cut", type=float, default=CUT * 100, metavar="PERCENT",
                   help="show only photos more alike than this %% of unrelated pairs of the album "
                        "(default %(default)g; 0 shows the best k whatever their score)")
    _album_options(p, "image model (clip-…: CLIP text-image search)")
    p.set_defaults(func=cmd_search)
    p = albums.add_parser("why", help="why a photo is in its event: its time segment, nearest photos, margin")
    p.add_argument("photo", help="a photo of the album")
    p.add_argument("--time-gap", type=float, default=6.0, help="the grouping's time gap in hours (default 6)")
    _album_options(p)
    p.set_defaults(func=cmd_why)
    p = albums.add_parser("duplicates", help="the same shot saved again, and bursts: groups with a suggested "
                                             "keeper (nothing is deleted)")
    p.add_argument("--move-to", metavar="DIR", help="move every photo but the keeper of each group here")
    _album_options(p)
    p.set_defaults(func=cmd_duplicates)
    p = albums.add_parser("events", help="the album's events with their photo counts (largest first, or "
                                         "--by-date with their dates), or --months: photos per month")
    p.add_argument("--by-date", action="store_true", help="in the order they happened, with each one's dates")
    p.add_argument("--months", action="store_true",
                   help="photos per month of capture (the page's timeline), and those with no date")
    p.add_argument("--store", help="the album's SQLite file (default: the app's)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_events)
    p = albums.add_parser("kinds", help="event kinds learned from the names you gave events: list, or forget one or all")
    p.add_argument("kinds_action", choices=("list", "forget"), help="list the learned kinds, or forget one (or --all)")
    p.add_argument("kind", nargs="?", help="the kind to forget (as listed)")
    p.add_argument("--all", action="store_true", help="forget every learned kind")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_kinds)
