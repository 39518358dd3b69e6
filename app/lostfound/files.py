"""Lost & Found import / export of posts, and the all-matches report."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from app.filedialogs import open_file, save_file
from app.lostfound.models import format_breakdown
from core.jobs import Lane
from core.lostfound.store import PostStore


class LostFoundFiles:
    # -- drops: a photo starts a new post with it, a CSV or JSON file is imported ----------------
    @staticmethod
    def _dropped(event) -> list[str]:
        from core.images import is_image_path

        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        paths = [u.toLocalFile() for u in urls if u.isLocalFile()]
        return [p for p in paths if is_image_path(p) or p.lower().endswith((".csv", ".json"))]

    def dragEnterEvent(self, event) -> None:  # Qt API
        if self._dropped(event):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # Qt API
        paths = self._dropped(event)
        if not paths:
            return
        event.acceptProposedAction()
        first, rest = paths[0], len(paths) - 1
        if first.lower().endswith((".csv", ".json")):
            self.import_posts(first)
        else:
            self.edit_post(None).photo.set_path(first)  # the form, with the photo: the user adds the words
        if rest:
            self.note.setText(f"Dropped {rest + 1} files: only {Path(first).name} was taken (one post, or one "
                              f"file to import, at a time)")

    def import_posts(self, path: str | None):
        if not path:
            path = open_file(self, "tables", "Import posts", "Posts (*.csv *.json)")
        if not path:
            return None
        store_path = self.store.path

        def work(progress, cancelled):
            store = PostStore(store_path)
            try:
                return store.import_file(path)
            finally:  # closed here: a connection left open kept lostfound.sqlite-wal after the app closed
                store.close()

        return self.context.jobs.submit(work, f"Lost & Found: import posts from {Path(path).name}", Lane.IO,
                                        on_done=self._imported, on_error=self._job_failed)

    def _imported(self, report) -> None:
        self.last_report = report
        text = report.summary()
        if report.messages():
            text += " — " + "; ".join(report.messages()[:8])
            if len(report.messages()) > 8:
                text += f"; … {len(report.messages()) - 8} more (see the job's details)"
        self.note.setText(text)
        self.reload_posts()

    def export_posts(self, path: str | None) -> int:
        if not path:
            path = save_file(self, "export", "Export posts", "posts.csv", "CSV (*.csv);;JSON (*.json)")
        if not path:
            return 0
        n = self.store.export(path)
        self.note.setText(f"{n} posts written to {path}")
        return n

    def find_all(self, path: str | None = None):
        service = self.service
        if service is None:
            self.note.setText("Posts are still being embedded; try again in a moment.")
            return None
        settings = self.settings()

        def work(progress, cancelled):
            return service.match_all(settings, 3, progress, cancelled)

        return self.context.jobs.submit(work, "Lost & Found: find all matches", Lane.IO,
                                        on_done=lambda rows: self._show_report(rows, path),
                                        on_error=self._job_failed)

    def _show_report(self, rows, path: str | None) -> None:
        self.last_report = rows
        self.note.setText(f"{len(rows)} likely matches for open posts.")
        if path is None:
            box = QMessageBox(QMessageBox.Icon.Information, "Find all matches",
                              f"{len(rows)} likely matches (score ≥ {self.threshold.value():.2f}) for open posts.",
                              parent=self)
            save = box.addButton("Export report…", QMessageBox.ButtonRole.AcceptRole)
            box.addButton(QMessageBox.StandardButton.Close)
            box.buttonClicked.connect(lambda b: b is save and self._export_report(rows, None))
            box.open()
        else:
            self._export_report(rows, path)

    def _export_report(self, rows, path: str | None) -> None:
        if not path:
            path = save_file(self, "export", "Export report", "matches.csv", "CSV (*.csv);;JSON (*.json)")
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
        self.note.setText(f"Report with {len(rows)} matches written to {path}")
