"""The headless CLI: ``python -m core ...``. It calls the same core functions as the GUI."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from pathlib import Path

from core.errors import describe_error
from core.jobs import Cancelled
from core.progress import ProgressBar


def _print(obj, as_json: bool) -> None:
    if as_json:
        print(json.dumps(obj, indent=2, ensure_ascii=False))
    else:
        for row in obj if isinstance(obj, list) else [obj]:
            print("  ".join(f"{k}={v}" for k, v in row.items()) if isinstance(row, dict) else row)


def cmd_models_list(args) -> int:
    from core.models.registry import PRESETS, preset_status

    rows = []
    for p in PRESETS.values():
        st = preset_status(p)
        rows.append({
            "name": p.name, "title": p.title, "task": p.task, "dim": p.dim,
            "status": st.summary, "available": st.available, "location": st.location,
        })
    if args.json:
        _print(rows, True)
    else:
        for r in rows:
            print(f"{r['name']:<24} {r['status']:<18} {r['task']:<11} {r['title']}")
    return 0


def cmd_models_status(args) -> int:
    from core.models.registry import preset_status

    st = preset_status(args.name)
    _print({"name": st.preset.name, "available": st.available, "source": st.source,
            "location": st.location, "how_to_get": st.preset.how_to_get}, args.json)
    return 0 if st.available else 1


def cmd_models_download(args) -> int:
    from core.models.download import download

    print(download(args.name, progress=ProgressBar()))
    return 0


def cmd_models_import(args) -> int:
    from core.models.weights import import_weights

    print(f"imported: {import_weights(args.name, args.path)}")
    return 0


def cmd_device(args) -> int:
    from core.device import available_devices, resolve_device

    chosen = resolve_device(args.prefer)
    rows = [{"kind": d.kind, "device": d.torch_device, "name": d.name, "chosen": d == chosen}
            for d in available_devices()]
    _print(rows, args.json)
    return 0


def cmd_cache_stats(args) -> int:
    from core.cache import EmbeddingCache

    with EmbeddingCache() as cache:
        _print(cache.stats(), args.json)
    return 0


def cmd_backup(args) -> int:
    from core.backup import backup

    report = backup(args.dest, progress=ProgressBar())
    if args.json:
        _print({"folder": str(report.folder), "files": report.files, "bytes": report.bytes,
                "stores": report.stores, "notes": report.notes}, True)
    else:
        print(report.summary())
    return 0


def cmd_restore(args) -> int:
    from core.restore import restore_backup

    report = restore_backup(args.backup, progress=ProgressBar(), locked=True)  # main holds the folder's lock
    if args.json:
        _print({"backup": str(report.backup), "taken": report.taken, "files": report.files,
                "replaced": str(report.aside) if report.aside else None}, True)
    else:
        print(report.summary())
    return 0


def cmd_cache_clear(args) -> int:
    from core.cache import EmbeddingCache

    with EmbeddingCache() as cache:
        cache.clear(args.preset or None)
    return 0


def cmd_embed(args) -> int:
    from core.cache import EmbeddingCache
    from core.embed import embed_image_files
    from core.images import scan_images
    from core.models.manager import ModelManager

    files, skipped = scan_images(args.paths)
    for path, why in skipped:
        print(f"skipped {path}: {why}", file=sys.stderr)
    if not files:
        print(f"error: no images found in {', '.join(args.paths)}", file=sys.stderr)
        return 2
    encoder = ModelManager("cpu" if args.ray is not None else args.device).get(args.preset)
    if args.ray is not None:  # the cluster extra; imported only when asked for
        from core.cluster import embed_on_ray

        with EmbeddingCache() as cache:
            ray_res = embed_on_ray(files, args.preset, cache, address=args.ray or None, progress=ProgressBar(),
                                   device=args.device, workers=args.workers, encoder=encoder)
    with EmbeddingCache() as cache:  # after Ray: every vector is in the cache, nothing is computed here
        res = embed_image_files(files, encoder, cache, progress=ProgressBar(), batch_size=args.batch_size)
    report = {"preset": res.preset, "weights": res.weights, "device": encoder.device,
              "embedded": len(res.paths), "computed": res.computed, "reused": res.reused,
              "errors": [{"file": f, "error": e} for f, e in skipped + res.errors]}
    if args.ray is not None:
        report.update(device="Ray", computed=ray_res.computed, reused=ray_res.reused,
                      computed_locally=res.computed)
    if args.out:
        import numpy as np

        np.save(args.out, res.vectors)
        report["vectors"] = args.out
    _print(report, args.json)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="Simscope, headless.")
    sub = parser.add_subparsers(dest="command", required=True)

    models = sub.add_parser("models", help="model presets and their weights").add_subparsers(
        dest="action", required=True)
    p = models.add_parser("list", help="every preset and whether its weights are here")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_models_list)
    p = models.add_parser("status", help="one preset; exit 1 when its weights are missing")
    p.add_argument("name", help="the preset (python -m core models list shows them)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_models_status)
    p = models.add_parser("download", help="fetch a preset's weights (needs internet)")
    p.add_argument("name", help="the preset (python -m core models list shows them)")
    p.set_defaults(func=cmd_models_download)
    p = models.add_parser("import", help="use a weights file (or model folder) you have")
    p.add_argument("name", help="the preset the weights are for (python -m core models list shows them)")
    p.add_argument("path", help="the weights file (.safetensors, .bin, .pt) or the model's folder")
    p.set_defaults(func=cmd_models_import)

    p = sub.add_parser("device", help="compute devices torch can use here")
    p.add_argument("--prefer", default="auto", choices=["auto", "cuda", "mps", "cpu"],
                   help="the device to report as chosen (default auto: CUDA, then MPS, then CPU)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_device)

    cache = sub.add_parser("cache", help="the embedding cache").add_subparsers(dest="action", required=True)
    p = cache.add_parser("stats", help="how many vectors per preset, and the cache's size")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_cache_stats)
    p = cache.add_parser("clear", help="drop cached vectors (they are computed again when needed)")
    p.add_argument("--preset", action="append", help="only this preset's vectors (repeat for more; default: all)")
    p.set_defaults(func=cmd_cache_clear)

    p = sub.add_parser("backup", help="a whole copy of your data (stores, photos, trained models, settings) "
                       "in DEST/simscope-backup-<date>, taken safely while the app runs")
    p.add_argument("dest", help="the folder to write the backup into (outside the data folder)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="put a backup in place of your data (with the app closed); what it "
                       "replaces is moved to replaced-<date>/ in the data folder, nothing is deleted")
    p.add_argument("backup", help="a simscope-backup-<date> folder written by backup")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("embed", help="embed the images in files/folders into the cache")
    p.add_argument("paths", nargs="+", help="image files and folders (scanned recursively)")
    p.add_argument("--preset", default="effnet-lite0", help="image model (default effnet-lite0, offline)")
    p.add_argument("--device", default="auto", choices=["auto", "cuda", "mps", "cpu"], help=DEVICE_HELP)
    p.add_argument("--batch-size", type=int, default=32, help="images per batch (default 32)")
    p.add_argument("--out", help="also save the vectors as .npy")
    p.add_argument("--json", action="store_true")
    from core.cluster import add_ray_arguments

    add_ray_arguments(p)
    p.set_defaults(func=cmd_embed)

    from core.lostfound.cli import register as register_lostfound

    register_lostfound(sub)
    from core.fusion.cli import register as register_fusion

    register_fusion(sub)
    from core.albums.cli import register as register_albums

    register_albums(sub)
    from core.logos.cli import register as register_logos

    register_logos(sub)
    from core.trends.cli import register as register_trends

    register_trends(sub)
    _common_help(parser)
    return parser


JSON_HELP = "print the result as JSON (for scripts) instead of text"
DEVICE_HELP = "where models run: auto (CUDA, then MPS, then CPU), cuda, mps or cpu (default auto)"


def _common_help(parser: argparse.ArgumentParser) -> None:
    """--json and --device mean the same in every command: one help text each where a command
    gives none of its own (tests/test_cli_texts.py checks every option has one)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _common_help(sub)
        elif not action.help and action.dest in ("json", "device"):
            action.help = JSON_HELP if action.dest == "json" else DEVICE_HELP


def _crash_report(exc: BaseException) -> str:
    import tempfile
    import traceback

    from core.paths import log_dir

    text = (f"python -m core {' '.join(sys.argv[1:])}\n\n"
            + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    name = time.strftime("cli-crash-%Y%m%d-%H%M%S.txt")
    failed = []
    for folder in (log_dir, lambda: Path(tempfile.gettempdir())):  # the log's disk may be the full one
        path = None
        try:
            path = folder() / name
            path.write_text(text, encoding="utf-8")
            return str(path)
        except OSError as err:
            failed.append(f"{path or 'its folder'}: {err.strerror or err}")
    return f"no file (it could not be written: {'; '.join(failed)})"


# Commands that write a user's store: each holds the data folder's lock (core.folderlock), so two
# at once run one after the other and none runs under the app. The embedding cache is derived
# data written in short transactions, and a backup reads through SQLite's backup API: no lock.
WRITERS = {"lostfound import", "lostfound demo", "cache clear", "restore", "models import",
           "models download", "albums cluster", "albums add", "albums kinds", "albums duplicates"}


def _writer_lock(args):
    import contextlib

    command = " ".join(x for x in (args.command, getattr(args, "action", None)) if x)
    if (command not in WRITERS or (command == "albums cluster" and not getattr(args, "store", None))
            or (command == "albums duplicates" and not getattr(args, "move_to", None))
            or (command == "albums kinds" and getattr(args, "kinds_action", None) == "list")):
        return contextlib.nullcontext()  # reads only
    from core.folderlock import hold_data_dir

    return hold_data_dir(" ".join(sys.argv[1:]) or command, say=lambda text: print(text, file=sys.stderr))


def say_data_folder() -> None:
    """One line on stderr naming the data folder the command works on (the app's by default;
    SIMSCOPE_DATA_DIR picks another), so a user never wonders where their data went."""
    from core.paths import ENV_DATA_DIR, data_dir

    how = f"from {ENV_DATA_DIR}" if os.environ.get(ENV_DATA_DIR) else "the app's default; SIMSCOPE_DATA_DIR picks another"
    print(f"data folder: {data_dir()} ({how})", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    from core.images import ImageError
    from core.models.registry import ModelUnavailable
    from core.paths import private_files

    args = build_parser().parse_args(argv)
    private_files()  # stores, photos, backups and exports: this user's only (0600 / 0700)
    say_data_folder()
    try:
        with _writer_lock(args):
            return args.func(args)
    except sqlite3.Error as exc:  # a full or read-only disk, a store held by another program: one line
        from core.database import describe_sqlite_error

        print(f"error: {describe_sqlite_error(exc)}", file=sys.stderr)
        return 2
    except ModelUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except (KeyError, ValueError, OSError, RuntimeError, ImageError) as exc:
        print(f"error: {describe_error(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: one line here, the traceback in a report
        report = _crash_report(exc)
        print(f"error: unexpected {type(exc).__name__}: {exc}. This is a bug in Simscope; the details "
              f"are in {report}", file=sys.stderr)
        return 70
    except Cancelled:
        print("cancelled", file=sys.stderr)
        return 130
