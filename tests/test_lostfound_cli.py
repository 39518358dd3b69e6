"""python -m core lostfound: import, list, match as documented."""

from __future__ import annotations

import json

from tests.test_cli import run_cli

HEADER = "kind,image,description,category,storage_location,status,place,date\n"


def test_import_list_match_headless(data_dir, tmp_path):
    from core.paths import resource

    photo = resource("demo", "lostfound", "wallet_1.jpg")
    csv_path = tmp_path / "posts.csv"
    csv_path.write_text(HEADER + "\n".join([
        f"lost,{photo},검은색 반지갑을 잃어버렸어요,지갑,,분실,도서관,2026-11-01",
        f"found,{resource('demo', 'lostfound', 'wallet_2.jpg')},Found a black wallet,지갑,경비실,보관중,도서관,2026-11-02",
        "found,,Found a blue umbrella,우산,경비실,보관중,공학관,2026-11-02",
        "lost,,broken,row,with,too,many,cells,x,y",
    ]) + "\n", encoding="utf-8")
    out = run_cli("lostfound", "import", str(csv_path), "--json", env_dir=data_dir)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["added"] == [1, 2, 3]
    assert "line 5: error: malformed row" in out.stderr
    again = run_cli("lostfound", "import", str(csv_path), "--json", env_dir=data_dir)
    assert json.loads(again.stdout)["duplicates"] == 3

    posts = json.loads(run_cli("lostfound", "list", "--json", env_dir=data_dir).stdout)
    assert [p["id"] for p in posts] == [1, 2, 3] and posts[0]["kind"] == "lost"

    res = run_cli("lostfound", "match", "1", "-k", "10", "--text-weight", "0.3", "--json", env_dir=data_dir)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert [m["post_id"] for m in data["matches"]] == [2, 3]
    best = data["matches"][0]
    assert best["score"] > data["matches"][1]["score"]
    assert set(best["breakdown"]) == {"text", "image", "cross", "gates"}
    assert "efficientnet-lite0" in data["models"]["image"]["weights"]
    missing = run_cli("lostfound", "match", "99", env_dir=data_dir)
    assert missing.returncode == 2 and "no post with id 99" in missing.stderr
