"""Frozen-encoder evaluation (linear probe): compare pre-trained encoders without fine-tuning noise.

    python -m chem.probe --dataset bace --model-dir ../shared/data/checkpoints/chem
    python -m chem.probe --dataset bbbp,bace --model morgan,random,gcn_supervised_contextpred --out probe.csv

For each dataset, the molecules and scaffold split are the fine-tuning ones (MoleculeDataset, the
original's splitter). Each model turns every molecule into a fixed vector: a pre-trained encoder's
pooled graph embedding (mean pooling, last layer: what GNN_graphpred feeds its head), ``morgan``
(RDKit Morgan fingerprint, radius 2, 2048 bits) or ``random`` (a GIN 5 x 300 with random weights,
seeded). Per task, a scikit-learn LogisticRegression (L2, C=1, lbfgs) is fitted on the training
molecules with that task's label; valid and test ROC-AUC are the original's (per task over present
labels, averaged over the tasks with both classes). GNN embeddings are standardised with the
training set's mean and deviation (fingerprint bits are used as they are).

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


def split_positions(dataset, split: str, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions of the train/valid/test molecules, by finetune.py's split."""
    from chem.splitters import split_dataset
    return tuple(np.asarray(part.indices, dtype=np.int64) for part in split_dataset(dataset, split, seed))


def run_probe(datasets: list[str], models: list[str], split: str = "scaffold", seed: int = 42,
              data_root: str | None = None, model_dir: str | None = None, device: str = "cpu",
              C: float = 1.0, log=print) -> list[dict]:
    from chem.loader import load_dataset
    rows = []
    for name in datasets:
        dataset = load_dataset(name, data_root, verbose=False)
        train, valid, test = split_positions(dataset, split, seed)
        y = dataset.graph_attr("y")
        for model in models:
            t0 = time.time()
            feats = dataset_features(dataset, model, model_dir, device=device)
            res = probe_scores(feats, y, (train, valid, test), standardise=model != "morgan", C=C)
            row = {"dataset": name, "model": model, "split": split, "n_train": len(train), "n_valid": len(valid),
                   "n_test": len(test), "tasks": int(np.asarray(y).reshape(len(dataset), -1).shape[1]),
                   "tasks_scored_test": res["tasks_scored_test"], "valid_auc": res["valid_auc"],
                   "test_auc": res["test_auc"], "dim": int(feats.shape[1]), "seconds": time.time() - t0}
            rows.append(row)
            log(f"[probe] {name:14s} {model:34s} valid {row['valid_auc']:.4f}  test {row['test_auc']:.4f}  "
                f"({row['seconds']:.1f}s)")
    return rows


def markdown_table(rows: list[dict], key: str = "test_auc") -> str:
    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    models = list(dict.fromkeys(r["model"] for r in rows))
    cell = {(r["model"], r["dataset"]): r[key] for r in rows}
    lines = ["| model | " + " | ".join(datasets) + " | mean |", "|---|" + "---:|" * (len(datasets) + 1)]
    for m in models:
        vals = [cell.get((m, d)) for d in datasets]
        shown = [f"{100 * v:.1f}" if v is not None and np.isfinite(v) else "-" for v in vals]
        finite = [v for v in vals if v is not None and np.isfinite(v)]
        mean = f"{100 * np.mean(finite):.1f}" if len(finite) == len(datasets) else "-"
        lines.append(f"| {m} | " + " | ".join(shown) + f" | {mean} |")
    return "\n".join(lines)


def write_results(rows: list[dict], out: str) -> list[str]:
    """CSV (one row per dataset x model) and a JSON beside it, each written atomically."""
    from pretrain_gnns.runtime import hardware_record, package_versions
    with atomic_write(out, newline="") as f:
        w = csv.DictWriter(f, FIELDS)
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{r[k]:.6f}" if isinstance(r[k], float) else r[k]) for k in FIELDS})
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
    datasets = [d for d in args.dataset.split(",") if d]
    from pretrain_gnns.files import check_writable
    from pretrain_gnns.zoo import resolve
    for path in (args.out, os.path.splitext(args.out)[0] + ".json") if args.out else ():
        check_writable(path, "--out")  # before the probes, not after them
    for m in models:  # an unknown name or a missing file fails now, not after an hour of others
        if m not in ("morgan", "random"):
            resolve(m, "chem", args.model_dir)
    rows = run_probe(datasets, models, args.split, args.seed, args.data_root, args.model_dir, args.device, args.C)
    print("\ntest ROC-AUC (x100), linear probe on frozen features, " + args.split + " split\n")
    print(markdown_table(rows))
    if args.out:
        print("\n" + ", ".join(write_results(rows, args.out)))
    return rows


if __name__ == "__main__":
    from pretrain_gnns.cli_args import run_main
    run_main(main)
