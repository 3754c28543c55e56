"""Frozen-encoder evaluation (linear probe): compare pre-trained encoders without fine-tuning noise.

    python -m chem.probe --dataset bace --model-dir ../shared/data/checkpoints/chem
    python -m chem.probe --dataset bbbp,bace --model morgan,random,gcn_supervised_contextpred --out probe.csv

For each dataset, the molecules and scaffold split are the fine-tuning ones (MoleculeDataset, the
original's splitter). Each model turns every molecule into a fixed vector: a pre-trained encoder's
pooled graph embedding (mean pooling, last layer: what GNN_graphpred feeds its head), ``morgan``
(RDKit Morgan fingerprint, radius 2, 2048 bits) or ``random`` (a GIN 5 x 300 with random weights,
seeded). Per task, a scikit-learn LogisticRegression (L2, C=1, lbfgs) is fitted on the training
molecules with that task's label; valid and test ROC-AUC are the original's (per task over present
labels, averaged over the tasks with both classes). Regression targets (esol, freesolv, lipophilicity,
or --data with values) get a ridge regression per task (alpha = 1/C) and RMSE in the target's units
instead. GNN embeddings are standardised with the training set's mean and deviation (fingerprint
bits are used as they are). ``--data my.csv`` probes a user's file, with finetune.py's flags for it.

Default models: morgan, random and the nine released GCN/GraphSAGE/GAT chem checkpoints.
"""
from __future__ import annotations

import argparse
import csv
import os
import time

import numpy as np
import torch

from pretrain_gnns.cli_args import ArgumentParser, prog_name
from pretrain_gnns.files import atomic_write, write_json
from pretrain_gnns.metrics import roc_auc_per_task

RELEASED_NON_GIN = [f"{g}_{m}" for g in ("gcn", "graphsage", "gat")
                    for m in ("contextpred", "supervised", "supervised_contextpred")]
DEFAULT_MODELS = ["morgan", "random"] + RELEASED_NON_GIN
DEFAULT_DATASETS = ["bbbp", "bace", "clintox", "sider", "chembl2321810"]
FIELDS = ["dataset", "model", "split", "n_train", "n_valid", "n_test", "tasks", "tasks_scored_test",
          "valid_auc", "test_auc", "dim", "seconds"]
REGRESSION_FIELDS = [f.replace("_auc", "_rmse") for f in FIELDS]


def morgan_features(smiles: list[str], radius: int = 2, n_bits: int = 2048) -> np.ndarray:
    from rdkit import Chem, RDLogger
    from rdkit.Chem import rdFingerprintGenerator
    RDLogger.DisableLog("rdApp.*")
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    out = np.zeros((len(smiles), n_bits), dtype=np.float32)
    for i, s in enumerate(smiles):
        mol = Chem.MolFromSmiles(s)
        if mol is not None:  # the dataset's molecules all parsed once already
            out[i] = gen.GetFingerprintAsNumPy(mol)
    return out


def random_gin(seed: int = 0) -> torch.nn.Module:
    from chem.model import GNN
    torch.manual_seed(seed)
    model = GNN(5, 300, JK="last", drop_ratio=0.0, gnn_type="gin")
    model.arch = {"name": "random", "gnn_type": "gin", "num_layer": 5, "emb_dim": 300, "JK": "last"}
    return model.eval()


def dataset_features(dataset, model: str, model_dir: str | None = None, seed: int = 0, device: str = "cpu",
                     batch_size: int = 512) -> np.ndarray:
    """(len(dataset), d) features of the dataset's stored molecules (the graphs fine-tuning sees)."""
    if model == "morgan":
        return morgan_features(dataset.smiles_list)
    from chem.embed import Embedder
    from pretrain_gnns.graphstore import make_loader
    embedder = Embedder(random_gin(seed) if model == "random" else model, pooling="mean", layer="last",
                        batch_size=batch_size, device=device, model_dir=model_dir)
    parts = [embedder.graph_embeddings(batch).cpu().numpy() for batch in make_loader(dataset, batch_size)]
    return np.concatenate(parts)


def probe_scores(features: np.ndarray, y: np.ndarray, split: tuple[np.ndarray, np.ndarray, np.ndarray],
                 standardise: bool, C: float = 1.0, max_iter: int = 2000, seed: int = 0) -> dict:
    """Fit one logistic regression per task on the training rows; ROC-AUC on valid and test."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits
    train, valid, test = split
    y = np.asarray(y).reshape(len(features), -1)
    scores = np.zeros((len(features), y.shape[1]), dtype=np.float64)
    fitted = 0
    for t in range(y.shape[1]):
        present = train[y[train, t] != 0]
        labels = y[present, t] > 0
        if labels.all() or not labels.any():
            scores[:, t] = 0.0  # one class only in train: a constant score (AUC 0.5 where scored)
            continue
        steps = [StandardScaler()] if standardise else []
        clf = make_pipeline(*steps, LogisticRegression(C=C, max_iter=max_iter, random_state=seed))
        # one BLAS thread: lbfgs's sums, and so the scores, then do not depend on the machine's threads
        with threadpool_limits(limits=1):
            clf.fit(features[present], labels)
            scores[:, t] = clf.decision_function(features)
        fitted += 1
    out = {"tasks_fitted": fitted}
    for name, idx in (("valid", valid), ("test", test)):
        per_task = roc_auc_per_task(y[idx], scores[idx])
        scored = [a for a in per_task if a is not None]
        out[f"{name}_auc"] = float(np.mean(scored)) if scored else float("nan")
        out[f"tasks_scored_{name}"] = len(scored)
    return out


def ridge_scores(features: np.ndarray, y: np.ndarray, split: tuple[np.ndarray, np.ndarray, np.ndarray],
                 standardise: bool, C: float = 1.0) -> dict:
    """Regression targets: one ridge regression (alpha = 1/C) per task on the training rows with a value;
    RMSE on valid and test in the target's units, averaged over the tasks."""
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits
    from pretrain_gnns.regression import mean_over_tasks, rmse_per_task
    train, valid, test = split
    y = np.asarray(y, dtype=np.float64).reshape(len(features), -1)
    pred = np.zeros_like(y)
    for t in range(y.shape[1]):
        present = train[~np.isnan(y[train, t])]
        steps = [StandardScaler()] if standardise else []
        reg = make_pipeline(*steps, Ridge(alpha=1.0 / C))
        with threadpool_limits(limits=1):  # the same sums, so the same numbers, on any machine
            reg.fit(features[present], y[present, t])
            pred[:, t] = reg.predict(features)
    out = {"tasks_fitted": y.shape[1]}
    for name, idx in (("valid", valid), ("test", test)):
        per_task = rmse_per_task(y[idx], pred[idx])
        out[f"{name}_rmse"] = mean_over_tasks(per_task)
        out[f"tasks_scored_{name}"] = sum(v is not None for v in per_task)
    return out


def split_positions(dataset, split: str, seed: int, split_column: str | None = None,
                    split_file: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions of the train/valid/test molecules, by finetune.py's split."""
    from chem.splitters import split_dataset
    parts = split_dataset(dataset, split, seed, split_column, split_file)
    return tuple(np.asarray(part.indices, dtype=np.int64) for part in parts)


def run_probe(datasets: list[str], models: list[str], split: str = "scaffold", seed: int = 42,
              data_root: str | None = None, model_dir: str | None = None, device: str = "cpu",
              C: float = 1.0, log=print, own_data: argparse.Namespace | None = None) -> list[dict]:
    """``own_data``: finetune.py's flags for a user's file (--data: ``datasets`` then holds that one file)
    and split (--split-column, --split-file)."""
    from chem.csv_dataset import load_csv_dataset
    from chem.datasets import task_type
    from chem.loader import load_dataset
    own = own_data or argparse.Namespace(data=None, smiles_column=None, targets=None, task=None, split_column=None,
                                         split_file=None)
    rows = []
    for name in datasets:
        dataset = (load_csv_dataset(name, own.smiles_column, own.targets, own.task, own.split_column, log=log)
                   if own.data else load_dataset(name, data_root, verbose=False))
        train, valid, test = split_positions(dataset, split, seed, own.split_column, own.split_file)
        y = dataset.graph_attr("y")
        metric = "rmse" if task_type(dataset.spec) == "regression" else "auc"
        score = ridge_scores if metric == "rmse" else probe_scores
        for model in models:
            t0 = time.time()
            feats = dataset_features(dataset, model, model_dir, device=device)
            res = score(feats, y, (train, valid, test), standardise=model != "morgan", C=C)
            row = {"dataset": dataset.dataset, "model": model, "split": split, "n_train": len(train),
                   "n_valid": len(valid), "n_test": len(test), "tasks": int(np.asarray(y).reshape(len(dataset), -1).shape[1]),
                   "tasks_scored_test": res["tasks_scored_test"], f"valid_{metric}": res[f"valid_{metric}"],
                   f"test_{metric}": res[f"test_{metric}"], "dim": int(feats.shape[1]), "seconds": time.time() - t0}
            rows.append(row)
            log(f"[probe] {row['dataset']:14s} {model:34s} valid {metric.upper()} {row[f'valid_{metric}']:.4f}  "
                f"test {row[f'test_{metric}']:.4f}  ({row['seconds']:.1f}s)")
    return rows


def markdown_table(rows: list[dict], key: str = "test_auc") -> str:
    """Models x datasets of ``key``: ROC-AUC x 100, or (a ``*_rmse`` key) RMSE in the target's units."""
    rows = [r for r in rows if key in r]
    show = (lambda v: f"{v:.3f}") if key.endswith("rmse") else (lambda v: f"{100 * v:.1f}")
    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    models = list(dict.fromkeys(r["model"] for r in rows))
    cell = {(r["model"], r["dataset"]): r[key] for r in rows}
    lines = ["| model | " + " | ".join(datasets) + " | mean |", "|---|" + "---:|" * (len(datasets) + 1)]
    for m in models:
        vals = [cell.get((m, d)) for d in datasets]
        shown = [show(v) if v is not None and np.isfinite(v) else "-" for v in vals]
        finite = [v for v in vals if v is not None and np.isfinite(v)]
        mean = show(np.mean(finite)) if len(finite) == len(datasets) else "-"
        lines.append(f"| {m} | " + " | ".join(shown) + f" | {mean} |")
    return "\n".join(lines)


def write_results(rows: list[dict], out: str) -> list[str]:
    """CSV (one row per dataset x model) and a JSON beside it, each written atomically."""
    from pretrain_gnns.runtime import hardware_record, package_versions
    fields = list(dict.fromkeys((REGRESSION_FIELDS if "test_rmse" in r else FIELDS)[i] for i in range(len(FIELDS))
                                for r in rows))  # FIELDS' order; a regression row has RMSE in place of ROC-AUC
    with atomic_write(out, newline="") as f:
        w = csv.DictWriter(f, fields, restval="")
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{r[k]:.6f}" if isinstance(r[k], float) else r[k]) for k in fields if k in r})
    js = os.path.splitext(out)[0] + ".json"
    write_json(js, {"rows": rows, "versions": package_versions(), "hardware": hardware_record("cpu"),
                           "protocol": "frozen encoder, mean pooling, LogisticRegression(C=1) per task"})
    return [out, js]


def build_parser() -> argparse.ArgumentParser:
    from pretrain_gnns.data_root import ENV_DATA
    from pretrain_gnns.zoo import add_model_dir_arg
    p = ArgumentParser(prog=prog_name("python -m chem.probe"), description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=",".join(DEFAULT_MODELS),
                   help="comma-separated: zoo names, checkpoint files, 'morgan', 'random' (default: morgan, random "
                   "and the nine released GCN/GraphSAGE/GAT chem models)")
    p.add_argument("--dataset", default="bace", help=f"comma-separated dataset names (e.g. {','.join(DEFAULT_DATASETS)})")
    p.add_argument("--split", default="scaffold", choices=["scaffold", "random", "random_scaffold"], help="split, as finetune.py")
    from chem.csv_dataset import add_own_data_args
    add_own_data_args(p)
    p.add_argument("--seed", type=int, default=42, help="seed of the random and random_scaffold splits (as finetune.py)")
    p.add_argument("--C", type=float, default=1.0, help="inverse L2 strength of the logistic regression")
    p.add_argument("--data-root", dest="data_root", default=None, help=f"folder holding <dataset>/raw/ (default: ${ENV_DATA} or ./dataset)")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (for the encoders)")
    p.add_argument("--out", default="", help="also write the rows to this CSV (and a JSON beside it)")
    add_model_dir_arg(p)
    return p


def main(argv: list[str] | None = None) -> list[dict]:
    args = build_parser().parse_args(argv)
    models = [m for m in args.model.split(",") if m]
    datasets = [args.data] if args.data else [d for d in args.dataset.split(",") if d]
    from pretrain_gnns.files import check_writable
    from pretrain_gnns.zoo import resolve
    for path in (args.out, os.path.splitext(args.out)[0] + ".json") if args.out else ():
        check_writable(path, "--out")  # before the probes, not after them
    for m in models:  # an unknown name or a missing file fails now, not after an hour of others
        if m not in ("morgan", "random"):
            resolve(m, "chem", args.model_dir)
    rows = run_probe(datasets, models, args.split, args.seed, args.data_root, args.model_dir, args.device, args.C,
                     own_data=args)
    if any("test_auc" in r for r in rows):
        print("\ntest ROC-AUC (x100), linear probe on frozen features, " + args.split + " split\n")
        print(markdown_table(rows))
    if any("test_rmse" in r for r in rows):
        print("\ntest RMSE (target's units), ridge regression on frozen features, " + args.split + " split\n")
        print(markdown_table(rows, "test_rmse"))
    if args.out:
        print("\n" + ", ".join(write_results(rows, args.out)))
    return rows


if __name__ == "__main__":
    from pretrain_gnns.cli_args import run_main
    run_main(main)
