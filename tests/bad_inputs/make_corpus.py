"""The shared corpus of bad input, generated at test time (nothing binary is committed).

``make_corpus(root)`` writes:

* ``images/``: 2 good photos and 34 bad or odd entries: empty, truncated, header-only, text named
  .png/.jpg, PNG and SVG decompression bombs, billion-laughs and external-entity SVGs, CMYK,
  16-bit, palette+alpha, 1-bit, float TIFF, animated GIF/WebP, 1 px, 10000×1, absurd EXIF
  (orientation 9, year 0, GPS out of range), Korean / emoji / newline / quote / leading-dash /
  non-UTF-8 names, a dangling symlink, a symlink loop, a FIFO, a symlink to /dev/zero and a
  folder named x.jpg;
* ``csv/{lostfound,fusion,trends}/``: per schema, missing / extra columns, wrong types,
  NaN / inf / 1e400, BOM (at the start and inside), Latin-1, CP949, UTF-16, NUL bytes, unclosed quotes, embedded newlines,
  formula values and 100k rows; for Lost & Found also JSON with a BOM, UTF-16, NaN / -Infinity /
  1e999999 numbers, and a 100,000-column CSV;
* ``checkpoints/``: zero-byte, truncated, a pickled object, another model's state dict, a
  plain tensor.

Each entry comes with what a correct importer must do with it (``expect``): ``"ok"`` (read),
``"skip"`` (named with a reason, the rest goes on) or ``"any"`` (odd but legal: read, or skipped
with a reason).
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import zlib
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
GOOD = [ROOT / "resources" / "demo" / "photos" / "hat_2a12baab.jpg",
        ROOT / "resources" / "demo" / "photos" / "shoes_07d88b75.jpg"]


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png_bomb(width: int, height: int) -> bytes:
    """A valid PNG header claiming width × height 1-bit pixels, with a few compressed rows."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (1 + width // 8) * 8, 9)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", rows) + _png_chunk(b"IEND", b"")


def _exif_jpeg(path: Path, **tags) -> None:
    im = Image.open(GOOD[0]).convert("RGB")
    exif = Image.Exif()
    if "orientation" in tags:
        exif[0x0112] = tags["orientation"]
    if "date" in tags:
        exif.get_ifd(0x8769)[36867] = tags["date"]
        exif[306] = tags["date"]
    if "gps" in tags:
        lat, lon = tags["gps"]
        gps = exif.get_ifd(0x8825)
        gps[1], gps[2], gps[3], gps[4] = "N", (lat, 0.0, 0.0), "E", (lon, 0.0, 0.0)
    im.save(path, exif=exif)


def make_images(folder: Path) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    expect: dict[str, str] = {}

    def put(name: str, what: str, data: bytes | None = None) -> Path:
        p = folder / name
        if data is not None:
            p.write_bytes(data)
        expect[name] = what
        return p

    shutil.copy(GOOD[0], put("good-hat.jpg", "ok"))
    shutil.copy(GOOD[1], put("good-shoes.jpg", "ok"))
    good = GOOD[0].read_bytes()
    put("zero-byte.jpg", "skip", b"")
    put("truncated.jpg", "skip", good[: len(good) // 3])
    put("header-only.png", "skip", b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0)))
    put("text.png", "skip", b"this is not an image\n" * 20)
    put("text.jpg", "skip", b"<html>not a photo</html>\n")
    put("bomb.png", "skip", _png_bomb(60000, 60000))
    put("bomb.svg", "any", b'<svg xmlns="http://www.w3.org/2000/svg" width="200000" height="200000">'
                           b'<rect width="200000" height="200000" fill="red"/></svg>')
    laughs = ['<?xml version="1.0"?>', '<!DOCTYPE svg [', '<!ENTITY a "lol">']
    laughs += [f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)]
    laughs += [']>', '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&j;</text></svg>']
    put("billion-laughs.svg", "skip", "\n".join(laughs).encode())
    put("external-entity.svg", "any",
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&xxe;</text></svg>')
    Image.open(GOOD[0]).convert("CMYK").save(put("cmyk.jpg", "ok"))
    Image.fromarray(np.arange(64 * 64, dtype=np.uint16).reshape(64, 64) * 16).save(put("16bit.png", "ok"))
    pal = Image.open(GOOD[1]).convert("RGB").quantize(16)
    pal.info["transparency"] = 0
    pal.save(put("palette-alpha.png", "ok"), transparency=0)
    Image.open(GOOD[0]).convert("1").save(put("1bit.png", "ok"))
    Image.fromarray(np.random.default_rng(0).random((32, 32), dtype=np.float32)).save(put("float.tif", "ok"))
    frames = [Image.new("RGB", (32, 32), c) for c in ("red", "green", "blue")]
    frames[0].save(put("animated.gif", "ok"), save_all=True, append_images=frames[1:], duration=50, loop=0)
    frames[0].save(put("animated.webp", "ok"), save_all=True, append_images=frames[1:], duration=50)
    Image.new("RGB", (1, 1), "white").save(put("1px.png", "any"))
    Image.new("RGB", (10000, 1), "gray").save(put("10000x1.png", "any"))
    _exif_jpeg(put("exif-orientation-9.jpg", "ok"), orientation=9)
    _exif_jpeg(put("exif-year-0.jpg", "ok"), date="0000:00:00 00:00:00")
    _exif_jpeg(put("exif-gps-out-of-range.jpg", "ok"), gps=(123.0, 400.0))
    shutil.copy(GOOD[0], put("한국어 사진.jpg", "ok"))
    shutil.copy(GOOD[1], put("emoji 📷.jpg", "ok"))
    shutil.copy(GOOD[0], put("new\nline.jpg", "ok"))
    shutil.copy(GOOD[1], put('quote".jpg', "ok"))
    shutil.copy(GOOD[0], put("-leading-dash.jpg", "ok"))
    bad_name = os.fsdecode(b"latin1-\xe9t\xe9.jpg")  # not valid UTF-8: kept as surrogates
    shutil.copy(GOOD[1], folder / bad_name)
    expect[bad_name] = "skip"
    os.symlink(folder / "gone.jpg", put("dangling.jpg", "skip"))
    os.symlink(folder / "loop.jpg", put("loop.jpg", "skip"))
    os.mkfifo(put("fifo.jpg", "skip"))
    os.symlink("/dev/zero", put("dev-zero.jpg", "skip"))
    (put("folder.jpg", "skip")).mkdir()
    from tests.bad_inputs.hostile import make_hostile_images

    expect.update(make_hostile_images(folder, GOOD[0], _exif_jpeg))  # issue 36: SVG references, bombs, EXIF years
    return expect


# -- CSVs --------------------------------------------------------------------------------
def _variants(header: list[str], good_rows: list[list[str]], numeric: str, bulk_row,
              required: str) -> dict[str, tuple[bytes, str]]:
    """name → (file bytes, expect) for one schema."""
    def text(rows, head=header):
        return "\n".join(",".join(r) for r in [head, *rows]) + "\n"

    base = text(good_rows)
    col = header.index(numeric)
    drop = header.index(required)
    def with_value(v):
        rows = [r[:] for r in good_rows]
        rows[0][col] = v
        return text(rows)
    out = {
        "good.csv": (base.encode(), "ok"),
        "missing-columns.csv": (text([r[:drop] + r[drop + 1:] for r in good_rows],
                                     header[:drop] + header[drop + 1:]).encode(), "skip"),
        "extra-columns.csv": (text([[*r, "x"] for r in good_rows], [*header, "extra"]).encode(), "ok"),
        "wrong-types.csv": (with_value("lots").encode(), "skip"),
        "nan.csv": (with_value("nan").encode(), "skip"),
        "inf.csv": (with_value("inf").encode(), "skip"),
        "overflow-1e400.csv": (with_value("1e400").encode(), "skip"),
        "bom.csv": (("\ufeff" + base).encode("utf-8"), "ok"),
        # a BOM past the start (two files joined, a pasted cell): dropped, as the reader drops the first
        "bom-inside.csv": (text([good_rows[0], ["\ufeff" + good_rows[1][0], *good_rows[1][1:]], *good_rows[2:]])
                           .encode("utf-8"), "ok"),
        "latin1.csv": (base.replace(good_rows[0][-1], good_rows[0][-1] + " café").encode("latin-1", "replace"), "ok"),
        "cp949.csv": (base.replace(good_rows[0][-1], good_rows[0][-1] + " 지갑").encode("cp949", "replace"), "ok"),
        "utf16.csv": (base.encode("utf-16"), "ok"),
        "nul-bytes.csv": (with_value("1\x002").encode(), "skip"),
        "unclosed-quote.csv": (text([good_rows[0], [*good_rows[1][:-1], '"never closed'], *good_rows[2:]]).encode(), "skip"),
        "embedded-newline.csv": (text([good_rows[0][:-1] + ['"two\nlines"'], *good_rows[1:]]).encode(), "ok"),
        "formula.csv": (text([good_rows[0][:-1] + ["=cmd|' /C calc'!A0"], *good_rows[1:]]).encode(), "ok"),
        "100k-rows.csv": ((text([]) + "".join(",".join(bulk_row(i)) + "\n" for i in range(100_000))).encode(), "any"),
    }
    return out


def make_csvs(folder: Path, images: Path) -> dict[str, dict[str, str]]:
    """{schema: {file: expect}}; photos referenced by the CSVs are the good images."""
    folder.mkdir(parents=True, exist_ok=True)
    img = str(images / "good-hat.jpg")
    schemas = {
        "lostfound": (["kind", "image", "description", "category", "storage_location", "status", "place", "date"],
                      [["found", img, "black cap", "모자", "desk", "보관중", "library", "2026-11-02"],
                       ["lost", "", "blue umbrella", "우산", "", "분실", "hall", "2026-11-03"],
                       ["found", "", "red wallet", "지갑", "desk", "보관중", "gym", "2026-11-04"]],
                      "kind", lambda i: ["found", "", f"item number {i}", "", "", "보관중", f"room {i}", "2026-11-01"],
                      "kind"),
        "fusion": (["MQ2", "MQ3", "image", "label", "note"],
                   [[str(500 + i), str(300 + i), img, lab, "reading"] for i, lab in
                    enumerate(["Normal", "Caution", "Warning", "Critical"] * 8)],
                   "MQ2", lambda i: [str(i % 700), str(i % 500), img, "Normal", "bulk"], "label"),
        "trends": (["date", "category", "image", "comments", "likes", "collects", "text"],
                   [[(date(2025, 1, 1) + timedelta(days=d)).isoformat(), c, "", "1", str(2 + d % 7 + (c == "a") * d // 9),
                     "3", "red dress"] for d in range(500) for c in ("a", "b", "c")],
                   "likes", lambda i: [f"2025-{1 + (i // 3000) % 12:02d}-{1 + (i // 100) % 28:02d}",
                                       "abc"[i % 3], "", "1", str(i % 50), "0", "post"], "date"),
    }
    expect: dict[str, dict[str, str]] = {}
    for schema, (header, rows, numeric, bulk, required) in schemas.items():
        sub = folder / schema
        sub.mkdir(exist_ok=True)
        expect[schema] = {}
        for name, (data, what) in _variants(header, rows, numeric, bulk, required).items():
            (sub / name).write_bytes(data)
            expect[schema][name] = what
    # JSON posts: a UTF-8 BOM (read, as a CSV with one is); numbers that are not finite (that row refused,
    # named); a 100,000-column CSV (read; its warning names a few columns and a count)
    lf = folder / "lostfound"
    posts = [{"kind": "found", "description": "black cap", "place": "library"},
             {"kind": "lost", "description": "blue umbrella", "place": "hall"}]
    (lf / "bom.json").write_bytes(b"\xef\xbb\xbf" + json.dumps(posts).encode("utf-8"))
    (lf / "utf16.json").write_bytes(json.dumps(posts, ensure_ascii=False).encode("utf-16"))
    for name, number in (("nan.json", "NaN"), ("infinity.json", "-Infinity"), ("overflow-1e999999.json", "1e999999")):
        (lf / name).write_text(json.dumps(posts)[:-1] + f', {{"kind": "found", "description": "x", "place": {number}}}]',
                               encoding="utf-8")
        expect["lostfound"][name] = "skip"
    expect["lostfound"].update({"bom.json": "ok", "utf16.json": "ok", "wide-1e5-columns.csv": "ok"})
    (lf / "wide-1e5-columns.csv").write_text(",".join(["kind", "description", *(f"c{i}" for i in range(100_000))])
                                             + "\nfound,red wallet\n", encoding="utf-8")
    # lostfound's "kind" is text: its wrong type is a kind that is not lost/found
    (folder / "lostfound" / "wrong-types.csv").write_text(
        (folder / "lostfound" / "good.csv").read_text(encoding="utf-8").replace("found,", "maybe,", 1), encoding="utf-8")
    return expect


def make_checkpoints(folder: Path) -> dict[str, str]:
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "zero-byte.pt").write_bytes(b"")
    torch.save({"a.weight": torch.zeros(4, 4)}, folder / "other-model.pt")
    data = (folder / "other-model.pt").read_bytes()
    (folder / "truncated.pt").write_bytes(data[: len(data) // 2])
    torch.save(torch.zeros(8), folder / "tensor.pt")
    (folder / "pickled.pt").write_bytes(_pickled_checkpoint())
    return {name: "skip" for name in ("zero-byte.pt", "other-model.pt", "truncated.pt", "tensor.pt", "pickled.pt")}


def _pickled_checkpoint() -> bytes:
    """A torch file whose pickle would call os.system: weights_only=True must refuse it."""
    import io
    import pickle
    import zipfile

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned > /tmp/simscope-pwned",))

    payload = pickle.dumps({"model": Evil()}, protocol=2)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:  # torch's zip layout: archive/data.pkl + version
        zf.writestr("archive/data.pkl", payload)
        zf.writestr("archive/version", "3\n")
        zf.writestr("archive/byteorder", "little")
    return buf.getvalue()


def make_corpus(root: Path) -> dict:
    """Write the corpus under ``root`` and ``root/expect.json``; returns what it expects."""
    import json

    root = Path(root)
    images = root / "images"
    expect = {"images": make_images(images), "csv": make_csvs(root / "csv", images),
              "checkpoints": make_checkpoints(root / "checkpoints")}
    from tests.bad_inputs.hostile import make_backups

    expect["backups"] = make_backups(root / "backups", GOOD[0])
    (root / "expect.json").write_text(json.dumps(expect, indent=1), encoding="utf-8")  # ASCII: names escaped
    return expect


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(make_corpus(Path(sys.argv[1])), indent=1))
