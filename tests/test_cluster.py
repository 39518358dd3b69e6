"""The Ray path (issue 17): a local Ray instance with 2 CPUs embeds ~40 real photos into the
same cache the desktop uses; the vectors equal the local pipeline's; a re-run computes nothing;
a bad file is reported per file; the app and the rest of the CLI never import Ray."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from core.cache import EmbeddingCache
from core.embed import embed_image_files
from tests.conftest import ROOT, shared_data
from tests.test_cli import run_cli


@pytest.fixture
def photos(tmp_path):
    """40 real photos (events4 test folders, 10 of each event) and one text file named .jpg."""
    out = tmp_path / "photos"
    out.mkdir()
    base = shared_data("photos", "events4", "Database")
    for event in ("beach", "christmas", "family", "halloween"):
        for f in sorted((base / f"{event}_test").glob("*.jpg"))[:10]:
            shutil.copy(f, out / f"{event}-{f.name}")
    (out / "broken.jpg").write_text("not a photo")
    return out


def test_ray_fills_the_desktops_cache_with_the_local_pipelines_vectors(photos, tmp_path):
    pytest.importorskip("ray", reason="the cluster extra is not installed: pip install -e '.[cluster]'")
    from core.cluster import embed_on_ray
    from core.models.manager import ModelManager

    files = sorted(str(f) for f in photos.iterdir())
    encoder = ModelManager("cpu").get("effnet-lite0")
    with EmbeddingCache(tmp_path / "local.sqlite") as cache:
        local = embed_image_files(files, encoder, cache)
    assert local.computed == 40 and [p for p, _ in local.errors] == [str(photos / "broken.jpg")]
    with EmbeddingCache(tmp_path / "ray.sqlite") as cache:
        seen = []
        ray_res = embed_on_ray(files, "effnet-lite0", cache, num_cpus=2, workers=2, batch_size=8,
                               progress=lambda f, m=None: seen.append(f))
        assert ray_res.computed == 40 and ray_res.reused == 0 and ray_res.engine == "Ray"
        assert ray_res.errors == local.errors  # the same file, the same message
        assert seen[-1] == 1.0 and len(seen) > 3
        after = embed_image_files(files, encoder, cache)  # the desktop's call: everything is cached
        assert after.computed == 0 and after.reused == 40 and after.paths == local.paths
        np.testing.assert_allclose(after.vectors, local.vectors, atol=2e-3)  # float16 in the cache
        again = embed_on_ray(files, "effnet-lite0", cache, num_cpus=2)
        assert again.computed == 0 and again.reused == 40


def test_cli_embed_on_ray_and_never_imports_ray_otherwise(photos, data_dir):
    pytest.importorskip("ray", reason="the cluster extra is not installed: pip install -e '.[cluster]'")
    res = run_cli("embed", str(photos), "--ray", "--workers", "1", "--json", env_dir=data_dir)
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["device"] == "Ray" and report["computed"] == 40 and report["computed_locally"] == 0
    assert [e["file"] for e in report["errors"]] == [str(photos / "broken.jpg")]
    res = run_cli("embed", str(photos), "--json", env_dir=data_dir)  # the local path reads Ray's vectors
    assert json.loads(res.stdout)["computed"] == 0 and json.loads(res.stdout)["reused"] == 40
    logos = ROOT / "resources" / "demo" / "logos"  # logos: drawn as Logos draws them, in Logos' namespace
    res = run_cli("logos", "index", str(logos), "--out", str(data_dir / "idx"), "--ray", "--workers", "1",
                  env_dir=data_dir)
    assert res.returncode == 0, res.stderr
    assert "on Ray" in res.stderr and "(0 computed, 13 from cache)" in res.stderr  # the index computed nothing
    parts = int(json.loads((data_dir / "idx" / "index.json").read_text())["parts"])  # the wordmarks' icons, on Ray too
    assert parts >= 1 and f"icons of wordmarks: {parts} embedded (0 computed, {parts} from cache)" in res.stderr
    res = run_cli("logos", "query", str(logos / "sun-copy.png"), "--index", str(data_dir / "idx"), "-k", "1",
                  "--json", env_dir=data_dir)
    assert json.loads(res.stdout)[0]["file"].endswith("sun.svg")
    probe = ("import sys, core.cli, core.embed, core.logos.cli, app.main; "
             "core.cli.build_parser(); print('ray' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_an_unreachable_or_malformed_cluster_address_is_a_clear_error_at_once(tmp_path):
    """Ray itself retries a dead address for minutes: the CLI says what is wrong within seconds."""
    import time

    from core.cluster import embed_on_ray

    with EmbeddingCache(tmp_path / "c.sqlite") as cache:
        t = time.monotonic()
        with pytest.raises(ConnectionError, match=r"cannot reach the Ray cluster at 127\.0\.0\.1:1"):
            embed_on_ray(["x.jpg"], "effnet-lite0", cache, address="127.0.0.1:1")
        with pytest.raises(ValueError, match="not HOST:PORT"):
            embed_on_ray(["x.jpg"], "effnet-lite0", cache, address="garbage")
        assert time.monotonic() - t < 15
