"""The bundled demo posts (``resources/demo/lostfound/posts.csv``).

Photos: crops of CC BY 4.0 webcam photos (Roboflow "detection-necem") and
CC0 clothing photos; descriptions written by the Simscope team for the demo.
"""

from __future__ import annotations

from core.lostfound.store import ImportReport, PostStore
from core.paths import resource


def demo_csv():
    return resource("demo", "lostfound", "posts.csv")


def load_demo(store: PostStore) -> ImportReport:
    """Import the demo posts (duplicates are skipped, so running it twice adds nothing)."""
    return store.import_file(demo_csv())
