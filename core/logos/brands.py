"""The shared brand logos as training data: one label per file from ``logos.json`` (which files
are one brand), and a fixed split by brand (never by file) so a model is judged on brands it
never saw."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

HELD_OUT_EVERY = 5  # one brand in five (by a hash of its short name) is held out of training


def held_out(shortname: str) -> bool:
    """Whether a brand belongs to the evaluation split: a stable hash, the same on every machine."""
    return int(hashlib.sha1(shortname.encode("utf-8")).hexdigest(), 16) % HELD_OUT_EVERY == 0


@dataclass
class BrandSet:
    files: list[str]  # absolute paths
    labels: list[int]  # brand index per file
    brands: list[str]  # short name per brand index
    held_out: list[bool]  # per file: its brand is in the evaluation split

    def split(self, held: bool) -> BrandSet:
        keep = [i for i, h in enumerate(self.held_out) if h == held]
        return BrandSet([self.files[i] for i in keep], [self.labels[i] for i in keep], self.brands,
                        [held] * len(keep))


def load_brands(root: str | Path) -> BrandSet:
    """``root`` holds ``logos.json`` and ``logos/``; files that are listed but absent are skipped,
    and a file listed under two brands keeps the first."""
    root = Path(root)
    entries = json.loads((root / "logos.json").read_text(encoding="utf-8"))
    files, labels, brands, held, seen = [], [], [], [], set()
    for entry in entries:
        label = len(brands)
        brands.append(entry["shortname"])
        for name in entry["files"]:
            path = root / "logos" / name
            if name in seen or not path.exists():
                continue
            seen.add(name)
            files.append(str(path))
            labels.append(label)
            held.append(held_out(entry["shortname"]))
    return BrandSet(files, labels, brands, held)
