"""chem.probe: a linear probe on frozen features, on the fine-tuning split, for CHEMBL2321810."""
from __future__ import annotations

import csv
import os

import numpy as np
import pytest
import torch

from chem.probe import markdown_table, morgan_features, probe_scores, run_probe, write_results


def test_probe_table_and_files(checkpoints, tmp_path):
    rows = run_probe(["chembl2321810"], ["morgan", "gcn_contextpred"],
                     model_dir=os.path.join(checkpoints, "chem"), log=lambda *_: None)
    by_model = {r["model"]: r for r in rows}
    assert [(r["n_train"], r["n_valid"], r["n_test"]) for r in rows] == [(813, 102, 102)] * 2  # finetune's split
    assert by_model["morgan"]["dim"] == 2048 and by_model["gcn_contextpred"]["dim"] == 300
    for r in rows:
        assert 0.75 < r["test_auc"] <= 1.0 and 0.75 < r["valid_auc"] <= 1.0 and r["tasks_scored_test"] == 1
    # deterministic: the numbers docs/results/probe.md reports
    assert by_model["morgan"]["test_auc"] == pytest.approx(0.9171, abs=5e-4)
    assert by_model["gcn_contextpred"]["test_auc"] == pytest.approx(0.8912, abs=5e-4)
    table = markdown_table(rows)
    assert "| morgan | 91.7 | 91.7 |" in table
    csv_path, json_path = write_results(rows, str(tmp_path / "probe.csv"))
    with open(csv_path, newline="") as f:
        assert [r["model"] for r in csv.DictReader(f)] == ["morgan", "gcn_contextpred"]
    assert os.path.exists(json_path)


def test_probe_scores_skip_single_class_tasks():
    rng = np.random.RandomState(0)
    x = rng.randn(60, 4).astype(np.float32)
    y = np.stack([np.where(x[:, 0] > 0, 1, -1), np.ones(60, dtype=int)], axis=1)  # task 2: one class only
    res = probe_scores(x, y, (np.arange(40), np.arange(40, 50), np.arange(50, 60)), standardise=True)
    assert res["tasks_fitted"] == 1 and res["tasks_scored_test"] == 1 and res["test_auc"] == 1.0


def test_random_gin_is_seeded():
    from chem.probe import random_gin
    a, b, c = random_gin(0), random_gin(0), random_gin(1)
    w = "gnns.0.mlp.0.weight"
    assert torch.equal(a.state_dict()[w], b.state_dict()[w]) and not torch.equal(a.state_dict()[w], c.state_dict()[w])
    assert a.gnn_type == "gin" and (a.num_layer, a.emb_dim) == (5, 300)


def test_morgan_bits():
    fp = morgan_features(["CCO", "c1ccccc1"])
    assert fp.shape == (2, 2048) and set(np.unique(fp)) <= {0.0, 1.0} and 0 < fp[0].sum() < fp[1].sum() + 10
