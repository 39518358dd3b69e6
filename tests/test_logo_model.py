"""The shipped logo model and how it is trained: the supervised contrastive loss (brand files
as extra positives), batches that keep a brand's files together, frozen early stages, the
brand split, and the preset that ships in resources/ (offline, small, Logos' default)."""

from __future__ import annotations

import json
import random

import numpy as np
import torch

from core.logos.service import TrainSettings
from core.logos.simclr import (
    batches_by_label,
    features_backbone,
    merged_labels,
    nt_xent_loss_with_reweighting,
    supcon_loss,
    train_simclr,
)
from tests.conftest import shared_data
from tests.test_logos_core import copy_brand_logos


def test_supcon_is_nt_xent_when_every_file_is_its_own_brand_and_pulls_a_brand_together():
    torch.manual_seed(0)
    a, b = torch.randn(8, 16), torch.randn(8, 16)
    for threshold in (1.1, 0.2):  # re-weighting off and on
        ours = float(supcon_loss(a, b, torch.arange(8), 0.5, threshold))
        assert abs(ours - float(nt_xent_loss_with_reweighting(a, b, 0.5, threshold))) < 1e-5
    brand = torch.tensor([0, 0, 1, 2, 3, 4, 5, 6])  # files 0 and 1: one brand
    close = a.clone()
    close[1] = a[0] + 0.05 * torch.randn(16)  # file 1 looks like file 0
    views = lambda x: (x, x + 0.05 * torch.randn_like(x))  # noqa: E731
    # as one brand, looking alike lowers the loss; as strangers, it raises it (a false negative)
    assert float(supcon_loss(*views(close), brand, 0.1)) < float(supcon_loss(*views(a), brand, 0.1))
    assert float(supcon_loss(*views(close), torch.arange(8), 0.1)) > float(supcon_loss(*views(a), torch.arange(8), 0.1))


def test_batches_keep_a_brands_files_together_and_duplicates_join_their_brand():
    labels = [i // 2 for i in range(40)]  # 20 brands of two files
    batches = batches_by_label(labels, 8, random.Random(0))
    assert sorted(i for b in batches for i in b) == list(range(40))
    for batch in batches:
        for i in batch:
            assert i ^ 1 in batch  # its brand-mate is in the same batch
    joined = merged_labels(6, [0, 0, 1, 2, 3, 4], [[2, 5], [3, 5]])
    assert joined[2] == joined[3] == joined[5] and joined[0] == joined[1] and len(set(joined)) == 3


def test_training_keeps_the_frozen_stages_and_their_statistics(tmp_path):
    from core.models.manager import ModelManager

    files = [str(f) for f in sorted(copy_brand_logos(tmp_path / "logos").iterdir())]
    backbone = features_backbone(ModelManager("cpu", tiny=True).get("simscope-logo").model)
    before = {k: v.clone() for k, v in backbone.state_dict().items()}
    settings = TrainSettings(epochs=1, batch_size=8, image_size=64, lr=1e-2, freeze_blocks=3)
    labels = [i // 2 for i in range(len(files))]
    state = train_simclr(files, settings, backbone, tmp_path / "run", labels=labels)
    assert state.finished and np.isfinite(state.history[0].train_loss)
    after = backbone.state_dict()
    frozen = [k for k in before if k.startswith(("conv_stem", "bn1", "blocks.0.", "blocks.1.", "blocks.2."))]
    trained = [k for k in before if k.startswith("blocks.4.") and k.endswith("weight")]
    assert frozen and trained
    assert all(torch.equal(before[k], after[k]) for k in frozen)  # weights and BN running statistics
    assert any(not torch.equal(before[k], after[k]) for k in trained)


def test_brand_split_is_by_brand_and_stable():
    from core.logos.brands import held_out, load_brands

    data = load_brands(shared_data("logos", "brands"))
    assert len(data.files) == 1858
    by_brand = {}
    for label, held in zip(data.labels, data.held_out, strict=True):
        by_brand.setdefault(label, set()).add(held)
    assert all(len(v) == 1 for v in by_brand.values())  # never split inside a brand
    assert 0.15 < np.mean(data.held_out) < 0.25
    assert held_out("docker") == held_out("docker") and sum(map(held_out, data.brands[:200])) > 20


def test_the_shipped_logo_model_is_offline_small_described_and_the_default():
    from core.logos.service import DEFAULT_PRESET
    from core.models.registry import get_preset, preset_status
    from core.paths import resource

    status = preset_status("simscope-logo")
    assert status.available and status.source == "package" and get_preset("simscope-logo").offline
    weights = resource("models", "simscope-logo", "weights.safetensors")
    assert weights.stat().st_size <= 25e6
    card = resource("models", "simscope-logo", "README.md").read_text(encoding="utf-8")
    for must in ("CC0", "License", "recipe", "Epochs", "recall@5", "augmented", "inverted"):
        assert must.lower() in card.lower(), must
    record = json.loads(resource("models", "simscope-logo", "training.json").read_text(encoding="utf-8"))
    assert record["settings"]["backbone"] == "effnet-lite0" and record["held_out_logos"] > 300
    assert DEFAULT_PRESET == "simscope-logo" and TrainSettings().backbone == "simscope-logo"


def test_the_shipped_model_finds_augmented_copies_of_brands_it_never_saw():
    """Every logo of the held-out brands (356), rotated/cropped/mirrored/grayscaled, among the 356
    held-out logos: the original is the top hit for at least 95% (the issue's target; the bench
    reports the full figures)."""
    from bench.logos_eval import augmented
    from core.logos.brands import load_brands
    from core.logos.images import load_logo
    from core.models.loaders import load

    data = load_brands(shared_data("logos", "brands")).split(held=True)
    encoder = load("simscope-logo")
    images = [load_logo(f, encoder.logo_size) for f in data.files]
    gallery = np.concatenate([encoder.embed_images(images[b : b + 64]) for b in range(0, len(images), 64)])
    copies = [augmented(im, random.Random(i)) for i, im in enumerate(images)]
    queries = np.concatenate([encoder.embed_images(copies[b : b + 64]) for b in range(0, len(copies), 64)])
    hit1 = float((np.argmax(queries @ gallery.T, axis=1) == np.arange(len(images))).mean())
    assert len(images) == 356 and hit1 >= 0.95, hit1
