"""What an SVG may make the drawing library (resvg) read, checked before it draws.

resvg reads whatever an ``<image>`` or ``<feImage>`` names, from any folder, with no size cap:
``href="/dev/zero"`` grew a process to 16.9 GB, a FIFO blocked it forever. It also crashes
(SIGSEGV) on deep nesting: resvg-py 0.5 died at ~250 nested ``<g>`` and at ~300 masks that
each mask with the one before. So :func:`safe_svg` reads the SVG (bounded), parses it with
expat (no external entities; its amplification guard stops billion-laughs) and returns text
that resvg draws from a string, touching no file:

* a reference to a file inside the SVG's own folder (symlinks resolved) that is a regular file
  is read here, bounded, and embedded as a ``data:`` URI; one outside the folder (absolute,
  ``..``, a symlink pointing out, ``file://``) or to a FIFO, device, socket or folder refuses
  the whole drawing (a logo drawn without its parts would be silently wrong);
* a web address, or a file that is not there, is dropped (resvg never fetched either);
* embedded data (``data:`` URIs and the files above, together) is capped, an embedded raster's
  pixels are capped, and an embedded SVG is checked by the same rules;
* nesting depth, reference chains (``url(#id)`` / ``href="#id"``) and the element count are capped.

A refusal raises :class:`SvgRefused` (a one-argument ``ValueError``: it crosses a process boundary).
"""

from __future__ import annotations

import base64
import io
import os
import re
import stat
import urllib.parse
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

MAX_SVG_BYTES = 16 << 20  # the SVG itself (an .svgz once decompressed)
MAX_EMBEDDED_BYTES = 8 << 20  # every image it embeds or names, decoded, together
MAX_EMBEDDED_PIXELS = 40_000_000  # one embedded raster (resvg decodes it whole)
MAX_ELEMENTS = 50_000  # 200,000 rectangles took resvg 2.6 s
MAX_DEPTH = 100  # nesting; resvg-py 0.5 crashed at ~250 nested <g>
MAX_CHAIN = 100  # references through references; crashed at ~300 chained masks
MAX_NESTED_SVG = 2  # an SVG embedded in an SVG embedded in the logo, no deeper

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_IMAGE_TAGS = {f"{{{SVG_NS}}}image", f"{{{SVG_NS}}}feImage", "image", "feImage"}
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]+):")  # two letters at least: C:\ is a path
_REF = re.compile(r"url\(\s*['\"]?#([^'\")\s]+)")


class SvgRefused(ValueError):
    """An SVG that is not drawn, and why (the message says it for the user)."""


def read_bounded(path: str | os.PathLike[str], limit: int, what: str = "the file") -> bytes:
    """A regular file's bytes, at most ``limit`` (``SvgRefused`` beyond it). Opened without
    blocking and checked as opened (``fstat``), so a FIFO or device put in its place after a
    check is refused, never read."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise SvgRefused(f"{what} is not a regular file (a pipe, device or folder)")
        if st.st_size > limit:
            raise SvgRefused(f"{what} is {st.st_size / 1e6:.1f} MB, over the {limit / 1e6:.0f} MB a drawing may hold")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise SvgRefused(f"{what} grew past {limit / 1e6:.0f} MB while it was read")
    return data


def _inflate(data: bytes) -> bytes:
    """An .svgz's text, at most MAX_SVG_BYTES of it (a gzip bomb stops there)."""
    d = zlib.decompressobj(wbits=47)  # gzip or zlib header
    try:
        out = d.decompress(data, MAX_SVG_BYTES + 1)
    except zlib.error as exc:
        raise SvgRefused(f"the compressed SVG is broken ({exc})") from None
    if len(out) > MAX_SVG_BYTES or d.unconsumed_tail:
        raise SvgRefused(f"it unpacks to more than {MAX_SVG_BYTES / 1e6:.0f} MB")
    return out


class _Budget:
    def __init__(self) -> None:
        self.embedded = 0

    def take(self, n: int) -> None:
        self.embedded += n
        if self.embedded > MAX_EMBEDDED_BYTES:
            raise SvgRefused(f"the images it embeds or names are over {MAX_EMBEDDED_BYTES / 1e6:.0f} MB together")


def safe_svg(path: str | os.PathLike[str]) -> str:
    """The SVG at ``path`` as text resvg can draw without reading any file (see the module's
    text). Raises ``SvgRefused``, ``FileNotFoundError`` or ``PermissionError``."""
    path = Path(path)
    data = read_bounded(path, MAX_SVG_BYTES, "the SVG")
    return _checked(data, path.parent, _Budget(), level=0)


def _checked(data: bytes, folder: Path, budget: _Budget, level: int) -> str:
    if data[:2] == b"\x1f\x8b":
        data = _inflate(data)
    root = _parse(data)
    changed = _fix_references(root, folder, budget, level)
    _check_chains(root)
    if not changed:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass  # another encoding: written out again as UTF-8 below
    return ET.tostring(root, encoding="unicode")


def _parse(data: bytes) -> ET.Element:
    """The tree, refused past MAX_DEPTH nesting or MAX_ELEMENTS elements (counted while parsing)."""
    depth = count = 0
    root = None
    parser = ET.XMLPullParser(events=("start", "end"))
    step = 1 << 20  # expat 2.5 parses a token split over chunks again from its start: big chunks
    try:
        for at in range(0, len(data) + 1, step):  # keep a long data URI linear
            if at < len(data):
                parser.feed(data[at:at + step])
            else:
                parser.close()
            for event, el in parser.read_events():
                if event == "end":
                    depth -= 1
                    continue
                root = el if root is None else root
                depth, count = depth + 1, count + 1
                if depth > MAX_DEPTH:
                    raise SvgRefused(f"its elements nest more than {MAX_DEPTH} deep")
                if count > MAX_ELEMENTS:
                    raise SvgRefused(f"it has more than {MAX_ELEMENTS:,} elements")
    except ET.ParseError as exc:
        raise SvgRefused(f"not well-formed XML ({exc})") from None
    if root is None or not root.tag.endswith("svg"):
        raise SvgRefused("not an SVG (its first element is not <svg>)")
    return root


def _fix_references(root: ET.Element, folder: Path, budget: _Budget, level: int) -> bool:
    """Embed, drop or refuse each ``href`` (see the module's text); whether anything changed."""
    changed = False
    for el in root.iter():
        for attr in ("href", XLINK_HREF):
            value = el.get(attr)
            if value is None:
                continue
            value = value.strip()
            if value.startswith("#"):
                continue
            if not value:  # href="": names nothing (it resolved to the SVG's own folder and refused it)
                del el.attrib[attr]
                changed = True
                continue
            if el.tag not in _IMAGE_TAGS:  # a link or a <use> of another file: never read; dropped
                del el.attrib[attr]
                changed = True
                continue
            uri = _image_uri(value, folder, budget, level)
            if uri != value:
                changed = True
                if uri is None:
                    del el.attrib[attr]
                else:
                    el.set(attr, uri)
    return changed


def _image_uri(value: str, folder: Path, budget: _Budget, level: int) -> str | None:
    """What an image's ``href`` becomes: itself (sound embedded data), a data URI (a file in the
    folder), None (dropped). Raises ``SvgRefused``."""
    if value.startswith("data:"):
        head, _, body = value.partition(",")
        try:
            raw = (base64.b64decode(re.sub(r"\s+", "", body), validate=False) if head.endswith(";base64")
                   else urllib.parse.unquote_to_bytes(body))
        except ValueError as exc:
            raise SvgRefused(f"it embeds broken data ({exc})") from None
        budget.take(len(raw))
        checked = _embedded_ok(raw, folder, budget, level)
        return value if checked == raw else _data_uri(checked)
    scheme = _SCHEME.match(value)
    if scheme and scheme.group(1).lower() == "file":
        parsed = urllib.parse.urlsplit(value)
        if parsed.netloc not in ("", "localhost"):
            raise SvgRefused(f"it references a file on another machine ({value[:120]})")
        value = urllib.parse.unquote(parsed.path)
    elif scheme:
        return None  # http(s) and the like: resvg never fetched them
    target = Path(value)  # absolute or relative: what counts is where it leads (links resolved)
    real_folder = Path(os.path.realpath(folder))
    real = Path(os.path.realpath(folder / target))
    if real != real_folder and real_folder not in real.parents:
        raise SvgRefused(f"it references a file outside its folder ({value[:200]} → {real})")
    if not os.path.lexists(real):
        return None  # not there: resvg drew without it too
    from core.fileio import special_file_reason

    why = special_file_reason(real)
    if why is not None:
        raise SvgRefused(f"it references {value[:200]}, {why}")
    raw = read_bounded(real, MAX_EMBEDDED_BYTES - budget.embedded, f"the image it references ({value[:200]})")
    budget.take(len(raw))
    return _data_uri(_embedded_ok(raw, real.parent, budget, level))


def _embedded_ok(raw: bytes, folder: Path, budget: _Budget, level: int) -> bytes:
    """``raw`` checked as what resvg would decode: an SVG by these rules, a raster by its pixels."""
    head = raw[:512].lstrip()
    if raw[:2] == b"\x1f\x8b" or head.startswith((b"<?xml", b"<svg", b"<!--", b"<!DOCTYPE")):
        if level + 1 > MAX_NESTED_SVG:
            raise SvgRefused(f"it nests SVG images more than {MAX_NESTED_SVG} deep")
        return _checked(raw, folder, budget, level + 1).encode("utf-8")
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(raw)) as im:
            w, h = im.size
    except Image.DecompressionBombError as exc:
        raise SvgRefused(f"it embeds an image too large to decode ({exc})") from None
    except (UnidentifiedImageError, OSError, ValueError):
        return raw  # not an image resvg reads either: it leaves it out
    if w * h > MAX_EMBEDDED_PIXELS:
        raise SvgRefused(f"it embeds a {w}×{h} image, over {MAX_EMBEDDED_PIXELS / 1e6:.0f} million pixels")
    return raw


def _data_uri(raw: bytes) -> str:
    head = raw[:512].lstrip()
    if head.startswith((b"<?xml", b"<svg", b"<!--", b"<!DOCTYPE")):
        mime = "image/svg+xml"
    elif raw[:8] == b"\x89PNG\r\n\x1a\n":
        mime = "image/png"
    elif raw[:3] == b"\xff\xd8\xff":
        mime = "image/jpeg"
    elif raw[:4] == b"GIF8":
        mime = "image/gif"
    elif raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
        mime = "image/webp"
    else:
        mime = "text/plain"  # resvg sniffs the bytes
    return f"data:{mime};base64," + base64.b64encode(raw).decode("ascii")


def _check_chains(root: ET.Element) -> None:
    """Refuse references through references (``url(#a)`` in ``#b`` used by ``#c``…) deeper than
    MAX_CHAIN: each id's depth is 1 + the deepest id its element (or anything inside it) names."""
    refs: dict[str, set[str]] = {}
    for el in root.iter():
        ident = el.get("id")
        if ident is None:
            continue
        named: set[str] = set()
        for sub in el.iter():
            for key, value in sub.attrib.items():
                if key in ("href", XLINK_HREF) and value.startswith("#"):
                    named.add(value[1:])
                elif "url(" in value:
                    named.update(_REF.findall(value))
        refs[ident] = named
    depth: dict[str, int] = {}
    for start in refs:
        if start in depth:
            continue
        stack = [(start, iter(refs[start]))]
        on_path = {start}
        while stack:
            ident, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                on_path.discard(ident)
                depth[ident] = 1 + max((depth.get(r, 0) for r in refs[ident] if r in refs), default=0)
                if depth[ident] > MAX_CHAIN:
                    raise SvgRefused(f"its references chain more than {MAX_CHAIN} deep")
            elif nxt in refs and nxt not in depth and nxt not in on_path:  # a loop: resvg breaks it
                stack.append((nxt, iter(refs[nxt])))
                on_path.add(nxt)
                if len(stack) > MAX_CHAIN:
                    raise SvgRefused(f"its references chain more than {MAX_CHAIN} deep")
