"""Long text jobs (Lost & Found's first refresh after a big import): progress with count, rate
and time left, chunks cached as they finish (a cancel keeps them), and the offline sentence
model's parts on worker threads equal to one call."""

from __future__ import annotations

import re

import numpy as np
import pytest

from core.cache import EmbeddingCache, text_key
from core.embed import Rate, embed_texts
from core.jobs import Cancelled
from core.models.loaders import load


@pytest.fixture(scope="module")
def use_model():
    return load("use-multilingual")


def _texts(n: int) -> list[str]:
    items = ["지갑", "휴대폰", "모자", "wallet", "phone", "cap", "jacket", "AirPods case"]
    return [f"Lost my {items[i % len(items)]} near gate {i} · {i % 7}번 출구" for i in range(n)]


def test_a_long_text_job_reports_count_rate_and_time_left_and_a_cancel_keeps_whole_chunks(use_model, tmp_path):
    texts = _texts(700)
    said: list[tuple[float, str]] = []
    with EmbeddingCache(tmp_path / "c.sqlite") as cache:
        with pytest.raises(Cancelled):
            embed_texts(texts, use_model, cache, progress=lambda f, m=None: said.append((f, m)),
                        cancelled=lambda: len(said) >= 2, chunk=256)
        _, found = cache.get_many(use_model.cache_name, [text_key(t) for t in texts])
        assert found.sum() == 256  # exactly the one chunk that finished
        said.clear()
        again = embed_texts(texts, use_model, cache, progress=lambda f, m=None: said.append((f, m)), chunk=256)
    counts = [int(re.search(r"Embedded ([\d,]+) of", m).group(1).replace(",", "")) for _, m in said]
    assert counts == [0, 256, 444]  # only the texts not cached yet, in chunks
    assert all("of 444 texts" in m and "(256 already in the cache)" in m for _, m in said)
    assert [f for f, _ in said] == sorted(f for f, _ in said) and said[-1][0] == 1.0
    bare = use_model.embed_texts(texts, batch_size=len(texts))
    assert np.abs(again - bare).max() < 2e-3  # cached rows are float16


def test_the_rate_and_time_left_read_like_a_person_says_them(monkeypatch):
    import core.embed as embed

    clock = [100.0]
    monkeypatch.setattr(embed.time, "monotonic", lambda: clock[0])
    meter = Rate(100_000, noun="photos", before=40_000)
    assert meter.message(0) == "Embedded 0 of 100,000 photos (40,000 already in the cache)"
    clock[0] += 60.0
    assert meter.message(6_000) == ("Embedded 6,000 of 100,000 photos · 100.0/s · about 16 min left "
                                    "(40,000 already in the cache)")
    clock[0] += 940.0
    assert meter.message(100_000) == "Embedded 100,000 of 100,000 photos · 100.0/s (40,000 already in the cache)"


def test_the_sentence_model_in_parts_on_workers_equals_one_call(use_model, monkeypatch):
    from core.models import loaders

    texts = _texts(300)
    one = use_model.embed_texts(texts, batch_size=len(texts))
    monkeypatch.setattr(loaders, "USE_SPLIT", 64)  # 5 parts on the workers
    parts = use_model.embed_texts(texts, batch_size=len(texts))
    assert parts.shape == one.shape and np.abs(parts - one).max() < 1e-5
