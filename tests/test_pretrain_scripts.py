"""End to end: each chem pre-training script trains 2 epochs on 500 real ZINC-derived molecules, its
loss falls, its checkpoint loads strictly (weights_only) and fine-tunes with chem/finetune.py; the
original's script names work; the supervised script reads a thresholded multi-label CSV."""
from __future__ import annotations

import json
import os

import pytest
import torch

import chem.finetune
import chem.pretrain_attrmasking
import chem.pretrain_deepgraphinfomax
import chem.pretrain_edgepred
import chem.pretrain_infomax
import chem.pretrain_masking
import chem.pretrain_supervised
from chem.model import GNN

SMALL = ["--emb_dim", "32", "--num_layer", "2"]


@pytest.fixture(scope="module")
def zinc_file(shared_data, moleculenet_root) -> str:
    return os.path.join(shared_data, "zinc", "moses", "test.csv.gz")


def pretrain(main, zinc_file, out, *extra) -> dict:
    return main(["--smiles-file", zinc_file, "--max-molecules", "500", "--epochs", "2", "--device", "cpu",
                 "--output_model_file", str(out), "--quiet", *extra])


def finetune_loads(model_file: str, moleculenet_root: str, tmp_path, *sizes) -> dict:
    return chem.finetune.main(["--dataset", "bbbp", "--data-root", moleculenet_root, "--input_model_file", model_file,
                               "--epochs", "1", "--device", "cpu", "--output-dir", str(tmp_path / "ft"), "--quiet",
                               *sizes])


def check_outputs(report: dict, out) -> str:
    model_file = str(out) + ".pth"
    assert report["output_model_file"] == model_file
    assert report["epochs"] == 2 and report["config"]["num_molecules"] == 500
    losses = [h["loss"] for h in report["history"]]
    assert losses[1] < losses[0], losses  # the loss falls
    assert all(0 <= h["data_share"] < 1 and h["molecules_per_s"] > 0 for h in report["history"])
    with open(os.path.splitext(model_file)[0] + ".json") as f:
        saved = json.load(f)
    assert saved["history"][1]["loss"] == pytest.approx(losses[1])
    state = torch.load(model_file, map_location="cpu", weights_only=True)
    assert "x_embedding1.weight" in state and not any(k.startswith(("linear_pred", "discriminator", "model.")) for k in state)
    return model_file


def test_attrmasking_then_finetune(zinc_file, moleculenet_root, tmp_path):
    out = tmp_path / "masking"
    report = pretrain(chem.pretrain_attrmasking.main, zinc_file, out, "--batch_size", "64", "--mask_edge", "1", *SMALL)
    model_file = check_outputs(report, out)
    assert {"acc", "acc_bond"} <= set(report["history"][0])
    GNN(2, 32).load_state_dict(torch.load(model_file, map_location="cpu", weights_only=True), strict=True)
    summary = finetune_loads(model_file, moleculenet_root, tmp_path, *SMALL)
    assert summary["config"]["input_model_file"] == model_file
    assert 0 < summary["test_last"] < 1


@pytest.mark.parametrize("main", [chem.pretrain_edgepred.main, chem.pretrain_infomax.main])
def test_edgepred_and_infomax_then_finetune(main, zinc_file, moleculenet_root, tmp_path):
    out = tmp_path / "model"
    report = pretrain(main, zinc_file, out, "--batch_size", "32", *SMALL)
    model_file = check_outputs(report, out)
    assert 0 < report["history"][-1]["acc"] <= 1
    summary = finetune_loads(model_file, moleculenet_root, tmp_path, *SMALL)
    assert 0 < summary["test_last"] < 1


def test_original_script_names(zinc_file, tmp_path):
    assert chem.pretrain_masking.main is chem.pretrain_attrmasking.main
    assert chem.pretrain_deepgraphinfomax.main is chem.pretrain_infomax.main


def test_supervised_on_thresholded_chembl_then_finetune(shared_data, moleculenet_root, tmp_path):
    chembl = os.path.join(shared_data, "chembl", "chembl_5thresh.csv.gz")
    node_level = tmp_path / "masking"
    chem.pretrain_attrmasking.main(["--smiles-file", chembl, "--max-molecules", "200", "--epochs", "1", "--device",
                                    "cpu", "--output_model_file", str(node_level), "--quiet", *SMALL])
    out = tmp_path / "supervised"
    report = chem.pretrain_supervised.main(
        ["--smiles-file", chembl, "--threshold", "6", "--max-molecules", "500", "--epochs", "2", "--device", "cpu",
         "--output_model_file", str(out), "--quiet", "--input_model_file", str(node_level), "--lr", "0.003", *SMALL])
    model_file = check_outputs(report, out)
    assert report["config"]["batch_size"] == 32 and report["config"]["dropout_ratio"] == 0.2  # the original's defaults
    summary = finetune_loads(model_file, moleculenet_root, tmp_path, *SMALL)
    assert 0 < summary["test_last"] < 1


def test_supervised_refuses_potencies_without_threshold(shared_data, moleculenet_root, tmp_path):
    chembl = os.path.join(shared_data, "chembl", "chembl_5thresh.csv.gz")
    with pytest.raises(ValueError, match="--threshold"):
        chem.pretrain_supervised.main(["--smiles-file", chembl, "--max-molecules", "50", "--epochs", "1", "--quiet"])


def test_chembl_filtered_needs_a_named_folder(moleculenet_root):
    with pytest.raises(ValueError, match="--chembl-dir"):
        chem.pretrain_supervised.main(["--dataset", "chembl_filtered", "--epochs", "1", "--quiet"])
