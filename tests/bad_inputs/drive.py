"""Run one importer over the whole bad-input corpus in one process (``python -m core`` is
imported once), each input in a forked child under its own timeout, so a hang is caught and
killed without costing a torch import per input.

    python tests/bad_inputs/drive.py IMPORTER CORPUS_DIR DATA_DIR OUT.json

Writes, per input: the argv, exit status, stdout/stderr, whether it hung, and the store row
counts and ``PRAGMA integrity_check`` before and after. The assertions live in
``tests/test_bad_inputs.py``.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

STORES = {"embeddings.sqlite": "vectors", "lostfound.sqlite": "posts", "albums.sqlite": "photos"}


def store_state(data_dir: Path) -> dict:
    out = {}
    for name, table in STORES.items():
        path = data_dir / name
        if not path.exists():
            continue
        con = sqlite3.connect(path, timeout=30)
        try:
            count = con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # fixed names
            ok = con.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.Error as exc:
            count, ok = -1, str(exc)
        finally:
            con.close()
        out[name] = {"rows": count, "integrity": ok}
    return out


def run_forked(argv: list[str], timeout: float) -> dict:
    """``core.cli.main(argv)`` in a forked child; (rc, stdout, stderr, hung, seconds)."""
    out_f = tempfile.TemporaryFile()
    err_f = tempfile.TemporaryFile()
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: stdout/stderr to files, run, exit with the CLI's status
        try:
            os.dup2(out_f.fileno(), 1)
            os.dup2(err_f.fileno(), 2)
            sys.stdout = os.fdopen(1, "w", encoding="utf-8", errors="surrogateescape", closefd=False)
            sys.stderr = os.fdopen(2, "w", encoding="utf-8", errors="surrogateescape", closefd=False)
            from core.cli import main

            rc = main(argv)
        except SystemExit as exc:  # argparse
            rc = exc.code if isinstance(exc.code, int) else 2
        except BaseException:  # reported as a traceback, which the test refuses
            import traceback

            traceback.print_exc()
            rc = 99
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(rc or 0)
    hung = False
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() - t0 > timeout:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            hung = True
            break
        time.sleep(0.02)
    rc = os.waitstatus_to_exitcode(status)
    res = {"argv": argv, "rc": rc, "hung": hung, "seconds": round(time.monotonic() - t0, 2)}
    for key, f in (("stdout", out_f), ("stderr", err_f)):
        f.seek(0)
        res[key] = f.read().decode("utf-8", "replace")[-20000:]
        f.close()
    return res


def cases(importer: str, corpus: Path, data: Path, expect: dict) -> list[tuple[str, str, list[str], float]]:
    """(input name, expect, argv, timeout) for one importer."""
    images = corpus / "images"
    work = data.parent / "work"
    work.mkdir(exist_ok=True)
    folder = [("images/", "folder", None, 300.0)]
    out = []
    if importer == "embed":
        out = [(n, e, ["embed", str(images), "--json"], t) for n, e, _, t in folder]
    elif importer == "albums cluster":
        out = [(n, e, ["albums", "cluster", str(images), "--json", str(work / "album.json"),
                       "--store", str(data / "albums.sqlite")], t) for n, e, _, t in folder]
    elif importer == "logos index":
        out = [(n, e, ["logos", "index", str(images), "--out", str(work / "index")], t) for n, e, _, t in folder]
    elif importer == "logos dedup":
        out = [(n, e, ["logos", "dedup", str(images), "--json"], t) for n, e, _, t in folder]
    elif importer == "logos train":
        out = [(n, e, ["logos", "train", str(images), "--epochs", "1", "--batch-size", "8", "--image-size", "64",
                       "--backbone", "effnet-lite0", "--out", str(work / "run")], t) for n, e, _, t in folder]
    elif importer == "logos query":
        index = str(work / "demo-index")
        out = [("(build the index)", "ok", ["logos", "index", str(Path(__file__).resolve().parents[2] / "resources"
                                                                / "demo" / "logos"), "--out", index], 120.0)]
        out += [(n, e, ["logos", "query", str(images / n), "--index", index, "--json"], 60.0)
                for n, e in expect["images"].items()]
    elif importer == "lostfound import":
        out = [(n, e, ["lostfound", "import", str(corpus / "csv" / "lostfound" / n), "--json"], 120.0)
               for n, e in expect["csv"]["lostfound"].items()]
    elif importer == "fusion train":
        out = [(n, e, ["fusion", "train", "--data", str(corpus / "csv" / "fusion" / n), "--num_epochs", "1",
                       "--batch_size", "256", "--embedding_dim", "16", "--modality", "sensor"], 120.0)
               for n, e in expect["csv"]["fusion"].items()]
    elif importer == "trends build-labels":
        out = [(n, e, ["trends", "build-labels", str(corpus / "csv" / "trends" / n), "--out",
                       str(work / f"labels-{n}")], 120.0) for n, e in expect["csv"]["trends"].items()]
    elif importer == "trends train":
        out = [(n, e, ["trends", "train", str(corpus / "csv" / "trends" / n), "--out", str(work / "trends.pt"),
                       "--epochs", "1", "--hidden", "16"], 180.0) for n, e in expect["csv"]["trends"].items()]
    elif importer == "trends predict":
        good = str(corpus / "csv" / "trends" / "good.csv")
        out = [(n, e, ["trends", "predict", good, "--model", str(corpus / "checkpoints" / n), "--json"], 120.0)
               for n, e in expect["checkpoints"].items()]
    elif importer == "models import":
        out = [(n, e, ["models", "import", "effnet-lite0", str(corpus / "checkpoints" / n)], 120.0)
               for n, e in expect["checkpoints"].items()]
    elif importer == "restore":
        out = [(n, e, ["restore", str(corpus / "backups" / n)], 60.0) for n, e in expect["backups"].items()]
    else:
        raise SystemExit(f"unknown importer {importer!r}")
    return out


def main() -> int:
    importer, corpus, data, out_json = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
    os.environ["SIMSCOPE_DATA_DIR"] = str(data)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    data.mkdir(parents=True, exist_ok=True)
    import timm  # noqa: F401 - the importers' libraries, imported (not run) once
    import torch  # noqa: F401 - imported once here (no torch op runs before a fork: no thread pool is forked)
    import torchvision  # noqa: F401

    import core.cli  # every forked child shares these imports
    import core.embed
    import core.logos.index
    import core.models.loaders  # noqa: F401

    expect = json.loads((corpus / "expect.json").read_text(encoding="utf-8"))
    results = []
    for name, what, argv, timeout in cases(importer, corpus, data, expect):
        before = store_state(data)
        res = run_forked(argv, timeout)
        res.update(input=name, expect=what, before=before, after=store_state(data))
        results.append(res)
    out_json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
