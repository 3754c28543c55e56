"""finetune.py --save-model writes a model card; chem.predict rebuilds the model from it and
reproduces the fine-tuned model's own test-set predictions exactly, row-aligned with its input."""
from __future__ import annotations

import csv
import json
import os

import numpy as np
import pytest
import torch

from chem.finetune import main as finetune_main, split_dataset
from chem.loader import load_dataset
from chem.predict import load_finetuned, main as predict_main
from pretrain_gnns.finetune_loop import predict
from pretrain_gnns.graphstore import make_loader
from pretrain_gnns.metrics import roc_auc_per_task


@pytest.fixture(scope="module")
def finetuned(checkpoints, tmp_path_factory):
    """Two epochs on CHEMBL2321810 from the released GCN supervised + ContextPred, by zoo name."""
    out = tmp_path_factory.mktemp("ft")
    model = str(out / "m.pth")
    summary = finetune_main(["--dataset", "chembl2321810", "--input_model_file", "gcn_supervised_contextpred",
                             "--model-dir", os.path.join(checkpoints, "chem"), "--epochs", "2", "--batch_size", "64",
                             "--save-model", model, "--output-dir", str(out), "--quiet"])
    return model, summary


def test_model_card(finetuned):
    model, summary = finetuned
    with open(os.path.splitext(model)[0] + ".json") as f:
        card = json.load(f)
    # the zoo name set the architecture: no --gnn_type was passed
    assert card["architecture"] == {"gnn_type": "gcn", "num_layer": 5, "emb_dim": 300, "JK": "last",
                                    "graph_pooling": "mean", "num_tasks": 1, "domain": "chem"}
    assert card["tasks"] == ["pIC50"] and card["dataset"] == "chembl2321810" and card["split"] == "scaffold"
    assert card["saved_epoch"] == 2 and card["test_roc_auc"] == pytest.approx(summary["test_last"], abs=1e-12)
    assert card["input_model_file"].endswith("gcn_supervised_contextpred.pth") and "torch" in card["versions"]


def test_predict_reproduces_the_models_own_test_predictions(finetuned, tmp_path):
    model_path, summary = finetuned
    dataset = load_dataset("chembl2321810", verbose=False)
    _, _, test = split_dataset(dataset, "scaffold", 42)
    model, _ = load_finetuned(model_path)
    labels, logits = predict(model, make_loader(test, 512), torch.device("cpu"))
    own = torch.sigmoid(torch.from_numpy(logits)).numpy()[:, 0]
    smiles = test.smiles_list
    rows = smiles[:50] + ["C1CC", "C*C"] + smiles[50:]  # two bad rows in the middle
    src = tmp_path / "test.csv"
    with open(src, "w", newline="") as f:
        csv.writer(f).writerows([["smiles"]] + [[s] for s in rows])
    out = tmp_path / "p.csv"
    result = predict_main(["--model", model_path, "--smiles-file", str(src), "--out", str(out)])
    assert result["rows"] == len(rows) == len(test) + 2 and result["skipped"] == 2
    with open(out, newline="") as f:
        table = list(csv.DictReader(f))
    assert list(table[0]) == ["row", "smiles", "valid", "pIC50"] and [r["smiles"] for r in table] == rows
    assert [r["valid"] for r in table[50:52]] == ["0", "0"] and table[50]["pIC50"] == ""
    got = np.array([float(r["pIC50"]) for r in table if r["valid"] == "1"], dtype=np.float32)
    np.testing.assert_array_equal(got, own)
    # the same ROC-AUC the fine-tuning run reported for its last epoch
    assert roc_auc_per_task(labels, got)[0] == pytest.approx(summary["test_last"], abs=1e-12)
    with open(str(out) + ".skipped.csv", newline="") as f:
        skipped = list(csv.DictReader(f))
    assert [(r["row"], r["smiles"]) for r in skipped] == [("50", "C1CC"), ("51", "C*C")]


def test_predict_needs_the_card(finetuned, tmp_path, capsys):
    import shutil
    from pretrain_gnns.cli_args import run_main
    lonely = tmp_path / "lonely.pth"
    shutil.copy(finetuned[0], lonely)
    (tmp_path / "x.smi").write_text("CCO\n")
    with pytest.raises(SystemExit) as exit_:
        run_main(predict_main, ["--model", str(lonely), "--smiles-file", str(tmp_path / "x.smi"),
                                "--out", str(tmp_path / "p.csv")])
    assert exit_.value.code == 2 and "lonely.json not found" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "p.csv")
