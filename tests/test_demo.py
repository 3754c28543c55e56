"""The main command: fine-tune from a shipped model and from scratch on CHEMBL2321810 (RDKit's wheel),
over several seeds, and summarise both selection rules."""
from __future__ import annotations

import json
import os

import pytest
import torch

from chem import demo
from chem.model import GNN


@pytest.fixture()
def gin_file(tmp_path) -> str:
    torch.manual_seed(0)
    path = str(tmp_path / "gin_random.pth")
    torch.save(GNN(5, 300, gnn_type="gin").state_dict(), path)
    return path


def test_demo_compares_two_starts_over_seeds(tmp_path, gin_file, monkeypatch):
    monkeypatch.setenv("PRETRAIN_GNNS_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "demo"
    summary = demo.main(["--model", gin_file, "--seeds", "0,1", "--finetune-epochs", "2", "--jobs", "1",
                         "--output-dir", str(out)])
    starts = [k for k in summary if k != "seconds"]
    assert starts == ["no pre-training", "pre-trained (gin_random)"]
    for name in starts:
        s = summary[name]
        assert s["seeds"] == [0, 1] and len(s["test_at_best_val"]) == 2
        assert all(0.3 < v < 1.0 for v in s["test_at_best_val"] + s["test_last"])
        assert s["best_val_mean"] == pytest.approx(sum(s["test_at_best_val"]) / 2)
    # two seeds are two different runs
    assert summary["no pre-training"]["test_last"][0] != summary["no pre-training"]["test_last"][1]
    saved = json.loads((out / "demo_summary.json").read_text())
    assert saved["no pre-training"]["test_last"] == pytest.approx(summary["no pre-training"]["test_last"])
    assert sorted(p.name for p in out.glob("*.json")) == sorted(
        ["demo_summary.json", "no pre-training_seed0.json", "no pre-training_seed1.json",
         "pre-trained (gin_random)_seed0.json", "pre-trained (gin_random)_seed1.json"])


def test_demo_seeds_run_in_parallel_give_the_same_numbers(tmp_path, gin_file, monkeypatch):
    monkeypatch.setenv("PRETRAIN_GNNS_CACHE", str(tmp_path / "cache"))
    args = ["--model", gin_file, "--seeds", "3", "--finetune-epochs", "1", "--threads", "1"]
    one = demo.main(args + ["--jobs", "1", "--output-dir", str(tmp_path / "a")])
    two = demo.main(args + ["--jobs", "2", "--output-dir", str(tmp_path / "b")])
    for name in ("no pre-training", "pre-trained (gin_random)"):
        assert one[name]["test_last"] == two[name]["test_last"]


def test_demo_default_model_is_shipped():
    assert os.path.isfile(demo.DEFAULT_MODEL), "models/chem must hold the demo's default model"


@pytest.mark.parametrize("argv, message", [(["--seeds", "a,b"], "--seeds"), (["--model", "nope.pth"], "nope.pth"),
                                           (["--finetune-epochs", "0"], "--finetune-epochs")])
def test_demo_bad_arguments_are_one_clear_error(argv, message):
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        demo.main(argv)
