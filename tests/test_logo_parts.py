"""Parts of logos: a wordmark's icon gets its own vector, and search takes the best of whole and
part on both sides (a part counting PART_MARGIN less), so an icon finds its brand's wordmark."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.images import ImageError
from core.logos.images import NO_PART, has_part, load_logo, load_logo_part, part_image
from core.logos.index import PART_MARGIN, PARTS, LogoIndex, build_index
from tests.test_cli import run_cli
from tests.test_logos_core import copy_brand_logos

# a red disc (the icon) and three dark bars (the name) to its right: 4:1
WIDE = ('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="100" viewBox="0 0 400 100">'
        '<circle cx="50" cy="50" r="45" fill="#d02030"/>'
        '<rect x="120" y="20" width="60" height="60" fill="#222"/><rect x="200" y="20" width="80" height="60" '
        'fill="#222"/><rect x="300" y="20" width="90" height="60" fill="#222"/></svg>')
SQUARE = ('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100" viewBox="0 0 100 100">'
          '<circle cx="50" cy="50" r="45" fill="#d02030"/></svg>')


def test_a_wide_mark_has_its_leading_square_as_a_part_and_a_square_one_has_none(tmp_path):
    (tmp_path / "wide.svg").write_text(WIDE)
    (tmp_path / "square.svg").write_text(SQUARE)
    assert has_part(tmp_path / "wide.svg") and not has_part(tmp_path / "square.svg")
    part = np.asarray(load_logo_part(tmp_path / "wide.svg", 128), np.int32)
    assert part.shape == (128, 128, 3)
    red = (part[..., 0] > 150) & (part[..., 1] < 90)
    dark = part.sum(-1) < 150
    assert red.mean() > 0.5 and dark.mean() < 0.01  # the disc fills it; none of the name's bars
    with pytest.raises(ImageError) as err:
        load_logo_part(tmp_path / "square.svg", 128)
    assert err.value.reason == NO_PART
    # a query dropped as a raster: a wide mark on a big white canvas still has its part
    canvas = Image.new("RGB", (600, 600), "white")
    drawn = load_logo(tmp_path / "wide.svg", 400)
    canvas.paste(drawn, (100, 100))
    assert part_image(canvas, 128) is not None
    assert part_image(Image.new("RGB", (300, 300), "white"), 128) is None  # nothing drawn
    # a rule (a thin line) has no part worth a vector: it would be a flat patch
    (tmp_path / "rule.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="100" '
                                       'viewBox="0 0 400 100"><rect x="0" y="48" width="400" height="3"/></svg>')
    assert not has_part(tmp_path / "rule.svg")
    Image.new("RGB", (4000, 10), "black").save(tmp_path / "rule.png")  # a raster rule: the same answer
    assert not has_part(tmp_path / "rule.png")
    with pytest.raises(ImageError):
        load_logo_part(tmp_path / "rule.svg", 128)


def _index(rng: np.random.Generator, n: int = 60, m: int = 25, dim: int = 16) -> LogoIndex:
    def unit(x):
        return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)

    files = [f"/logos/{i:03d}.svg" for i in range(n)]
    owners = sorted(rng.choice(n, m, replace=False).tolist())
    return LogoIndex(files, unit(rng.normal(size=(n, dim))), {}, unit(rng.normal(size=(m, dim))),
                     [files[i] for i in owners])


def test_search_ranks_exactly_by_the_best_of_whole_and_part_with_the_margin():
    rng = np.random.default_rng(0)
    for trial in range(20):
        index = _index(rng)
        q = rng.normal(size=16).astype(np.float32)
        q /= np.linalg.norm(q)
        qp = None if trial % 3 == 0 else (lambda v: v / np.linalg.norm(v))(rng.normal(size=16).astype(np.float32))
        truth = {}
        for i, f in enumerate(index.files):
            cands = [float(index.vectors[i] @ q)]
            part = index.part_of(f)
            if part is not None:
                cands.append(float(part @ q) - PART_MARGIN)
            if qp is not None:
                cands.append(float(index.vectors[i] @ qp) - PART_MARGIN)
                if part is not None:
                    cands.append(float(part @ qp) - PART_MARGIN)
            truth[f] = max(cands)
        excluded = index.files[trial]
        want = sorted((f for f in truth if f != excluded), key=lambda f: -truth[f])[:7]
        hits = index.search(q, k=7, exclude=excluded, query_part=qp)
        assert [h.file for h in hits] == want
        assert np.allclose([h.score for h in hits], [truth[f] for f in want], atol=1e-5)
        assert [h.rank for h in hits] == list(range(1, 8))
        assert all(h.score >= 0.2 for h in index.search(q, k=20, threshold=0.2, query_part=qp))


def test_parts_are_saved_and_an_index_made_before_parts_still_opens(tmp_path):
    index = _index(np.random.default_rng(1))
    index.save(tmp_path / "idx")
    again = LogoIndex.load(tmp_path / "idx")
    assert again.part_files == index.part_files and np.allclose(again.parts, index.parts)
    q = index.vectors[3]
    assert [h.file for h in again.search(q, 5)] == [h.file for h in index.search(q, 5)]
    (tmp_path / "idx" / PARTS).unlink()  # as written before parts existed
    old = LogoIndex.load(tmp_path / "idx")
    assert len(old.parts) == 0 and old.part_of(index.part_files[0]) is None
    assert old.search(q, 1)[0].file == index.files[3] and old.search(q, 1)[0].via == ""


@pytest.fixture(scope="module")
def brand_index(tmp_path_factory):
    from core.cache import EmbeddingCache
    from core.logos.service import load_encoder
    from core.models.manager import ModelManager

    folder = copy_brand_logos(tmp_path_factory.mktemp("parts") / "logos")
    with EmbeddingCache(folder.parent / "cache.sqlite") as cache:
        index, errors = build_index(folder, load_encoder(ModelManager("cpu"), "simscope-logo"), cache)
    assert not errors
    return folder, index


def test_an_icon_finds_its_wordmark_and_the_wordmark_its_icon(brand_index):
    folder, index = brand_index
    names = {Path(f).name for f in index.part_files}
    assert {"gitlab.svg", "slack.svg", "docker.svg"} <= names and "gitlab-icon.svg" not in names
    assert index.meta["parts"] == len(index.part_files)
    whole_only = LogoIndex(index.files, index.vectors, index.meta)
    for query, brand, via in (("slack-icon.svg", "slack.svg", "its icon"), ("gitlab.svg", "gitlab-icon.svg", "the query's icon")):
        q = str(folder / query)
        hits = index.search(index.vector_of(q), 3, exclude=q, query_part=index.part_of(q))
        assert Path(hits[0].file).name == brand and hits[0].via == via and hits[0].score > 0.7, hits
        before = whole_only.search(whole_only.vector_of(q), 3, exclude=q)
        assert all(Path(h.file).name != brand or h.score < 0.6 for h in before)  # whole logos hardly alike


def test_cli_query_by_a_new_file_uses_its_icon(brand_index, data_dir, tmp_path):
    folder, index = brand_index
    index.save(tmp_path / "idx")
    query = tmp_path / "gitlab-copy.svg"  # not in the index: embedded, its icon too
    query.write_text((folder / "gitlab.svg").read_text())
    out = run_cli("logos", "query", "--index", str(tmp_path / "idx"), str(query), "-k", "3", "--json", env_dir=data_dir)
    assert out.returncode == 0, out.stderr
    hits = json.loads(out.stdout)
    assert [Path(h["file"]).name for h in hits[:2]] == ["gitlab.svg", "gitlab-icon.svg"]
    assert "via" not in hits[0] and hits[1]["via"] in ("both icons", "the query's icon")


def test_the_query_paths_give_the_index_its_icon_vectors(brand_index, data_dir):
    """The warm query path (ONNX Runtime in-process) and the no-torch path of a new process give
    a query's icon the vector the index holds for it."""
    from core.logos.index import embed_query
    from core.logos.query import onnx_query_vector
    from core.logos.service import load_encoder
    from core.models.manager import ModelManager

    folder, index = brand_index
    query = str(folder / "gitlab.svg")
    whole, part = embed_query(query, load_encoder(ModelManager("cpu"), "simscope-logo"), part=True)
    np.testing.assert_allclose(whole, index.vector_of(query), atol=3e-3)  # the index's are float16
    np.testing.assert_allclose(part, index.part_of(query), atol=3e-3)
    again = onnx_query_vector(query, index.meta["model"], part=True)  # the export the call above left
    assert again is not None
    np.testing.assert_allclose(again[0], whole, atol=1e-4)
    np.testing.assert_allclose(again[1], part, atol=1e-4)
    assert onnx_query_vector(str(folder / "gitlab-icon.svg"), index.meta["model"], part=True)[1] is None
