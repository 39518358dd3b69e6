"""UI-thread time of undoing (and redoing) a merge of 1,000 photos on the Albums page, and the
memory the undo stack holds after many edits.

Run: QT_QPA_PLATFORM=offscreen python bench/albums_undo.py [--photos 2000] [--runs 7]
     QT_QPA_PLATFORM=offscreen python bench/albums_undo.py --photos 10000 --edits 500 --runs 3
A real AlbumsPage on a store of ``--photos`` photos in events of 500 (synthetic vectors, real
files on disk for the thumbnails); two events of 500 are merged through the page, then Edit →
Undo and Redo are triggered ``--runs`` times each, alternating (A B A B …). Each figure is the
wall time of the action on the UI thread (store restore of the changed rows + the page's
reload), the stall the user feels, timed once the thumbnails already asked for have loaded
(their decoding threads compete for the GIL; bench/albums_ui.py measures that part); medians
and the worst are printed. Target < 50 ms.

``--edits N`` then makes N small edits through the page (a photo's note, an event's name, a
photo moved, in turn), each an undo step, and prints the Python memory they leave held
(tracemalloc, after a collection) at N/10, N/2 and N steps: how the undo stack grows with
the number of edits, on an album of ``--photos``. The undo stack keeps at most
``app.undo.UNDO_LIMIT`` steps, each what changed, not whole tables.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--edits", type=int, default=0, help="then measure memory after this many edits")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="simscope-undo-"))
    os.environ["SIMSCOPE_DATA_DIR"] = str(tmp / "data")
    from PySide6.QtWidgets import QApplication

    from app.main import create_window
    from core.albums.cluster import ClusterSettings
    from core.albums.events import GroupInput, regroup

    folder = tmp / "photos"
    folder.mkdir()
    src = ROOT / "resources" / "demo" / "photos" / "hat_2a12baab.jpg"
    paths = []
    for i in range(args.photos):
        p = folder / f"p{i:05d}.jpg"
        try:
            os.link(src, p)  # the same bytes: 10,000 photos cost no disk
        except OSError:
            shutil.copy(src, p)
        paths.append(str(p))
    k = max(2, args.photos // 500)
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 1, (k, 64))
    x = np.concatenate([centres[i] + rng.normal(0, 0.05, (args.photos // k, 64)) for i in range(k)])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    app = QApplication.instance() or QApplication([])
    window, queue = create_window()
    from app.main import install_gui_thread_gc

    install_gui_thread_gc(window)  # as the app does: GC on a GUI timer, not in the middle of an action
    page = next(p for p in window.pages if p.icon == "albums")
    page.store.add_photos(paths[: len(x)])  # no watched folder: the page must not start indexing
    regroup(page.store, GroupInput(paths[: len(x)], x.astype(np.float32), np.full(len(x), np.nan),
                                   [[] for _ in x], [""] * len(x)), ClusterSettings(min_size=50, time_first=False))
    window.resize(1180, 760)
    window.nav.setCurrentRow(window.pages.index(page))
    window.show()
    page.reload()
    app.processEvents()
    busy = [j.name for j in queue.jobs() if not j.state.done and not j.internal]
    assert not busy, f"jobs running during the measurement: {busy}"
    events = page.store.events()
    ids = [e.id for e in events[:2]]
    merged_photos = sum(e.photo_count for e in events[:2])
    t0 = time.perf_counter()
    page.edits.merge(ids)  # the events list's Merge button with these two selected
    merge_ms = (time.perf_counter() - t0) * 1000
    def settle() -> None:  # thumbnails decoding on their pool hold the GIL too: let them finish
        deadline = time.monotonic() + 120
        while page.loader._pending and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)
        app.processEvents()

    undo, redo = [], []
    for _ in range(args.runs):
        for action, out in ((window.undo_action, undo), (window.redo_action, redo)):
            settle()
            t0 = time.perf_counter()
            action.trigger()
            out.append((time.perf_counter() - t0) * 1000)
    print(f"album: {len(x)} photos in {len(events)} events; merged {merged_photos} photos ({merge_ms:.1f} ms)")
    print(f"undo merge: median {statistics.median(undo):.1f} ms, worst {max(undo):.1f} ms ({args.runs} runs: "
          + " ".join(f"{v:.0f}" for v in undo) + ")")
    print(f"redo merge: median {statistics.median(redo):.1f} ms, worst {max(redo):.1f} ms (runs: "
          + " ".join(f"{v:.0f}" for v in redo) + "; target < 50 ms)")
    for f in sorted((tmp / "data").glob("albums.sqlite*")):
        print(f"  {f.name}: {f.stat().st_size / 1e6:.1f} MB")
    if args.edits:
        held_after_edits(page, app, args.edits)
    queue.shutdown()
    window.context.cache.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return 0 if max(undo + redo) < 50 else 1


def held_after_edits(page, app, n: int) -> None:
    """Memory held after ``n`` undoable edits through the page (tracemalloc, after gc)."""
    import gc
    import tracemalloc
    from functools import partial

    page.undo_stack.clear()
    photos = page.store.photos("all")
    events = page.store.events()
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    marks = sorted({max(1, n // 10), max(1, n // 2), n})
    t0 = time.perf_counter()
    for i in range(1, n + 1):
        pid, eid, target = photos[(i * 7919) % len(photos)].id, events[i % len(events)].id, \
            events[(i + 1) % len(events)].id
        if i % 3 == 0:
            change = partial(page.store.set_photo_note, pid, f"note {i}")
        elif i % 3 == 1:
            change = partial(page.store.rename_event, eid, f"Event {i}")
        else:
            change = partial(page.store.move_photos, [pid], target)
        page.edits.edit(f"edit {i}", change, reload=False)
        if i in marks:
            gc.collect()
            held = tracemalloc.get_traced_memory()[0] - base
            print(f"after {i:4d} edits: {held / 1e6:8.1f} MB held, {page.undo_stack.count()} undo steps "
                  f"({held / i / 1e3:.1f} kB per edit; {(time.perf_counter() - t0) / i * 1000:.0f} ms per edit)",
                  flush=True)
        app.processEvents()
    tracemalloc.stop()
    page.undo_stack.undo()  # the newest step still undoes
    app.processEvents()


if __name__ == "__main__":
    raise SystemExit(main())
