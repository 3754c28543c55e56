"""Regression fine-tuning: RMSE/MAE against hand computations, the training split's standardisation
undone on real molecules, and the named sets (ESOL, FreeSolv, Lipophilicity) end to end."""
from __future__ import annotations

import json
import math
import os

import numpy as np
import pandas as pd
import pytest
import torch

from chem.datasets import SPECS, task_type
from chem.finetune import main as finetune_main, split_dataset
from chem.loader import load_dataset
from chem.model import GNN_graphpred
from pretrain_gnns.graphstore import make_loader
from pretrain_gnns.regression import TargetScaler, mae_per_task, masked_mse_loss, rmse_per_task
from pretrain_gnns.regression_loop import run_finetune_regression, summarise_regression
from pretrain_gnns.task_types import check_targets

NAN = float("nan")


def test_rmse_and_mae_by_hand():
    y = np.array([[1.0, 2.0], [2.0, NAN], [4.0, 0.0], [NAN, NAN]])
    pred = np.array([[1.5, 1.0], [1.0, 9.0], [4.0, 3.0], [7.0, 7.0]])
    # task 0: errors 0.5, -1, 0 -> RMSE sqrt(1.25 / 3), MAE 1.5 / 3; task 1: errors -1, 3 -> sqrt(5), 2
    assert rmse_per_task(y, pred) == pytest.approx([math.sqrt(1.25 / 3), math.sqrt(5.0)], abs=1e-12)
    assert mae_per_task(y, pred) == pytest.approx([0.5, 2.0], abs=1e-12)
    assert rmse_per_task(np.full((2, 1), NAN), np.zeros((2, 1))) == [None]  # no target, no score


def test_scaler_and_loss_by_hand():
    y = np.array([[1.0], [3.0], [NAN], [5.0]], dtype=np.float32)
    scaler = TargetScaler.fit(y)
    assert scaler.mean[0] == pytest.approx(3.0) and scaler.std[0] == pytest.approx(math.sqrt(8 / 3))  # population std
    z = scaler.standardise(torch.from_numpy(y))
    np.testing.assert_allclose(scaler.to_units(z.numpy()), y, rtol=1e-6)  # undone, NaN stays NaN
    out = torch.tensor([[0.0], [0.0], [123.0], [0.0]])
    # present targets only: ((1-3)^2 + 0 + (5-3)^2) / 3 / std^2 = (8/3) / (8/3) = 1
    assert float(scaler.loss(out, torch.from_numpy(y))) == pytest.approx(1.0, abs=1e-6)
    assert float(masked_mse_loss(torch.tensor([[1.0], [2.0]]), torch.tensor([[NAN], [4.0]]))) == pytest.approx(4.0)
    with pytest.raises(ValueError, match="constant in the training split"):
        TargetScaler.fit(np.array([[2.0], [2.0], [NAN]]))


def test_best_validation_epoch_is_the_lowest_rmse():
    history = [{"epoch": e, "val_rmse": v, "test_rmse": t, "val_mae": 0.0, "test_mae": t / 2}
               for e, v, t in ((1, 2.0, 1.0), (2, 1.5, 1.2), (3, 1.5, 0.9), (4, 1.7, 0.8))]
    per_task = {"rmse": [[h["test_rmse"]] for h in history], "mae": [[h["test_mae"]] for h in history]}
    s = summarise_regression(history, per_task)
    assert (s["best_epoch"], s["test_at_best_val"], s["test_last"]) == (2, 1.2, 0.8)  # first of the lowest
    assert (s["test_mae_at_best_val"], s["test_mae_last"], s["metric"]) == (0.6, 0.4, "rmse")


def test_task_type_inference_and_refusals():
    frame = pd.DataFrame({"v": [0.5, 1.5, NAN], "b": [0, 1, NAN], "c": [3, 3, 3], "s": ["a", "1", "2"]})
    assert check_targets(frame[["v"]], None, "f")[0] == "regression"
    assert check_targets(frame[["b"]], None, "f")[0] == "classification"
    for cols, task, msg in ((["v"], "classification", "regression targets given to a classification run"),
                            (["b"], "regression", "classification targets given to a regression run"),
                            (["c"], None, "is constant"), (["s"], None, "is not numeric"),
                            (["v", "b"], None, "mix binary labels")):
        with pytest.raises(ValueError, match=msg):
            check_targets(frame[cols], task, "f")
    with pytest.raises(ValueError, match="has no values"):
        check_targets(pd.DataFrame({"e": [NAN, NAN]}), None, "f")


def test_standardisation_is_undone_on_real_molecules(moleculenet_root):
    """A head that outputs a constant z predicts mean + z * std of the training split, in FreeSolv's
    kcal/mol: its test RMSE is the hand computation from the raw file."""
    dataset = load_dataset("freesolv", moleculenet_root, verbose=False)
    train, valid, test = split_dataset(dataset, "scaffold", 42)
    raw = pd.read_csv(os.path.join(moleculenet_root, "freesolv", "raw", "SAMPL.csv"))["expt"].to_numpy()
    y_train, y_test = raw[train.graph_attr("id")], raw[test.graph_attr("id")]
    mean, std = y_train.mean(), y_train.std()
    for z in (0.0, 1.0):
        torch.manual_seed(0)
        model = GNN_graphpred(2, 16, 1, drop_ratio=0.0)
        with torch.no_grad():
            model.graph_pred_linear.weight.zero_()
            model.graph_pred_linear.bias.fill_(z)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.0)  # nothing moves: outputs stay z
        loaders = {"train": make_loader(train, 32), "valid": make_loader(valid, 512), "test": make_loader(test, 512)}
        scaler = TargetScaler.fit(train.graph_attr("y"))
        s = run_finetune_regression(model, optimizer, loaders, 1, torch.device("cpu"), None, {}, scaler,
                                    progress=False, log=lambda *_: None)
        assert s["target_mean"][0] == pytest.approx(mean, abs=1e-5) and s["target_std"][0] == pytest.approx(std, abs=1e-5)
        assert s["test_last"] == pytest.approx(np.sqrt(np.mean((y_test - mean - z * std) ** 2)), abs=1e-4)
        assert s["test_mae_last"] == pytest.approx(np.mean(np.abs(y_test - mean - z * std)), abs=1e-4)
        assert s["train_mean_baseline"]["test_rmse"] == pytest.approx(np.sqrt(np.mean((y_test - mean) ** 2)), abs=1e-4)


@pytest.mark.parametrize("name,molecules,column", [("esol", 1128, "measured log solubility in mols per litre"),
                                                   ("freesolv", 642, "expt"), ("lipophilicity", 4200, "exp")])
def test_named_regression_sets_two_epochs(name, molecules, column, moleculenet_root, tmp_path):
    assert SPECS[name].label_columns == (column,) and task_type(SPECS[name]) == "regression"
    summary = finetune_main(["--dataset", name, "--data-root", moleculenet_root, "--epochs", "2", "--num_layer", "2",
                             "--emb_dim", "32", "--output-dir", str(tmp_path), "--quiet"])
    with open(tmp_path / f"{name}_gin_scratch_seed0.json") as f:
        result = json.load(f)
    assert result["metric"] == "rmse" and result["epochs"] == 2
    assert sum(result["config"]["split_sizes"]) == molecules
    for rule in ("at_best_val", "last"):
        assert 0 < result[f"test_rmse_{rule}"] == result[f"test_{rule}"] < 20
        assert 0 < result[f"test_mae_{rule}"] <= result[f"test_rmse_{rule}"]  # MAE <= RMSE always
    assert result["test_last"] == summary["test_last"]
    header = open(tmp_path / f"{name}_gin_scratch_seed0.csv").readline().strip().split(",")
    assert header == ["epoch", "train_loss", "train_rmse", "val_rmse", "test_rmse", "val_mae", "test_mae", "seconds"]


def test_regression_sets_download_with_their_checksums(shared_data, tmp_path):
    from chem.download import download_dataset
    for name in ("esol", "freesolv", "lipophilicity"):
        raw = os.path.join(shared_data, "moleculenet", name, "raw")
        (source,) = os.listdir(raw)
        dest = download_dataset(name, str(tmp_path), url="file://" + os.path.join(raw, source), progress=False)
        assert os.path.basename(dest) == os.path.basename(SPECS[name].url) == source  # checked against SPECS' sha256


def test_runseeds_and_save_model_work_for_regression(moleculenet_root, tmp_path):
    """Seeds in one process write what separate --runseed runs write, each with its model and card."""
    common = ["--dataset", "freesolv", "--data-root", moleculenet_root, "--epochs", "2", "--num_layer", "2",
              "--emb_dim", "32", "--quiet", "--device", "cpu"]
    finetune_main([*common, "--runseeds", "0,1", "--output-dir", str(tmp_path / "a"), "--filename", "s{seed}",
                   "--save-model", str(tmp_path / "a" / "m{seed}.pth")])
    alone = finetune_main([*common, "--runseed", "1", "--output-dir", str(tmp_path / "b"), "--filename", "s1"])
    with open(tmp_path / "a" / "s1.json") as f:
        together = json.load(f)
    assert together["test_last"] == alone["test_last"] and together["test_mae_at_best_val"] == alone["test_mae_at_best_val"]
    for seed in (0, 1):
        with open(tmp_path / "a" / f"m{seed}.json") as f:
            card = json.load(f)
        assert card["task_type"] == "regression" and card["runseed"] == seed and card["tasks"] == ["expt"]
        assert os.path.exists(tmp_path / "a" / f"m{seed}.pth")


def test_probe_fits_a_ridge_regression(moleculenet_root):
    from chem.probe import markdown_table, ridge_scores, run_probe
    rng = np.random.RandomState(0)
    x = rng.randn(60, 3)
    y = (x @ np.array([1.0, 2.0, 3.0]) + 5.0)[:, None]
    y[[3, 7]] = NAN  # missing targets are left out of the fit
    res = ridge_scores(x, y, (np.arange(40), np.arange(40, 50), np.arange(50, 60)), standardise=False, C=1e8)
    assert res["test_rmse"] < 1e-4 and res["tasks_scored_test"] == 1  # an exact linear target is recovered
    rows = run_probe(["freesolv"], ["morgan"], data_root=moleculenet_root, log=lambda *_: None)
    assert (rows[0]["n_train"], rows[0]["n_valid"], rows[0]["n_test"]) == (513, 64, 65)  # finetune's split
    assert rows[0]["test_rmse"] == pytest.approx(4.1395, abs=5e-4) and "test_auc" not in rows[0]
    assert "| morgan | 4.140 | 4.140 |" in markdown_table(rows, "test_rmse")
