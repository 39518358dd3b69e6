"""Albums core (work in progress): clustering without k, prototypes, EXIF, the CLI."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from core.albums.cluster import ClusterSettings, cluster, fit_rows, place, prototypes
from core.albums.exif import read_exif
from tests.conftest import DEMO_PHOTOS, shared_data
from tests.test_cli import run_cli


def _blobs(seed=0, n=40, k=4, dim=64):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, (k, dim))
    x = np.concatenate([c + rng.normal(0, 0.25, (n, dim)) for c in centres])
    return x, np.repeat(np.arange(k), n)


def test_events_are_found_without_being_told_how_many():
    from sklearn.metrics import adjusted_rand_score

    x, truth = _blobs()
    labels, conf = cluster(x, ClusterSettings(min_size=8))
    assert labels.max() + 1 == 4
    assert adjusted_rand_score(truth, labels) > 0.95
    assert (labels == -1).mean() <= 0.1
    assert conf.shape == labels.shape


def test_noise_photos_join_their_neighbours_event_but_outliers_stay_unsorted():
    z = np.array([[0.0, 0], [0.1, 0], [0, 0.1], [0.1, 0.1],  # event 0
                  [5, 5], [5.1, 5], [5, 5.1], [5.1, 5.1],  # event 1
                  [0.05, 0.05], [5.05, 5.06],  # noise inside each event
                  [0.3, 0.3],  # beside event 0 but further out than any of its members
                  [2.5, 2.5]])  # between both
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1, -1, -1, -1, -1])
    placed, share = place(z, labels, k=3, share=0.5)
    assert placed[:8].tolist() == labels[:8].tolist()  # HDBSCAN's members are never moved
    assert placed[8] == 0 and placed[9] == 1
    assert share[8] == 1.0
    assert placed[10] == -1 and placed[11] == -1 and share[10] == 0


def test_a_vote_without_a_majority_leaves_the_photo_unsorted():
    corners = np.array([[0.0, 0], [0, 2], [2, 0], [2, 2]])
    middle = np.array([[1.0, 1]])
    far = middle - 3 * (corners - middle)  # each event also has a member far out, so the middle is inside all four
    z = np.concatenate([corners, far, middle])
    labels = np.array([0, 1, 2, 3, 0, 1, 2, 3, -1])  # the middle's 4 nearest: one of each event, a 1-in-4 vote
    assert place(z, labels, k=4, share=0.5)[0][8] == -1
    assert place(z, labels, k=4, share=0.25)[0][8] >= 0


def test_nonsense_settings_are_refused_with_a_clear_message():
    import pytest

    for bad, words in (({"reach": -1}, "reach"), ({"assign_share": 0}, "assign_share"), ({"fit_limit": 1}, "fit_limit")):
        with pytest.raises(ValueError, match=words):
            ClusterSettings(**bad)


def test_big_albums_are_fitted_on_a_sample_and_every_photo_is_placed():
    from sklearn.metrics import adjusted_rand_score

    x, truth = _blobs(n=300, k=4)  # 1,200 photos
    small = ClusterSettings(fit_limit=400)
    rows = fit_rows(len(x), small)
    assert len(rows) == 400 and len(set(rows.tolist())) == 400
    assert np.array_equal(rows, fit_rows(len(x), small))  # seeded: the same sample each time
    labels, _ = cluster(x, small)
    full, _ = cluster(x, ClusterSettings())
    assert labels.max() + 1 == 4
    outside = np.setdiff1d(np.arange(len(x)), rows)
    assert (labels[outside] >= 0).mean() > 0.95  # the photos HDBSCAN never saw got events too
    assert adjusted_rand_score(truth, labels) > 0.95
    assert adjusted_rand_score(full, labels) > 0.95


def test_automatic_events_are_what_a_grid_of_settings_agrees_on_and_outliers_stay_unsorted():
    from sklearn.metrics import adjusted_rand_score

    from core.albums.cluster import _one_setting, agree, co_association, grid

    runs = np.array([[0, 0, 1, -1], [0, 1, 1, -1]])
    together = co_association(runs)
    assert together[0, 1] == 0.5 and together[1, 2] == 0.5 and together[0, 2] == 0
    assert together[0, 0] == 1 and together[3, 3] == 0  # never in an event: shares none
    # three runs over 9 photos: 0-3 always together; 4-7 together twice; photo 8 unsorted twice
    runs = np.array([[0, 0, 0, 0, 1, 1, 1, 1, -1],
                     [1, 1, 1, 1, 0, 0, 0, 0, 0],
                     [0, 0, 0, 0, 2, 2, 1, 1, -1]])
    labels, conf = agree(runs, min_size=3)
    assert len(set(labels[:4])) == 1 and len(set(labels[4:8])) == 1 and labels[0] != labels[4]
    assert labels[8] == -1 and conf[8] == 0  # most runs leave it unsorted: it stays so
    assert conf[0] == 1.0 and conf[4] == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)  # 5 sat with 4 in every run, with 6 and 7 twice
    assert (agree(runs, min_size=5)[0] == -1).all()  # groups under the smallest event stay unsorted
    x, truth = _blobs(n=40, k=4)
    auto = ClusterSettings()
    assert auto.automatic and len(grid(auto, len(x))) == 9
    labels, conf = cluster(x, auto)
    assert labels.max() + 1 == 4 and adjusted_rand_score(truth, labels) > 0.95
    assert conf[labels >= 0].min() > 0.9  # clean events: every setting agrees
    assert conf.max() <= 1.0 and (conf[labels < 0] == 0).all()
    # the user's settings win: one setting, exactly as asked
    for mine in (ClusterSettings(min_size=8), ClusterSettings(dims=8)):
        assert not mine.automatic
        assert np.array_equal(cluster(x, mine)[0], _one_setting(x, mine, None, None)[0])
    with pytest.raises(ValueError, match="dims"):
        ClusterSettings(dims=0)


def test_an_unsorted_photo_joins_where_the_events_photos_are_not_within_a_ball_round_their_centre():
    from core.albums.cluster import within_members

    line = np.stack([np.arange(0, 10.01, 0.5), np.zeros(21)], 1)  # a long event: photos along a line
    hollow, tip = [5.0, 4.0], [10.3, 0.2]  # inside the ball round its centre (radius 5) but near none of
    # its photos; beyond the ball but beside its last photos
    assert within_members(line, np.array([hollow, tip])).tolist() == [False, True]
    assert within_members(line, np.array([hollow]), reach=2.0).tolist() == [True]  # looser: the user's slider
    assert within_members(line[:1], np.array([tip])).tolist() == [False]  # one photo has no neighbourhood


def test_the_read_out_fixes_edge_photos_of_the_agreed_events_and_keeps_strays_unsorted():
    from core.albums.cluster import read_out

    rng = np.random.default_rng(0)
    a = rng.normal([0.0, 0.0], 0.3, (20, 2))
    b = rng.normal([4.0, 0.0], 0.3, (20, 2))
    z = np.concatenate([a, b, [[0.2, 0.1], [0.1, -0.2], [30.0, 30.0], [4.1, 0.3]]])
    labels = np.array([0] * 20 + [1] * 20 + [1, -1, -1, 1])  # photo 40 sits in blob a but was put in b
    conf = np.array([1.0] * 40 + [0.3, 0.0, 0.0, 0.4])
    out, new_conf, read = read_out(z, z, labels, conf)
    assert read[40] and read[41] and not read[:40].any() and not read[42]
    assert (out[:40] == labels[:40]).all() and (new_conf[:40] == 1.0).all()  # the sure members teach, unchanged
    assert out[40] == 0 and new_conf[40] > 0.5  # an edge photo read again: it belongs with a
    assert out[41] == 0 and new_conf[41] >= 0.5  # an unsorted photo inside a's radius joins it
    assert out[42] == -1 and new_conf[42] == 0  # something else, far from both: stays unsorted
    assert out[43] == 1  # a right edge photo stays where it was
    assert read_out(z, z, labels, conf, reach=0.01)[0][41] == -1  # strict: it must lie within the radius
    one = np.where(labels == 1, 0, labels)  # a single sure event: nothing to read against
    assert np.array_equal(read_out(z, z, one, conf)[0], one)
    x, _ = _blobs(n=40, k=3)
    x = np.concatenate([x, x.mean(0, keepdims=True) + 40.0])  # one stray far from everything
    auto = ClusterSettings()
    labels, _ = cluster(x, auto)
    assert labels[-1] == -1 and labels.max() + 1 == 3
    alone, _ = cluster(x, ClusterSettings(read_again=False))  # the agreement without the read-out
    assert alone[-1] == -1 and alone.max() + 1 == 3


def test_the_grouping_says_why_only_for_the_photos_content_grouped():
    from core.albums.explain import grouping_reasons

    x, _ = _blobs(n=40, k=3)
    hours = np.full(len(x), np.nan)
    hours[:40] = np.arange(40) * 0.01  # the first event has capture times: its time segment decides
    why: dict = {}
    labels, _ = cluster(x, ClusterSettings(), times=hours, why=why)
    said = grouping_reasons(why, labels)
    assert len(set(labels[:40])) == 1 and labels[0] >= 0 and all(s == "" for s in said[:40])
    assert all(s.startswith("The 9 settings kept it") for s in said[40:])  # grouped by content alone
    assert why["kept"].shape == why["beyond"].shape == (len(x),) and not why["beyond"].any()


def test_a_users_setting_means_one_setting_inside_time_segments_too(monkeypatch):
    import core.albums.cluster as clustering

    calls = []
    real = clustering._agreement
    monkeypatch.setattr(clustering, "_agreement", lambda *a: calls.append(1) or real(*a))
    x, _ = _blobs(n=40, k=2)
    hours = np.arange(len(x)) * 0.01  # one long segment: content may split it
    labels, _ = cluster(x, ClusterSettings(min_size=8), times=hours)
    assert labels.max() + 1 == 2 and not calls  # the user's setting: no agreement anywhere
    labels, _ = cluster(x, ClusterSettings(), times=hours)
    assert labels.max() + 1 == 2 and calls  # automatic: the segment is split by the settings' agreement


def test_automatic_events_of_a_big_album_are_agreed_on_a_sample_and_the_rest_placed(monkeypatch):
    from sklearn.metrics import adjusted_rand_score

    import core.albums.cluster as clustering

    monkeypatch.setattr(clustering, "CONSENSUS_LIMIT", 300)
    monkeypatch.setattr(clustering, "CONSENSUS_ALL", 999)  # 1,000 photos: one more than every photo agrees on
    x, truth = _blobs(n=250, k=4)  # 1,000 photos, 300 of them agreed on
    why: dict = {}
    labels, conf = cluster(x, ClusterSettings(), why=why)
    assert labels.max() + 1 == 4 and adjusted_rand_score(truth, labels) > 0.95
    assert (labels >= 0).mean() > 0.95 and conf[labels >= 0].min() > 0
    assert why["sample"] == 300 and why["beyond"].sum() == 700  # the rest were placed, and said so
    assert np.isnan(why["kept"][why["beyond"]]).all() and not np.isnan(why["kept"][~why["beyond"]]).any()
    monkeypatch.setattr(clustering, "CONSENSUS_ALL", 1000)  # up to it, every photo takes part: none placed
    why = {}
    labels, _ = cluster(x, ClusterSettings(), why=why)
    assert why["sample"] == 1000 and not why["beyond"].any() and adjusted_rand_score(truth, labels) > 0.95


def test_capture_time_gaps_split_look_alike_photos():
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, (1, 32)) + rng.normal(0, 0.05, (60, 32))  # one look
    hours = np.concatenate([np.full(30, 0.0), np.full(30, 24 * 30.0)]) + rng.normal(0, 1, 60)  # a month apart
    no_time, _ = cluster(x, ClusterSettings(min_size=8))
    with_time, _ = cluster(x, ClusterSettings(min_size=8, time_weight=1.0), times=hours)
    assert len(set(no_time[no_time >= 0])) <= 1
    assert len(set(with_time[with_time >= 0])) == 2


def test_time_segments_cut_at_gaps_and_jumps_never_invent_a_time():
    from core.albums.cluster import time_segments

    hours = np.array([0.0, 0.5, 1.0, np.nan, 30.0, 30.2, 30.4])
    gps = np.array([[43.46, 11.88], [43.47, 11.88], [40.45, -3.72], [np.nan, np.nan],
                    [np.nan, np.nan], [60.15, 24.9], [60.15, 24.91]])
    seg = time_segments(hours, None, gap_hours=6)
    assert seg.tolist() == [0, 0, 0, -1, 1, 1, 1]  # the unknown time stays out of every segment
    seg = time_segments(hours, gps, gap_hours=6, jump_km=50)
    assert seg.tolist() == [0, 0, 1, -1, 2, 2, 2]  # Arezzo → Madrid in half an hour: a new segment
    assert time_segments(np.full(3, np.nan), None, 6).tolist() == [-1, -1, -1]


def test_time_first_segments_become_events_and_untimed_photos_go_by_content():
    rng = np.random.default_rng(3)
    look = rng.normal(0, 1, (3, 32))
    timed = look[0] + rng.normal(0, 0.05, (20, 32))  # one look, two days a week apart
    untimed = np.concatenate([look[1] + rng.normal(0, 0.05, (12, 32)),  # two other looks, no capture time
                              look[2] + rng.normal(0, 0.05, (12, 32))])
    x = np.concatenate([timed, untimed])
    hours = np.concatenate([np.full(10, 0.0) + rng.uniform(0, 2, 10), np.full(10, 24 * 7.0) + rng.uniform(0, 2, 10),
                            np.full(24, np.nan)])
    labels, _ = cluster(x, ClusterSettings(), times=hours)
    assert len(set(labels[:10])) == 1 and len(set(labels[10:20])) == 1 and labels[0] != labels[10]
    assert labels[0] >= 0 and labels[10] >= 0
    assert len(set(labels[20:32])) == 1 and len(set(labels[32:])) == 1 and labels[20] != labels[32]
    assert labels[20] >= 0 and labels[32] >= 0 and not {labels[20], labels[32]} & {labels[0], labels[10]}
    off, _ = cluster(x, ClusterSettings(time_first=False), times=hours)
    assert off[0] == off[10]  # without the time stage the two days are one look, one event
    with pytest.raises(ValueError, match="time_gap_hours"):
        ClusterSettings(time_gap_hours=0)


def test_the_grouping_says_what_it_chose_automatically_and_why():
    from core.albums.cluster import ClusterSettings, describe_settings, resolved_sizes

    auto = describe_settings(ClusterSettings(), 3031, timed=2900, with_gps=10)
    assert "automatic: events the 9 settings agree on (smallest event 30 / 61 / 121 photos × 8 / 16 / 32" in auto
    assert f"at least {resolved_sizes(ClusterSettings(), 3031)[0]} photos" in auto
    one = describe_settings(ClusterSettings(dims=16), 3031)
    assert "smallest event 61 photos (auto: 2% of 3,031 photos, at least 8), 16 dimensions (yours)" in one
    assert "2,900 of 3,031 photos have a capture time" in auto and "over 6 h or moves over 50 km" in auto
    assert "the others grouped by content" in auto
    mine = describe_settings(ClusterSettings(min_size=5, time_gap_hours=2), 40, timed=40)
    assert "smallest event 5 photos (yours), 16 dimensions;" in mine and "gaps over 2 h" in mine and "km" not in mine
    assert "grouped by content alone" in describe_settings(ClusterSettings(), 40, timed=0)


def test_event_dates_read_like_a_person_writes_them():
    from datetime import datetime

    from core.albums.events import date_label

    def h(*args):
        return datetime(*args).timestamp() / 3600

    assert date_label(np.array([h(2025, 8, 3, 10), h(2025, 8, 5, 18)])) == "3–5 Aug 2025"
    assert date_label(np.array([h(2008, 10, 22, 9), np.nan])) == "22 Oct 2008"
    assert date_label(np.array([h(2025, 7, 30), h(2025, 8, 2)])) == "30 Jul – 2 Aug 2025"
    assert date_label(np.array([np.nan])) is None


def test_an_event_with_a_date_is_named_by_a_photo_label_only_where_the_label_is_typical():
    """Issue 19: events4's family photos were named "Neck Brace · Park Bench · 20 Aug 2008" (the
    first label of 32% of them). Beside a date or place, a label names an event only when
    at least ``TAG_SHARE`` of its photos have it first; with neither, the labels are all there is."""
    from datetime import datetime

    from core.albums.events import TAG_SHARE, GroupInput, describe_event

    n = 20
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 8)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    hours = np.full(n, datetime(2008, 8, 20, 12).timestamp() / 3600)
    scattered = [["neck brace"] if i < 6 else [f"label {i}"] for i in range(n)]  # first on 30% of them
    typical = [["seashore"] if i < 12 else ["sandbar"] if i < 17 else [f"label {i}"] for i in range(n)]  # 60%, 25%
    assert 6 / n < TAG_SHARE <= 12 / n
    members = np.arange(n)
    named = {key: describe_event(GroupInput([f"/p/{i}.jpg" for i in range(n)], x, t, tags, [""] * n), members)["name"]
             for key, (t, tags) in {"scattered": (hours, scattered), "typical": (hours, typical),
                                    "no time": (np.full(n, np.nan), scattered)}.items()}
    assert named["scattered"] == "20 Aug 2008"
    assert named["typical"] == "Seashore · 20 Aug 2008"
    assert named["no time"].startswith("Neck Brace · ")  # nothing else to name it by


def test_prototypes_are_nearest_the_centre():
    x, truth = _blobs(k=2)
    x[0] = x[truth == 0].mean(0)  # the centre itself
    assert prototypes(x, truth, 0, count=3)[0] == 0


def test_exif_dates_and_gps_from_real_camera_files():
    folder = shared_data("photos", "exif-samples", "jpg", "gps")
    infos = [read_exif(str(p)) for p in sorted(folder.glob("*.jpg"))]
    assert any(i["taken_at"] is not None for i in infos)
    assert any(i["gps"] is not None and -90 <= i["gps"][0] <= 90 for i in infos)
    assert read_exif(str(DEMO_PHOTOS / "hat_2a12baab.jpg")) == {"taken_at": None, "gps": None, "note": ""}


def test_cli_cluster_writes_the_documented_json(data_dir, tmp_path):
    out = tmp_path / "albums.json"
    res = run_cli("albums", "cluster", str(DEMO_PHOTOS), "--json", str(out), "--min-size", "3", env_dir=data_dir)
    assert res.returncode == 0, res.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data) >= {"events", "unsorted", "model"}
    photos = [p for e in data["events"] for p in e["photos"]] + data["unsorted"]
    assert len(photos) == 12 and len(set(photos)) == 12
    for e in data["events"]:
        assert {"name", "caption", "prototypes", "photos"} <= set(e)
        assert set(e["prototypes"]) <= set(e["photos"])
    assert "efficientnet-lite0" in data["model"]["image"]["weights"]


def test_search_by_words_finds_photos_by_their_tags_and_notes_in_korean_or_english(data_dir, tmp_path):
    """Offline: the photos' ImageNet tags and the user's notes in the multilingual sentence space."""
    from core.albums.pipeline import Album, make_models
    from core.albums.store import AlbumStore
    from core.cache import EmbeddingCache
    from core.models.manager import ModelManager

    models = make_models(ModelManager("cpu"), "effnet-lite0", captions=False)
    with EmbeddingCache() as cache, AlbumStore(":memory:") as store:
        album = Album(store, cache, models)
        album.add([str(DEMO_PHOTOS)])
        for query in ("shoes", "신발"):  # tags such as "running shoe", "sandal"
            hits = album.search_words(query, k=2)
            assert [h[0].split("/")[-1].split("_")[0] for h in hits] == ["shoes", "shoes"], (query, hits)
            assert hits[0][1] >= hits[1][1]
        hat = next(p for p in store.photos("all") if "/hat_" in p.path)
        store.set_photo_note(hat.id, "생일 케이크를 먹은 날")  # a note in Korean, searched in English
        hits = album.search_words("birthday cake", k=3)
        assert hits[0][0] == hat.path and hits[0][1] > hits[1][1] + 0.1
        with pytest.raises(ValueError, match="word"):
            album.search_words("   ")


def test_a_query_that_names_a_kind_also_finds_what_that_kinds_photos_show(data_dir):
    """"halloween" / "할로윈" name the kind Halloween: the search also looks for what its photos
    show (pumpkins, costumes); words that name no kind are searched as they are."""
    from core.albums.pipeline import Album, kind_sentence, make_models
    from core.albums.store import AlbumStore
    from core.cache import EmbeddingCache
    from core.models.manager import ModelManager

    models = make_models(ModelManager("cpu"), "effnet-lite0", captions=False)
    with EmbeddingCache() as cache, AlbumStore(":memory:") as store:
        album = Album(store, cache, models)
        album.add([str(DEMO_PHOTOS)])
        photos = store.photos("all")[:3]
        for photo, note in zip(photos, ("a carved pumpkin with a candle inside", "a holiday at home",
                                        "a festival parade downtown"), strict=True):
            store.set_photo_note(photo.id, note)
        for query in ("halloween", "할로윈"):
            assert kind_sentence(album.find_words(query)[1]).startswith("Halloween: jack-o'-lantern")
            hits = dict(album.search_words(query, k=len(store.photos("all"))))
            best, *others = (hits[p.path] for p in photos)  # unwidened, another photo ranks first
            assert max(hits.values()) == best and best > max(others) + 0.05, (query, hits)
        assert album.find_words("shoes")[1] == "" and album.find_words("파티")[1] == ""  # nearest kinds 0.40 / 0.59
        store.set_vocabulary(["Beach", "Wedding"])  # the user's kinds only: Halloween is not one
        assert album.find_words("halloween")[1] == ""


def test_cli_albums_search_prints_ranked_json(data_dir):
    out = run_cli("albums", "search", "신발", "--in", str(DEMO_PHOTOS), "-k", "2", "--json", env_dir=data_dir)
    assert out.returncode == 0, out.stderr
    hits = json.loads(out.stdout)
    assert [h["photo"].split("/")[-1].split("_")[0] for h in hits] == ["shoes", "shoes"]
    out = run_cli("albums", "search", " ", "--in", str(DEMO_PHOTOS), env_dir=data_dir)
    assert out.returncode == 2 and "type a word" in out.stderr


def test_offline_event_kind_comes_from_the_photos_texts_or_not_at_all(data_dir):
    """Without CLIP, the kind in an event's name comes from its photos' notes/tags in the
    multilingual sentence space; photos that match no kind get none (no made-up kind)."""
    from core.albums.pipeline import Album, make_models
    from core.albums.store import AlbumStore
    from core.cache import EmbeddingCache
    from core.models.manager import ModelManager

    models = make_models(ModelManager("cpu"), "effnet-lite0", captions=False)
    with EmbeddingCache() as cache, AlbumStore(":memory:") as store:
        album = Album(store, cache, models)
        album.add([str(DEMO_PHOTOS)])
        photos = store.photos("all")
        party = [p for p in photos if "/shoes_" in p.path or "/hat_" in p.path]
        for p in party:
            store.set_photo_note(p.id, "할로윈 파티: 호박 등불과 마녀 의상")  # Halloween party, in Korean
        namer = album.namer()
        rows = {path: i for i, path in enumerate(album.data.paths)}
        assert namer(None, np.array([rows[p.path] for p in party])) == "Halloween"
        plain = np.array([rows[p.path] for p in photos if "/pants_" in p.path])
        assert namer(None, plain) != "Halloween"


def test_duplicates_group_copies_and_bursts_with_a_keeper_and_leave_other_photos(data_dir, tmp_path):
    """A resized + recompressed copy and a cropped copy of one photo are one group whose keeper
    is the original (most pixels); the other demo photos (same kinds of clothes) are in none.
    --move-to moves the copies, deletes nothing."""
    from core.albums.duplicates import find_duplicates
    from core.images import open_image

    folder = tmp_path / "photos"
    shutil.copytree(DEMO_PHOTOS, folder)
    src = folder / "dress_06a00c0f.jpg"
    im = open_image(src).convert("RGB")
    im.resize((im.width * 6 // 10, im.height * 6 // 10)).save(folder / "dress-small.jpg", quality=70)
    w, h = im.size
    im.crop((w // 20, h // 20, w - w // 20, h - h // 20)).save(folder / "dress-crop.jpg", quality=85)
    out = run_cli("albums", "duplicates", "--in", str(folder), "--json", env_dir=data_dir)
    assert out.returncode == 0, out.stderr
    groups = json.loads(out.stdout)
    assert len(groups) == 1 and groups[0]["kind"] == "duplicate"
    assert sorted(p.split("/")[-1] for p in groups[0]["photos"]) == ["dress-crop.jpg", "dress-small.jpg",
                                                                      "dress_06a00c0f.jpg"]
    assert groups[0]["keep"].endswith("dress_06a00c0f.jpg") and groups[0]["why"] == "the most pixels"
    out = run_cli("albums", "duplicates", "--in", str(folder), "--move-to", str(tmp_path / "review"),
                  env_dir=data_dir)
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in (tmp_path / "review").iterdir()) == ["dress-crop.jpg", "dress-small.jpg"]
    assert src.exists() and len(list(folder.glob("*.jpg"))) == 12  # the originals all stay
    # bursts: two different-looking rows are not a burst, two alike rows seconds apart are
    v = np.array([[1, 0, 0], [0.9, 0.43, 0], [0, 1, 0]], np.float32)
    bits = np.array([[0] * 64, [1] * 64, [0] * 32 + [1] * 32], np.int8)  # hashes far apart
    t = np.array([0.0, 2 / 3600, 4 / 3600])
    groups = find_duplicates(["a", "b", "c"], v, bits, t, keeper=lambda p: (1, {"a": 1.0, "b": 9.0, "c": 0.0}[p], 0))
    assert [(g.kind, g.paths, g.keeper, g.why) for g in groups] == [("burst", ["a", "b"], "b", "the sharpest")]


def test_cli_search_names_a_photo_it_could_not_read_and_an_empty_folder(data_dir, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for p in sorted(DEMO_PHOTOS.glob("shoes_*.jpg")):
        shutil.copy(p, folder / p.name)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    out = run_cli("albums", "search", "shoes", "--in", str(folder), "-k", "5", "--json", env_dir=data_dir)
    assert out.returncode == 0, out.stderr
    assert f"skipped {folder / 'broken.jpg'}" in out.stderr
    assert len(json.loads(out.stdout)) == 2  # the two readable photos, nothing made up
    (tmp_path / "empty").mkdir()
    out = run_cli("albums", "duplicates", "--in", str(tmp_path / "empty"), env_dir=data_dir)
    assert out.returncode != 0 and "no photos found" in out.stderr


def test_moving_duplicates_aside_is_all_or_nothing(tmp_path):
    """A photo that cannot be moved (gone meanwhile) stops the move and puts back the ones already
    moved: no file is left in the folder while the album still lists it where it was."""
    from pathlib import Path

    from core.albums.duplicates import DuplicateGroup, move_others

    keep, first, gone = (tmp_path / f"{n}.jpg" for n in ("keep", "copy1", "copy2"))
    keep.write_bytes(b"k")
    first.write_bytes(b"1")
    group = DuplicateGroup([str(keep), str(first), str(gone)], str(keep), "duplicate", "the most pixels")
    aside = tmp_path / "aside"
    with pytest.raises(OSError, match="copy2.jpg.*nothing was moved"):
        move_others(group, aside)
    assert first.read_bytes() == b"1" and keep.is_file() and list(aside.iterdir()) == []
    gone.write_bytes(b"2")  # back: now every copy moves
    moved = move_others(group, aside)
    assert sorted(Path(p).name for p in moved) == ["copy1.jpg", "copy2.jpg"] and not first.exists()


def test_the_album_s_tags_are_nothing_the_garbage_collector_walks_again(tmp_path):
    """The album the model worker holds keeps a photo's tags as a tuple of strings, which the
    collector stops tracking once it has seen it: lists were 100,000 containers that every full
    collection on the GUI thread walked at 100,000 photos (90 ms of each; 8 ms without them)."""
    import gc

    from core.albums.events import GroupInput
    from core.albums.store import AlbumStore

    x = np.eye(4, dtype=np.float32)
    data = GroupInput([f"/p/{i}.jpg" for i in range(4)], x, np.full(4, np.nan),
                      [["beach", "sea"], [], ["cake"], ("dog", "ball")], [""] * 4)
    assert data.tags == [("beach", "sea"), (), ("cake",), ("dog", "ball")]
    gc.collect()
    assert not any(gc.is_tracked(t) for t in data.tags)
    with AlbumStore(tmp_path / "album.sqlite") as store:  # what indexing again takes from the store
        store.add_photos(["/p/a.jpg"])
        store.set_photo_info([("/p/a.jpg", 1.5e9, ("beach", "생일"), "a cake", None)])
        store.set_exif([("/p/a.jpg", "stamp", None, None, "")])
        assert store.indexed() == {"/p/a.jpg": (1.5e9, None, None, ("beach", "생일"), "a cake")}
