"""Sweep -> tables -> figures: summarize.py on hand-made result files (known means, sample stds, averages,
missing markers), the sweep script's configurations and resume-by-skip, and one real end-to-end sweep."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import pytest

from bio_helpers import tiny_bio_root  # noqa: F401  (fixture)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(REPO, "scripts")
SWEEP = os.path.join(SCRIPTS, "finetune_sweep.sh")


def write_result(folder, dataset, config, seed, best, last, gnn="gcn", model_file=None, epochs=2):
    """A result JSON in the sweep layout with the finetune schema; scores are raw ROC-AUC (0..1)."""
    model_file = model_file if model_file is not None else ("" if config.endswith("_scratch") else f"m/{config}.pth")
    history = [{"epoch": e, "train_loss": 0.5, "train_auc": None, "val_auc": 0.5 + 0.1 * e,
                "test_auc": (best if e == 1 else last), "seconds": 1.0} for e in range(1, epochs + 1)]
    data = {"best_epoch": 1, "val_at_best": 0.6, "test_at_best_val": best, "val_last": 0.6, "test_last": last,
            "epochs": epochs, "history": history,
            "config": {"dataset": dataset, "gnn_type": gnn, "input_model_file": model_file, "runseed": seed}}
    path = os.path.join(folder, dataset, config, f"seed{seed}.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(data, f)
    return path


@pytest.fixture()
def handmade(tmp_path):
    """bbbp + bace. gcn_scratch: 3 seeds on both; gcn_supervised_contextpred: 2 seeds on bbbp, 1 on bace;
    graphsage_scratch: bbbp only (3 seeds, one without a last-epoch score), so its average is missing."""
    d = str(tmp_path / "sweep")
    for seed, (b, l) in enumerate([(0.60, 0.58), (0.62, 0.60), (0.64, 0.65)]):
        write_result(d, "bbbp", "gcn_scratch", seed, b, l)
    for seed, (b, l) in enumerate([(0.70, 0.71), (0.70, 0.73), (0.73, 0.75)]):
        write_result(d, "bace", "gcn_scratch", seed, b, l)
    for seed, (b, l) in enumerate([(0.66, 0.65), (0.70, 0.65)]):
        write_result(d, "bbbp", "gcn_supervised_contextpred", seed, b, l)
    write_result(d, "bace", "gcn_supervised_contextpred", 0, 0.80, 0.60)
    for seed, (b, l) in enumerate([(0.50, 0.50), (0.60, 0.60), (0.70, None)]):
        write_result(d, "bbbp", "graphsage_scratch", seed, b, l, gnn="graphsage")
    os.makedirs(os.path.join(d, "other"))
    with open(os.path.join(d, "other", "notes.json"), "w") as f:
        json.dump({"hello": 1}, f)  # not a result: reported as skipped, not counted
    with open(os.path.join(d, "other", "broken.json"), "w") as f:
        f.write("{ half a file")
    ref = tmp_path / "ref.csv"
    ref.write_text("# comment line\nconfig,dataset,mean,std\ngcn_scratch,average,68.9,\n"
                   "gcn_supervised_contextpred,bbbp,70.0,1.5\ngraphsage_supervised_contextpred,average,70.3,\n")
    return d, str(ref)


def run(cmd, env=None, timeout=600):
    # One thread per fine-tuning process: on 2 shared cores, torch's 2 OpenMP threads spin against other
    # work and an epoch of this small model took 2-30 s instead of 0.3 s.
    full_env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=timeout, cwd=REPO)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_summarize_handmade(handmade, tmp_path):
    sweep, ref = handmade
    approx = lambda v: pytest.approx(v, abs=1e-3)  # the CSV keeps 4 decimals of ROC-AUC x 100
    out = str(tmp_path / "summary")
    res = run([sys.executable, os.path.join(SCRIPTS, "summarize.py"), sweep, "--out", out, "--reference", ref])
    assert res.returncode == 0, res.stderr
    assert "12 runs read, 2 files skipped" in res.stdout
    assert "notes.json: not a fine-tuning result" in res.stderr and "broken.json" in res.stderr

    t1 = {(r["config"], r["dataset"], r["rule"]): r for r in read_csv(os.path.join(out, "table1.csv"))}
    def cell(c, d, rule):
        r = t1[(c, d, rule)]
        return (float(r["mean"]) if r["mean"] else None, float(r["std"]) if r["std"] else None, int(r["n"]))
    # Sample std (ddof=1): 60, 62, 64 -> 2.0; 58, 60, 65 -> sqrt(13).
    assert cell("gcn_scratch", "bbbp", "best_val") == approx((62.0, 2.0, 3))
    assert cell("gcn_scratch", "bbbp", "last") == approx((61.0, 13 ** 0.5, 3))
    assert cell("gcn_scratch", "bace", "best_val") == approx((71.0, 3 ** 0.5, 3))
    assert cell("gcn_supervised_contextpred", "bbbp", "best_val") == approx((68.0, 8 ** 0.5, 2))
    assert cell("gcn_supervised_contextpred", "bace", "last") == (approx(60.0), None, 1)  # n=1: no std
    # A run without a last-epoch score is left out of that rule only; never counted as 0.
    assert cell("graphsage_scratch", "bbbp", "best_val") == approx((60.0, 10.0, 3))
    assert cell("graphsage_scratch", "bbbp", "last") == approx((55.0, 50 ** 0.5, 2))
    assert cell("graphsage_scratch", "bace", "best_val") == (None, None, 0)
    # Averages = mean of per-dataset means, only for complete rows.
    assert cell("gcn_scratch", "average", "best_val")[0] == approx(66.5)
    assert cell("gcn_scratch", "average", "last")[0] == approx(67.0)
    assert cell("gcn_supervised_contextpred", "average", "best_val")[0] == approx(74.0)
    assert cell("gcn_supervised_contextpred", "average", "last")[0] == approx(62.5)
    assert cell("graphsage_scratch", "average", "best_val")[0] is None
    assert t1[("graphsage_scratch", "average", "best_val")]["datasets_present"] == "1/2"

    t2 = read_csv(os.path.join(out, "table2.csv"))
    gcn = next(r for r in t2 if r["pretrained_config"] == "gcn_supervised_contextpred")
    assert float(gcn["gain_best_val"]) == approx(7.5)
    assert float(gcn["gain_last"]) == approx(-4.5)
    sage = next(r for r in t2 if r["architecture"] == "graphsage")
    assert sage["pretrained_config"] == "" and sage["no_pretrain_best_val"] == "" and sage["gain_best_val"] == ""

    diff = {(r["config"], r["dataset"]): r for r in read_csv(os.path.join(out, "reference_diff.csv"))}
    assert float(diff[("gcn_scratch", "average")]["diff_best_val"]) == approx(66.5 - 68.9)
    assert diff[("gcn_scratch", "average")]["same_datasets"] == "0"  # ours: 2 datasets, paper: 8
    assert float(diff[("gcn_supervised_contextpred", "bbbp")]["diff_last"]) == approx(-5.0)
    assert diff[("gcn_supervised_contextpred", "bbbp")]["inside_paper_std_best_val"] == "0"  # |-2.0| > 1.5
    assert diff[("graphsage_supervised_contextpred", "average")]["diff_best_val"] == ""

    md = open(os.path.join(out, "summary.md")).read()
    assert "sample standard deviation (ddof=1)" in md
    row = next(line for line in md.splitlines() if line.startswith("| gcn_scratch |"))
    assert row.split(" | ")[1:5] == ["62.0 ± 2.0 (n=3)", "61.0 ± 3.6 (n=3)", "71.0 ± 1.7 (n=3)", "73.0 ± 2.0 (n=3)"]
    assert row.endswith("| 66.5 | 67.0 |")
    row = next(line for line in md.splitlines() if line.startswith("| graphsage_scratch |"))
    assert "60.0 ± 10.0 (n=3) | 55.0 ± 7.1 (n=2) | — | — | — (1/2) | — (1/2) |" in row
    assert "80.0 (n=1) | 60.0 (n=1)" in md
    assert "| gcn | gcn_supervised_contextpred | 66.5 | 74.0 | +7.5 | 67.0 | 62.5 | -4.5 |" in md
    assert "| gcn_scratch | Average † | 68.9 | 66.5 | -2.4 | 67.0 | -1.9 |" in md
    assert "no test at last epoch score" in md  # the graphsage seed 2 run is listed, not hidden


def test_result_without_sweep_layout_is_placed_by_its_config(tmp_path):
    from tools.results import load_results
    d = tmp_path / "loose"
    write_result(str(d), "bace", "gat_scratch", 4, 0.7, 0.6, gnn="gat")
    os.replace(d / "bace" / "gat_scratch" / "seed4.json", d / "bace_gat_scratch_seed4.json")
    loaded = load_results(str(d))
    (r,) = loaded.runs
    assert (r.dataset, r.config, r.seed, r.architecture, r.pretrained) == ("bace", "gat_scratch", 4, "gat", False)
    assert r.scores == pytest.approx({"best_val": 70.0, "last": 60.0})
    assert r.history == ((1, pytest.approx(60.0), pytest.approx(70.0)), (2, pytest.approx(70.0), pytest.approx(60.0)))
    write_result(str(d), "bace", "gat_scratch", 4, 0.5, 0.5, gnn="gat")  # the same run again, in the layout
    again = load_results(str(d))
    assert len(again.runs) == 1 and again.runs[0].scores["best_val"] == pytest.approx(50.0)
    assert len(again.skipped) == 1 and "bace_gat_scratch_seed4.json: duplicate of" in again.skipped[0]


def test_plot_handmade(handmade, tmp_path):
    sweep, _ = handmade
    out = tmp_path / "fig"
    res = run([sys.executable, os.path.join(SCRIPTS, "plot.py"), sweep, "--out", str(out)])
    assert res.returncode == 0, res.stderr
    names = sorted(os.listdir(out))
    assert names == ["curves_bace.png", "curves_bbbp.png", "gain_best_val.png", "gain_last.png"]
    for n in names:
        with open(out / n, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_sweep_configurations_from_model_dir(tmp_path):
    """Configurations = per architecture, scratch + the checkpoints named for it; others are reported.
    PYTHON=echo stands in for the interpreter, so this shows the exact commands without running them."""
    models = tmp_path / "models"
    models.mkdir()
    for n in ("gcn_a.pth", "graphsage_b.pth", "gat_c.pth", "supervised.pth"):
        (models / n).write_bytes(b"")
    res = run(["bash", SWEEP, "7", "cpu"], env={"PYTHON": "echo", "DATASETS": "bbbp", "MODEL_DIR": str(models),
                                               "GNN_TYPES": "gcn graphsage", "OUT_DIR": str(tmp_path / "o"),
                                               "EPOCHS": "5", "EXTRA_ARGS": "--quiet --emb_dim 8"})
    assert res.returncode == 0, res.stderr
    runs = [line for line in res.stdout.splitlines() if line.startswith("run: ")]
    assert runs == [f"run: dataset bbbp, config {c}, seed 7" for c in
                    ("gcn_scratch", "gcn_a", "graphsage_scratch", "graphsage_b")]
    assert "ignoring " + str(models / "supervised.pth") in res.stdout
    assert "ignoring " + str(models / "gat_c.pth") + " (GNN_TYPES" in res.stdout
    cmd = next(line for line in res.stdout.splitlines() if "--input_model_file" in line and "graphsage_b" in line)
    assert cmd.split() == ["-m", "chem.finetune", "--gnn_type", "graphsage", "--runseed", "7", "--epochs", "5",
                           "--output-dir", str(tmp_path / "o" / "bbbp" / "graphsage_b"), "--filename", "seed7",
                           "--input_model_file", str(models / "graphsage_b.pth"), "--device", "cpu",
                           "--dataset", "bbbp", "--quiet", "--emb_dim", "8"]
    bad = run(["bash", SWEEP, "1"], env={"MODEL_DIR": str(tmp_path / "nowhere")})
    assert bad.returncode == 2 and "is not a folder" in bad.stderr


def test_sweep_runs_a_configurations_missing_seeds_in_one_process(tmp_path):
    """SEEDS 0-2 with seed 1 finished: one chem.finetune call with --runseeds 0,2 and a {seed} filename."""
    models = tmp_path / "models"
    models.mkdir()
    done = tmp_path / "o" / "bbbp" / "gin_scratch"
    done.mkdir(parents=True)
    (done / "seed1.json").write_text("{}")
    res = run(["bash", SWEEP, "0-2"], env={"PYTHON": "echo", "DATASETS": "bbbp", "MODEL_DIR": str(models),
                                          "GNN_TYPES": "gin", "OUT_DIR": str(tmp_path / "o"), "EPOCHS": "5"})
    assert res.returncode == 0, res.stderr
    cmds = [line.split() for line in res.stdout.splitlines() if line.startswith("-m ")]
    assert cmds == [["-m", "chem.finetune", "--gnn_type", "gin", "--runseeds", "0,2", "--epochs", "5", "--output-dir",
                     str(done), "--filename", "seed{seed}", "--dataset", "bbbp"]]
    assert "sweep seeds 0-2: 2 run, 1 skipped" in res.stdout
    bad = run(["bash", SWEEP, "2-0"], env={"MODEL_DIR": str(models)})
    assert bad.returncode == 2 and "SEEDS must be seeds like" in bad.stderr


def test_sweep_skips_finished_runs(tmp_path, moleculenet_root):
    """seed 0 runs for real (1 epoch); a second call and a seed with a result already there are skipped."""
    models = tmp_path / "models"
    models.mkdir()  # no checkpoints: only gcn_scratch
    out = tmp_path / "sweep"
    env = {"DATASETS": "bbbp", "GNN_TYPES": "gcn", "MODEL_DIR": str(models), "OUT_DIR": str(out), "EPOCHS": "1",
           "DATA_ROOT": moleculenet_root, "EXTRA_ARGS": "--quiet --num_layer 2 --emb_dim 32", "PYTHON": sys.executable}
    first = run(["bash", SWEEP, "0", "cpu"], env=env)
    assert first.returncode == 0, first.stderr[-2000:]
    done = out / "bbbp" / "gcn_scratch" / "seed0.json"
    result = json.loads(done.read_text())
    assert result["epochs"] == 1 and result["config"]["emb_dim"] == 32 and 0.3 < result["test_last"] < 1
    stamp = done.stat().st_mtime_ns
    again = run(["bash", SWEEP, "0", "cpu"], env=env)
    assert again.returncode == 0
    assert f"skip: {done} exists" in again.stdout and "run: " not in again.stdout
    assert "0 run, 1 skipped" in again.stdout and done.stat().st_mtime_ns == stamp

    fake = write_result(str(out), "bbbp", "gcn_scratch", 1, 0.5, 0.5)
    before = open(fake).read()
    third = run(["bash", SWEEP, "1", "cpu"], env=env)
    assert f"skip: {fake} exists" in third.stdout and "0 run, 1 skipped" in third.stdout
    assert open(fake).read() == before and not os.path.exists(fake[:-5] + ".csv")


@pytest.mark.slow
def test_sweep_summarize_plot_end_to_end(tmp_path, moleculenet_root):
    """Two seeds x (bbbp, bace) x 3 epochs x (gcn from scratch, gcn from a checkpoint), then the tables and
    figures. A small GCN keeps it short: this checks the pipeline, not the paper's numbers."""
    import torch
    from chem.model import GNN
    from pretrain_gnns.checkpoint import atomic_save
    models = tmp_path / "models"
    torch.manual_seed(0)
    atomic_save(GNN(2, 64, gnn_type="gcn").state_dict(), str(models / "gcn_tiny.pth"))
    out = tmp_path / "sweep"
    env = {"DATASETS": "bbbp bace", "GNN_TYPES": "gcn", "MODEL_DIR": str(models), "OUT_DIR": str(out),
           "EPOCHS": "3", "DATA_ROOT": moleculenet_root, "EXTRA_ARGS": "--quiet --num_layer 2 --emb_dim 64",
           "PYTHON": sys.executable}
    for seed in ("0", "1"):
        res = run(["bash", SWEEP, seed, "cpu"], env=env)
        assert res.returncode == 0, res.stderr[-2000:]
        assert "4 run, 0 skipped" in res.stdout
    summ = run([sys.executable, os.path.join(SCRIPTS, "summarize.py"), str(out), "--quiet",
                "--reference", os.path.join(SCRIPTS, "paper_reference.csv")])
    assert summ.returncode == 0, summ.stderr
    assert "8 runs read, 0 files skipped" in summ.stdout
    rows = read_csv(out / "summary" / "table1.csv")
    assert len(rows) == 2 * 2 * 3  # configs x rules x (2 datasets + average)
    for r in rows:
        assert r["complete"] == "1" and 30 < float(r["mean"]) < 100
        assert r["dataset"] == "average" or int(r["n"]) == 2
    md = (out / "summary" / "summary.md").read_text()
    assert "| gcn | gcn_tiny |" in md and "| gcn_scratch | Average † | 68.9 |" in md
    fig = run([sys.executable, os.path.join(SCRIPTS, "plot.py"), str(out)])
    assert fig.returncode == 0, fig.stderr
    assert sorted(os.listdir(out / "figures")) == ["curves_bace.png", "curves_bbbp.png", "gain_best_val.png",
                                                   "gain_last.png"]


def test_bio_sweep_runs_resumes_and_summarizes(tmp_path, tiny_bio_root, checkpoints):
    """The bio sweep on the synthetic PPI data: scratch + a released checkpoint, 1 epoch; rerun skips."""
    models = tmp_path / "models"
    models.mkdir()
    os.symlink(os.path.join(checkpoints, "bio", "gcn_supervised_masking.pth"), models / "gcn_supervised_masking.pth")
    out = tmp_path / "sweep"
    env = {"EPOCHS": "1", "MODEL_DIR": str(models), "OUT_DIR": str(out), "DATA_ROOT": tiny_bio_root,
           "EXTRA_ARGS": "--quiet", "PYTHON": sys.executable}
    bio_sweep = os.path.join(SCRIPTS, "finetune_sweep_bio.sh")
    first = run(["bash", bio_sweep, "3", "cpu"], env=env)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "2 run, 0 skipped" in first.stdout
    again = run(["bash", bio_sweep, "3", "cpu"], env=env)
    assert "0 run, 2 skipped" in again.stdout and "skip: " + str(out / "bio" / "gcn_scratch" / "seed3.json") in again.stdout
    from tools.results import load_results, summarize
    s = summarize(load_results(str(out)).runs)
    assert s.datasets == ["bio"] and s.configs == ["gcn_scratch", "gcn_supervised_masking"]
    assert s.pretrained == {"gcn_scratch": False, "gcn_supervised_masking": True}
    assert all(0 < s.cell(c, "bio", "best_val").mean < 100 for c in s.configs)


def test_committed_reproduction_gives_the_documented_numbers():
    """docs/RESULTS.md quotes these numbers; they must follow from the committed result files."""
    from tools.results import load_results, summarize
    s = summarize(load_results(os.path.join(REPO, "docs", "results", "reproduce_cpu", "runs")).runs)
    assert s.n_runs == 48 and s.datasets == ["bbbp", "sider", "clintox", "bace"]
    assert all(s.cell(c, d, r).n == 3 for c in s.configs for d in s.datasets for r in ("best_val", "last"))
    averages = {(c, r): round(s.average(c, r).mean, 1) for c in s.configs for r in ("best_val", "last")}
    assert averages == {("gcn_scratch", "best_val"): 67.3, ("gcn_scratch", "last"): 70.5,
                        ("gcn_supervised_contextpred", "best_val"): 70.2, ("gcn_supervised_contextpred", "last"): 73.4,
                        ("graphsage_scratch", "best_val"): 66.5, ("graphsage_scratch", "last"): 69.6,
                        ("graphsage_supervised_contextpred", "best_val"): 66.9,
                        ("graphsage_supervised_contextpred", "last"): 70.6}
    gain, _ = s.gain("graphsage_supervised_contextpred", "bace", "best_val")
    assert round(gain, 1) == 10.7  # the largest gain, BACE
    gain, _ = s.gain("graphsage_supervised_contextpred", "bbbp", "best_val")
    assert round(gain, 1) == -5.1  # negative transfer from an early best-validation epoch


def test_the_gin_table_in_results_follows_from_the_committed_runs():
    """docs/RESULTS.md's GIN Table 1 (and its run count) is regenerated from the committed result files."""
    from tools.result_tables import table1_markdown
    from tools.results import load_results, summarize
    s = summarize(load_results(os.path.join(REPO, "docs", "results", "gin_table1", "runs")).runs)
    assert s.n_runs >= 36 and s.datasets == ["bbbp", "sider", "clintox", "bace"]
    assert all(s.cell(c, d, "best_val").n >= 1 for c in s.configs for d in s.datasets)  # seed 0 everywhere
    table = table1_markdown(s)
    with open(os.path.join(REPO, "docs", "RESULTS.md")) as f:
        results = f.read()
    with open(os.path.join(REPO, "docs", "results", "gin_table1", "summary", "summary.md")) as f:
        assert table in f.read()
    assert table in results, "refresh docs/RESULTS.md's GIN table from docs/results/gin_table1/summary/summary.md"
    assert f"Runs finished so far ({s.n_runs} runs" in results
