"""TextSimilarityFusion, LateFusion and the single-modality models.

Vision input is a (B, 1280) feature vector: frozen backbone features read
from the cache, or the output of a backbone that is fine-tuned (pass it as
``vision_backbone``; it then receives image tensors).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

VISION_DIM = 1280


@dataclass
class FusionConfig:
    modality: str = "fusion"  # fusion | sensor | vision
    fusion_type: str = "text_similarity"  # late | text_similarity
    sensor_dim: int = 7
    num_classes: int = 4
    embedding_dim: int = 512
    temperature: float = 0.1
    hidden: int = 128


class SensorEncoder(nn.Module):
    """An MLP over the (standardised) sensor readings."""

    def __init__(self, dim: int, hidden: int = 128) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.out_dim = hidden

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, dim) -> (B, hidden)
        return self.net(x)


class TextEmbeddingGenerator(nn.Module):
    """Learnable class embeddings (C, E) and a projection into the feature space."""

    def __init__(self, embedding_dim: int = 512, num_classes: int = 4) -> None:
        super().__init__()
        self.class_embeddings = nn.Parameter(torch.randn(num_classes, embedding_dim) * 0.02)
        self.text_projection = nn.Sequential(nn.Linear(embedding_dim, embedding_dim), nn.GELU(),
                                             nn.Linear(embedding_dim, embedding_dim))

    def forward(self) -> torch.Tensor:  # (C, E)
        return self.text_projection(self.class_embeddings)


class TextSimilarityFusion(nn.Module):
    def __init__(self, cfg: FusionConfig, vision_backbone: nn.Module | None = None) -> None:
        super().__init__()
        self.cfg = cfg
        self.vision_backbone = vision_backbone
        self.sensor_encoder = SensorEncoder(cfg.sensor_dim, cfg.hidden)
        self.text_embedding_generator = TextEmbeddingGenerator(cfg.embedding_dim, cfg.num_classes)
        self.vision_projection = nn.Linear(VISION_DIM, cfg.embedding_dim)
        self.sensor_projection = nn.Linear(self.sensor_encoder.out_dim, cfg.embedding_dim)
        self.vision_weight = nn.Parameter(torch.tensor(0.5))
        self.sensor_weight = nn.Parameter(torch.tensor(0.5))
        self.classifier = nn.Linear(cfg.num_classes * cfg.embedding_dim, cfg.num_classes)
        self.temperature = cfg.temperature

    def forward(self, vision: torch.Tensor, sensor: torch.Tensor, temperature: float | None = None,
                vision_weight: float | None = None, sensor_weight: float | None = None) -> dict:
        """Overrides (temperature, weights) let the GUI re-run inference without retraining."""
        if self.vision_backbone is not None:
            vision = self.vision_backbone(vision)
        t = self.temperature if temperature is None else temperature
        text = F.normalize(self.text_embedding_generator(), dim=-1)  # (C, E)
        v = self.vision_projection(vision)  # (B, E)
        s = self.sensor_projection(self.sensor_encoder(sensor))  # (B, E)
        sim_v = F.normalize(v, dim=-1) @ text.T  # (B, C) cosine
        sim_s = F.normalize(s, dim=-1) @ text.T
        w_v = torch.softmax(sim_v / t, dim=-1)  # (B, C) per-class weights
        w_s = torch.softmax(sim_s / t, dim=-1)
        a = self.vision_weight if vision_weight is None else torch.tensor(vision_weight)
        b = self.sensor_weight if sensor_weight is None else torch.tensor(sensor_weight)
        # per-class weighted fusion: (B, C, E)
        fused = a * w_v.unsqueeze(-1) * v.unsqueeze(1) + b * w_s.unsqueeze(-1) * s.unsqueeze(1)
        # The similarities also vote directly, so training pulls each modality towards its
        # true class embedding and the similarity plots read as evidence (without this
        # term the class embeddings only gate features and can drift anywhere).
        logits = self.classifier(fused.flatten(1)) + (a * sim_v + b * sim_s) / t  # (B, C)
        return {"logits": logits, "sim_vision": sim_v, "sim_sensor": sim_s, "w_vision": w_v,
                "w_sensor": w_s, "features": F.normalize(fused.mean(1), dim=-1)}


class LateFusion(nn.Module):
    """The baseline: each modality predicts, the logits are averaged with learnable weights."""

    def __init__(self, cfg: FusionConfig, vision_backbone: nn.Module | None = None) -> None:
        super().__init__()
        self.vision_backbone = vision_backbone
        self.sensor_encoder = SensorEncoder(cfg.sensor_dim, cfg.hidden)
        self.sensor_head = nn.Linear(self.sensor_encoder.out_dim, cfg.num_classes)
        self.vision_head = nn.Sequential(nn.Linear(VISION_DIM, cfg.hidden), nn.ReLU(),
                                         nn.Linear(cfg.hidden, cfg.num_classes))
        self.vision_weight = nn.Parameter(torch.tensor(0.5))
        self.sensor_weight = nn.Parameter(torch.tensor(0.5))

    def forward(self, vision, sensor, temperature=None, vision_weight=None, sensor_weight=None) -> dict:
        if self.vision_backbone is not None:
            vision = self.vision_backbone(vision)
        a = self.vision_weight if vision_weight is None else torch.tensor(vision_weight)
        b = self.sensor_weight if sensor_weight is None else torch.tensor(sensor_weight)
        feat_s = self.sensor_encoder(sensor)
        lv, ls = self.vision_head(vision), self.sensor_head(feat_s)
        return {"logits": a * lv + b * ls, "sim_vision": torch.softmax(lv, -1),
                "sim_sensor": torch.softmax(ls, -1), "features": F.normalize(feat_s, dim=-1)}


class SensorOnly(nn.Module):
    def __init__(self, cfg: FusionConfig) -> None:
        super().__init__()
        self.encoder = SensorEncoder(cfg.sensor_dim, cfg.hidden)
        self.head = nn.Linear(self.encoder.out_dim, cfg.num_classes)

    def forward(self, vision, sensor, **_) -> dict:
        f = self.encoder(sensor)
        return {"logits": self.head(f), "features": F.normalize(f, dim=-1)}


class VisionOnly(nn.Module):
    def __init__(self, cfg: FusionConfig, vision_backbone: nn.Module | None = None) -> None:
        super().__init__()
        self.vision_backbone = vision_backbone
        self.body = nn.Sequential(nn.Linear(VISION_DIM, cfg.hidden), nn.ReLU())
        self.head = nn.Linear(cfg.hidden, cfg.num_classes)

    def forward(self, vision, sensor, **_) -> dict:
        if self.vision_backbone is not None:
            vision = self.vision_backbone(vision)
        f = self.body(vision)
        return {"logits": self.head(f), "features": F.normalize(f, dim=-1)}


def build_model(cfg: FusionConfig, vision_backbone: nn.Module | None = None) -> nn.Module:
    if cfg.modality == "sensor":
        return SensorOnly(cfg)
    if cfg.modality == "vision":
        return VisionOnly(cfg, vision_backbone)
    if cfg.fusion_type == "late":
        return LateFusion(cfg, vision_backbone)
    if cfg.fusion_type == "text_similarity":
        return TextSimilarityFusion(cfg, vision_backbone)
    raise ValueError(f"unknown fusion_type {cfg.fusion_type!r}: use late or text_similarity")
