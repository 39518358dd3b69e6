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
    assert out.returncode == 1, out.stderr  # one row was not imported: said, and the exit status says so
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


def test_posts_with_unresolved_photos_are_not_duplicates_and_messages_keep_their_order(data_dir, tmp_path):
    """Issue 20 #2: two found posts alike but for their (missing) photos, place or storage are two
    posts; the extra column is named; per line the warning comes before what it led to."""
    csv_path = tmp_path / "posts.csv"
    csv_path.write_text(HEADER.strip() + ",colour\n" + "\n".join([
        "found,missing/a.jpg,Black cap,모자,경비실,보관중,도서관,2026-11-02,black",
        "found,missing/b.jpg,Black cap,모자,경비실,보관중,도서관,2026-11-02,black",
        "found,missing/b.jpg,Black cap,모자,경비실,보관중,공학관,2026-11-02,black",
        "found,missing/b.jpg,Black cap,모자,학생회관,보관중,공학관,2026-11-02,black",
        "found,missing/b.jpg,Black cap,모자,학생회관,보관중,공학관,2026-11-02,black",
    ]) + "\n", encoding="utf-8")
    out = run_cli("lostfound", "import", str(csv_path), "--json", env_dir=data_dir)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["added"] == [1, 2, 3, 4] and report["duplicates"] == 1
    lines = [ln for ln in out.stderr.strip().splitlines() if not ln.startswith("data folder: ")]
    assert lines[0].startswith("line 1: warning: column(s) colour are not used")
    last = [ln for ln in lines if ln.startswith("line 6:")]
    assert "warning: photo missing/b.jpg" in last[0] and "duplicate: same kind" in last[1] and "#4" in last[1]


def test_korean_spreadsheet_encodings_and_broken_rows(data_dir, tmp_path):
    text = HEADER + "lost,,검은색 지갑을 잃어버렸어요,지갑,,분실,도서관,2026-11-01\n"
    cp949 = tmp_path / "cp949.csv"
    cp949.write_bytes(text.encode("cp949"))
    out = run_cli("lostfound", "import", str(cp949), "--json", env_dir=data_dir)
    assert out.returncode == 0 and json.loads(out.stdout)["added"] == [1], out.stderr
    assert "read as CP949" in out.stderr
    posts = json.loads(run_cli("lostfound", "list", "--json", env_dir=data_dir).stdout)
    assert posts[0]["description"] == "검은색 지갑을 잃어버렸어요"
    broken = tmp_path / "broken.csv"
    broken.write_text(HEADER + "found,,Blue umbrella,우산,,보관중,공학관,2026-11-02\n"
                      + 'found,,"Red bag with,가방,,보관중,공학관,2026-11-02\n'
                      + "found,,Green hat,모자,,보관중,공학관,2026-11-02\n"
                      + "found,,nul\x00byte,모자,,보관중,공학관,2026-11-02\n", encoding="utf-8")
    out = run_cli("lostfound", "import", str(broken), "--json", env_dir=data_dir)
    assert out.returncode == 1 and json.loads(out.stdout)["added"] == [2]
    assert "line 3: error: a quote opened in this row is never closed" in out.stderr
