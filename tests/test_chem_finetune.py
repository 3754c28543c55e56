"""Fine-tuning on BBBP end to end: result files, their values, and --runseed determinism.

The encoder is small (2 layers, 32 wide): these tests are about the plumbing, not the model.
"""
from __future__ import annotations

import csv
import json
import os

import pytest

from chem.finetune import main

SMALL = ["--dataset", "bbbp", "--num_layer", "2", "--emb_dim", "32", "--batch_size", "128", "--quiet"]


def run(root, out, *extra) -> dict:
    return main(SMALL + ["--data-root", root, "--output-dir", str(out), *extra])


def test_two_epochs_write_csv_and_json(moleculenet_root, tmp_path, capsys):
    summary = run(moleculenet_root, tmp_path, "--epochs", "2", "--filename", "bbbp_small", "--eval_train", "1")
    epoch_lines = [l for l in capsys.readouterr().out.splitlines() if l.startswith("epoch")]
    assert len(epoch_lines) == 2 and all(" train 0." in l for l in epoch_lines)
    with open(tmp_path / "bbbp_small.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert list(rows[0]) == ["epoch", "train_loss", "train_auc", "val_auc", "test_auc", "seconds"]
    for r in rows:
        for key in ("train_auc", "val_auc", "test_auc"):
            assert 0.0 <= float(r[key]) <= 1.0, (key, r)
        assert 0.0 < float(r["train_loss"]) < 2.0 and float(r["seconds"]) > 0
    with open(tmp_path / "bbbp_small.json") as f:
        result = json.load(f)
    assert result["epochs"] == 2 and result["best_epoch"] in (1, 2)
    for key in ("val_at_best", "test_at_best_val", "val_last", "test_last"):
        assert 0.0 <= result[key] <= 1.0, key
    assert result["test_last"] == pytest.approx(float(rows[-1]["test_auc"]), abs=1e-6)
    best = result["best_epoch"] - 1
    assert result["test_at_best_val"] == pytest.approx(float(rows[best]["test_auc"]), abs=1e-6)
    assert result["config"]["dataset"] == "bbbp" and result["config"]["runseed"] == 0
    assert result["config"]["split_sizes"] == [1631, 204, 204]
    assert len(result["test_per_task_last"]) == 1 and result["tasks_left_out"]["test"] == 0
    assert {"torch", "rdkit", "torch_geometric"} <= set(result["versions"])
    assert summary["test_last"] == result["test_last"]


def test_same_runseed_same_numbers(moleculenet_root, tmp_path, capsys):
    a = run(moleculenet_root, tmp_path / "a", "--epochs", "1", "--runseed", "3")
    epoch_line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith("epoch"))
    assert " train " not in epoch_line and "nan" not in epoch_line  # train AUC not scored: not shown
    b = run(moleculenet_root, tmp_path / "b", "--epochs", "1", "--runseed", "3")
    c = run(moleculenet_root, tmp_path / "c", "--epochs", "1", "--runseed", "4")
    keys = ("train_loss", "val_auc", "test_auc")
    assert [a["history"][0][k] for k in keys] == [b["history"][0][k] for k in keys]
    assert a["history"][0]["train_loss"] != c["history"][0]["train_loss"]  # the seed does reach the run
    assert os.path.exists(tmp_path / "a" / "bbbp_gin_scratch_seed3.json")
