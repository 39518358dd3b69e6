"""The CLI's words (issue 38): the same units as the pages ('beats 99.7%' with the raw score, a cut
that says how many it left out), plain error sentences, and a help text for every option."""

from __future__ import annotations

import json

from tests.conftest import DEMO_PHOTOS
from tests.test_cli import run_cli


def test_albums_similar_prints_the_pages_units_and_what_the_cut_left_out(data_dir, tmp_path):
    import shutil

    from PIL import Image

    folder = tmp_path / "photos"
    shutil.copytree(DEMO_PHOTOS, folder)
    photo = sorted(folder.glob("shoes*"))[0]
    with Image.open(photo) as im:  # a smaller copy: far above the cut; the other 11 photos: clothes
        im.convert("RGB").resize((im.width // 2, im.height // 2)).save(folder / "zz-copy.jpg", quality=80)
    out = run_cli("albums", "similar", str(photo), "--in", str(folder), "-k", "12", env_dir=data_dir)
    assert out.returncode == 0, out.stderr
    rows = out.stdout.strip().splitlines()
    assert 1 <= len(rows) < 12 and all(" beats " in r and " raw 0." in r for r in rows)  # not all 12 others
    assert rows[0].endswith("zz-copy.jpg") and "beats >99.9%" in rows[0]
    summary = out.stderr.strip().splitlines()[-1]
    assert summary == (f"{len(rows)} photo{'s' if len(rows) > 1 else ''} more alike than 99 % of unrelated "
                       f"pairs; {12 - len(rows)} below the cut not shown")
    every = run_cli("albums", "similar", str(photo), "--in", str(folder), "-k", "12", "--cut", "0", "--json",
                    env_dir=data_dir)
    hits = json.loads(every.stdout)
    assert len(hits) == 12 and {"photo", "score", "beats"} <= set(hits[0])  # --cut 0: the best k, as before
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
