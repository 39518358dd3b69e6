"""Albums jobs: indexing, grouping and export run on the workers through one core ``Album``."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from app.filedialogs import pick_folder
from core.albums.store import AlbumStore
from core.jobs import Lane, Priority


def regroup_change(before, after) -> str:
    """What moving a tuning control did, in words (so a control never seems to do nothing)."""
    changes = []
    if after.events != before.events:
        changes.append(f"events {before.events} → {after.events}")
    if after.unsorted != before.unsorted:
        changes.append(f"unsorted {before.unsorted} → {after.unsorted}")
    if after.unsure != before.unsure:
        changes.append(f"unsure {before.unsure} → {after.unsure}")
    if not changes:
        return ("Nothing moved: no photo lies where this setting decides (for Unsorted: no stray photo "
                "within the new reach of an event).")
    return "Changed: " + ", ".join(changes) + "."


class AlbumJobs:
    # -- jobs -------------------------------------------------------------------------
    def _album_job(self, name: str, work, on_done, lane=Lane.MODEL, priority=Priority.BATCH):
        """Indexing and grouping are batch work (they yield to other pages' queries between batches);
        a search is interactive, but waits for a batch job on this album (the same resource)."""
        ctx = self.context
        preset = self.model_choice.currentData()
        store_path = self.store.path
        state = self._worker_state
        page = self

        def run(progress, cancelled):
            from core.albums.pipeline import Album, make_models

            album = state["album"]
            if album is None or album.models.image.name != preset:
                models = make_models(ctx.models, preset, captions=True, progress=progress, cancelled=cancelled)
                if album is not None:  # another model: the old album's store closes here, on its thread
                    album.store.close()
                album = state["album"] = Album(AlbumStore(store_path), ctx.cache, models)
            result = work(album, progress, cancelled)
            page.search_index = album.search_index()  # made here, read-only after: Find similar on the UI
            return result

        return ctx.jobs.submit(run, name, lane, on_done=on_done, on_error=self._job_failed,
                               priority=priority, resource=str(store_path),
                               on_cancelled=lambda job: (self.note.setText(f"{job.name}: cancelled; "
                                                                           "finished photos are kept"),
                                                         self.reload()))

    def add_paths(self, paths: list[str] | None):
        if paths is None:
            folder = pick_folder(self, "photos", "Add a folder of photos", next_in_parent=True)
            paths = [folder] if folder else []
        if not paths:
            return None
        settings, proto = self.cluster_settings(), self.proto_settings()

        def work(album, progress, cancelled):
            report = album.add(paths, progress, cancelled)
            album.refresh_text()
            return report, album.regroup(settings, proto), album.models.describe()

        job = self._album_job(f"Albums: add {', '.join(Path(p).name for p in paths)}", work, self._indexed)
        self._arriving.add(job.id)  # not the empty panel while the first photos are on their way
        self.reload()
        self.note.setText(f"Reading {', '.join(Path(p).name for p in paths)}: the events appear when the "
                          "photos are grouped (progress above).")
        return job

    def index_existing(self):
        settings, proto = self.cluster_settings(), self.proto_settings()
        first = not self.store.events()

        def work(album, progress, cancelled):
            report = album.index(progress, cancelled)
            group = album.regroup(settings, proto) if first or report.new else None
            return report, group, album.models.describe()

        return self._album_job("Albums: check photos", work, self._indexed)

    def regroup(self):
        self._debounce.stop()  # a pending settings change is folded into this run: it must not cancel it later
        self._save_tuning()
        if not self.store.folders():
            return None
        if self._pending_regroup is not None and not self._pending_regroup.state.done:
            self.context.jobs.cancel(self._pending_regroup.id)  # only the newest settings matter
        settings, proto = self.cluster_settings(), self.proto_settings()

        def work(album, progress, cancelled):
            if album.data is None:
                album.index(progress, cancelled)
            album.refresh_text()
            return None, album.regroup(settings, proto), album.models.describe()

        self._pending_regroup = self._album_job("Albums: group events", work, self._indexed)
        return self._pending_regroup

    def _indexed(self, result) -> None:
        report, group, models = result
        self.last_report = report
        self.undo_stack.clear()  # the grouping changed under the edits: they can no longer be undone one by one
        parts = []
        if report is not None:
            parts.append(report.summary() + ".")
            if report.errors:
                shown = "; ".join(f"{Path(p).name}: {m}" for p, m in report.errors[:5])
                more = f" (and {len(report.errors) - 5} more: see Could not read)" if len(report.errors) > 5 else ""
                parts.append(f"Could not read {shown}{more}.")
        if group is not None:
            parts.append(f"{group.events} events, {group.unsorted} unsorted"
                         + (f", {group.unsure} unsure" if group.unsure else "")
                         + (f", {group.by_example} placed by examples" if group.by_example else "") + ".")
            if group.settings_note:
                parts.append(group.settings_note[0].upper() + group.settings_note[1:] + ".")
            before = getattr(self, "_last_group", None)
            if report is None and before is not None:  # re-grouped after a setting moved: what it changed
                parts.append(regroup_change(before, group))
            self._last_group = group
        parts.append(f"Image model: {models['image']['preset']}; captions: "
                     + (models["captions"] if isinstance(models["captions"], str) else models["captions"]["preset"])
                     + ".")
        if any("CoCa" in n for n in models.get("notes", [])):
            parts.append("(CoCa caption weights are not on this machine: Tools → Models says how to get them.)")
        self.note.setText(" ".join(parts))
        self.note.setToolTip(json.dumps(models, ensure_ascii=False, indent=1))
        self.reload()

    def _job_failed(self, job) -> None:
        self.last_error = job.error
        self.note.setText(f"{job.name} failed: {job.error}")
        self.reload()

    def _model_changed(self) -> None:
        self._save_tuning()  # the album's model, kept with it (back after a restart)
        if self._shown and self.store.folders():
            self.regroup()

    def export(self, folder: str | None, mode: str | None = None):
        if folder is None:
            folder = pick_folder(self, "export", "Export events into a folder")
            if not folder:
                return None
            answer = QMessageBox.question(self, "Export", "Link the photos instead of copying them?\n"
                                          "(Links take no space; copies survive moving the originals.)",
                                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                          QMessageBox.StandardButton.No)
            mode = "link" if answer == QMessageBox.StandardButton.Yes else "copy"
        store_path = self.store.path

        def work(progress, cancelled):
            from core.albums.pipeline import export_album

            with AlbumStore(store_path) as store:
                return export_album(store, folder, mode or "copy", progress, cancelled)

        def done(report):
            self.last_report = report
            text = f"Exported {report['exported']} photos to {report['folder']} (events.json, photos.csv)."
            if report["problems"]:
                text += f" {len(report['problems'])} could not be exported: " + "; ".join(
                    f"{Path(p).name}: {m}" for p, m in report["problems"][:3])
            self.note.setText(text)

        return self.context.jobs.submit(work, f"Albums: export to {folder}", Lane.IO, on_done=done,
                                        on_error=self._job_failed)
