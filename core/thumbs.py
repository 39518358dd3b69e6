"""Disk-cached thumbnails (JPEG), keyed by the file's path, size and modification time."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from core.images import open_image
from core.paths import data_dir


def thumbs_dir() -> Path:
    path = data_dir() / "thumbs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def thumbnail_file(path: str | os.PathLike[str], size: int = 160, folder: Path | None = None,
                   loader=None, kind: str = "photo") -> Path:
    """The cached thumbnail of ``path`` (made now if needed); raises ``ImageError``.

    ``loader(path, size) -> PIL image`` replaces the photo reader (Logos: SVG on white),
    with ``kind`` keeping its thumbnails apart.

    An edited photo has a new size/mtime, hence a new key; stale thumbnails are
    simply never read again.
    """
    from core.images import ImageError

    try:
        st = os.stat(path)
    except OSError as exc:
        raise ImageError(path, f"cannot read the file ({exc.strerror or exc})") from None
    key = hashlib.blake2b(f"{kind}|{os.path.abspath(path)}|{st.st_size}|{st.st_mtime_ns}|{size}".encode(),
                          digest_size=16).hexdigest()
    out = (folder or thumbs_dir()) / key[:2] / f"{key}.jpg"
    if out.exists():
        return out
    im = loader(path, size) if loader else open_image(path, draft=(size * 2, size * 2))
    im.thumbnail((size, size))
    out.parent.mkdir(exist_ok=True)
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    im.save(tmp, "JPEG", quality=85)
    os.replace(tmp, out)  # readers never see half a file
    return out
