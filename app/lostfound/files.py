"""Lost & Found import / export of posts, and the all-matches report.

``PostFiles`` runs the file work as jobs and says what came of it: ``message`` for the page's
note, ``imported`` (the import's report: the page reads the posts again), ``report`` (the
matches found for open posts) and ``failed`` (a job that failed).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from app.filedialogs import open_file, save_file
from app.lostfound.models import format_breakdown
from app.lostfound.session import LostFoundSession
from core.jobs import Lane
from core.lostfound.match import MatchSettings
from core.lostfound.store import PostStore


def dropped_paths(event) -> list[str]:
    """The photos and the CSV / JSON files of a drag or a drop."""
    from core.images import is_image_path

    urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
    paths = [u.toLocalFile() for u in urls if u.isLocalFile()]
    return [p for p in paths if is_image_path(p) or p.lower().endswith((".csv", ".json"))]


class PostFiles(QObject):
    message = Signal(str)
    imported = Signal(object)  # core.lostfound.store's import report
    report = Signal(list)  # the likely matches of the open posts (core.lostfound.service rows)
    failed = Signal(object)  # the failed core.jobs.Job

    def __init__(self, session: LostFoundSession, jobs, settings: Callable[[], MatchSettings],
                 parent: QWidget) -> None:
        super().__init__(parent)
        self.session, self.jobs, self.settings, self.widget = session, jobs, settings, parent

    def import_posts(self, path: str | None):
        if not path:
            path = open_file(self.widget, "tables", "Import posts", "Posts (*.csv *.json)")
        if not path:
            return None
        store_path = self.session.store.path

        def work(progress, cancelled):
            store = PostStore(store_path)
            try:
                return store.import_file(path)
            finally:  # closed here: a connection left open kept lostfound.sqlite-wal after the app closed
                store.close()

        return self.jobs.submit(work, f"Lost & Found: import posts from {Path(path).name}", Lane.IO,
                                on_done=self._imported, on_error=self.failed.emit)

    def _imported(self, report) -> None:
        text = report.summary()
        if report.messages():
            text += " — " + "; ".join(report.messages()[:8])
            if len(report.messages()) > 8:
                text += f"; … {len(report.messages()) - 8} more (see the job's details)"
        self.message.emit(text)
        self.imported.emit(report)

    def export_posts(self, path: str | None) -> int:
        if not path:
            path = save_file(self.widget, "export", "Export posts", "posts.csv", "CSV (*.csv);;JSON (*.json)")
        if not path:
            return 0
        n = self.session.store.export(path)
        self.message.emit(f"{n} posts written to {path}")
        return n

    def find_all(self, path: str | None = None):
        service = self.session.service
        if service is None:
            self.message.emit("Posts are still being embedded; try again in a moment.")
            return None
        settings = self.settings()

        def work(progress, cancelled):
            return service.match_all(settings, 3, progress, cancelled)

        return self.jobs.submit(work, "Lost & Found: find all matches", Lane.IO,
                                on_done=lambda rows: self._show_report(rows, path, settings.similar_threshold),
                                on_error=self.failed.emit)

    def _show_report(self, rows, path: str | None, threshold: float) -> None:
        self.report.emit(rows)
        self.message.emit(f"{len(rows)} likely matches for open posts.")
        if path is None:
            box = QMessageBox(QMessageBox.Icon.Information, "Find all matches",
                              f"{len(rows)} likely matches (score ≥ {threshold:.2f}) for open posts.",
                              parent=self.widget)
            save = box.addButton("Export report…", QMessageBox.ButtonRole.AcceptRole)
            box.addButton(QMessageBox.StandardButton.Close)
            box.buttonClicked.connect(lambda b: b is save and self._export_report(rows, None))
            box.open()
        else:
            self._export_report(rows, path)

    def _export_report(self, rows, path: str | None) -> None:
        if not path:
            path = save_file(self.widget, "export", "Export report", "matches.csv", "CSV (*.csv);;JSON (*.json)")
        if not path:
            return
        from dataclasses import asdict

        from core.fileio import atomic_write, csv_safe

        if path.lower().endswith(".json"):
            with atomic_write(path) as fh:
                json.dump([asdict(r) for r in rows], fh, ensure_ascii=False, indent=2)
        else:
            with atomic_write(path, newline="") as fh:
                w = csv.writer(fh)
                w.writerow(["post_id", "kind", "description", "match_id", "match_description", "score", "breakdown"])
                for r in rows:
                    w.writerow([r.post_id, r.kind, csv_safe(r.description), r.match_id, csv_safe(r.match_description),
                                r.score, csv_safe(format_breakdown(r.breakdown))])
        self.message.emit(f"Report with {len(rows)} matches written to {path}")
