"""``bench/albums_ui.py --library N [--sizes ...]``: the Albums page on a library of N photos.

See albums_ui.py's docstring. The library is built in this process (store writes through the
store's API, file keys through the embedding cache's), the window runs in a child process
(``--measure DATA``) so its memory is the window's alone, and prints one JSON line of figures.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
EVENTS4 = ROOT.parent / "shared" / "data" / "photos" / "events4" / "Database"
BENCH_DATA = Path.home() / ".cache" / "simscope" / "bench-data"  # bench/albums_scale.py's cache of vectors
TARGETS = {"open_s": 2.0, "stall_ms": 50.0, "rss_mb": 1536.0}
YEARS = (2012, 2025)


def event_sizes(n: int, rng) -> list[int]:
    """Events of 5–500 photos (lognormal, mean ~45: ~n/45 events) summing to n."""
    sizes: list[int] = []
    while sum(sizes) < n:
        sizes.append(int(min(500, max(5, rng.lognormal(3.5, 0.8)))))
    sizes[-1] -= sum(sizes) - n
    if sizes[-1] < 1:
        sizes.pop()
    return sizes


def plan(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(event per photo, -1 unsorted; capture time per photo in seconds, NaN none): a tenth of the
    photos and 3% of the events without a time, 8% of the photos unsorted, events over 13 years."""
    rng = np.random.default_rng(seed)
    sizes = event_sizes(n, rng)
    event = np.repeat(np.arange(len(sizes)), sizes)
    lo, hi = (time.mktime((y, 1, 1, 0, 0, 0, 0, 0, -1)) for y in YEARS)
    starts = np.sort(rng.uniform(lo, hi, len(sizes)))
    spans = rng.uniform(1, 72, len(sizes)) * 3600  # an afternoon to three days
    taken = starts[event] + rng.uniform(0, 1, n) * spans[event]
    taken[rng.random(n) < 0.1] = np.nan
    taken[np.isin(event, np.flatnonzero(rng.random(len(sizes)) < 0.03))] = np.nan
    event[rng.random(n) < 0.08] = -1
    return event, taken


def as_the_app_embeds() -> None:
    """events4 embedded as an album embeds its photos (the image model with its mirror and its
    ImageNet tags: not the plain vectors bench/albums_scale.py caches), once, into bench-data's
    cache, so that a library built from it is all cached, as after its first index. Without it
    the window's first check embedded all 3,031 photos (96 s, the model loaded: VmHWM 2.5 GB)."""
    done = BENCH_DATA / "events4-as-the-app.done"
    if done.exists():
        return
    print("embedding events4 as an album does, into bench-data's cache (once: ~2 min on 2 cores)", flush=True)
    store = Path(tempfile.mkdtemp(prefix="simscope-events4-album-")) / "albums.sqlite"
    subprocess.run([sys.executable, "-m", "core", "albums", "add", str(EVENTS4), "--store", str(store),
                    "--no-captions"], env={**os.environ, "SIMSCOPE_DATA_DIR": str(BENCH_DATA)}, cwd=ROOT,
                   check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(store.parent, ignore_errors=True)
    done.write_text("events4 embedded by `python -m core albums add` into embeddings.sqlite\n")


def build(n: int, root: Path) -> dict:
    """An album of n photos in ``root/data`` (the app's data folder), files under ``root/library``."""
    os.environ["SIMSCOPE_DATA_DIR"] = str(root / "data")
    from core.albums.incremental import mark_grouped
    from core.albums.store import DEFAULT_VOCABULARY, AlbumStore
    from core.cache import EmbeddingCache
    from core.images import list_images

    originals = list_images([EVENTS4])
    data = root / "data"
    data.mkdir(parents=True)
    t = time.perf_counter()
    same_device = os.stat(EVENTS4).st_dev == os.stat(root).st_dev
    paths = []
    for i in range(n):
        sub = root / "library" / f"{i // 1000:03d}"
        if i % 1000 == 0:
            sub.mkdir(parents=True)
        dest = sub / f"{i:06d}.jpg"
        (os.link if same_device else os.symlink)(originals[i % len(originals)], dest)
        paths.append(str(dest))
    linked = time.perf_counter() - t
    shutil.copy2(BENCH_DATA / "embeddings.sqlite", data / "embeddings.sqlite")  # events4's vectors
    if (BENCH_DATA / "models").is_dir():
        shutil.copytree(BENCH_DATA / "models", data / "models")  # the ONNX export, not made again
    t = time.perf_counter()
    with EmbeddingCache(data / "embeddings.sqlite") as cache:
        cache.file_keys(paths)  # the files' content keys: as after a first index
    keyed = time.perf_counter() - t
    event, taken = plan(n)
    t = time.perf_counter()
    with AlbumStore(data / "albums.sqlite") as store:
        store.add_folder(root / "library")
        store.add_photos(paths)
        times = [None if np.isnan(x) else float(x) for x in taken]
        store.set_photo_info([(p, x, [], "", None) for p, x in zip(paths, times, strict=True)])
        stamps = []
        for p in paths:
            st = os.stat(p)
            stamps.append((p, f"{st.st_size}:{st.st_mtime_ns}", None, None, ""))
        store.set_exif(stamps)  # as indexing leaves it: the capture times are not read again
        ids = store.photo_ids(paths)
        k = int(event.max()) + 1
        first_time = [taken[event == e] for e in range(k)]
        names = {}
        for e in range(k):
            dated = first_time[e][~np.isnan(first_time[e])]
            year = time.localtime(float(dated.min())).tm_year if len(dated) else None
            names[-(e + 1)] = {"name": f"{DEFAULT_VOCABULARY[e % len(DEFAULT_VOCABULARY)]}"
                                       + (f" {year}" if year else "")}
        made = store.apply_grouping({}, set(), names, {}, [])
        members: dict[int, list[int]] = {}
        for p, e in zip(paths, event, strict=True):
            if e >= 0:
                members.setdefault(int(e), []).append(ids[p])
        store.apply_grouping({ids[p]: (made[-(int(e) + 1)] if e >= 0 else None) for p, e in zip(paths, event, strict=True)},
                             set(), {}, {made[-(e + 1)]: {"representatives": m[:3]} for e, m in members.items()}, [])
        mark_grouped(store)
        events = len(store.events())
    stored = time.perf_counter() - t
    # the album's search index, saved beside it as indexing leaves it (else the window's first check
    # builds it: 30 s and VmHWM +0.7 GB at 100,000), through the CLI's own check of the album
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "core", "albums", "similar", paths[0], "-k", "1", "--store",
                    str(data / "albums.sqlite")], env={**os.environ, "SIMSCOPE_DATA_DIR": str(data)}, cwd=ROOT,
                   check=True, stdout=subprocess.DEVNULL)
    return {"n": n, "events": events, "linked_s": linked, "keyed_s": keyed, "stored_s": stored,
            "indexed_s": time.perf_counter() - t,
            "untimed": int(np.isnan(taken).sum()), "unsorted": int((event < 0).sum())}


IDLE = ("threading.py:wait", "queue.py:get", "threading.py:_wait_for_tstate_lock", "jobs.py:get",
        "thread.py:_worker")  # a thread's innermost frame when it waits for work


def _status() -> dict[str, float]:
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS", "VmHWM", "RssAnon", "RssFile")):
                key, value = line.split(":")
                out[key] = int(value.split()[0]) / 1024
    return out


def measure(data: Path) -> dict:
    """The window on the album in ``data``: open, stalls, memory (this process is the child)."""
    os.environ["SIMSCOPE_DATA_DIR"] = str(data)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    out: dict = {}
    beats: list[float] = []

    def beat():
        beats.append(time.perf_counter())

    stalls: list[tuple[float, float, list[str], list[str]]] = []  # (when, how long so far, UI stack, others')
    watching = threading.Event()

    def frames(frame) -> list[str]:
        return [f"{Path(f.filename).name}:{f.name}:{f.lineno}" for f in traceback.extract_stack(frame)][-8:]

    def watch(ui: int) -> None:
        """Where the UI thread is when a beat is 40 ms late, and where the other threads are (one
        may hold the GIL the UI waits for): their innermost frames, sampled every 5 ms of the stall,
        the two stacks seen most often kept (the model worker's, and any thread not idle). This
        thread needs the GIL too, so a long C call holding it is seen just after it returned."""
        seen, samples = None, {}
        while not watching.wait(0.005):
            last = beats[-1] if beats else None
            late = last is not None and time.perf_counter() - last >= 0.04
            if seen is not None and (not late or seen != last):  # the stall ended: keep what it saw
                stalls[-1] = (*stalls[-1][:3], [k for k, _ in sorted(samples.items(), key=lambda x: -x[1])[:2]])
                seen, samples = None, {}
            if not late:
                continue
            current = sys._current_frames()
            for t in threading.enumerate():  # the model worker first; any other thread not idle
                if t.ident in current and t.ident not in (ui, threading.get_ident()):
                    stack = frames(current[t.ident])
                    if t.name == "simscope-model-worker" or not stack or not stack[-1].startswith(IDLE):
                        key = f"[{t.name}] " + " > ".join(stack)
                        samples[key] = samples.get(key, 0) + 1
            if seen == last:
                stalls[-1] = (stalls[-1][0], time.perf_counter() - last, *stalls[-1][2:])
                continue
            seen = last
            stalls.append((time.perf_counter(), time.perf_counter() - last, frames(current.get(ui)), []))

    def where(since: float, until: float) -> list[str]:
        return [f"{1000 * age:.0f}+ ms: " + " > ".join(stack) + "".join(f"\n        meanwhile {w}" for w in others)
                for at, age, stack, others in
                sorted((x for x in stalls if since <= x[0] <= until), key=lambda x: -x[1])[:3]]

    import gc

    pauses: list[tuple[float, float, int]] = []  # (when it ended, seconds, generation): collections over 20 ms
    began = [0.0]

    def collected(phase: str, info: dict) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
        elif time.perf_counter() - began[0] > 0.02:
            pauses.append((time.perf_counter(), time.perf_counter() - began[0], info["generation"]))

    gc.callbacks.append(collected)

    def gc_pause(since: float, until: float) -> float:
        """The longest garbage collection (any thread: it holds the GIL) in the window, in ms."""
        return 1000 * max((d for at, d, _ in pauses if since <= at <= until), default=0.0)

    def longest(since: float, until: float) -> float:
        b = [x for x in beats if since <= x <= until]
        return 1000 * max((y - x - 0.010 for x, y in zip(b, b[1:], strict=False)), default=float("nan"))

    def over(since: float, until: float, ms: float = 50.0) -> int:
        """How many stalls of more than ``ms`` (a user scrolling meanwhile feels each one)."""
        b = [x for x in beats if since <= x <= until]
        return sum(1 for x, y in zip(b, b[1:], strict=False) if y - x - 0.010 > ms / 1000)

    def run_for(seconds: float, until=lambda: False) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end and not until():
            app.processEvents()
            time.sleep(0.002)

    from app.main import create_window, install_gui_thread_gc

    prof = None
    if os.environ.get("PROFILE"):
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t0 = time.perf_counter()
    window, queue = create_window()
    page = next(p for p in window.pages if p.icon == "albums")
    window.nav.setCurrentRow(window.pages.index(page))
    window.resize(1300, 820)
    window.show()
    app.processEvents()  # the first paint of the window, with the album's page
    out["open_s"] = time.perf_counter() - t0
    if prof is not None:
        import pstats

        prof.disable()
        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
    out["open_events_listed"] = page.events.count()
    out["open_grid_rows"] = page.grid_model.rowCount()
    out["rss_open_mb"] = _status()["VmRSS"]
    # the page's own part of the open (events, groups and the shown group from the store), timed
    # once more: each reload makes a void Qt call or more per event, and shiboken6 6.12 on Python
    # 3.11 drops a reference to None at each (the process ends when None's count reaches 0)
    nones, t = sys.getrefcount(None), time.perf_counter()
    page.reload()
    out["reload_s"] = time.perf_counter() - t
    out["none_refs_per_reload"] = nones - sys.getrefcount(None)
    out["none_refs_at_open"] = nones
    app.processEvents()
    timer = QTimer(interval=10)
    timer.timeout.connect(beat)
    timer.start()
    threading.Thread(target=watch, args=(threading.get_ident(),), daemon=True, name="stall-watch").start()
    window.start()  # device detection and the libraries' import, off the UI thread, as in the app
    install_gui_thread_gc(window)  # and the app's collector: on the GUI thread's timer, after the first paint
    t_check = time.perf_counter()

    def checked() -> bool:
        jobs = [j for j in queue.jobs() if j.name.startswith("Albums")]
        return bool(jobs) and all(j.state.done for j in jobs)

    run_for(600, checked)
    out["check_s"] = time.perf_counter() - t_check
    out["check_done"] = checked()
    out["check_note"] = page.note.text()[:160]
    out["stall_check_ms"] = longest(t_check, time.perf_counter())
    out["stalls50_check"] = over(t_check, time.perf_counter())
    out["gc_check_ms"] = gc_pause(t_check, time.perf_counter())
    out["where_check"] = where(t_check, time.perf_counter())
    run_for(1.0)
    # what a full collection on the GUI thread walks now: the objects made since the start-up's
    # freeze (core.warmup), the album the model worker holds among them
    full = []
    for _ in range(3):
        t = time.perf_counter()
        gc.collect()
        full.append(time.perf_counter() - t)
    out["gc_full_ms"], out["gc_tracked"] = 1000 * sorted(full)[1], len(gc.get_objects())
    status = _status()
    out["rss_checked_mb"], out["anon_checked_mb"], out["file_checked_mb"] = (
        status["VmRSS"], status["RssAnon"], status["RssFile"])  # file: libraries' code, the index's mapped vectors
    import ctypes  # what a malloc_trim would still hand back now (the app's own after its jobs: little)

    ctypes.CDLL("libc.so.6").malloc_trim(0)
    out["rss_trimmed_mb"] = _status()["VmRSS"]
    nones = sys.getrefcount(None)

    def scroll(view, label: str, steps: int = 150) -> None:
        bar = view.verticalScrollBar()
        t = time.perf_counter()
        for i in range(steps + 1):
            bar.setValue(round(bar.maximum() * i / steps))
            run_for(0.02)
        run_for(0.3)
        out[f"stall_{label}_ms"] = longest(t, time.perf_counter())
        out[f"gc_{label}_ms"] = gc_pause(t, time.perf_counter())
        out[f"where_{label}"] = where(t, time.perf_counter())
        out[f"scroll_{label}_range"] = bar.maximum()

    from app.albums.grid import UNSORTED

    keys = [page.events.item(i).data(256) for i in range(page.events.count())]
    if UNSORTED in keys:
        page.events.setCurrentRow(keys.index(UNSORTED))
        run_for(0.5)
        out["unsorted_rows"] = page.grid_model.rowCount()
        scroll(page.grid, "grid_unsorted")
    largest = max(page.store.events(), key=lambda e: e.photo_count).id
    page.events.setCurrentRow(keys.index(largest))  # the largest event (the list is by date)
    run_for(0.5)
    out["largest_rows"] = page.grid_model.rowCount()
    scroll(page.grid, "grid_event")
    scroll(page.events, "event_list", steps=200)
    shows = []
    for row in np.linspace(1, max(1, len([k for k in keys if isinstance(k, int)]) - 1), 9).astype(int):
        t = time.perf_counter()
        page.events.setCurrentRow(int(row))
        shows.append(time.perf_counter() - t)
        run_for(0.05)
    out["show_event_ms_median"] = 1000 * float(np.median(shows))
    out["show_event_ms_max"] = 1000 * max(shows)
    # a search's results shown (60 photos, as Find similar's and words' answers reach the UI thread), and
    # the click on Find duplicates up to its job queued (the job itself cancelled at once)
    photos = page.session.store.photos(None)[:: max(1, len(page.session.store.photos(None)) // 60)][:60]
    results, asks = [], []
    for i in range(5):
        t = time.perf_counter()
        page.session.show_results((photos[i].path, [(p.path, 1.0 - j / 100) for j, p in enumerate(photos)], None))
        app.processEvents()
        results.append(time.perf_counter() - t)
        t = time.perf_counter()
        job = page.album_jobs.find_duplicates()
        asks.append(time.perf_counter() - t)
        if job is not None:
            queue.cancel(job.id)
        run_for(0.05)
    run_for(600, lambda: all(j.state.done for j in queue.jobs()))
    out["show_results_ms_median"], out["show_results_ms_max"] = 1000 * float(np.median(results)), 1000 * max(results)
    out["ask_duplicates_ms_median"] = 1000 * float(np.median(asks))
    # an edit: renaming an event (its undo step and the page's reload); and the step's recording
    # (core.undo_log) beside reading the whole album around the edit as before (snapshots), A B A B
    key, store = next(k for k in keys if isinstance(k, int)), page.session.store
    renames, tracked, whole = [], [], []
    for i in range(5):
        t = time.perf_counter()
        page.edits.rename(key, f"Renamed {i}")
        app.processEvents()
        renames.append(time.perf_counter() - t)
        t = time.perf_counter()
        store.tracked(lambda i=i: store.rename_event(key, f"Recorded {i}"))
        tracked.append(time.perf_counter() - t)
        t = time.perf_counter()
        store.snapshot()
        store.rename_event(key, f"Read whole {i}")
        store.snapshot()
        whole.append(time.perf_counter() - t)
    out["rename_ms_median"], out["rename_ms_max"] = 1000 * float(np.median(renames)), 1000 * max(renames)
    out["record_ms"], out["snapshots_ms"] = 1000 * float(np.median(tracked)), 1000 * float(np.median(whole))
    out["none_refs_lost_scrolling"] = nones - sys.getrefcount(None)
    out["none_refs_left"] = sys.getrefcount(None)
    status = _status()
    out["rss_mb"], out["hwm_mb"] = status["VmRSS"], status["VmHWM"]
    # the check once more, the libraries loaded and the album in the worker: its own stalls, apart from
    # the start-up's imports (torch, the warm-up) that ran beside the first one
    t = time.perf_counter()
    recheck = page.album_jobs.index_existing()
    run_for(600, lambda: recheck.state.done)
    run_for(0.3)
    out["recheck_s"] = time.perf_counter() - t
    out["stall_recheck_ms"] = longest(t, time.perf_counter())
    out["stalls50_recheck"] = over(t, time.perf_counter())
    out["where_recheck"] = where(t, time.perf_counter())
    out["gc_recheck_ms"] = gc_pause(t, time.perf_counter())
    out["stall_ms"] = max(out.get(k, 0.0) for k in ("stall_grid_unsorted_ms", "stall_grid_event_ms",
                                                      "stall_event_list_ms"))
    shot = ROOT / "out" / "screenshots" / f"albums-library-{page.grid_model.rowCount()}.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(shot))
    window.resize(1180, 760)  # the smallest size the app is laid out for: the date strip beside the list
    run_for(0.5)
    window.grab().save(str(shot.with_name(f"albums-library-1180-{page.grid_model.rowCount()}.png")))
    timer.stop()
    watching.set()
    queue.shutdown()
    for p in window.pages:
        p.shutdown()
    return out


def _verdict(value: float, target: float) -> str:
    return "met" if value <= target else "MISSED"


def _child(code: Path, data: Path) -> dict | str:
    """One measure in a child process, with the code of checkout ``code`` (its figures, or why not)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    child = subprocess.run([sys.executable, str(code / "bench" / "albums_ui.py"), "--measure", str(data)],
                           capture_output=True, text=True, env=env, check=False, timeout=1800, cwd=code)
    line = next((x for x in child.stdout.splitlines() if x.startswith("RESULT ")), None)
    if os.environ.get("PROFILE"):
        print(child.stderr[-12000:])
    if line is None:
        return f"the window's process ended with {child.returncode}:\n{child.stdout[-3000:]}\n{child.stderr[-6000:]}"
    return json.loads(line[7:])


def _built(n: int, root: Path) -> dict | str:
    made = subprocess.run([sys.executable, "-c", "import json, sys; sys.path.insert(0, sys.argv[1]); "
                           "from bench.albums_library import build; "
                           "print('BUILT ' + json.dumps(build(int(sys.argv[2]), __import__('pathlib').Path(sys.argv[3]))))",
                           str(ROOT), str(n), str(root)], capture_output=True, text=True, check=False)
    line = next((x for x in made.stdout.splitlines() if x.startswith("BUILT ")), None)
    return json.loads(line[6:]) if line is not None else made.stdout + made.stderr


def _reused(root: Path) -> dict:
    """What build() said of a kept library, read back from its store."""
    from core.albums.store import AlbumStore

    with AlbumStore(root / "data" / "albums.sqlite") as store:
        n, untimed, unsorted, events = store.con.execute(
            "SELECT COUNT(*), SUM(taken_at IS NULL), SUM(event_id IS NULL), (SELECT COUNT(*) FROM events) "
            "FROM photos").fetchone()
    return {"n": n, "events": events, "untimed": untimed, "unsorted": unsorted, "reused": str(root)}


FIGURES = ("open_s", "reload_s", "check_s", "stall_check_ms", "stall_grid_unsorted_ms", "stall_grid_event_ms",
           "stall_event_list_ms", "gc_grid_event_ms", "gc_check_ms", "gc_full_ms", "gc_tracked", "stall_recheck_ms", "gc_recheck_ms", "stalls50_check", "stalls50_recheck", "show_event_ms_median", "rss_open_mb", "rss_checked_mb",
           "rss_trimmed_mb", "show_results_ms_median", "rename_ms_median", "ask_duplicates_ms_median",
           "rss_mb", "hwm_mb")


def run(args) -> int:
    if args.measure:
        print("RESULT " + json.dumps(measure(Path(args.measure))), flush=True)
        return 0
    if not EVENTS4.exists() or not (BENCH_DATA / "embeddings.sqlite").exists():
        print(f"needs {EVENTS4} and {BENCH_DATA / 'embeddings.sqlite'} (bench/albums_scale.py fills it)")
        return 2
    as_the_app_embeds()
    codes = [("this tree", ROOT)] + ([("against", Path(args.against).resolve())] if args.against else [])
    jobs = [("reuse", Path(r)) for r in args.reuse] + [("build", n) for n in (args.sizes or
                                                                             ([args.library] if args.library else []))]
    rows, side = [], []
    for how, what in jobs:
        root = what if how == "reuse" else Path(tempfile.mkdtemp(prefix=f"simscope-albums-library-{what}-"))
        try:
            t = time.perf_counter()
            built = _reused(root) if how == "reuse" else _built(what, root)
            if isinstance(built, str):
                print(built)
                return 1
            if how == "reuse":
                print(f"\n{built['n']:,} photos: {built['events']:,} events, {built['untimed']:,} without a time, "
                      f"{built['unsorted']:,} unsorted; reused {root}", flush=True)
            else:
                print(f"\n{what:,} photos: {built['events']:,} events, {built['untimed']:,} without a time, "
                      f"{built['unsorted']:,} unsorted; built in {time.perf_counter() - t:.0f} s (links "
                      f"{built['linked_s']:.0f} s, file keys {built['keyed_s']:.0f} s, store {built['stored_s']:.0f} s, "
                      f"the CLI's check and search index {built['indexed_s']:.0f} s)",
                      flush=True)
            results: dict[str, list[dict]] = {label: [] for label, _ in codes}
            for _ in range(max(1, args.repeat) if len(codes) > 1 else 1):
                for label, code in codes:  # interleaved: A B A B
                    fresh = Path(tempfile.mkdtemp(prefix="simscope-albums-measure-"))
                    try:
                        shutil.copytree(root / "data", fresh / "data")  # every measure starts from the same album
                        r = _child(code, fresh / "data")
                    finally:
                        shutil.rmtree(fresh, ignore_errors=True)
                    if isinstance(r, str):
                        print(f"[{label}] {r}")
                        return 1
                    results[label].append(r)
                    if len(codes) > 1:
                        print(f"  [{label}, {code}] " + ", ".join(f"{k} {r.get(k, float('nan')):.2f}" for k in FIGURES),
                              flush=True)
        finally:
            if args.keep or how == "reuse":
                print(f"kept in {root}")
            else:
                shutil.rmtree(root, ignore_errors=True)
        mine = results[codes[0][0]]
        r = {**built, **{k: (float(np.median([x[k] for x in mine])) if isinstance(mine[0].get(k), float)
                             else mine[0][k]) for k in mine[0]}}  # counts: the first run's
        side.append((built["n"], {label: res for label, res in results.items()}))
        rows.append(r)
        print(f"  open (create_window to the first paint, {r['open_events_listed']:,} list rows, "
              f"{r['open_grid_rows']:,} photos in the grid): {r['open_s']:.2f} s — target <= 2 s: "
              f"{_verdict(r['open_s'], TARGETS['open_s'])}")
        print(f"  of which the page's reload (events, counts, the shown group from the store; timed once after): "
              f"{r['reload_s']:.2f} s")
        print(f"  references to None lost by one reload: {r['none_refs_per_reload']:,} of {r['none_refs_at_open']:,} "
              f"(~{r['none_refs_at_open'] // max(1, r['none_refs_per_reload']):,} reloads — edits, a regroup — until "
              "the process ends)")
        print(f"  background check of the library: {'done' if r['check_done'] else 'NOT done'} in {r['check_s']:.0f} s "
              f"(\"{r['check_note']}\"), longest UI stall meanwhile {r['stall_check_ms']:.0f} ms, "
              f"{r.get('stalls50_check', float('nan')):.0f} over 50 ms (longest garbage "
              f"collection meanwhile, any thread: {r.get('gc_check_ms', float('nan')):.0f} ms)")
        if "gc_full_ms" in r:
            print(f"  a full garbage collection after it, on the GUI thread: {r['gc_full_ms']:.0f} ms (median of 3; "
                  f"{r['gc_tracked']:,} objects tracked, those frozen at start-up left out)")
        for key, what in (("grid_unsorted", f"grid, Unsorted ({r.get('unsorted_rows', 0):,} photos)"),
                          ("grid_event", f"grid, largest event ({r['largest_rows']} photos)"),
                          ("event_list", "event list")):
            if f"stall_{key}_ms" in r:
                print(f"  scrolling the {what}: longest UI stall {r[f'stall_{key}_ms']:.0f} ms — target <= 50 ms: "
                      f"{_verdict(r[f'stall_{key}_ms'], TARGETS['stall_ms'])} (longest garbage collection "
                      f"meanwhile {r.get(f'gc_{key}_ms', float('nan')):.0f} ms)")
        if "stall_recheck_ms" in r:
            print(f"  the check again after scrolling (libraries loaded, the album in the worker): {r['recheck_s']:.0f} s, "
                  f"longest UI stall meanwhile {r['stall_recheck_ms']:.0f} ms, {r.get('stalls50_recheck', float('nan')):.0f} "
                  "over 50 ms (longest garbage collection meanwhile: "
                  f"{r.get('gc_recheck_ms', float('nan')):.0f} ms)")
        for key in ("check", "recheck", "grid_unsorted", "grid_event", "event_list"):
            for line in r.get(f"where_{key}", []):
                print(f"    {key} stall {line}")
        print(f"  showing an event: median {r['show_event_ms_median']:.0f} ms, max {r['show_event_ms_max']:.0f} ms")
        if "show_results_ms_median" in r:
            print(f"  showing 60 search results: median {r['show_results_ms_median']:.0f} ms, max "
                  f"{r['show_results_ms_max']:.0f} ms; Find duplicates, the click until its job is queued: median "
                  f"{r['ask_duplicates_ms_median']:.1f} ms")
        print(f"  renaming an event (the undo step and the page's reload): median {r['rename_ms_median']:.0f} ms, "
              f"max {r['rename_ms_max']:.0f} ms; the step recorded in {r['record_ms']:.1f} ms (median of 5), "
              f"reading the whole album around it {r['snapshots_ms']:.0f} ms "
              f"(x{r['snapshots_ms'] / max(r['record_ms'], 1e-3):.0f}, interleaved)")
        print(f"  memory: VmRSS {r['rss_mb']:,.0f} MB (at open {r['rss_open_mb']:,.0f}, after the check "
              f"{r['rss_checked_mb']:,.0f}: anonymous {r.get('anon_checked_mb', 0):,.0f}, files "
              f"{r.get('file_checked_mb', 0):,.0f}; {r.get('rss_trimmed_mb', 0):,.0f} after a malloc_trim), VmHWM "
              f"{r['hwm_mb']:,.0f} MB — target <= 1,536 MB: {_verdict(r['hwm_mb'], TARGETS['rss_mb'])}")
        print(f"  references to None lost while scrolling: {r['none_refs_lost_scrolling']:,} "
              f"({r['none_refs_left']:,} left; the process ends at 0)")
        print(f"  load average {os.getloadavg()[0]:.1f}", flush=True)
    if len(codes) > 1:
        print(f"\nside by side, medians of {max(1, args.repeat)} interleaved run(s) each: this tree / {args.against}")
        print(f"{'figure':<26}{'photos':>9}{'this tree':>12}{'against':>12}{'ratio':>8}")
        for n, res in side:
            for key in FIGURES:
                a, b = (float(np.median([x.get(key, float("nan")) for x in res[label]])) for label, _ in codes)
                print(f"{key:<26}{n:>9,}{a:>12.2f}{b:>12.2f}{a / b if b else float('nan'):>8.2f}")
    if len(rows) > 1:
        ns = [r["n"] for r in rows]
        print(f"\n{'figure':<34}" + "".join(f"{n:>10,}" for n in ns) + "   slope (log-log)")
        for key in ("open_s", "reload_s", "check_s", "stall_check_ms", "stall_grid_unsorted_ms", "stall_grid_event_ms",
                    "stall_event_list_ms", "show_event_ms_median", "rss_open_mb", "hwm_mb"):
            vals = [r.get(key, float("nan")) for r in rows]
            ok = [(n, v) for n, v in zip(ns, vals, strict=True) if v == v and v > 0]
            slope = np.polyfit(np.log([n for n, _ in ok]), np.log([v for _, v in ok]), 1)[0] if len(ok) > 1 else float("nan")
            print(f"{key:<34}" + "".join(f"{v:>10.2f}" for v in vals) + f"   {slope:.2f}")
    return 0
