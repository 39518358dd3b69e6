"""Event kinds learned from the user's names (core.albums.kinds): kept across albums in
kinds.sqlite, used to name later events only when near, said in the why, forgotten on request."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter

import numpy as np
import pytest

from core.albums.kinds import CENTRE_MIN, KindStore, kind_of, match, split_by_kind
from tests.conftest import shared_data
from tests.test_cli import run_cli


def test_the_kind_is_the_name_without_dates_and_numbers():
    assert kind_of("Christmas 2022") == "Christmas"
    assert kind_of("Beach · Nice · 3 Aug 2021") == "Beach"
    assert kind_of("Anna's 5th birthday") == "Anna's birthday"
    assert kind_of("Halloween, Oct 31") == "Halloween"
    assert kind_of("2022-12-24") == ""


def _blob(rng, centre, n, spread=0.3):
    v = centre + spread * rng.standard_normal((n, len(centre)))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_a_named_event_is_kept_replaced_forgotten_and_not_learned_again(tmp_path):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(32), rng.standard_normal(32)
    path = tmp_path / "kinds.sqlite"
    with KindStore(path) as kinds:
        assert kinds.teach("Christmas 2022", "/album", 1, "m", ["p1", "p2", "p3"], _blob(rng, a, 3)) == "Christmas"
        assert kinds.teach("2023", "/album", 2, "m", ["q1", "q2"], _blob(rng, b, 2)) == ""  # no kind in the name
        assert kinds.teach("Beach", "/album", 3, "m", ["r1"], _blob(rng, b, 1)) == ""  # one photo: no examples
        kinds.teach("Christmas at home", "/album", 1, "m", ["p1", "p2"], _blob(rng, a, 2))  # renamed: replaced
    with KindStore(path) as kinds:  # kept on disk
        assert kinds.kinds() == [{"kind": "Christmas at home", "named": ["Christmas at home"], "photos": 2,
                                  "models": ["m"]}]
        assert kinds.sources("other model") == []  # vectors of another model never compare
        assert kinds.forget("christmas AT home") == 1
        assert kinds.kinds() == []
        assert kinds.teach("Christmas at home", "/album", 1, "m", ["p1", "p2"], _blob(rng, a, 2)) == ""
        assert kinds.teach("Xmas", "/album", 1, "m", ["p1", "p2"], _blob(rng, a, 2)) == "Xmas"  # a new name is
        assert kinds.forget() == 1 and kinds.kinds() == []


def test_only_an_event_near_a_named_one_gets_its_kind_and_a_tie_is_unsure(tmp_path):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(64) + 0.5, rng.standard_normal(64) + 0.5  # positive-ish, as CNN features are
    with KindStore(tmp_path / "k.sqlite") as kinds:
        kinds.teach("Christmas 2022", "/x", 1, "m", [f"a{i}" for i in range(20)], _blob(rng, a, 20))
        kinds.teach("Beach 2021", "/x", 2, "m", [f"b{i}" for i in range(20)], _blob(rng, b, 20))
        sources = kinds.sources("m")
    found = match(_blob(rng, a, 10), sources)
    assert found.sure and found.kind == "Christmas" and found.centre >= CENTRE_MIN
    assert re.fullmatch(r"Named like 'Christmas 2022' \(your name\): [01]\.\d\d\.", found.why)
    assert match(rng.standard_normal((10, 64)), sources) is None  # unrelated photos: no kind
    half = np.tile(sources[0].centre + sources[1].centre, (5, 1))  # as near one as the other: never named
    m = match(half, sources)
    assert m is None or not m.sure
    assert match(_blob(rng, a, 5), sources, [f"a{i}" for i in range(5)]) is None  # not compared with itself


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    db = shared_data("photos", "events4", "Database")
    root = tmp_path_factory.mktemp("kinds-photos")
    for folder, src, pick in (("a", "christmas_train", slice(0, 12)), ("b", "christmas_test", slice(0, 12)),
                              ("b", "beach_test", slice(0, 12))):
        (root / folder).mkdir(exist_ok=True)
        for f in sorted((db / src).iterdir())[pick]:
            shutil.copy(f, root / folder / f"{src}-{f.name}")
    return root


def test_a_name_given_in_one_album_names_a_later_event_of_its_kind_and_says_why(photos, data_dir):
    from core.albums.pipeline import Album, make_models
    from core.albums.store import AlbumStore
    from core.cache import EmbeddingCache
    from core.models.manager import ModelManager

    models = make_models(ModelManager("cpu"), "effnet-lite0", captions=False)
    with EmbeddingCache() as cache:
        with AlbumStore(data_dir / "last-year.sqlite") as store:
            album = Album(store, cache, models)
            album.add([str(photos / "a")])
            store.split_event([p.id for p in store.photos("all")], name="Christmas 2022")  # the user's name
            album.regroup()
        assert (data_dir / "kinds.sqlite").exists()
        with AlbumStore(data_dir / "this-year.sqlite") as store:
            album = Album(store, cache, models)
            album.add([str(photos / "b")])
            album.regroup()
            named = {}
            for e in store.events():
                members = store.photos(e.id)
                share = sum("christmas" in p.path for p in members) / len(members)
                named[e.name] = (share, [store.photo(p.id).why for p in members])
            christmas = [n for n, (share, _) in named.items() if n.startswith("Christmas")]
            assert christmas, named.keys()
            for n in christmas:  # never a wrong kind: only events of Christmas photos
                share, whys = named[n]
                assert share > 0.8
                assert any("Named like 'Christmas 2022' (your name): 0." in w for w in whys), (n, named)
            assert any(share < 0.2 and not n.startswith("Christmas") for n, (share, _) in named.items())

            res = run_cli("albums", "kinds", "list", "--json", env_dir=data_dir)
            assert res.returncode == 0, res.stderr
            assert [k["kind"] for k in json.loads(res.stdout)] == ["Christmas"]
            res = run_cli("albums", "kinds", "forget", "Christmas", env_dir=data_dir)
            assert res.returncode == 0 and "1 named event" in res.stdout, res.stdout + res.stderr
            album.regroup()
            assert not any("your name" in store.photo(p.id).why for p in store.photos("all"))
        with AlbumStore(data_dir / "last-year.sqlite") as store:  # the named event is still there: not re-learned
            Album(store, cache, models).regroup()
    res = run_cli("albums", "kinds", "list", "--json", env_dir=data_dir)
    assert json.loads(res.stdout) == []
    assert run_cli("albums", "kinds", "forget", env_dir=data_dir).returncode == 2  # which one? said


def test_learned_kinds_are_in_a_backup(data_dir, tmp_path):
    from core.backup import backup

    with KindStore() as kinds:
        kinds.teach("Christmas 2022", "/album", 1, "m", ["p1", "p2"], np.eye(2, 8, dtype=np.float32))
    report = backup(tmp_path / "out")
    assert "kinds.sqlite" in report.stores
    with KindStore(report.folder / "kinds.sqlite") as copy:
        assert [k["kind"] for k in copy.kinds()] == ["Christmas"]


def test_an_event_mixing_two_named_kinds_gets_neither_while_each_pure_one_gets_its_own(tmp_path):
    """What bench/albums_eval.py --kinds --diag found (seed 4, 7 Dec 2026): where the grouping puts two
    named kinds' photos in one event (304 Halloween + 292 Christmas), the event is left unnamed, never
    given a kind that is wrong for half of it; real photos and the offline EfficientNet-Lite0 model."""
    from core.cache import EmbeddingCache
    from core.embed import embed_image_files
    from core.models.manager import ModelManager

    db = shared_data("photos", "events4", "Database")
    encoder = ModelManager("cpu").get("effnet-lite0")
    with EmbeddingCache(tmp_path / "cache.sqlite") as cache:
        vectors = {f: embed_image_files(sorted((db / f).iterdir())[:12], encoder, cache).vectors
                   for f in ("christmas_train", "halloween_train", "christmas_test", "halloween_test", "beach_test")}
    with KindStore(tmp_path / "kinds.sqlite") as kinds:
        kinds.teach("Christmas 2022", "/last-year", 1, encoder.name, [f"c{i}" for i in range(12)],
                    vectors["christmas_train"])
        kinds.teach("Halloween 2022", "/last-year", 2, encoder.name, [f"h{i}" for i in range(12)],
                    vectors["halloween_train"])
        sources = kinds.sources(encoder.name)
    for folder, kind in (("christmas_test", "Christmas"), ("halloween_test", "Halloween")):
        found = match(vectors[folder], sources)
        assert found is not None and found.sure and found.kind == kind, (folder, found)
    for mixed in (np.concatenate([vectors["christmas_test"], vectors["halloween_test"]]),
                  np.concatenate([vectors["christmas_test"][:8], vectors["halloween_test"]])):
        found = match(mixed, sources)
        assert found is None or not found.sure, found
    assert match(vectors["beach_test"], sources) is None  # a kind nobody named: no kind


def _kinds(tmp_path, rng, centres: dict, n: int = 20):
    with KindStore(tmp_path / "split.sqlite") as kinds:
        for i, (name, centre) in enumerate(centres.items()):
            kinds.teach(f"{name} 2022", "/x", i, "m", [f"{name}{j}" for j in range(n)], _blob(rng, centre, n))
        return kinds.sources("m")


def test_an_event_mixing_two_learned_kinds_is_split_and_one_near_one_kind_or_none_is_not(tmp_path):
    rng = np.random.default_rng(2)
    a, b, c = (rng.standard_normal(64) + 0.5 for _ in range(3))
    sources = _kinds(tmp_path, rng, {"Christmas": a, "Halloween": b, "Beach": c})
    mixed = np.concatenate([_blob(rng, a, 30), _blob(rng, b, 20)])
    parts = split_by_kind(mixed, sources, min_size=8)
    assert parts is not None and parts.tolist() == [0] * 30 + [1] * 20  # one part per kind, the largest first
    for p, kind in ((0, "Christmas"), (1, "Halloween")):
        found = match(mixed[parts == p], sources)
        assert found.sure and found.kind == kind
    three = np.concatenate([_blob(rng, a, 15), _blob(rng, b, 15), _blob(rng, c, 15)])
    assert sorted(np.bincount(split_by_kind(three, sources, min_size=8)).tolist()) == [15, 15, 15]
    assert split_by_kind(_blob(rng, a, 50), sources, min_size=8) is None  # near one kind: untouched
    assert split_by_kind(rng.standard_normal((50, 64)), sources, min_size=8) is None  # near none
    weak = np.concatenate([_blob(rng, a, 45), _blob(rng, b, 5)])  # 10% of another kind: below the share
    assert split_by_kind(weak, sources, min_size=3) is None
    assert split_by_kind(mixed, sources, min_size=25) is None  # a part under the grouping's smallest event
    assert split_by_kind(mixed, sources[:1], min_size=8) is None  # one kind learned: nothing to split by


def _events4_vectors(tmp_path, folders: dict[str, slice]):
    from core.cache import EmbeddingCache
    from core.embed import embed_image_files
    from core.models.manager import ModelManager

    db = shared_data("photos", "events4", "Database")
    encoder = ModelManager("cpu").get("effnet-lite0")
    with EmbeddingCache(tmp_path / "cache.sqlite") as cache:
        out = {}
        for f, pick in folders.items():
            res = embed_image_files(sorted((db / f).iterdir())[pick], encoder, cache)
            out[f] = (res.paths, res.vectors)
    return encoder.name, out


def test_a_grouped_event_of_christmas_and_halloween_photos_becomes_two_named_events_and_beach_stays_unnamed(
        tmp_path):
    """What bench/albums_eval.py --kinds found (7 Dec 2026): the grouping put two named kinds' photos in
    one event (seed 4: 304 Halloween + 292 Christmas), left unnamed; regrouping cuts such an event by
    kind and names each part. Real events4 photos, offline EfficientNet-Lite0 vectors, a real album store."""
    from core.albums.events import GroupInput, describe_event, regroup
    from core.albums.kinds import learned_namer
    from core.albums.store import AlbumStore

    model, v = _events4_vectors(tmp_path, {"christmas_train": slice(0, 40), "halloween_train": slice(0, 40),
                                           "christmas_test": slice(0, 30), "halloween_test": slice(0, 30),
                                           "beach_test": slice(0, 30)})
    with KindStore(tmp_path / "kinds.sqlite") as kinds:
        for i, kind in enumerate(("christmas", "halloween")):
            kinds.teach(f"{kind.title()} 2022", "/last-year", i, model, *v[f"{kind}_train"])
        sources = kinds.sources(model)
    folders = ("christmas_test", "halloween_test", "beach_test")
    paths = [p for f in folders for p in v[f][0]]
    vectors = np.concatenate([v[f][1] for f in folders])
    data = GroupInput(paths, vectors, np.full(len(paths), np.nan))
    namer = learned_namer(None, sources, data)
    mixed = np.arange(60)  # as the grouping made it: one event of 30 Christmas + 30 Halloween photos
    assert not describe_event(data, mixed, namer)["why"].startswith("Named like")  # whole: unnamed (unsure)
    parts = split_by_kind(vectors[mixed], sources, min_size=8)
    assert parts is not None and len(set(parts.tolist())) == 2
    for p in range(2):
        members = mixed[parts == p]
        name = describe_event(data, members, namer)["name"]
        kind = "Christmas" if name.startswith("Christmas") else "Halloween" if name.startswith("Halloween") else None
        assert kind, name
        assert sum(kind.lower() in paths[i] for i in members) / len(members) >= 0.9, (name, len(members))
    beach = np.arange(60, 90)
    assert split_by_kind(vectors[beach], sources, min_size=8) is None
    assert not describe_event(data, beach, namer)["why"]  # no kind near: named as before

    # through regroup: the same note on the Christmas and Halloween photos, weighed heavily, makes the
    # grouping put them in one event; with the kinds learned it is cut in two, each named
    from core.albums.cluster import ClusterSettings

    text = np.zeros((len(paths), 8), np.float32)
    text[:60, 0], text[60:, 1] = 1, 1
    data = GroupInput(paths, vectors, np.full(len(paths), np.nan), text=text)
    settings = ClusterSettings(image_weight=0.2)

    def events(store):  # event name -> its photos by folder kind
        return {e.name.split(" · ")[0] + ("" if e.name.startswith(("Christmas", "Halloween")) else f" {e.id}"):
                Counter(p.path.split("/")[-2].split("_")[0] for p in store.photos(e.id)) for e in store.events()}

    with AlbumStore(":memory:") as store:
        store.add_photos(paths)
        regroup(store, data, settings)  # no kinds: one event of both
        assert any(n["christmas"] >= 25 and n["halloween"] >= 25 for n in events(store).values()), events(store)
        for _ in range(2):  # and again: the parts keep their events
            regroup(store, data, settings, namer=learned_namer(None, sources, data))
            got = events(store)
            assert got["Christmas"]["christmas"] >= 27 and got["Christmas"]["halloween"] <= 3, got
            assert got["Halloween"]["halloween"] >= 27 and got["Halloween"]["christmas"] <= 3, got
            assert len(got) == 3 and any(n["beach"] == 30 for n in got.values()), got
