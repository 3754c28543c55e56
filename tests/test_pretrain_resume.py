"""Robustness: a run stopped after epoch 1 and resumed from its training state ends with the same
weights, bit for bit, as an uninterrupted run; the state file loads as data (weights_only)."""
from __future__ import annotations

import os

import pytest
import torch

import chem.pretrain_attrmasking


def run(shared_data, out, *extra) -> dict:
    zinc = os.path.join(shared_data, "zinc", "moses", "test.csv.gz")
    return chem.pretrain_attrmasking.main(
        ["--smiles-file", zinc, "--max-molecules", "300", "--batch_size", "64", "--emb_dim", "16", "--num_layer", "2",
         "--dropout_ratio", "0.2", "--mask_edge", "1", "--device", "cpu", "--quiet", "--seed", "7",
         "--output_model_file", str(out), *extra])


def test_resume_gives_identical_weights(shared_data, moleculenet_root, tmp_path):
    whole = run(shared_data, tmp_path / "whole", "--epochs", "3")
    run(shared_data, tmp_path / "parts", "--epochs", "1")
    state = torch.load(str(tmp_path / "parts.pth.state.pt"), map_location="cpu", weights_only=True)
    assert state["epoch"] == 1 and set(state) >= {"model", "optimizer", "rng", "history", "config"}
    resumed = run(shared_data, tmp_path / "parts", "--epochs", "3", "--resume")
    assert resumed["resumed_from_epoch"] == 1 and len(resumed["history"]) == 3
    a = torch.load(str(tmp_path / "whole.pth"), weights_only=True)
    b = torch.load(str(tmp_path / "parts.pth"), weights_only=True)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k
    heads_a = torch.load(str(tmp_path / "whole.pth.state.pt"), weights_only=True)["model"]
    heads_b = torch.load(str(tmp_path / "parts.pth.state.pt"), weights_only=True)["model"]
    assert torch.equal(heads_a["linear_pred_bonds.weight"], heads_b["linear_pred_bonds.weight"])
    assert [h["loss"] for h in whole["history"]] == [h["loss"] for h in resumed["history"]]


def test_resume_refuses_other_settings(shared_data, moleculenet_root, tmp_path):
    run(shared_data, tmp_path / "m", "--epochs", "1")
    with pytest.raises(ValueError, match="emb_dim"):
        chem.pretrain_attrmasking.main(
            ["--smiles-file", os.path.join(shared_data, "zinc", "moses", "test.csv.gz"), "--max-molecules", "300",
             "--batch_size", "64", "--emb_dim", "8", "--num_layer", "2", "--dropout_ratio", "0.2", "--mask_edge", "1",
             "--device", "cpu", "--quiet", "--seed", "7", "--output_model_file", str(tmp_path / "m"), "--epochs", "2",
             "--resume"])
