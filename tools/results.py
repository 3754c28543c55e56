"""Result files of a fine-tuning sweep: find them, read them, and reduce them to mean/std over seeds.

A sweep writes ``<sweep>/<dataset>/<config>/seed<N>.json`` (scripts/finetune_sweep.sh); any other
result JSON (the finetune scripts' default ``<dataset>_<gnn>_<model>_seed<N>.json``) is placed by its
stored ``config`` instead. Every score here is test ROC-AUC x 100, the paper's unit, or for regression
results (``"metric": "rmse"`` in the JSON) test RMSE in the target's units, where lower is better: the
``Summary``'s metric says which, and its gains count a lower RMSE as a gain.
"""
from __future__ import annotations

import csv
import glob
import json
import math
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from chem.datasets import MOLECULENET
from pretrain_gnns.architecture import gnn_types
from pretrain_gnns.task_types import METRICS, Metric, metric_of

# The two ways papers pick the reported test score (see README): the original's
# parse_result.py takes the epoch of best validation ROC-AUC; GraphCL, GraphLoG, GraphMAE take the last.
RULES = {"best_val": "test_at_best_val", "last": "test_last"}
RULE_LABELS = {"best_val": "test at best-validation epoch", "last": "test at last epoch"}
ARCHITECTURES = tuple(gnn_types("chem"))
# The paper's column order (Table 1); its averages run over exactly these eight.
PAPER_DATASETS = MOLECULENET
DISPLAY = {"bbbp": "BBBP", "tox21": "Tox21", "toxcast": "ToxCast", "sider": "SIDER", "clintox": "ClinTox",
           "muv": "MUV", "hiv": "HIV", "bace": "BACE", "bio": "Bio (PPI)", "esol": "ESOL", "freesolv": "FreeSolv",
           "lipophilicity": "Lipophilicity"}
_SEED_FILE = re.compile(r"^seed(\d+)\.json$")


@dataclass(frozen=True)
class RunResult:
    """One fine-tuning run. Scores are ROC-AUC x 100 (or RMSE); None where the run produced no score."""
    path: str
    dataset: str
    config: str
    seed: int
    architecture: str
    pretrained: bool
    scores: dict  # rule -> float | None
    history: tuple = ()  # (epoch, val x100 | None, test x100 | None) per epoch (RMSE: as it is)
    metric: str = "roc_auc"  # or "rmse" (pretrain_gnns/task_types.py METRICS)
    baseline: float | None = None  # regression: test RMSE of predicting the training split's mean


@dataclass
class Loaded:
    runs: list[RunResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # 'path: reason', reported by the scripts


def load_results(folder: str) -> Loaded:
    """Every result JSON under ``folder`` (recursive). Unreadable files, files that are not fine-tuning
    results, and a second file for the same (dataset, config, seed) are skipped with a reason."""
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"sweep folder {folder!r} does not exist")
    out, seen = Loaded(), {}
    for path in sorted(glob.glob(os.path.join(folder, "**", "*.json"), recursive=True)):
        try:
            run = read_result(path, folder)
        except (OSError, ValueError, KeyError, TypeError) as err:
            out.skipped.append(f"{path}: {err}")
            continue
        key = (run.dataset, run.config, run.seed)
        if key in seen:
            out.skipped.append(f"{path}: duplicate of {seen[key]} (dataset {run.dataset}, config {run.config}, "
                               f"seed {run.seed}); kept the first")
            continue
        seen[key] = path
        out.runs.append(run)
    return out


def read_result(path: str, root: str) -> RunResult:
    with open(path) as f:
        data = json.load(f)
    if not isinstance(data, dict) or not all(k in data for k in RULES.values()):
        raise ValueError("not a fine-tuning result (no test_at_best_val / test_last)")
    cfg = data.get("config") or {}
    model_file = cfg.get("input_model_file") or cfg.get("model_file") or ""
    parts = os.path.relpath(path, root).split(os.sep)
    named = _SEED_FILE.match(parts[-1])
    if named and len(parts) >= 3:  # the sweep layout: <dataset>/<config>/seed<N>.json
        dataset, config, seed = parts[-3], parts[-2], int(named.group(1))
    else:
        # bio/finetune.py has no --dataset: its results are recognised by the extra 'easy' test half.
        dataset = cfg.get("dataset") or ("bio" if "test_easy_at_best_val" in data else None)
        if dataset is None or "runseed" not in cfg:
            raise ValueError("not in <dataset>/<config>/seed<N>.json and no dataset/runseed in its config")
        stem = os.path.splitext(os.path.basename(model_file))[0]
        dataset, seed = str(dataset), int(cfg["runseed"])
        config = stem or f"{cfg.get('gnn_type', 'gin')}_scratch"
    if "runseed" in cfg and int(cfg["runseed"]) != seed:
        raise ValueError(f"file name says seed {seed} but the run used runseed {cfg['runseed']}")
    architecture = cfg.get("gnn_type") or config.split("_")[0]
    metric = metric_of(data)
    baseline = (data.get("train_mean_baseline") or {}).get("test_rmse")
    return RunResult(path=path, dataset=dataset, config=config, seed=seed, architecture=architecture,
                     pretrained=bool(model_file), scores={r: _scaled(data[k], metric) for r, k in RULES.items()},
                     history=tuple(_history(data, path, metric)), metric=metric.key,
                     baseline=_scaled(baseline, metric))


def _x100(v) -> float | None:
    return None if v is None or not math.isfinite(float(v)) else 100.0 * float(v)


def _scaled(v, metric: Metric) -> float | None:
    """A score as tables show it: ROC-AUC x 100, RMSE as it is; None when missing."""
    return None if v is None or not math.isfinite(float(v)) else metric.scale * float(v)


def _history(data: dict, path: str, metric: Metric = METRICS["roc_auc"]):
    """Per-epoch (epoch, val, test) from the JSON, else from the CSV written beside it."""
    rows = data.get("history")
    if not rows:
        csv_path = os.path.splitext(path)[0] + ".csv"
        if not os.path.exists(csv_path):
            return []
        with open(csv_path, newline="") as f:
            rows = [{k: (float(v) if v not in ("", None) else None) for k, v in r.items()} for r in csv.DictReader(f)]
    suffix = "rmse" if metric.key == "rmse" else "auc"
    return [(int(r["epoch"]), _scaled(r.get(f"val_{suffix}"), metric), _scaled(r.get(f"test_{suffix}"), metric))
            for r in rows]


@dataclass(frozen=True)
class Cell:
    """Mean and sample standard deviation (ddof=1) over seeds; std None when n < 2; mean None when n == 0."""
    mean: float | None
    std: float | None
    n: int

    @staticmethod
    def of(values: list[float]) -> "Cell":
        if not values:
            return Cell(None, None, 0)
        arr = np.asarray(values, dtype=float)
        return Cell(float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else None, len(arr))


@dataclass(frozen=True)
class Average:
    """Mean over datasets of the per-dataset means; None unless every dataset has a run."""
    mean: float | None
    present: int
    total: int
    min_n: int


@dataclass
class Summary:
    datasets: list[str]
    configs: list[str]
    architecture: dict  # config -> architecture
    pretrained: dict  # config -> bool
    cells: dict  # (config, dataset, rule) -> Cell
    missing_scores: list[str]  # runs whose score under a rule is None (no scorable task)
    n_runs: int = 0
    metric: Metric = METRICS["roc_auc"]
    baselines: dict = field(default_factory=dict)  # regression: dataset -> Cell of the training-mean RMSE

    def cell(self, config: str, dataset: str, rule: str) -> Cell:
        return self.cells.get((config, dataset, rule), Cell(None, None, 0))

    def average(self, config: str, rule: str) -> Average:
        cells = [self.cell(config, d, rule) for d in self.datasets]
        present = [c for c in cells if c.n > 0]
        complete = bool(cells) and len(present) == len(cells)
        return Average(float(np.mean([c.mean for c in present])) if complete else None, len(present), len(cells),
                       min((c.n for c in present), default=0))

    def scratch_of(self, architecture: str) -> str | None:
        """The no-pre-training configuration of an architecture (None if the sweep has none)."""
        return next((c for c in self.configs if self.architecture[c] == architecture and not self.pretrained[c]), None)

    def gain(self, config: str, dataset: str | None, rule: str) -> tuple[float | None, float | None]:
        """(how much pre-training beats no pre-training, standard error of that difference) on one dataset,
        or on the average when ``dataset`` is None; (None, None) when either side is missing. A gain is
        positive when pre-training helps: a higher ROC-AUC, or a lower RMSE."""
        base = self.scratch_of(self.architecture[config])
        if base is None:
            return None, None
        if dataset is None:
            a, b = self.average(config, rule).mean, self.average(base, rule).mean
            return (self.metric.better(a, b) if a is not None and b is not None else None), None
        p, s = self.cell(config, dataset, rule), self.cell(base, dataset, rule)
        if p.mean is None or s.mean is None:
            return None, None
        se = math.sqrt(p.std ** 2 / p.n + s.std ** 2 / s.n) if p.std is not None and s.std is not None else None
        return self.metric.better(p.mean, s.mean), se


def summarize(runs: list[RunResult]) -> Summary:
    metrics = sorted({run.metric for run in runs})
    if len(metrics) > 1:
        raise ValueError(f"the results mix metrics ({', '.join(metrics)}: classification and regression datasets); "
                         "summarise each kind from its own folder")
    values, arch, pre, missing, baselines = defaultdict(list), {}, {}, [], defaultdict(list)
    for run in runs:
        if run.baseline is not None:
            baselines[run.dataset].append(run.baseline)
        arch.setdefault(run.config, run.architecture)
        pre.setdefault(run.config, run.pretrained)
        for rule, score in run.scores.items():
            if score is None:
                missing.append(f"{run.path}: no {RULE_LABELS[rule]} score")
            else:
                values[(run.config, run.dataset, rule)].append(score)
    datasets = sorted({r.dataset for r in runs}, key=dataset_order)
    configs = sorted(arch, key=lambda c: config_order(c, arch[c], pre[c]))
    return Summary(datasets, configs, arch, pre, {k: Cell.of(v) for k, v in values.items()}, missing,
                   len(runs), METRICS[metrics[0]] if metrics else METRICS["roc_auc"],
                   {d: Cell.of(v) for d, v in baselines.items()})


def dataset_order(name: str):
    return (PAPER_DATASETS.index(name), "") if name in PAPER_DATASETS else (len(PAPER_DATASETS), name)


def config_order(config: str, architecture: str, pretrained: bool):
    a = ARCHITECTURES.index(architecture) if architecture in ARCHITECTURES else len(ARCHITECTURES)
    return (a, architecture, pretrained, config)


def read_reference(path: str) -> list[dict]:
    """Paper numbers: CSV with columns config,dataset,mean,std (ROC-AUC x 100; std may be empty)."""
    with open(path, newline="") as f:
        reader = csv.DictReader(row for row in f if not row.lstrip().startswith("#"))
        need = {"config", "dataset", "mean", "std"}
        if not need <= set(reader.fieldnames or ()):
            raise ValueError(f"{path}: needs columns {sorted(need)}, has {reader.fieldnames}")
        rows = []
        for i, r in enumerate(reader, start=2):
            try:
                rows.append({"config": r["config"].strip(), "dataset": r["dataset"].strip().lower(),
                             "mean": float(r["mean"]), "std": float(r["std"]) if r["std"].strip() else None})
            except ValueError as err:
                raise ValueError(f"{path} row {i}: {err}") from None
    return rows


def load_and_summarize(folder: str):
    """(loaded, summary) of a sweep folder, or None (with a message on stderr) when it holds no result."""
    import sys
    try:
        loaded = load_results(folder)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return None
    if not loaded.runs:
        print(f"error: no fine-tuning result JSON under {folder}", file=sys.stderr)
        return None
    try:
        return loaded, summarize(loaded.runs)
    except ValueError as err:
        print(f"error: {folder}: {err}", file=sys.stderr)
        return None
