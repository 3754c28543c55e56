"""Fine-tune on your own CSV: a file written here (ESOL molecules, a numeric and a binary column, values
missing, one unreadable molecule) fine-tunes, saves a model and predicts from the command line, for
regression and classification; the saved model's predictions are the run's own test predictions, in
the target's units. Bad input ends with exit 2 and one line."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

import chem.finetune
from chem.csv_dataset import load_csv_dataset
from chem.finetune import split_dataset
from chem.predict import load_finetuned, output_transform
from pretrain_gnns.cli_args import run_main
from pretrain_gnns.finetune_loop import predict
from pretrain_gnns.graphstore import make_loader
from pretrain_gnns.metrics import roc_auc_per_task
from pretrain_gnns.regression import rmse_per_task

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ["--num_layer", "2", "--emb_dim", "32", "--quiet", "--device", "cpu"]
BAD_ROW = 7


@pytest.fixture(scope="module")
def my_csv(moleculenet_root, tmp_path_factory) -> str:
    """240 ESOL molecules: name, SMILES, logS (every 9th missing), soluble = logS > -3 (every 11th
    missing), a split column; row 7's SMILES cannot be read."""
    raw = pd.read_csv(os.path.join(moleculenet_root, "esol", "raw", "delaney-processed.csv")).head(240)
    logs = raw["measured log solubility in mols per litre"].to_numpy()
    df = pd.DataFrame({"name": raw["Compound ID"], "SMILES": raw["smiles"], "logS": logs,
                       "soluble": (logs > -3).astype(float)})
    df.loc[::9, "logS"] = np.nan
    df.loc[::11, "soluble"] = np.nan
    df.loc[BAD_ROW, "SMILES"] = "C1CC"
    df["fold"] = ["train"] * 200 + ["valid"] * 20 + ["test"] * 20
    path = str(tmp_path_factory.mktemp("own") / "assay.csv")
    df.to_csv(path, index=False)
    return path


def run(args: list) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": REPO}
    return subprocess.run([sys.executable, *[str(a) for a in args]], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=600)


@pytest.mark.parametrize("target,task", [("logS", "regression"), ("soluble", "classification")])
def test_own_csv_finetunes_saves_and_predicts(target, task, my_csv, tmp_path):
    model_path = tmp_path / "m.pth"
    ft = run(["chem/finetune.py", "--data", my_csv, "--targets", target, "--epochs", "2", *TINY,
              "--save-model", model_path, "--output-dir", tmp_path])
    assert ft.returncode == 0, ft.stderr
    assert f"task type {task} (inferred" in ft.stdout
    with open(tmp_path / "assay_gin_scratch_seed0.json") as f:
        summary = json.load(f)
    pr = run(["-m", "chem.predict", "--model", model_path, "--smiles-file", my_csv, "--out", tmp_path / "p.csv"])
    assert pr.returncode == 0, pr.stderr
    with open(tmp_path / "p.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert len(table) == 240 and list(table[0]) == ["row", "smiles", "valid", target]
    assert table[BAD_ROW]["valid"] == "0" and table[BAD_ROW][target] == ""

    # the fine-tuned model's own test predictions, through the same split of the same file; predict
    # is given the test molecules (the same batch, so the same sums) plus the unreadable one
    dataset = load_csv_dataset(my_csv, targets=target, log=lambda *a, **k: None)
    _, _, test = split_dataset(dataset, "scaffold", 42)
    model, card = load_finetuned(str(model_path))
    y, outputs = predict(model, make_loader(test, 512), torch.device("cpu"))
    own = output_transform(card)(torch.from_numpy(outputs))[:, 0]
    test_csv = tmp_path / "test.csv"
    pd.read_csv(my_csv).iloc[[*test.graph_attr("id"), BAD_ROW]].to_csv(test_csv, index=False)
    pr = run(["-m", "chem.predict", "--model", model_path, "--smiles-file", test_csv, "--out", tmp_path / "t.csv"])
    assert pr.returncode == 0, pr.stderr
    with open(tmp_path / "t.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[-1]["valid"] == "0"
    got = np.array([float(r[target]) for r in rows[:-1]], dtype=np.float32)
    np.testing.assert_array_equal(got, own)
    if task == "regression":
        # in the target's units: outputs x the training split's std + its mean, as the run scored them
        values = pd.read_csv(my_csv)["logS"].to_numpy()
        train_rows = split_dataset(dataset, "scaffold", 42)[0].graph_attr("id")
        assert card["target_scaling"]["mean"][0] == pytest.approx(np.nanmean(values[train_rows]), abs=1e-5)
        assert card["target_scaling"]["std"][0] == pytest.approx(np.nanstd(values[train_rows]), abs=1e-5)
        np.testing.assert_array_equal(got, outputs[:, 0] * np.float32(card["target_scaling"]["std"][0])
                                      + np.float32(card["target_scaling"]["mean"][0]))
        assert rmse_per_task(y, got)[0] == pytest.approx(summary["test_last"], abs=1e-12)
        assert card["test_rmse"] == summary["test_last"] and summary["metric"] == "rmse"
    else:
        assert ((got > 0) & (got < 1)).all() and "target_scaling" not in card
        assert roc_auc_per_task(y, got)[0] == pytest.approx(summary["test_last"], abs=1e-12)
        assert card["test_roc_auc"] == summary["test_last"]


def cli(argv, capsys) -> tuple[int, str, str]:
    os.environ.pop("PRETRAIN_GNNS_TRACEBACK", None)
    code = 0
    try:
        run_main(chem.finetune.main, [str(a) for a in argv])
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def test_split_column_split_file_and_smi(my_csv, tmp_path, capsys):
    code, out, err = cli(["--data", my_csv, "--targets", "logS", "--split-column", "fold", "--epochs", "1", *TINY,
                          "--output-dir", tmp_path], capsys)
    assert code == 0, err
    with open(tmp_path / "assay_gin_scratch_seed0.json") as f:
        assert json.load(f)["config"]["split_sizes"] == [199, 20, 20]  # row 7 (train) was skipped
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"train": list(range(0, 100)), "valid": [100, 101, 102], "test": [103, 104]}))
    code, out, err = cli(["--data", my_csv, "--targets", "soluble", "--split-file", split, "--epochs", "1", *TINY,
                          "--output-dir", tmp_path, "--filename", "f"], capsys)
    assert code == 0, err
    with open(tmp_path / "f.json") as f:
        assert json.load(f)["config"]["split_sizes"] == [99, 3, 2]
    assert "135 molecules are in no split" in out
    smi = tmp_path / "values.smi"
    frame = pd.read_csv(my_csv).dropna(subset=["logS"])
    smi.write_text("".join(f"{s} {v}\n" for s, v in zip(frame["SMILES"], frame["logS"])))
    code, out, err = cli(["--data", smi, "--epochs", "1", *TINY, "--output-dir", tmp_path], capsys)
    assert code == 0, err
    assert "task type regression (inferred" in out


def test_bad_input_gets_one_line(my_csv, moleculenet_root, tmp_path, capsys):
    df = pd.read_csv(my_csv)
    odd = tmp_path / "odd.csv"
    df.assign(empty=np.nan, const=1.5).to_csv(odd, index=False)
    empty_split = tmp_path / "split.json"
    empty_split.write_text(json.dumps({"train": list(range(100)), "valid": [100, 101]}))
    cases = [
        (["--data", my_csv], "target column 'name' is not numeric"),
        (["--data", odd, "--targets", "empty"], "target column 'empty' has no values"),
        (["--data", odd, "--targets", "const"], "target column 'const' is constant"),
        (["--data", my_csv, "--targets", "logS", "--task", "classification"],
         "regression targets given to a classification run"),
        (["--data", my_csv, "--targets", "soluble", "--task", "regression"],
         "classification targets given to a regression run"),
        (["--data", my_csv, "--targets", "logS,soluble"], "mix binary labels"),
        (["--data", my_csv, "--targets", "logP"], "target columns not found"),
        (["--dataset", "esol", "--data-root", moleculenet_root, "--task", "classification"],
         "regression targets given to a classification run"),
        (["--dataset", "bbbp", "--data-root", moleculenet_root, "--task", "regression"],
         "classification targets given to a regression run"),
        (["--data", my_csv, "--targets", "logS", "--split-file", empty_split], "the test split is empty"),
        (["--dataset", "esol", "--data-root", moleculenet_root, "--targets", "x"], "--targets choose columns of --data"),
    ]
    for argv, message in cases:
        code, out, err = cli([*argv, "--epochs", "1", *TINY, "--output-dir", tmp_path / "out"], capsys)
        assert code == 2 and message in err and "Traceback" not in err, (argv, err)
        assert len(err.strip().splitlines()) == 2  # the error line and the traceback hint
    assert not (tmp_path / "out").exists() or not any(f.endswith(".json") for f in os.listdir(tmp_path / "out"))
