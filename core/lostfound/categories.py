"""The two-level category list for posts ("지갑 > 남성용 지갑").

Top levels have a Korean name (stored) and English aliases (accepted on
import). An unknown top level is kept as written, flagged, and never gates a
match: only two known, different top levels cap a score.
"""

from __future__ import annotations

from dataclasses import dataclass

SEPARATOR = ">"

TOP_LEVELS: dict[str, dict] = {
    "지갑": {"en": ["wallet", "purse"], "sub": ["남성용 지갑", "여성용 지갑", "장지갑", "카드지갑"]},
    "휴대폰": {"en": ["phone", "mobile phone", "smartphone", "cell phone"], "sub": ["스마트폰", "휴대폰 케이스"]},
    "전자기기": {"en": ["electronics", "earphones", "airpods"], "sub": ["무선 이어폰", "노트북", "태블릿", "충전기"]},
    "가방": {"en": ["bag", "backpack", "handbag"], "sub": ["백팩", "핸드백", "쇼핑백"]},
    "의류": {"en": ["clothing", "clothes", "outerwear"], "sub": ["외투", "원피스", "티셔츠", "셔츠", "바지", "치마", "반바지"]},
    "모자": {"en": ["hat", "cap"], "sub": ["야구모자", "비니"]},
    "신발": {"en": ["shoes", "shoe", "sneakers"], "sub": ["운동화", "구두", "샌들"]},
    "우산": {"en": ["umbrella"], "sub": ["장우산", "접이식 우산"]},
    "문구": {"en": ["stationery", "notebook"], "sub": ["수첩", "필기구"]},
    "반려동물": {"en": ["pet", "dog", "cat"], "sub": ["강아지", "고양이"]},
    "귀금속": {"en": ["jewelry", "accessory"], "sub": ["반지", "목걸이", "시계"]},
    "카드/서류": {"en": ["card", "documents", "id"], "sub": ["신분증", "카드", "서류"]},
    "기타": {"en": ["other", "misc"], "sub": []},
}

# Words for the things each top level holds, in English and Korean: what posts say ("Lost: jacket",
# "I lost my long-sleeved top") and what photo labels name. Only the inference reads them (the
# category list stays short). Measured in bench/lostfound_eval.py (278 posts, categories left
# empty): without them "Lost: jacket" was inferred a bag and a long-sleeved top an umbrella;
# guesses right 0.903 -> 0.928, the text's alone 0.82 -> 0.88 (hit@1 0.482 either way: the
# gate acts in proportion to a confidence of ~0.3, see core.lostfound.index.INFER_TEMPERATURE).
ITEMS: dict[str, list[str]] = {
    "지갑": ["card holder", "coin purse", "billfold", "money clip", "동전지갑"],
    "휴대폰": ["iphone", "galaxy phone", "phone case", "아이폰", "갤럭시"],
    "전자기기": ["earbuds", "wireless earbuds", "headphones", "laptop", "tablet", "charger", "camera",
             "에어팟", "이어폰", "헤드폰"],
    "가방": ["tote bag", "suitcase", "shoulder bag", "pouch", "캐리어", "파우치", "에코백"],
    "의류": ["coat", "jacket", "dress", "shirt", "t-shirt", "top", "long-sleeved top", "sweater", "hoodie",
           "cardigan", "sweatshirt", "jersey", "pants", "trousers", "jeans", "skirt", "shorts", "suit", "vest",
           "scarf", "재킷", "코트", "후드티", "스웨터", "청바지", "목도리"],
    "모자": ["baseball cap", "beanie", "bucket hat", "sun hat", "버킷햇"],
    "신발": ["boots", "sandals", "heels", "loafers", "running shoes", "slippers", "부츠", "슬리퍼"],
    "우산": ["parasol", "folding umbrella", "양산"],
    "문구": ["pen", "pencil case", "book", "필통", "책"],
    "반려동물": ["puppy", "kitten"],
    "귀금속": ["ring", "necklace", "bracelet", "earrings", "watch", "팔찌", "귀걸이"],
    "카드/서류": ["passport", "id card", "driver's license", "student card", "여권", "학생증", "운전면허증"],
}

_ALIASES = {k.lower(): k for k in TOP_LEVELS}
_ALIASES.update({alias: k for k, v in TOP_LEVELS.items() for alias in v["en"]})


@dataclass(frozen=True)
class Category:
    top: str
    sub: str
    known: bool

    def __str__(self) -> str:
        return f"{self.top} {SEPARATOR} {self.sub}" if self.sub else self.top


def parse_category(text: str | None) -> Category:
    """'지갑 > 남성용 지갑', 'wallet>men', '지갑' or '' → a Category."""
    text = (text or "").strip()
    if not text:
        return Category("", "", True)
    top, _, sub = (part.strip() for part in text.partition(SEPARATOR))
    canonical = _ALIASES.get(top.lower())
    return Category(canonical or top, sub, canonical is not None)


def category_phrases() -> tuple[list[str], list[str], list[int]]:
    """(top levels, phrases, the top level of each phrase): each top level's Korean name, English
    aliases, sub-categories and item words (``ITEMS``), one phrase each - what a post's text and photo labels are
    compared with to infer a category the user left empty (the best phrase of a top level counts:
    one long sentence per category diluted "외투" among ten other words)."""
    tops = [t for t in TOP_LEVELS if t != "기타"]  # "other" is no evidence of anything
    phrases, owner = [], []
    for i, t in enumerate(tops):
        for phrase in dict.fromkeys([t, *TOP_LEVELS[t]["en"], *TOP_LEVELS[t]["sub"], *ITEMS.get(t, [])]):
            phrases.append(phrase)
            owner.append(i)
    return tops, phrases, owner


def same_top_level(a: Category, b: Category) -> bool | None:
    """True/False when both top levels are known; None when either is missing or unknown."""
    if not (a.top and b.top and a.known and b.known):
        return None
    return a.top == b.top
