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


def _options(parser, path=("python -m core",)):
    """(command, option or argument, help) for every argument of every parser under ``parser``."""
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _options(sub, (*path, name))
        elif not isinstance(action, argparse._HelpAction):
            yield " ".join(path), "/".join(action.option_strings) or action.dest, action.help


HIDDEN = {("python -m core logos train", "--tiny")}  # the tests' tiny model: hidden from users on purpose


def test_every_cli_option_has_a_help_text():
    import argparse

    from core.cli import build_parser

    options = list(_options(build_parser()))
    assert len(options) > 150  # every command was walked
    missing = [f"{cmd} {opt}" for cmd, opt, text in options
               if (not text or text == argparse.SUPPRESS) and (cmd, opt) not in HIDDEN]
    assert not missing, f"options without a help text: {missing}"


def _help(*command) -> str:
    import contextlib
    import io

    import pytest

    from core.cli import build_parser

    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        build_parser().parse_args([*command, "--help"])
    return out.getvalue()


def test_import_like_commands_list_their_columns():
    from core.lostfound.store import FIELDS
    from core.trends.data import COLUMNS

    text = _help("lostfound", "import")
    assert all(f"\n  {field} " in text for field in FIELDS), text  # each column on its own line
    assert "kind,image,description,category,storage_location,status,place,date" in text  # an example header
    for command in (("fusion", "train"), ("fusion", "sweep")):
        text = _help(*command)
        assert "\n  image " in text and "\n  label " in text and "one numeric column per sensor" in text
    for command in (("trends", "train"), ("trends", "predict"), ("trends", "build-labels")):
        text = _help(*command)
        assert all(f"\n  {column} " in text or f"\n  {column}\n" in text for column in COLUMNS), text


def test_a_key_error_raised_with_a_sentence_is_said_as_it_is():
    from core.errors import describe_error

    assert describe_error(KeyError("no post with id 99")) == "no post with id 99"
    assert describe_error(KeyError("colour")) == "'colour' is missing or unknown (a required column, setting or name)"


def test_lostfound_match_an_unknown_id_says_so_plainly(data_dir):
    out = run_cli("lostfound", "match", "99", env_dir=data_dir)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1] == "error: no post with id 99 (python -m core lostfound list shows the ids)"


def test_lostfound_match_prints_the_pages_units(data_dir, tmp_path):
    from core.paths import resource

    csv_path = tmp_path / "posts.csv"
    csv_path.write_text("kind,image,description,category\n" + "\n".join([
        f"lost,{resource('demo', 'lostfound', 'wallet_1.jpg')},검은색 반지갑을 잃어버렸어요,지갑",
        f"found,{resource('demo', 'lostfound', 'wallet_2.jpg')},Found a black wallet,지갑",
        "found,,Found a blue umbrella,우산",
    ]) + "\n", encoding="utf-8")
    assert run_cli("lostfound", "import", str(csv_path), env_dir=data_dir).returncode == 0
    out = run_cli("lostfound", "match", "1", env_dir=data_dir)
    assert out.returncode == 0, out.stderr
    rows = out.stdout.strip().splitlines()
    data = json.loads(run_cli("lostfound", "match", "1", "--json", env_dir=data_dir).stdout)["matches"]
    assert len(rows) == len(data) == 2
    for row, m in zip(rows, data, strict=True):  # as the page's matches table: 'beats 99.7% · raw 0.412'
        share = "beats >99.9%" if m["score"] >= 0.9995 else f"beats {m['score'] * 100:.1f}%"
        assert row.startswith(f"#{m['post_id']:<5} {share} · raw {m['raw']:.3f}")
