"""Albums jobs: indexing, grouping, the searches and export run on the workers through one core ``Album``.

``AlbumJobs`` is built from the session, the job queue, the model manager, the embedding cache
and the page's undo stack (a new grouping clears it). What a job found goes into the session
(``last_report``, ``search_index``, ``duplicate_groups``, a results group) and the views follow
its signals; what it says goes to ``session.say``.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from app.albums.session import AlbumSession
from app.filedialogs import pick_folder
from app.jobs import JobQueue, return_freed_memory
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


def vectors_at_rest(album) -> None:
    """Between jobs the worker's album keeps its image vectors as float16: half the memory (244 MB
    less at 100,000 photos), and the values the embedding cache holds (it stores float16), so the
    next job's float32 vectors (:func:`vectors_for_work`) are those a restart reads back."""
    import numpy as np

    if album.data is not None and album.data.vectors.dtype != np.float16:
        album.data.vectors = converted(album.data, np.float16)


def vectors_for_work(album) -> None:
    """The album's vectors as float32 for a job (grouping, duplicates and the search index compute
    in float32): made from the float16 kept between jobs."""
    import numpy as np

    if album.data is not None and album.data.vectors.dtype != np.float32:
        album.data.vectors = converted(album.data, np.float32)


def converted(data, dtype, block: int = 8192):
    """``data.vectors`` as ``dtype``, converted from the last rows up while the old array is shrunk
    behind them (``ndarray.resize``: realloc hands the rows done back), so the two are never whole
    at once: 100,000 photos peak at the larger array, not at 0.73 GB. Where something else holds
    the old array (a view of it), it is converted as it is and freed when that goes."""
    import numpy as np

    old, data.vectors = data.vectors, None
    out = np.empty(old.shape, dtype)
    shrink = old.flags.c_contiguous and old.flags.owndata and old.base is None
    for end in range(len(old), 0, -block):
        start = max(0, end - block)
        out[start:end] = old[start:end]
        if shrink:
            try:
                old.resize((start, *old.shape[1:]), refcheck=True)
            except ValueError:  # referenced elsewhere: not resized
                shrink = False
    return out


class AlbumJobs(QObject):
    details = Signal(str)  # the models a job used, in full (the note's tooltip)

    def __init__(self, session: AlbumSession, jobs: JobQueue, models, cache, undo_stack, parent: QWidget) -> None:
        super().__init__(parent)
        self.session, self.jobs, self.models, self.cache = session, jobs, models, cache
        self.undo_stack, self.widget = undo_stack, parent
        self.pending_regroup = None  # the newest "group events" job
        self.debounce = QTimer(self, singleShot=True, interval=350)  # a tuning control still: re-group
        self.debounce.timeout.connect(self.regroup)
        jobs.job_finished.connect(lambda job: session.arriving.discard(job.id))

    def _album_job(self, name: str, work, on_done, lane=Lane.MODEL, priority=Priority.BATCH, on_message=None,
                   vectors: bool = True):
        """Indexing and grouping are batch work (they yield to other pages' queries between batches);
        a search is interactive, but waits for a batch job on this album (the same resource).
        ``vectors``: the job reads the album's image vectors, made float32 for it and float16 again
        after (0.55 s and a 512 MB array at 100,000 photos; a word search reads neither)."""
        models, cache, session = self.models, self.cache, self.session
        preset, store_path, state = session.preset, session.store.path, session.worker_state

        def run(progress, cancelled):
            from core.albums.pipeline import Album, make_models

            album = state["album"]
            if album is None or album.models.image.name != preset:
                made = make_models(models, preset, captions=True, progress=progress, cancelled=cancelled)
                if album is not None:  # another model: the old album's store closes here, on its thread
                    album.store.close()
                album = state["album"] = Album(AlbumStore(store_path), cache, made)
            if vectors:
                vectors_for_work(album)
            try:
                result = work(album, progress, cancelled)
                session.search_index = album.search_index()  # made here, read-only after: Find similar on the UI
            finally:
                vectors_at_rest(album)
            if vectors:
                return_freed_memory()  # the job's temporaries (100,000 photos' rows): back to the OS
            return result

        return self.jobs.submit(run, name, lane, on_done=on_done, on_error=self._failed, priority=priority,
                                resource=str(store_path), on_message=on_message,
                                on_cancelled=lambda job: (session.say(f"{job.name}: cancelled; finished photos "
                                                                      "are kept" + self._owed()), session.reload()))

    def _owed(self) -> str:
        return ("; the events by capture time are grouped by content when the album is next opened"
                if self.session.store.has_provisional() else "")

    def _early_events(self, payload) -> None:
        """An indexing job put the photos into events by capture time (``ProvisionalEvents``), before
        reading what they show: the list shows them now, while the job goes on."""
        from core.albums.pipeline import ProvisionalEvents

        if isinstance(payload, ProvisionalEvents):
            self.session.reload()
            self.session.say(f"{payload.text()} when every photo is read (progress above). "
                             "You can open them meanwhile; a name you give an event is kept.")

    # -- indexing and grouping ------------------------------------------------------------
    def add_paths(self, paths: list[str] | None):
        if paths is None:
            folder = pick_folder(self.widget, "photos", "Add a folder of photos", next_in_parent=True)
            paths = [folder] if folder else []
        if not paths:
            return None
        self.debounce.stop()  # a tuning change still pending is folded into this add's grouping
        self.session.save_tuning()  # (it queued a second "group events" to run after the add)
        settings, proto = self.session.cluster_settings(), self.session.proto_settings()

        def work(album, progress, cancelled):
            report = album.add(paths, progress, cancelled, settings=settings)  # events by capture time first
            album.refresh_text()
            return report, album.regroup(settings, proto), album.models.describe()

        job = self._album_job(f"Albums: add {', '.join(Path(p).name for p in paths)}", work, self._indexed,
                              on_message=self._early_events)
        self.session.arriving.add(job.id)  # not the empty panel while the first photos are on their way
        self.session.reload()
        self.session.say(f"Reading {', '.join(Path(p).name for p in paths)}: events by capture time appear "
                         "first, then the photos are grouped by what they show (progress above).")
        return job

    def index_existing(self):
        settings, proto = self.session.cluster_settings(), self.session.proto_settings()
        first = not self.session.store.events()

        def work(album, progress, cancelled):
            report = album.index(progress, cancelled, settings=settings)
            # events by capture time still owe their grouping by content (a run stopped half-way)
            owed = album.store.has_provisional()
            group = album.regroup(settings, proto) if first or report.new or owed else None
            return report, group, album.models.describe()

        return self._album_job("Albums: check photos", work, self._indexed, on_message=self._early_events)

    def regroup(self):
        self.debounce.stop()  # a pending settings change is folded into this run: it must not cancel it later
        self.session.save_tuning()
        if not self.session.store.folders():
            return None
        if self.pending_regroup is not None and not self.pending_regroup.state.done:
            self.jobs.cancel(self.pending_regroup.id)  # only the newest settings matter
        settings, proto = self.session.cluster_settings(), self.session.proto_settings()

        def work(album, progress, cancelled):
            if album.data is None:
                album.index(progress, cancelled)
            album.refresh_text()
            return None, album.regroup(settings, proto), album.models.describe()

        self.pending_regroup = self._album_job("Albums: group events", work, self._indexed)
        return self.pending_regroup

    def _indexed(self, result) -> None:
        report, group, models = result
        session = self.session
        session.last_report = report
        if group is not None or report is None or report.new or report.computed or report.captioned or report.gone:
            self.undo_stack.clear()  # the grouping changed under the edits: they can no longer be undone one by one
        # else a check that found nothing new (a file unreadable as before is no change): an edit made
        # while it ran can still be undone
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
            if report is None and session.last_group is not None:  # re-grouped after a setting moved
                parts.append(regroup_change(session.last_group, group))
            session.last_group = group
        parts.append(f"Image model: {models['image']['preset']}; captions: "
                     + (models["captions"] if isinstance(models["captions"], str) else models["captions"]["preset"])
                     + ".")
        if any("CoCa" in n for n in models.get("notes", [])):
            parts.append("(CoCa caption weights are not on this machine: Tools → Models says how to get them.)")
        session.say(" ".join(parts))
        self.details.emit(json.dumps(models, ensure_ascii=False, indent=1))
        session.reload()

    def _failed(self, job) -> None:
        self.session.last_error = job.error
        self.session.say(f"{job.name} failed: {job.error}")
        self.session.reload()

    # -- the searches -----------------------------------------------------------------------
    def find_similar(self, path: str, k: int = 40) -> list[tuple[str, float]]:
        """The photos nearest ``path`` across the album, shown as a "Similar to …" group (searched
        here on the UI thread: the search layer answers in milliseconds)."""
        session = self.session
        if session.search_index is None:
            session.say("The album's photos are still being read; try again when they are grouped.")
            return []
        from core.albums.relevance import similar_found

        try:
            found = similar_found(session.search_index, path, k)  # only what beats most unrelated pairs
        except KeyError:
            session.say(f"{Path(path).name} has no image vector: it could not be read, or it is still being read.")
            return []
        hits = found.pairs()
        session.show_results((path, hits, None), {p: b for p, _, b in found.hits})
        session.say(f"Like {Path(path).name}: {found.summary()}.")
        return hits

    def find_duplicates(self):
        """Duplicates and bursts across the album (a job), shown as one group: each group's
        suggested keeper first ("keep #1"), then its copies ("#1 duplicate" / "#1 burst")."""
        session = self.session
        if session.store.is_empty():
            session.say("Add photo folders first: then look for duplicates in them.")
            return None

        def done(groups) -> None:
            hits = []
            for n, g in enumerate(groups, 1):
                hits.append((g.keeper, f"keep #{n}"))
                hits += [(p, f"#{n} {g.kind}") for p in g.paths if p != g.keeper]
            bursts = sum(g.kind == "burst" for g in groups)
            session.duplicate_groups = list(groups)
            said = (f"{len(groups)} groups ({len(groups) - bursts} duplicates, {bursts} bursts)"
                    if groups else "No duplicates or bursts")
            session.show_results((said, hits, "duplicates"))
            session.say(f"{said}: the keeper of each is suggested; nothing was deleted.")

        return self._album_job("Albums: find duplicates", lambda album, progress, cancelled:
                               album.duplicates(progress, cancelled), done, priority=Priority.NORMAL)

    def search_words(self, query: str, k: int = 60):
        """Photos matching words, shown as a "Words: …" group (a job: the sentence model
        embeds the query, and the photos' texts the first time)."""
        session = self.session
        query = query.strip()
        if not query:
            session.say("Type a word or two to search for (e.g. beach, 생일 케이크).")
            return None
        if session.store.is_empty():
            session.say("Add photo folders first: then search them by words.")
            return None

        def work(album, progress, cancelled):
            progress(0.1, f"Searching for {query!r}")
            from core.albums.relevance import words_found

            return words_found(album, query, k)  # only what beats most unrelated pairs

        def done(found) -> None:
            from core.albums.pipeline import widened_note

            result, kind = found
            hits = result.pairs()
            session.show_results((query, hits, "words"), {p: b for p, _, b in result.hits})
            also = f" Also {widened_note(kind)}." if kind else ""
            session.say((f"For “{query}”: {result.summary()}." if hits or result.below else
                         f"No photo has a note, caption or tag near “{query}”.") + also)

        return self._album_job(f"Albums: search “{query}”", work, done, priority=Priority.INTERACTIVE,
                               vectors=False)

    # -- export -----------------------------------------------------------------------------
    def export(self, folder: str | None, mode: str | None = None):
        if folder is None:
            folder = pick_folder(self.widget, "export", "Export events into a folder")
            if not folder:
                return None
            answer = QMessageBox.question(self.widget, "Export", "Link the photos instead of copying them?\n"
                                          "(Links take no space; copies survive moving the originals.)",
                                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                          QMessageBox.StandardButton.No)
            mode = "link" if answer == QMessageBox.StandardButton.Yes else "copy"
        store_path = self.session.store.path

        def work(progress, cancelled):
            from core.albums.pipeline import export_album

            with AlbumStore(store_path) as store:
                return export_album(store, folder, mode or "copy", progress, cancelled)

        def done(report):
            self.session.last_report = report
            text = f"Exported {report['exported']} photos to {report['folder']} (events.json, photos.csv)."
            if report["problems"]:
                text += f" {len(report['problems'])} could not be exported: " + "; ".join(
                    f"{Path(p).name}: {m}" for p, m in report["problems"][:3])
            self.session.say(text)

        return self.jobs.submit(work, f"Albums: export to {folder}", Lane.IO, on_done=done, on_error=self._failed)
