"""Lost & Found's page reload (an edit, an import, an undo) at many posts, in the real window.

Run: QT_QPA_PLATFORM=offscreen python bench/lostfound_reload.py [--posts 100000] [--repeat 5]

A fresh data folder with ``--posts`` posts (written straight into a real ``PostStore``), the
window opened on Lost & Found, then ``page.reload_posts()`` timed ``--repeat`` times with the
event loop run after each (median and max), and a profile of one more (PROFILE=1); then an edit of
one post shown by reading every post again against reading that post alone, and an import of 100
posts shown by reading every post again against reading the posts it added, each interleaved A B.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ["SIMSCOPE_DATA_DIR"] = tempfile.mkdtemp(prefix="simscope-lf-reload-")
    from core.lostfound.store import PostStore
    from core.paths import data_dir

    store = PostStore(data_dir() / "lostfound.sqlite")
    with store._con:
        store._con.executemany(
            "INSERT INTO posts (kind, description, category, place, date, fingerprint, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [("lost" if i % 2 else "found", f"검정 지갑 black wallet {i}, near the station",
              ["wallet", "phone", "umbrella", "우산"][i % 4], "Seoul station", "2024-05-01", f"post {i}",
              1.7e9 + i) for i in range(args.posts)])
    store.close()
    from bench.window import close, open_on

    app, window, queue, page = open_on("lostfound")
    app.processEvents()
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        page.reload_posts()
        app.processEvents()
        times.append(time.perf_counter() - t)
    print(f"Lost & Found, {args.posts:,} posts: the page's reload median {1000 * statistics.median(times):.0f} ms, "
          f"max {1000 * max(times):.0f} ms ({args.repeat} reloads)")
    # an edit of one post (its description, as the form saves it), shown by reading every post again
    # (A, as before) or that post alone (B, ``LostFoundSession.refresh``), interleaved A B
    ids = [p.id for p in page.session.posts[:: max(1, len(page.session.posts) // (2 * args.repeat))]]
    sides: dict[str, list[float]] = {"read every post": [], "read the edited post": []}
    for i in range(args.repeat):
        for side, ways in sides.items():
            pid = ids[2 * i + (side != "read every post")]
            page.store.update(pid, description=f"edited {i} {side}")
            t = time.perf_counter()
            if side == "read every post":
                page.reload_posts()
                page.select_post(pid)
            else:
                page.edits.edited.emit(pid, False)  # what saving the form says: the page's _edited
            app.processEvents()
            ways.append(time.perf_counter() - t)
            shown = page.posts_panel.posts_model.posts[page.posts_panel.posts_model.row_of(pid)]
            assert shown.description == f"edited {i} {side}", shown
    (a, ta), (b, tb) = sides.items()
    print(f"an edit of one post shown, medians of {args.repeat} interleaved: {a} {1000 * statistics.median(ta):.0f} ms, "
          f"{b} {1000 * statistics.median(tb):.1f} ms (x{statistics.median(ta) / statistics.median(tb):.0f})")
    # an import of 100 posts (the file read on a connection of its own, as the import job does, off the
    # clock), shown by reading every post again (A, as before) or the posts it added (B), interleaved
    import app.lostfound.page as page_module
    from core.lostfound.store import PostStore as Store

    sides = {"read every post": [], "read the 100 added": []}
    for i in range(args.repeat):
        for side, ways in sides.items():
            csv = Path(tempfile.mkdtemp()) / "posts.csv"
            csv.write_text("kind,description,category\n" + "".join(
                f"found,imported {i} {side} {j} 검정 지갑,wallet\n" for j in range(100)), encoding="utf-8")
            importer = Store(page.store.path)
            report = importer.import_file(csv)
            importer.close()
            page_module.IMPORT_READ_ALONE = -1 if side == "read every post" else 2000
            t = time.perf_counter()
            page._imported(report)
            app.processEvents()
            ways.append(time.perf_counter() - t)
            shown = page.posts_panel.posts_model.posts[-100:]
            assert [p.id for p in shown] == report.added and len(report.added) == 100, side
    (a, ta), (b, tb) = sides.items()
    print(f"an import of 100 posts shown, medians of {args.repeat} interleaved: {a} {1000 * statistics.median(ta):.0f} ms, "
          f"{b} {1000 * statistics.median(tb):.1f} ms (x{statistics.median(ta) / statistics.median(tb):.0f})")
    if os.environ.get("PROFILE"):
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        page.reload_posts()
        app.processEvents()
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(20)
    close(window, queue)
    return 0


if __name__ == "__main__":
    sys.exit(main())
