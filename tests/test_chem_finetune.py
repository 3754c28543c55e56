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


def test_runseeds_in_one_process_match_separate_runs(moleculenet_root, tmp_path):
    """--runseeds 3,4 loads and splits once but writes, per seed, the numbers and config a --runseed run writes."""
    run(moleculenet_root, tmp_path / "many", "--epochs", "2", "--runseeds", "3-4", "--filename", "s{seed}")
    for seed in (3, 4):
        run(moleculenet_root, tmp_path / "alone", "--epochs", "2", "--runseed", str(seed))
        with open(tmp_path / "many" / f"s{seed}.json") as f, open(tmp_path / "alone" / f"bbbp_gin_scratch_seed{seed}.json") as g:
            together, alone = json.load(f), json.load(g)
        strip = lambda h: [{k: v for k, v in row.items() if k != "seconds"} for row in h]
        assert strip(together["history"]) == strip(alone["history"])
        assert together["test_per_task_last"] == alone["test_per_task_last"]
        assert {k: v for k, v in together["config"].items() if k not in ("filename", "output_dir")} == \
            {k: v for k, v in alone["config"].items() if k not in ("filename", "output_dir")}
    with open(tmp_path / "many" / "s3.json") as f3, open(tmp_path / "many" / "s4.json") as f4:
        assert json.load(f3)["history"][0]["train_loss"] != json.load(f4)["history"][0]["train_loss"]


def test_runseeds_refuse_one_filename_for_several_seeds(moleculenet_root, tmp_path):
    with pytest.raises(ValueError, match=r"put \{seed\} in it"):
        run(moleculenet_root, tmp_path, "--epochs", "1", "--runseeds", "0-2", "--filename", "same")
    assert os.listdir(tmp_path) == []  # refused before any work: nothing written
