"""The Lost & Found post store: posts, photos, import with per-line reports, export."""

from __future__ import annotations

import json
import shutil

import pytest

from core.lostfound.categories import parse_category, same_top_level
from core.lostfound.store import Post, PostError, PostStore
from tests.conftest import DEMO_PHOTOS

HEADER = "kind,image,description,category,storage_location,status,place,date\n"


@pytest.fixture
def store(tmp_path):
    s = PostStore(tmp_path / "lf.sqlite")
    yield s
    s.close()


def test_categories_parse_korean_and_english():
    c = parse_category("wallet > 남성용 지갑")
    assert (c.top, c.sub, c.known) == ("지갑", "남성용 지갑", True)
    assert str(c) == "지갑 > 남성용 지갑"
    unknown = parse_category("우주선 > 부품")
    assert not unknown.known
    assert same_top_level(c, parse_category("지갑")) is True
    assert same_top_level(c, parse_category("문구 > 수첩")) is False
    assert same_top_level(c, unknown) is None


def test_add_edit_delete_undo_and_the_photo_is_kept(store, tmp_path):
    photo = tmp_path / "hat.jpg"
    shutil.copy(DEMO_PHOTOS / "hat_2a12baab.jpg", photo)
    post = store.add(Post(kind="lost", description="검은 모자", category="모자"), photo=photo)
    photo.unlink()  # the user's file goes away: the stored copy stays
    got = store.get(post.id)
    assert got.image and got.image.startswith(str(store.photo_dir)) and got.has_photo
    store.update(post.id, description="검은색 야구모자", status="반환됨")
    assert store.get(post.id).description == "검은색 야구모자" and not store.get(post.id).is_open
    store.delete(post.id)
    assert store.list() == [] and store.count() == 0
    store.undelete(post.id)
    assert [p.id for p in store.list()] == [post.id]
    with pytest.raises(PostError):
        store.add(Post(kind="stolen", description="x"))
    with pytest.raises(PostError):
        store.add(Post(kind="lost", description="   "))


def test_import_reports_each_bad_row_by_line_and_imports_the_rest(store, tmp_path):
    shutil.copy(DEMO_PHOTOS / "shoes_07d88b75.jpg", tmp_path / "shoes.jpg")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    csv_text = HEADER + "\n".join([
        "lost,shoes.jpg,흰색 운동화,신발 > 운동화,,분실,체육관,2026-11-01",          # line 2 ok
        "found,missing.jpg,Found a black wallet,wallet,경비실,보관중,정문,2026-11-02",  # 3 photo missing
        "found,broken.jpg,검은색 우산,우산,,보관중,도서관,2026-11-02",                  # 4 broken photo
        "lost,,,지갑,,분실,,2026-11-03",                                              # 5 nothing to match
        "misplaced,,a thing,기타,,,,",                                                # 6 bad kind
        "lost,,우주선 부품,우주선,,분실,,",                                             # 7 unknown category
        "lost,shoes.jpg,,신발,,분실,,",                                               # 8 photo only
        "lost,,too,many,cells,here,a,b,c,d",                                          # 9 malformed
        "lost,shoes.jpg,흰색 운동화,신발 > 운동화,,분실,체육관,2026-11-01",          # 10 duplicate of 2
    ]) + "\n"
    path = tmp_path / "posts.csv"
    path.write_text(csv_text, encoding="utf-8")
    report = store.import_file(path)
    lines = {kind: sorted(n for n, _ in rows) for kind, rows in
             (("errors", report.errors), ("warnings", report.warnings), ("duplicates", report.duplicates))}
    assert lines["errors"] == [5, 6, 9]
    assert lines["warnings"] == [3, 4, 7, 8]
    assert lines["duplicates"] == [10]
    assert len(report.added) == 5
    messages = "\n".join(report.messages())
    assert "line 3: warning: photo missing.jpg" in messages and "imported without a photo" in messages
    assert "line 6: error: kind must be 'lost' or 'found'" in messages
    by_desc = {p.description: p for p in store.list()}
    assert by_desc["Found a black wallet"].category == "지갑" and not by_desc["Found a black wallet"].has_photo
    assert by_desc["우주선 부품"].category == "우주선"  # unknown category kept
    again = store.import_file(path)  # a second import doubles nothing
    assert again.added == [] and len(again.duplicates) == 6  # lines 2, 3, 4, 7, 8 and 10
    assert store.count() == 5


def test_unusable_files_are_refused_with_a_clear_message(store, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,text\nx,y\n", encoding="utf-8")
    with pytest.raises(PostError, match="missing column"):
        store.import_file(bad)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json", encoding="utf-8")
    with pytest.raises(PostError, match="not valid JSON"):
        store.import_file(bad_json)
    with pytest.raises(PostError, match="does not exist"):
        store.import_file(tmp_path / "absent.csv")
    assert store.count() == 0


def test_export_and_reimport_round_trip_in_csv_and_json(store, tmp_path):
    store.add(Post(kind="lost", description="파란색 우산", category="우산", place="도서관", date="2026-11-01"))
    store.add(Post(kind="found", description="Found a cap", category="모자"),
              photo=DEMO_PHOTOS / "hat_31ae3916.jpg")
    for name in ("out.csv", "out.json"):
        assert store.export(tmp_path / name) == 2
        other = PostStore(tmp_path / f"{name}.sqlite")
        report = other.import_file(tmp_path / name)
        assert len(report.added) == 2, report.messages()
        assert [(p.kind, p.description, p.category, p.has_photo) for p in other.list()] == [
            (p.kind, p.description, p.category, p.has_photo) for p in store.list()]
        other.close()
    data = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert {"id", "kind", "image", "description", "category"} <= set(data[0])
