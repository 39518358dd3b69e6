"""Losses: cross-entropy, class-balanced (Cui et al. 2019) and PaCo (Cui et al. 2021)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def class_balanced_weights(counts, beta: float = 0.9999) -> torch.Tensor:
    """w_c = (1 − β) / (1 − β^n_c), normalised so the weights sum to the number of classes."""
    counts = torch.as_tensor(counts, dtype=torch.float64)
    effective = (1.0 - torch.pow(beta, counts)) / (1.0 - beta)
    w = 1.0 / effective
    return (w / w.sum() * len(counts)).float()


class CBLoss(nn.Module):
    """Class-balanced cross-entropy: each sample's CE scaled by its class's weight, then averaged."""

    def __init__(self, counts, beta: float = 0.9999) -> None:
        super().__init__()
        self.register_buffer("weights", class_balanced_weights(counts, beta))

    def forward(self, logits: torch.Tensor, target: torch.Tensor, features=None) -> torch.Tensor:
        ce = F.cross_entropy(logits, target, reduction="none")
        w = self.weights[target]
        return (w * ce).sum() / w.sum()


class CELoss(nn.Module):
    def forward(self, logits, target, features=None):
        return F.cross_entropy(logits, target)


class PaCoLoss(nn.Module):
    """Parametric contrastive loss.

    For anchor i with normalised feature z_i, the contrast set A(i) is every
    other sample in the batch plus C learnable class centres c_j. Positives:
    same-class samples (weight α) and the anchor's own centre (weight 1):

        L_i = − Σ_{p ∈ P(i)} w_p · log( exp(z_i·p / τ) / Σ_{a ∈ A(i)} exp(z_i·a / τ) ) / Σ w_p

    The total is this contrastive term plus cross-entropy on the logits
    (``ce_weight``), as PaCo trains the classifier jointly.
    """

    def __init__(self, num_classes: int, feature_dim: int, alpha: float = 0.05, temperature: float = 0.07,
                 ce_weight: float = 1.0) -> None:
        super().__init__()
        self.centers = nn.Parameter(F.normalize(torch.randn(num_classes, feature_dim), dim=-1))
        self.alpha = alpha
        self.temperature = temperature
        self.ce_weight = ce_weight

    def contrastive(self, features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        z = F.normalize(features, dim=-1)  # (B, D)
        centers = F.normalize(self.centers, dim=-1)  # (C, D)
        b = z.shape[0]
        sample_logits = z @ z.T / self.temperature  # (B, B)
        center_logits = z @ centers.T / self.temperature  # (B, C)
        self_mask = torch.eye(b, dtype=torch.bool, device=z.device)
        sample_logits = sample_logits.masked_fill(self_mask, float("-inf"))
        logits = torch.cat([sample_logits, center_logits], dim=1)  # (B, B + C)
        log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
        same = (target[:, None] == target[None, :]) & ~self_mask
        weights = torch.cat([same.float() * self.alpha,
                             F.one_hot(target, centers.shape[0]).float()], dim=1)  # (B, B + C)
        log_prob = torch.where(weights > 0, log_prob, torch.zeros_like(log_prob))
        return (-(weights * log_prob).sum(1) / weights.sum(1)).mean()

    def forward(self, logits, target, features=None) -> torch.Tensor:
        loss = self.ce_weight * F.cross_entropy(logits, target)
        if features is not None:
            loss = loss + self.contrastive(features, target)
        return loss


def make_loss(name: str, counts, num_classes: int, feature_dim: int, beta: float = 0.9999) -> nn.Module:
    if name == "ce":
        return CELoss()
    if name == "cb":
        return CBLoss(counts, beta)
    if name == "paco":
        return PaCoLoss(num_classes, feature_dim)
    raise ValueError(f"unknown loss {name!r}: use ce, cb or paco")
