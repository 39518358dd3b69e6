"""Photos that arrive later (a watched folder, ``albums add`` again) placed into the existing
events without regrouping the library; a full regroup only when asked.

The rules are the grouping's own (``core.albums.cluster``), applied to the new photos alone:

1. time and place first: a new photo taken within ``time_gap_hours`` of a placed photo (and,
   both with GPS, no more than ``jump_km`` from it) joins that photo's event; where several
   events are that near, the one whose centre its image is nearest. Repeated, so a new photo
   chained in time to one that joined an event joins it too;
2. new timed photos left over that form a time segment of two or more among themselves are a new
   event (as a segment is in the full grouping);
3. the rest (no time, or alone in time) go by content: the event most of their ``K_NEAREST``
   nearest placed photos (image cosine) are in, when at least ``SHARE`` of them agree and the
   photo is no further from that event's centre than the event's own furthest member;
   otherwise they stay unsorted, as a full grouping would leave a stray.

Cost: the new photos × the placed photos' vectors (one matrix product in blocks) plus a sort of
the capture times: adding 100 photos to 100,000 placed ones is measured in
``bench/albums_index.py place``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from core.albums.cluster import ClusterSettings, haversine_km, time_segments
from core.albums.events import GroupInput, describe_event
from core.albums.store import AlbumStore

K_NEAREST = 10
SHARE = 0.5
GROUPED_AT = "grouped_at"  # store meta: when the album was last grouped or placed into (epoch seconds)


@dataclass
class PlaceReport:
    new: int = 0
    by_time: int = 0
    by_content: int = 0
    new_events: int = 0
    unsorted: int = 0

    def summary(self) -> str:
        return (f"{self.new} new photos: {self.by_time} joined events by capture time, {self.by_content} by "
                f"content, {self.new_events} new events, {self.unsorted} unsorted (no regroup)")


def mark_grouped(store: AlbumStore, when: float | None = None) -> None:
    """Photos added after this are new to the grouping (``new_photos``)."""
    store.set_meta(GROUPED_AT, time.time() if when is None else when)


def new_photos(store: AlbumStore) -> list[str] | None:
    """Paths added since the album was last grouped and not placed by anyone since; None when it
    was never grouped (there are no events to place into: group it)."""
    when = store.get_meta(GROUPED_AT)
    if when is None:
        return None
    return store.added_since(float(when))


def _members(events: np.ndarray) -> dict[int, np.ndarray]:
    """event id → positions holding it (one sort: O(n log n))."""
    order = np.argsort(events, kind="stable")
    cuts = np.flatnonzero(np.diff(events[order])) + 1
    return {int(events[g[0]]): g for g in np.split(order, cuts) if len(g)}


def place_new(store: AlbumStore, data: GroupInput, paths: list[str],
              settings: ClusterSettings | None = None, make_namer=None) -> PlaceReport:
    """Place ``paths`` (rows of ``data``; unsorted, not pinned) into the store's events by the
    module's rules, writing one transaction; events and the other photos are left as they are.
    ``make_namer()``: the grouping's namer, made only when new events need names."""
    settings = settings or ClusterSettings()
    report = PlaceReport()
    row = {p: i for i, p in enumerate(data.paths)}
    placed = [(row[p], e) for p, e in store.in_events() if p in row]
    new = np.array([row[p] for p in paths if p in row], np.int64)
    report.new = len(new)
    if not len(new):
        mark_grouped(store)
        return report
    old_rows = np.array([r for r, _ in placed], np.int64)
    old_events = np.array([e for _, e in placed], np.int64)
    times = np.asarray(data.times, np.float64)
    gps = data.gps if data.gps is not None else np.full((len(times), 2), np.nan)
    vectors = np.asarray(data.vectors, np.float32)
    members = _members(old_events) if len(old_events) else {}
    centres: dict[int, tuple[np.ndarray, float]] = {}

    def centre(event: int) -> tuple[np.ndarray, float]:
        """(unit centre, cosine of the event's furthest member to it)."""
        if event not in centres:
            v = vectors[old_rows[members[event]]]
            c = v.mean(0)
            c /= max(float(np.linalg.norm(c)), 1e-12)
            centres[event] = (c, float((v @ c).min()))
        return centres[event]

    assign: dict[int, int] = {}  # data row → event id
    why: dict[int, str] = {}
    # 1. time (and place): joins the event of a photo taken within the gap, chained
    timed = [int(r) for r in new if not np.isnan(times[r])]
    known = ~np.isnan(times[old_rows])
    ref_rows, ref_events = old_rows[known].tolist(), old_events[known].tolist()
    changed = True
    while changed and timed:
        changed = False
        ref_t = times[np.array(ref_rows, np.int64)] if ref_rows else np.zeros(0)
        order = np.argsort(ref_t, kind="stable")
        sorted_t = ref_t[order]
        for r in [r for r in timed if r not in assign]:
            lo, hi = np.searchsorted(sorted_t, times[r] - settings.time_gap_hours), \
                np.searchsorted(sorted_t, times[r] + settings.time_gap_hours, side="right")
            near = [order[j] for j in range(lo, hi)]
            if not np.isnan(gps[r]).any():
                near = [j for j in near if np.isnan(gps[ref_rows[j]]).any() or
                        haversine_km(gps[r][None], gps[ref_rows[j]][None])[0] <= settings.jump_km]
            candidates = sorted({int(ref_events[j]) for j in near})
            if not candidates:
                continue
            best = candidates[0] if len(candidates) == 1 else max(
                candidates, key=lambda e: float(vectors[r] @ centre(e)[0]) if e in members else -np.inf)
            assign[r] = best
            why[r] = f"taken within {settings.time_gap_hours:g} h of this event's photos (added later)"
            ref_rows.append(r)
            ref_events.append(best)
            changed = True
    report.by_time = len(assign)
    # 2. new timed photos left over: a time segment of two or more among themselves is a new event
    new_events: dict[int, dict] = {}
    left = np.array([r for r in timed if r not in assign], np.int64)
    if len(left) >= 2:
        seg = time_segments(times[left], gps[left], settings.time_gap_hours, settings.jump_km)
        for s in np.unique(seg[seg >= 0]):
            rows = left[seg == s]
            if len(rows) >= 2:
                tmp = -(len(new_events) + 1)
                new_events[tmp] = {"rows": rows}
                for r in rows:
                    assign[int(r)] = tmp
                    why[int(r)] = "a new time segment of photos added later"
    report.new_events = len(new_events)
    # 3. content: the event most of its nearest placed photos are in, within that event's reach
    rest = np.array([r for r in new if int(r) not in assign], np.int64)
    if len(rest) and len(old_rows):
        k = min(K_NEAREST, len(old_rows))
        event_ids = np.array(sorted(members), np.int64)
        slot = np.full(len(vectors), -1, np.int64)  # each placed photo's event as 0..E-1, by data row
        slot[old_rows] = np.searchsorted(event_ids, old_events)
        outside = slot < 0
        for s in range(0, len(rest), 256):
            part = rest[s:s + 256]
            sims = vectors[part] @ vectors.T  # all rows (no copy of the placed ones' matrix), others masked
            sims[:, outside] = -np.inf
            top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
            for r, nearest in zip(part, top, strict=True):
                votes = np.bincount(slot[nearest], minlength=len(event_ids))
                best = int(np.argmax(votes))
                event = int(event_ids[best])
                c, furthest = centre(event)
                if votes[best] >= SHARE * k and float(vectors[r] @ c) >= furthest:
                    assign[int(r)] = event
                    why[int(r)] = f"{votes[best]} of its {k} nearest photos are in this event (added later)"
                    report.by_content += 1
    report.unsorted = report.new - len(assign)
    # one transaction: the new events with their names, the placed photos, what the grouping said
    ids = store.photo_ids([data.paths[r] for r in new])
    fields = {}
    namer = make_namer() if new_events and make_namer is not None else None
    for tmp, ev in new_events.items():
        d = describe_event(data, ev["rows"], namer)
        fields[tmp] = {"name": d["name"], "caption": d["caption"], "tags": d["tags"], "rep_rows": d["rep_rows"]}
    made = store.apply_grouping({ids[data.paths[r]]: e for r, e in assign.items()}, set(),
                                {t: {k: v for k, v in f.items() if k != "rep_rows"} for t, f in fields.items()},
                                {}, [], {ids[data.paths[r]]: w for r, w in why.items()})
    if fields:
        store.apply_grouping({}, set(), {}, {made[t]: {"representatives": [ids[data.paths[r]] for r in f["rep_rows"]]}
                                            for t, f in fields.items()}, [])
    mark_grouped(store)
    return report
