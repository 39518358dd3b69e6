"""The corpus's hostile kinds (issue 36): SVGs that name files they must not read or nest past
what the drawing library survives, an image that stalls its reader, absurd EXIF years, and
crafted backups. ``make_corpus`` adds them; each comes with its expect (``ok`` / ``skip``)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import sqlite3
from pathlib import Path

SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="40" height="40">'


def _image(href: str, attr: str = "href") -> str:
    return f'{SVG}<rect width="40" height="40" fill="blue"/><image {attr}="{href}" width="40" height="40"/></svg>'


def make_hostile_images(folder: Path, good: Path, exif_jpeg) -> dict[str, str]:
    """In the images folder (which already holds ``fifo.jpg`` and ``good-hat.jpg``)."""
    outside = folder.parent / "outside-images"
    outside.mkdir(exist_ok=True)
    shutil.copy(good, outside / "secret.jpg")
    os.symlink(outside / "secret.jpg", folder / "link-out.bin")  # not an image name: only the SVG reaches it
    svgs = {
        "svg-href-dev-zero.svg": (_image("/dev/zero"), "skip"),
        "svg-xlink-dev-zero.svg": (_image("/dev/zero", "xlink:href"), "skip"),
        "svg-feimage-dev-zero.svg": (f'{SVG}<filter id="f"><feImage href="/dev/zero"/></filter>'
                                     '<rect width="9" height="9" filter="url(#f)"/></svg>', "skip"),
        "svg-href-fifo.svg": (_image("fifo.jpg"), "skip"),
        "svg-href-outside.svg": (_image(str(outside / "secret.jpg")), "skip"),
        "svg-href-dotdot.svg": (_image("../outside-images/secret.jpg"), "skip"),
        "svg-href-symlink-out.svg": (_image("link-out.bin"), "skip"),
        "svg-href-file-uri.svg": (_image("file:///etc/passwd"), "skip"),
        "svg-href-in-folder.svg": (_image("good-hat.jpg"), "ok"),
        "svg-href-web.svg": (_image("https://example.com/logo.png"), "ok"),
        "svg-data-huge.svg": (_image("data:image/png;base64," + base64.b64encode(bytes(9 << 20)).decode()), "skip"),
        "svg-nested-100k.svg": (SVG + "<g>" * 100_000 + '<rect width="5" height="5"/>' + "</g>" * 100_000 + "</svg>",
                                "skip"),
        "svg-mask-chain.svg": (SVG + '<defs><mask id="m0"><rect width="5" height="5" fill="white"/></mask>' + "".join(
            f'<mask id="m{i}"><rect width="5" height="5" fill="white" mask="url(#m{i - 1})"/></mask>'
            for i in range(1, 300)) + '</defs><rect width="9" height="9" mask="url(#m299)"/></svg>', "skip"),
        "svg-60k-elements.svg": (SVG + '<rect width="1" height="1"/>' * 60_000 + "</svg>", "skip"),
    }
    expect = {}
    for name, (text, what) in svgs.items():
        (folder / name).write_text(text, encoding="utf-8")
        expect[name] = what
    with open(folder / "sparse-2gb.jpg", "wb") as fh:  # a JPEG's first marker, then 2 GB of zeros (sparse)
        fh.write(good.read_bytes()[:20])
        fh.truncate(2 << 30)
    expect["sparse-2gb.jpg"] = "skip"
    for year in ("1900", "9999"):
        exif_jpeg(folder / f"exif-year-{year}.jpg", date=f"{year}:01:01 00:00:00")
        expect[f"exif-year-{year}.jpg"] = "ok"
    return expect


def _listed(folder: Path) -> list[str]:
    return json.loads((folder / "backup.json").read_text(encoding="utf-8"))["paths"]


def _manifest(folder: Path, **changes) -> None:
    info = json.loads((folder / "backup.json").read_text(encoding="utf-8"))
    info.update(changes)
    for key in [k for k, v in changes.items() if v is None]:
        del info[key]
    (folder / "backup.json").write_text(json.dumps(info), encoding="utf-8")


def _relink(path: Path, target: str) -> None:
    path.unlink()
    os.symlink(target, path)


def _newer_store(store: Path) -> None:
    con = sqlite3.connect(store)
    try:
        con.execute("PRAGMA user_version=999")
        con.execute("ALTER TABLE posts RENAME COLUMN description TO text")
        con.commit()
    finally:
        con.close()


def make_backups(folder: Path, good_photo: Path) -> dict[str, str]:
    """A real backup of a small data folder, and crafted copies of it; {folder name: expect}."""
    from core.backup import backup
    from core.lostfound.store import Post, PostStore

    data = folder / "source-data"
    data.mkdir(parents=True)
    store = PostStore(data / "lostfound.sqlite")
    store.add(Post("lost", "black wallet", "wallet"), photo=good_photo)
    store.close()
    (data / "settings.ini").write_text("[General]\nlast_page=2\n", encoding="utf-8")
    made = backup(folder / "made", data=data).folder
    crafts = {
        "link-settings": lambda f: _relink(f / "settings.ini", "/etc/hostname"),
        "link-photo": lambda f: (os.symlink("/etc/passwd", f / "lostfound" / "passwd.jpg"),
                                 _manifest(f, paths=[*_listed(f), "lostfound/passwd.jpg"])),
        "link-folder": lambda f: (os.symlink("/etc", f / "etc"), _manifest(f, paths=[*_listed(f), "etc/passwd"])),
        "absolute-path": lambda f: _manifest(f, paths=[*_listed(f), "/etc/passwd"]),
        "dotdot-path": lambda f: _manifest(f, paths=[*_listed(f), "../good/backup.json"]),
        "plants-restore-pending": lambda f: ((f / "restore-pending.json").write_text('{"backup": "/tmp"}'),
                                             _manifest(f, paths=[*_listed(f), "restore-pending.json"])),
        "plants-lock": lambda f: ((f / "simscope.lock").write_text("1\n"),
                                  _manifest(f, paths=[*_listed(f), "simscope.lock"])),
        "missing-entry": lambda f: _manifest(f, paths=[*_listed(f), "lostfound/photos/gone.jpg"]),
        "newer-manifest": lambda f: _manifest(f, simscope="99.0.0"),
        "newer-store": lambda f: _newer_store(f / "lostfound.sqlite"),
        "old-manifest-with-link": lambda f: (_manifest(f, paths=None), _relink(f / "settings.ini", "/etc/hostname")),
    }
    expect = {}
    for name, craft in crafts.items():
        shutil.copytree(made, folder / name, symlinks=True)
        craft(folder / name)
        expect[name] = "skip"
    shutil.copytree(made, folder / "unlisted-extra", symlinks=True)  # files it does not list: not copied
    (folder / "unlisted-extra" / "restore-pending.json").write_text('{"backup": "/tmp"}', encoding="utf-8")
    expect["unlisted-extra"] = "ok"
    shutil.copytree(made, folder / "good", symlinks=True)
    expect["good"] = "ok"
    shutil.rmtree(made.parent)
    shutil.rmtree(data)
    return expect
