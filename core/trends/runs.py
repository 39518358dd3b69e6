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

    full, numeric = result["model"], result.get("numeric")
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
                    "categories": prep.posts.categories, "models": prep.tokens.models, "report": rows,
                    # the numeric-only baseline is not kept as a model: its predicted line is
                    "numeric_test_pred": (np.asarray(numeric.test_pred["proportion"]).tolist()
                                          if numeric is not None and numeric.test_pred else None)}, fh)

    return store.add(WORKSPACE, dataset, settings, metrics, curves, save_model=save)


def load_model(path):
    """A kept model (a run's, or ``trends train --out``'s) as a ``TrendResult`` on the CPU, with its
    checkpoint dict (the categories, the embedding models, the comparison kept with it)."""
    from core.models.loaders import load_checkpoint
    from core.trends.model import TrendConfig, TrendModel, TrendResult

    ck = load_checkpoint(path, ("config", "state", "image_dim", "text_dim", "cuts"), "Trends model")
    cfg = TrendConfig(**{**ck["config"], "device": "cpu"})
    model = TrendModel(ck["image_dim"], ck["text_dim"], cfg)
    model.load_state_dict(ck["state"])
    return TrendResult(cfg, model.eval(), [], tuple(ck["cuts"]), np.array(ck["numeric_mean"], np.float32),
                       np.array(ck["numeric_std"], np.float32), ck["prop_scale"]), ck


def load_result(run: Run, prep) -> dict:
    """A kept run again, as a training's result on the dataset it was trained on (``prep``, unchanged):
    its model's predictions for the test split (the predicted line), the latest forecast and the
    comparison kept with it; the numeric-only baseline's predicted line where the run kept it."""
    from dataclasses import replace

    from core.trends.model import TrendResult, predict
    from core.trends.service import latest_forecast

    if not run.model:
        raise ValueError(f"run {run.label} kept no model: train again to see its forecast")
    full, ck = load_model(run.model)
    test = prep.split.test
    cls, prop = predict(full, prep.tokens, prep.labels, test)
    full.test_pred = {"class": cls, "proportion": prop}
    numeric = None
    kept = ck.get("numeric_test_pred")
    if kept is not None and len(kept) == len(test):
        numeric = TrendResult(replace(full.config, use_content=False), None, [], full.cuts, full.numeric_mean,
                              full.numeric_std, full.prop_scale, {"proportion": np.asarray(kept, np.float32)})
    return {"model": full, "numeric": numeric, "rows": run.metrics.get("rows", []),
            "latest": latest_forecast(prep, full), "run_id": run.id, "reopened": run.label}
