"""Lost/found posts made from the shared photos, for the Lost & Found benchmarks.

Each pair is two *different* photos of one class (for the webcam set: two
different frames), one posted as lost and one as found. Descriptions are
generated from short Korean and English templates (about a third are vague
and name no object), and a share of the lost posts have no photo. Seeded.
"""

from __future__ import annotations

import random
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "lostfound"
WEBCAM = SHARED / "wallet-phone-airpods" / "detection-2"
CLOTHING = SHARED / "clothing"

NAMES = {  # class → (Korean, English)
    "wallet": ("지갑", "wallet"), "phone": ("휴대폰", "phone"), "airpods": ("에어팟 케이스", "AirPods case"),
    "hat": ("모자", "cap"), "shoes": ("신발", "shoes"), "outwear": ("외투", "jacket"),
    "dress": ("원피스", "dress"), "pants": ("바지", "trousers"), "t-shirt": ("티셔츠", "T-shirt"),
    "skirt": ("치마", "skirt"), "shorts": ("반바지", "shorts"), "longsleeve": ("긴팔 셔츠", "long-sleeved top"),
    "shirt": ("셔츠", "shirt"),
}
LOST = ["{ko}을(를) 잃어버렸어요", "{ko} 분실했습니다. 찾아주세요", "I lost my {en}", "Lost: {en}, please help"]
FOUND = ["{ko} 습득했습니다", "{ko}을(를) 주웠어요", "Found a {en}", "Someone left a {en} here"]
VAGUE_LOST = ["물건을 잃어버렸어요", "I lost something yesterday"]
VAGUE_FOUND = ["분실물을 보관하고 있습니다", "Found an item near the entrance"]


def _webcam_crops(out_dir: Path) -> dict[str, list[Path]]:
    from PIL import Image

    names = {0: "airpods", 1: "phone", 2: "wallet"}
    seen: dict[str, set] = {}
    crops: dict[str, list[Path]] = {}
    out_dir.mkdir(parents=True, exist_ok=True)
    for f in sorted(WEBCAM.glob("*/images/*.jpg")):
        frame = f.name.split("_png")[0]
        label = f.parent.parent / "labels" / (f.stem + ".txt")
        rows = [r.split() for r in label.read_text().splitlines() if r.strip()] if label.exists() else []
        if len(rows) != 1:
            continue
        c, x, y, w, h = int(rows[0][0]), *map(float, rows[0][1:])
        cls = names[c]
        if frame in seen.setdefault(cls, set()):
            continue  # one crop per frame: pairs are different photos
        seen[cls].add(frame)
        im = Image.open(f)
        W, H = im.size
        m = 0.35
        box = (max(0, (x - w / 2 - w * m) * W), max(0, (y - h / 2 - h * m) * H),
               min(W, (x + w / 2 + w * m) * W), min(H, (y + h / 2 + h * m) * H))
        path = out_dir / f"{cls}_{frame}.jpg"
        if not path.exists():
            im.crop(tuple(int(b) for b in box)).convert("RGB").save(path, quality=90)
        crops.setdefault(cls, []).append(path)
    return crops


def make_pairs(work_dir: Path, pairs_per_class: int = 12, no_photo_share: float = 0.3,
               vague_share: float = 0.3, seed: int = 0) -> list[dict]:
    """Posts as dicts (kind, image, description, cls, pair) — two per pair."""
    rng = random.Random(seed)
    photos = _webcam_crops(work_dir / "crops")
    for folder in sorted((CLOTHING / "test").iterdir()):
        if folder.name in NAMES:
            photos[folder.name] = sorted(folder.glob("*.jpg"))
    posts = []
    pair = 0
    for cls, files in sorted(photos.items()):
        files = list(files)
        rng.shuffle(files)
        ko, en = NAMES[cls]
        for i in range(min(pairs_per_class, len(files) // 2)):
            lost_photo, found_photo = files[2 * i], files[2 * i + 1]
            vague = rng.random() < vague_share
            lost_text = rng.choice(VAGUE_LOST if vague else LOST).format(ko=ko, en=en)
            found_text = rng.choice(FOUND).format(ko=ko, en=en)
            posts.append({"kind": "lost", "image": None if rng.random() < no_photo_share else str(lost_photo),
                          "description": lost_text, "cls": cls, "pair": pair})
            posts.append({"kind": "found", "image": str(found_photo), "description": found_text,
                          "cls": cls, "pair": pair})
            pair += 1
    return posts
