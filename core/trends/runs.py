"""Trends runs kept across restarts (``core.runs``): the settings, the comparison with the
baselines on the test split, the loss curves, and the model (the same checkpoint the CLI's
``trends train --out`` writes, so ``trends predict --model`` reads it)."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np

from core.runs import Run, RunStore

WORKSPACE = "trends"


def save_run(store: RunStore, dataset: str, prep, result: dict, rows: list[dict]) -> Run:
    import torch

    full = result["model"]
    settings = {k: v for k, v in asdict(full.config).items() if k != "device"}
    by_model = {r["model"]: {k: float(v) for k, v in r.items() if k != "model"} for r in rows}
    best_baseline = max((r for r in rows if not r["model"].startswith("image+text")),
                        key=lambda r: r["macro_f1"], default=None)
    metrics = {"accuracy": by_model.get("image+text+numeric model", {}).get("accuracy"),
               "macro_f1": by_model.get("image+text+numeric model", {}).get("macro_f1"),
               "numeric_only_macro_f1": by_model.get("numeric-only model", {}).get("macro_f1"),
               "best_baseline": best_baseline["model"] if best_baseline else "", "rows": rows,
               "epochs": len(full.history)}
    curves = {k: [getattr(h, k) for h in full.history] for k in ("train_loss", "val_loss", "test_loss",
                                                                 "test_accuracy")}

    def save(fh):
        torch.save({"state": full.model.state_dict(), "config": full.config.__dict__, "cuts": list(full.cuts),
                    "numeric_mean": np.asarray(full.numeric_mean).tolist(),
                    "numeric_std": np.asarray(full.numeric_std).tolist(), "prop_scale": full.prop_scale,
                    "image_dim": prep.tokens.image.shape[-1], "text_dim": prep.tokens.text.shape[-1],
                    "categories": prep.posts.categories, "models": prep.tokens.models, "report": rows}, fh)

    return store.add(WORKSPACE, dataset, settings, metrics, curves, save_model=save)
