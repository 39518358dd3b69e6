"""python -m core fusion: make-demo, train with the write-up's flags, sweep to CSV."""

from __future__ import annotations

import csv
import json

from tests.conftest import shared_data
from tests.test_cli import run_cli


def test_make_demo_train_and_sweep(data_dir, tmp_path):
    src = shared_data("sensors", "gas", "Gas_Sensors_Measurements.csv")
    demo = tmp_path / "gas"
    made = run_cli("fusion", "make-demo", "--source", str(src), "--out", str(demo), "--limit", "80",
                   env_dir=data_dir)
    assert made.returncode == 0, made.stderr
    assert "SYNTHETIC" in made.stderr and (demo / "README.txt").exists()
    ckpt = tmp_path / "model.pt"
    trained = run_cli("fusion", "train", "--modality", "fusion", "--fusion_type", "text_similarity",
                      "--embedding_dim", "32", "--temperature", "0.1", "--data", str(demo), "--num_epochs", "3",
                      "--batch_size", "16", "--lr", "0.003", "--loss", "paco", "--out", str(ckpt), env_dir=data_dir)
    assert trained.returncode == 0, trained.stderr
    summary = json.loads(trained.stdout)
    assert summary["epochs"] == 3 and 0 <= summary["test_macro_f1"] <= 1
    assert "effnet-lite0" in summary["feature_source"] and ckpt.exists()
    import torch

    saved = torch.load(ckpt, weights_only=True)
    assert saved["config"]["loss"] == "paco" and saved["class_names"][0] == "Normal"

    out = tmp_path / "sweep.csv"
    swept = run_cli("fusion", "sweep", "--data", str(demo), "--num_epochs", "1", "--batch_size", "32",
                    "--out", str(out), env_dir=data_dir)
    assert swept.returncode == 0, swept.stderr
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 27
    f1 = [float(r["val_macro_f1"]) for r in rows]
    assert f1 == sorted(f1, reverse=True)  # best first
    assert json.loads(swept.stdout)["best"]["val_macro_f1"] == max(f1) or abs(
        json.loads(swept.stdout)["best"]["val_macro_f1"] - max(f1)) < 1e-4

    bad = tmp_path / "bad.csv"
    bad.write_text("MQ2,image,label\n1,images/00000.png,Normal\nx,none.png,Normal\n", encoding="utf-8")
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "00000.png").write_bytes((demo / "images" / "00000.png").read_bytes())
    failed = run_cli("fusion", "train", "--data", str(bad), env_dir=data_dir)
    assert failed.returncode == 2
    assert "row 3: MQ2 'x' is not a number" in failed.stderr and "row 3: image none.png not found" in failed.stderr
