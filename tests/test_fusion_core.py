"""Fusion: losses against hand computations, the loader's messages, the split, training."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from core.fusion.data import DatasetError, load_dataset, stratified_split
from core.fusion.losses import CBLoss, PaCoLoss, class_balanced_weights
from core.fusion.models import FusionConfig, LateFusion, TextSimilarityFusion
from core.fusion.train import TrainConfig, evaluate, metrics, train


def test_class_balanced_weights_match_the_paper_formula():
    counts, beta = [100, 10], 0.99
    eff = [(1 - beta**n) / (1 - beta) for n in counts]  # effective numbers
    raw = [1 / e for e in eff]
    expected = [r / sum(raw) * 2 for r in raw]
    np.testing.assert_allclose(class_balanced_weights(counts, beta).numpy(), expected, rtol=1e-6)
    # CB loss on two samples, by hand
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    target = torch.tensor([0, 1])
    ce = [math.log(1 + math.exp(-2.0)), math.log(1 + math.exp(-1.0))]
    by_hand = (expected[0] * ce[0] + expected[1] * ce[1]) / (expected[0] + expected[1])
    assert float(CBLoss(counts, beta)(logits, target)) == pytest.approx(by_hand, rel=1e-6)


def test_paco_contrastive_term_matches_a_hand_computation():
    loss = PaCoLoss(num_classes=2, feature_dim=2, alpha=0.5, temperature=1.0, ce_weight=0.0)
    with torch.no_grad():
        loss.centers.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    z = torch.tensor([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])  # unit vectors
    y = torch.tensor([0, 0, 1])
    # anchor 0: contrast set = {z1, z2, c0, c1}; positives z1 (α) and c0 (1)
    def anchor(i):
        others = [j for j in range(3) if j != i]
        logits = [float(z[i] @ z[j]) for j in others] + [float(z[i] @ c) for c in loss.centers.detach()]
        lse = math.log(sum(math.exp(v) for v in logits))
        terms, weights = [], []
        for k, j in enumerate(others):
            if y[j] == y[i]:
                terms.append(0.5 * (logits[k] - lse))
                weights.append(0.5)
        terms.append(1.0 * (logits[len(others) + int(y[i])] - lse))
        weights.append(1.0)
        return -sum(terms) / sum(weights)
    by_hand = sum(anchor(i) for i in range(3)) / 3
    got = loss(torch.zeros(3, 2), y, z).item()  # ce_weight 0: only the contrastive term
    assert got == pytest.approx(by_hand, rel=1e-5)


def test_text_similarity_fusion_shapes_and_overrides():
    cfg = FusionConfig(sensor_dim=7, num_classes=4, embedding_dim=16, temperature=0.1)
    model = TextSimilarityFusion(cfg).eval()
    v, s = torch.randn(5, 1280), torch.randn(5, 7)
    out = model(v, s)
    assert out["logits"].shape == (5, 4) and out["sim_vision"].shape == (5, 4)
    assert torch.allclose(out["w_vision"].sum(-1), torch.ones(5))
    assert out["sim_vision"].abs().max() <= 1.0 + 1e-5  # cosine similarities
    sharper = model(v, s, temperature=0.01)["w_vision"].max(-1).values
    assert (sharper >= out["w_vision"].max(-1).values - 1e-6).all()
    no_vision = model(v, s, vision_weight=0.0)["logits"]
    assert not torch.allclose(no_vision, out["logits"])
    assert model.vision_weight.item() == 0.5 and model.sensor_weight.item() == 0.5
    assert LateFusion(cfg)(v, s)["logits"].shape == (5, 4)


def _write_csv(path, rows, header="MQ2,MQ3,image,label"):
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")


def test_loader_reports_every_problem_with_its_row(tmp_path):
    (tmp_path / "a.png").write_bytes(b"x")
    csv = tmp_path / "d.csv"
    _write_csv(csv, ["1,2,a.png,Normal", "nan,2,a.png,Critical", "3,x,a.png,Normal",
                     "1,2,missing.png,Warning", "1,2,a.png,Severe"])
    with pytest.raises(DatasetError) as err:
        load_dataset(csv)
    text = str(err.value)
    for expected in ("row 3: MQ2", "row 4: MQ3 'x' is not a number", "row 5: image missing.png not found",
                     "row 6: unknown label 'Severe'"):
        assert expected in text
    _write_csv(csv, ["1,2,a.png,Normal"], header="MQ2,MQ3,picture,label")
    with pytest.raises(DatasetError, match="missing column"):
        load_dataset(csv)
    _write_csv(csv, ["1,2,a.png,normal"])
    data = load_dataset(csv)
    assert data.sensor_columns == ["MQ2", "MQ3"] and data.labels.tolist() == [0]


def test_split_is_stratified_and_never_shares_a_sample():
    labels = np.repeat(np.arange(4), [100, 50, 30, 20])
    tr, va, te = stratified_split(labels, seed=3)
    assert not (set(tr) & set(va)) and not (set(tr) & set(te)) and not (set(va) & set(te))
    assert len(tr) + len(va) + len(te) == len(labels)
    for part in (tr, va, te):
        shares = np.bincount(labels[part], minlength=4) / len(part)
        np.testing.assert_allclose(shares, [0.5, 0.25, 0.15, 0.1], atol=0.03)


def test_metrics_by_hand():
    m = metrics(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), 2)
    assert m["confusion"] == [[1, 1], [0, 2]]
    assert m["precision"] == pytest.approx([1.0, 2 / 3])
    assert m["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)


@pytest.fixture(scope="module")
def gas_small(tmp_path_factory):
    from core.cache import EmbeddingCache
    from core.fusion.features import image_features
    from core.fusion.gas_demo import build_gas_demo, default_gas_csv
    from core.models.loaders import load

    src = default_gas_csv()  # shipped in resources/
    out = tmp_path_factory.mktemp("gas")
    data = load_dataset(build_gas_demo(src, out, limit=240))
    with EmbeddingCache(out / "emb.sqlite") as cache:
        feats = image_features(data, load("effnet-lite0"), cache)
    return data, feats


@pytest.mark.parametrize("modality,fusion_type,loss", [
    ("fusion", "text_similarity", "ce"), ("fusion", "text_similarity", "paco"),
    ("fusion", "late", "cb"), ("sensor", "late", "ce"), ("vision", "late", "ce")])
def test_training_learns_and_is_reproducible(gas_small, modality, fusion_type, loss):
    data, feats = gas_small
    cfg = dict(modality=modality, fusion_type=fusion_type, loss=loss, embedding_dim=32, num_epochs=8,
               batch_size=32, lr=3e-3, seed=1)
    a = train(TrainConfig(**cfg), data, feats)
    b = train(TrainConfig(**cfg), data, feats)
    assert a.test["macro_f1"] == b.test["macro_f1"]  # seeds fixed: runs reproduce
    assert a.test["macro_f1"] > 0.5  # well above chance (0.25) on 4 balanced classes
    assert len(a.history) == 8 and a.history[-1].train_loss < a.history[0].train_loss
    tr, va, te = a.split
    assert not set(tr) & set(te)
    if fusion_type == "text_similarity" and modality == "fusion":
        assert a.history[-1].sim_vision is not None and len(a.history[-1].sim_vision) == 4
        # live overrides re-run inference without retraining and change the result
        sensors = ((data.sensors - a.sensor_mean) / a.sensor_std).astype(np.float32)
        base = evaluate(a.model, feats[va], sensors[va], data.labels[va], 4)
        off = evaluate(a.model, feats[va], sensors[va], data.labels[va], 4, vision_weight=0.0, sensor_weight=0.0)
        assert base["accuracy"] == pytest.approx(a.val["accuracy"])
        assert off["accuracy"] != base["accuracy"] or off["confusion"] != base["confusion"]


def test_fine_tuning_trains_the_backbone_too(gas_small):
    from core.models.loaders import load

    data, feats = gas_small
    small = data.subset(np.arange(0, len(data), 6))  # 40 samples: a CPU-sized check
    enc = load("effnet-lite0")
    before = {k: v.clone() for k, v in enc.model.state_dict().items()}
    res = train(TrainConfig(embedding_dim=16, num_epochs=1, batch_size=16, fine_tune=True), small,
                feats[np.arange(0, len(data), 6)], backbone=enc)
    changed = [k for k, v in enc.model.state_dict().items() if v.dtype.is_floating_point and
               not torch.equal(v, before[k])]
    assert changed  # backbone weights moved
    assert res.vision is not None and "fine-tuned" in res.feature_source
    tr, va, te = res.split
    assert not np.allclose(res.vision[va], feats[np.arange(0, len(data), 6)][va])
    with pytest.raises(ValueError):
        train(TrainConfig(num_epochs=1, fine_tune=True), small, feats[:40])


def test_a_run_is_kept_and_reopens_with_the_same_results(gas_small, data_dir):
    """Fusion keeps each run (settings, metrics, curves, model) in the data dir; a new process
    (a new RunStore) lists it and re-evaluates its model to the same test figures."""
    from core.fusion.runs import WORKSPACE, load_result, save_run
    from core.runs import RunStore

    data, feats = gas_small
    result = train(TrainConfig(embedding_dim=32, num_epochs=3, batch_size=32, lr=3e-3, seed=2), data, feats)
    dataset = str(data_dir / "dataset.csv")
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "dataset.csv").write_text("stand-in for the CSV trained on\n", encoding="utf-8")
    store = RunStore()
    run = save_run(store, dataset, result)
    store.remember_dataset(WORKSPACE, dataset)
    store.close()
    again = RunStore()
    (listed,) = again.list(WORKSPACE)
    assert listed.id == run.id and listed.settings["embedding_dim"] == 32
    assert listed.curves["val_macro_f1"] == [h.val_macro_f1 for h in result.history]
    assert listed.metrics["test_macro_f1"] == pytest.approx(result.test["macro_f1"])
    assert again.last_dataset(WORKSPACE) == (dataset, "") and listed.dataset_changed() is False
    reopened = load_result(listed, data, feats)
    assert reopened.test["macro_f1"] == pytest.approx(result.test["macro_f1"])
    assert reopened.test["confusion"] == result.test["confusion"] and len(reopened.history) == 3
    (data_dir / "dataset.csv").write_text("edited\n", encoding="utf-8")
    assert listed.dataset_changed() is True and "changed" in again.last_dataset(WORKSPACE)[1]
    again.close()
