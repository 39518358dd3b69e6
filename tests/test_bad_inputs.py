"""Every importer against one shared corpus of bad input (tests/bad_inputs/make_corpus.py).

One child process per importer walks the whole corpus (tests/bad_inputs/drive.py), each input
in a forked child under its own timeout. For each input: no hang, no traceback, an exit status
that says what happened, a message naming the file (and row, for CSVs), the good inputs read,
and the stores unchanged or grown, never shrunk, and intact (PRAGMA integrity_check)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import end_group, spawned_groups

ROOT = Path(__file__).resolve().parent.parent
FOLDER_IMPORTERS = ["embed", "albums cluster", "logos index", "logos dedup", "logos train"]
FILE_IMPORTERS = ["logos query", "lostfound import", "fusion train", "trends build-labels", "trends train",
                  "trends predict", "models import", "restore"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    if not hasattr(os, "mkfifo"):
        pytest.skip("the corpus needs FIFOs and symlinks (POSIX)")
    from tests.bad_inputs.make_corpus import make_corpus

    root = tmp_path_factory.mktemp("bad-inputs")
    make_corpus(root)
    return root


@pytest.fixture(scope="module")
def driven(corpus, tmp_path_factory):
    """Every importer's driver, started two at a time (one per core) when the first test asks;
    each test then reads its importer's results. importer → (returncode, stderr, results path)."""
    import time

    env = {k: v for k, v in os.environ.items() if k != "SIMSCOPE_DATA_DIR"}
    todo = sorted(FOLDER_IMPORTERS + FILE_IMPORTERS, key=lambda i: i != "trends train")  # longest first
    running: dict[str, tuple] = {}
    done: dict[str, tuple] = {}
    deadline = time.monotonic() + 1500
    while todo or running:
        while todo and len(running) < max(2, min(4, os.cpu_count() or 2)):
            importer = todo.pop(0)
            work = tmp_path_factory.mktemp(importer.replace(" ", "-"))
            out = work / "results.json"
            log = open(work / "driver.log", "w+", encoding="utf-8")  # closed when it ends
            # its own process group: the fork servers its CLI runs start (and their children) are
            # in it too, and end with it below; the suite checks that none is left (conftest)
            proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "bad_inputs" / "drive.py"), importer,
                                     str(corpus), str(work / "data"), str(out)], cwd=ROOT, env=env,
                                    stdout=log, stderr=subprocess.STDOUT, text=True, start_new_session=True)
            spawned_groups.append(proc.pid)
            running[importer] = (proc, out, log)
        for importer, (proc, out, log) in list(running.items()):
            if proc.poll() is not None:
                end_group(proc.pid)
                log.seek(0)
                done[importer] = (proc.returncode, log.read(), out)
                log.close()
                del running[importer]
        if time.monotonic() > deadline:
            for proc, _, _ in running.values():
                end_group(proc.pid)
            raise AssertionError(f"drivers still running after 25 min: {sorted(running)}")
        time.sleep(0.2)
    return done


def _drive(importer: str, driven: dict) -> list[dict]:
    rc, stderr, out = driven[importer]
    assert rc == 0, stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8"))


def _shown(name: str) -> str:
    """How a file name appears in a message (a non-UTF-8 name with replacement characters)."""
    return os.fsencode(name).decode("utf-8", "replace")


def _check_common(r: dict) -> None:
    where = f"{r['input']!r} ({' '.join(r['argv'][:2])})"
    assert not r["hung"], f"{where} hung: killed after {r['seconds']} s"
    assert "Traceback" not in r["stderr"], f"{where} printed a traceback:\n{r['stderr'][-2000:]}"
    assert r["rc"] in (0, 1, 2, 3), f"{where} exit status {r['rc']}:\n{r['stderr'][-1500:]}"
    for store, before in r["before"].items():
        after = r["after"][store]
        assert after["integrity"] == "ok", f"{where}: {store} integrity {after['integrity']}"
        assert after["rows"] >= before["rows"], f"{where}: {store} shrank {before['rows']} → {after['rows']}"
    for store, after in r["after"].items():
        assert after["integrity"] == "ok", f"{where}: {store} integrity {after['integrity']}"


@pytest.mark.timeout(900)
@pytest.mark.parametrize("importer", FOLDER_IMPORTERS)
def test_folder_importers_walk_the_corpus(importer, corpus, driven):
    expect = json.loads((corpus / "expect.json").read_text(encoding="utf-8"))["images"]
    (r,) = _drive(importer, driven)
    _check_common(r)
    assert r["rc"] == 0, f"{importer} over the corpus: exit {r['rc']}\n{r['stderr'][-3000:]}"
    text = r["stderr"] + r["stdout"]
    skipped_lines = [ln for ln in r["stderr"].splitlines() if ln.startswith("skipped ")]
    for name, what in expect.items():
        if name.endswith(".svg") and importer in ("embed", "albums cluster", "logos train"):
            continue  # not a photo type for embed / albums; training reads what the index names
        if what == "skip":
            if importer == "logos dedup" and name.endswith(".svg") and "laughs" not in name:
                continue
            assert _shown(name) in text, f"{importer}: {name!r} is bad but no message names it"
        elif what == "ok":
            assert not any(_shown(name) in ln for ln in skipped_lines), f"{importer} skipped good {name!r}"


@pytest.mark.timeout(900)
@pytest.mark.parametrize("importer", FILE_IMPORTERS)
def test_file_importers_take_each_input(importer, driven):
    results = _drive(importer, driven)
    assert results
    for r in results:
        _check_common(r)
        where = f"{importer} {r['input']!r}"
        if importer == "logos query" and r["input"].startswith("latin1-"):
            r["expect"] = "any"  # a query file is read, never stored: its raw-bytes name is no problem
        if r["input"].startswith("wide-"):  # every one of 100,000 column names was printed (8 MB)
            assert len(r["stderr"]) < 2000, f"{where}: {len(r['stderr'])} characters on stderr"
        if r["expect"] == "ok":
            assert r["rc"] == 0, f"{where}: exit {r['rc']}\n{r['stderr'][-1500:]}"
        elif r["expect"] == "skip":
            assert r["rc"] != 0, f"{where} was accepted:\n{r['stdout'][-800:]}"
            said = [ln for ln in r["stderr"].strip().splitlines() if not ln.startswith("data folder: ")]
            assert said, f"{where}: failed without a word"
            assert _shown(r["input"]) in r["stderr"] or "row " in r["stderr"] or "line " in r["stderr"], \
                f"{where}: the message names neither the file nor a row:\n{r['stderr'][-800:]}"
