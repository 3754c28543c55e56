"""The regression sweep's table: RMSE cells (mean ± sample std), the training-mean baseline, a lower RMSE
counted as a gain, the published references, figures; and docs/RESULTS.md's regression table follows
from the committed result files."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_regression_result(folder, dataset, config, seed, best, last, baseline, gnn="gin"):
    """A result JSON in the sweep layout with the regression schema (scores in the target's units)."""
    history = [{"epoch": 1, "train_loss": 1.0, "train_rmse": None, "val_rmse": 1.0, "test_rmse": best,
                "val_mae": 0.8, "test_mae": best / 2, "seconds": 1.0},
               {"epoch": 2, "train_loss": 0.5, "train_rmse": None, "val_rmse": 1.1, "test_rmse": last,
                "val_mae": 0.9, "test_mae": last / 2, "seconds": 1.0}]
    model_file = "" if config.endswith("_scratch") else f"m/{config}.pth"
    data = {"task_type": "regression", "metric": "rmse", "best_epoch": 1, "val_at_best": 1.0, "test_at_best_val": best,
            "val_last": 1.1, "test_last": last, "epochs": 2, "test_rmse_at_best_val": best, "test_rmse_last": last,
            "train_mean_baseline": {"test_rmse": baseline, "test_mae": baseline / 2}, "history": history,
            "config": {"dataset": dataset, "gnn_type": gnn, "input_model_file": model_file, "runseed": seed}}
    path = os.path.join(folder, dataset, config, f"seed{seed}.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(data, f)


@pytest.fixture()
def sweep(tmp_path):
    d = str(tmp_path / "sweep")
    for seed, (b, l) in enumerate([(1.0, 1.3), (1.2, 1.3), (1.1, 1.6)]):
        write_regression_result(d, "esol", "gin_scratch", seed, b, l, 2.0)
    for seed, (b, l) in enumerate([(0.9, 1.2), (1.0, 1.2), (0.95, 1.5)]):
        write_regression_result(d, "esol", "gin_supervised_contextpred", seed, b, l, 2.0)
    write_regression_result(d, "freesolv", "gin_scratch", 0, 3.0, 3.2, 4.5)
    write_regression_result(d, "freesolv", "gin_supervised_contextpred", 0, 3.5, 3.0, 4.5)
    return d


def test_lower_rmse_is_a_gain(sweep):
    from tools.regression_tables import gain_counts, rmse_table
    from tools.results import load_results, summarize
    s = summarize(load_results(sweep).runs)
    assert s.metric.key == "rmse" and not s.metric.higher_is_better and s.datasets == ["esol", "freesolv"]
    cell = s.cell("gin_scratch", "esol", "best_val")
    assert (round(cell.mean, 6), round(cell.std, 6), cell.n) == (1.1, 0.1, 3)  # RMSE as it is, not x100
    gain, se = s.gain("gin_supervised_contextpred", "esol", "best_val")
    assert gain == pytest.approx(1.1 - 0.95) and se == pytest.approx(((0.1 ** 2 + 0.05 ** 2) / 3) ** 0.5)
    assert s.gain("gin_supervised_contextpred", "freesolv", "best_val") == (pytest.approx(-0.5), None)
    assert s.gain("gin_supervised_contextpred", "freesolv", "last")[0] == pytest.approx(0.2)
    table = rmse_table(s)
    assert "| training mean (no model) | 2.000 | 2.000 | 4.500 | 4.500 |" in table
    assert "| gin_scratch | 1.100 ± 0.100 (n=3) | 1.400 ± 0.173 (n=3) | 3.000 (n=1) | 3.200 (n=1) |" in table
    counts = gain_counts(s)
    assert "best-validation epoch: pre-training lowers the mean test RMSE in 1 of 2 (model, dataset) pairs" in counts
    assert "at last epoch: pre-training lowers the mean test RMSE in 2 of 2" in counts


def test_summarize_and_plot_a_regression_sweep(sweep, tmp_path):
    ref = os.path.join(REPO, "scripts", "reference_regression.csv")
    out = subprocess.run([sys.executable, "scripts/summarize.py", sweep, "--reference", ref, "--out",
                          str(tmp_path / "summary"), "--quiet"], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    text = (tmp_path / "summary" / "summary.md").read_text()
    assert "## Published references" in text
    assert "| DGL-LifeSci: released GIN ContextPred fine-tuned | 0.98 | 3.37 |" in text  # this sweep: ESOL, FreeSolv
    assert "| gin_supervised_contextpred | gin_scratch | +0.150 ± 0.065 |" in text
    assert (tmp_path / "summary" / "rmse.csv").exists() and (tmp_path / "summary" / "gain.csv").exists()
    pytest.importorskip("matplotlib")
    out = subprocess.run([sys.executable, "scripts/plot.py", sweep, "--out", str(tmp_path / "fig")],
                         capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert sorted(os.listdir(tmp_path / "fig")) == ["curves_esol.png", "curves_freesolv.png", "gain_best_val.png",
                                                  "gain_last.png"]


def test_a_sweep_mixing_metrics_is_refused(sweep, tmp_path):
    from test_summarize import write_result
    write_result(sweep, "bbbp", "gin_scratch", 0, 0.7, 0.7, gnn="gin")
    out = subprocess.run([sys.executable, "scripts/summarize.py", sweep, "--out", str(tmp_path / "s")],
                         capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 1 and "mix metrics" in out.stderr


def test_the_regression_table_in_results_follows_from_the_committed_runs():
    """docs/RESULTS.md's regression table (and its run count) is regenerated from the committed files."""
    from tools.regression_tables import rmse_table
    from tools.results import load_results, summarize
    s = summarize(load_results(os.path.join(REPO, "docs", "results", "regression", "runs")).runs)
    assert s.metric.key == "rmse" and set(s.datasets) <= {"esol", "freesolv", "lipophilicity"}
    assert all(s.baselines[d].n >= 1 for d in s.datasets)
    table = rmse_table(s)
    with open(os.path.join(REPO, "docs", "results", "regression", "summary", "summary.md")) as f:
        assert table in f.read()
    with open(os.path.join(REPO, "docs", "RESULTS.md")) as f:
        results = f.read()
    assert table in results, "refresh docs/RESULTS.md's regression table from docs/results/regression/summary/summary.md"
    assert f"Regression runs finished so far ({s.n_runs} runs" in results
