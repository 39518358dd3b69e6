"""Why a photo is where it is: its time segment, its nearest examples, its closeness to events.

``explain_photo`` reads the album as it is now (the store, and each photo's image vector) and
says in plain lines what put a photo in its event, or left it unsorted or unsure:

* placed by the user (pinned), or could not be read;
* its capture time and its *time segment* (the photos taken with no gap longer than the
  grouping's ``time_gap_hours``), how many of them share its event; or that it has no time, so
  content alone placed it;
* its cosine similarity to its event's centre and to the nearest other photo of the event, and
  the next-closest event (the margin is why it is not there);
* for events defined by example, the nearest example and its closeness;
* with the automatic settings, how often the settings kept it with its event's photos, or that
  it sat at an event's edge and the read-out decided (``grouping_reasons``, kept by the store).

The GUI shows these lines beside the selected photo; the CLI prints them
(``python -m core albums why PHOTO``).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.albums.store import AlbumStore, Photo
from core.vectors import unit


def _when(seconds: float) -> str:
    t = _dt.datetime.fromtimestamp(seconds)  # local time, as the event names show dates
    return f"{t.day} {t:%b %Y %H:%M}"


def time_segment(photos: list[Photo], photo: Photo, gap_hours: float) -> list[Photo]:
    """The photos in ``photo``'s time segment: consecutive in time with no gap over ``gap_hours``."""
    if photo.taken_at is None:
        return []
    timed = sorted((p for p in photos if p.taken_at is not None), key=lambda p: (p.taken_at, p.id))
    at = next(i for i, p in enumerate(timed) if p.id == photo.id)
    gap = gap_hours * 3600.0
    lo = at
    while lo > 0 and timed[lo].taken_at - timed[lo - 1].taken_at <= gap:
        lo -= 1
    hi = at
    while hi + 1 < len(timed) and timed[hi + 1].taken_at - timed[hi].taken_at <= gap:
        hi += 1
    return timed[lo: hi + 1]


def grouping_reasons(why: dict, labels: np.ndarray) -> list[str]:
    """What the automatic grouping can say of each photo it placed (``core.albums.cluster.cluster``'s
    ``why``): how often the settings kept it with its event's photos, an edge photo the read-out
    decided, or one placed beyond the sample the settings were compared on; '' for unsorted
    photos and where it said nothing."""
    n = len(labels)
    if "kept" not in why:
        return [""] * n
    kept, read, runs, sample = why["kept"], why["read"], why["settings"], why["sample"]
    beyond = why.get("beyond", np.zeros(n, bool))
    out = []
    for i in range(n):
        if labels[i] < 0 or (np.isnan(kept[i]) and not beyond[i]):  # unsorted, or its time segment decided
            out.append("")
        elif beyond[i]:
            out.append(f"Beyond the {sample:,} photos the {runs} settings were compared on: placed beside its "
                       "nearest sure photos" + (f", then read again ({read[i]:.0%} here)." if not np.isnan(read[i])
                                                else "."))
        elif np.isnan(read[i]):
            out.append(f"The {runs} settings kept it with this event's photos {kept[i]:.0%} of the time.")
        else:
            out.append(f"At an event's edge: the {runs} settings kept it with these photos {kept[i]:.0%} of the time; "
                       f"read again by what separates the events' sure photos, it belongs here ({read[i]:.0%}).")
    return out


def explain_photo(store: AlbumStore, photo_id: int, vector_of: Callable[[str], np.ndarray | None],
                  time_gap_hours: float = 6.0) -> list[str]:
    """Plain lines saying why the photo is in its event (or unsorted); see the module's docstring."""
    photo = store.photo(photo_id)
    if photo.error:
        return [f"Could not be read ({photo.error}): it is in no event."]
    photos = store.placements()
    events = {e.id: e for e in store.events()}
    event = events.get(photo.event_id) if photo.event_id is not None else None
    where = f"in '{event.name}'" if event else "unsure" if photo.unsure else "unsorted"
    lines = []
    if photo.pinned:
        lines.append(f"Placed {where} by you: re-clustering leaves it there.")
    # time and place first
    if photo.taken_at is not None:
        seg = time_segment(photos, photo, time_gap_hours)
        same = sum(1 for p in seg if p.event_id == photo.event_id) if event else 0
        span = (f"{_when(seg[0].taken_at)} – {_when(seg[-1].taken_at)}" if len(seg) > 1
                else "it alone")
        line = (f"Taken {_when(photo.taken_at)}. Its time segment (no gap over {time_gap_hours:g} h): "
                f"{len(seg)} photo{'s' if len(seg) != 1 else ''}, {span}")
        lines.append(line + (f"; {same} of them in this event." if event else "."))
    else:
        lines.append("No capture time: placed by what it shows alone (never at a made-up time).")
    if not photo.pinned and event is not None and photo.why:
        lines.append(photo.why)
    # content
    v = vector_of(photo.path)
    if v is None:
        return lines + ["Not indexed yet: its similarity is not known."]
    v = unit(np.asarray(v, np.float32))
    # every other placed photo's vector, as one matrix (no per-photo NumPy calls on the UI thread)
    placed, rows = [], []
    index_rows = getattr(getattr(vector_of, "__self__", None), "rows", None)  # a SearchIndex's .vector
    for p in photos:
        if p.event_id is not None and p.id != photo.id:
            u = index_rows.get(p.path) if index_rows is not None else vector_of(p.path)
            if u is not None:
                placed.append(p)
                rows.append(u)
    if index_rows is not None and rows:  # one gather from the index's matrix, not a call per photo
        rows = vector_of.__self__.vectors[np.asarray(rows)]
    centres: dict[int, float] = {}
    sims = np.zeros(0, np.float32)
    event_of = np.array([p.event_id for p in placed], np.int64)
    if len(rows):
        matrix = unit(rows, np.float32)
        sims = matrix @ v
        for e in np.unique(event_of):
            centres[int(e)] = float(unit(matrix[event_of == e].mean(0)) @ v)
    if event is not None and event.id in centres:
        mine = np.flatnonzero(event_of == event.id)
        nearest = mine[np.argmax(sims[mine])]
        lines.append(f"Similarity to this event's centre {centres[event.id]:.2f}; its nearest photo here is "
                     f"{Path(placed[nearest].path).name} ({sims[nearest]:.2f}).")
        if event.prototypes:
            examples = [k for k in mine if placed[k].id in set(event.prototypes)]
            if examples:
                k = max(examples, key=lambda i: sims[i])
                lines.append(f"This event is defined by {len(event.prototypes)} example"
                             f"{'s' if len(event.prototypes) != 1 else ''}: nearest {Path(placed[k].path).name} "
                             f"({sims[k]:.2f}).")
    others = sorted(((c, e) for e, c in centres.items() if event is None or e != event.id), reverse=True)
    if others:
        c, e = others[0]
        if event is not None:
            lines.append(f"Next closest event: '{events[e].name}' ({c:.2f}).")
        elif photo.unsure:
            second = f" and '{events[others[1][1]].name}' ({others[1][0]:.2f})" if len(others) > 1 else ""
            lines.append(f"Unsure: between '{events[e].name}' ({c:.2f}){second}; none is clearly nearest.")
        else:
            lines.append(f"Unsorted: its closest event is '{events[e].name}' ({c:.2f}), not close enough "
                         "for the grouping; move 'Unsorted: strict ↔ loose' towards loose to let such "
                         "photos join, or drag it onto an event.")
    elif event is None:
        lines.append("Unsorted: there are no events yet to compare it with.")
    return lines
