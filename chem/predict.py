"""Predict with a fine-tuned model: one column per task (a probability, or for a regression model the
value in the target's units), row-aligned with the input.

    python chem/finetune.py --dataset bbbp --input_model_file gcn_supervised_contextpred \\
        --model-dir ../shared/data/checkpoints/chem --save-model runs/bbbp.pth
    python -m chem.predict --model runs/bbbp.pth --smiles-file new.csv --out predictions.csv

``finetune.py --save-model m.pth`` saves the model as it is after the last epoch (not the
best-validation one) and writes ``m.json`` beside it: the architecture, the task names, dataset,
split, the epoch saved, its test ROC-AUC, and package versions. ``predict`` rebuilds the model from
the JSON, loads the weights strictly, and writes ``row, smiles, valid, <task>...`` (sigmoid of the
logits; for regression, the outputs times the training split's std plus its mean, from the card). A
molecule that cannot be featurised has ``valid`` 0 and empty values, and is listed with its reason in
``<out>.skipped.csv``. The output is written to a temporary file and renamed.
"""
from __future__ import annotations

import argparse
import csv
import os
from typing import Callable

import numpy as np
import torch

from chem.embed import CHUNK, add_smiles_input_args, read_smiles_chunks
from chem.features import featurise_smiles
from pretrain_gnns.card import read_finetuned_card
from pretrain_gnns.cli_args import ArgumentParser, add_precision_arg, prog_name
from pretrain_gnns.files import atomic_write, check_writable, output_lock
from pretrain_gnns.graphstore import GraphStore
from pretrain_gnns.regression import TargetScaler
from pretrain_gnns.runtime import autocast, resolve_device, resolve_precision

EVAL_BATCH = 512  # the batch finetune.py evaluates with: same batches, same numbers


def output_transform(card: dict) -> Callable[[torch.Tensor], np.ndarray]:
    """What a model's outputs become: probabilities (sigmoid), or values in the target's units."""
    if "target_scaling" in card:
        scaler = TargetScaler.from_dict(card["target_scaling"])
        return lambda outputs: scaler.to_units(outputs.float().cpu().numpy())
    return probabilities


def probabilities(logits: torch.Tensor) -> np.ndarray:
    return torch.sigmoid(logits.float()).cpu().numpy()


def load_finetuned(model_path: str, device: str | None = "cpu") -> tuple[torch.nn.Module, dict]:
    """(GNN_graphpred in eval mode, its card) from a --save-model file and the JSON beside it."""
    from chem.model import GNN_graphpred
    from pretrain_gnns.checkpoint import load_into
    if not os.path.isfile(model_path):
        raise FileNotFoundError(f"model not found: {model_path}")
    card = read_finetuned_card(model_path, "chem")
    arch = card["architecture"]
    if "num_tasks" not in arch:  # the card of a pre-trained encoder: no prediction head to run
        raise ValueError(f"{model_path} is a pre-trained encoder without a task head (its card records no tasks): "
                         "predict needs a model fine-tuned with finetune.py --save-model; for vectors of an "
                         "encoder use python -m chem.embed (pretrain-gnns embed)")
    model = GNN_graphpred(arch["num_layer"], arch["emb_dim"], arch["num_tasks"], JK=arch["JK"], drop_ratio=0.0,
                          graph_pooling=arch["graph_pooling"], gnn_type=arch["gnn_type"])
    load_into(model, model_path)
    return model.to(resolve_device(device)).eval(), card


@torch.no_grad()
def predict_chunk(model: torch.nn.Module, smiles: list[str], device: torch.device, precision: str = "fp32",
                  batch_size: int = EVAL_BATCH, output: Callable[[torch.Tensor], np.ndarray] = probabilities,
                  ) -> tuple[np.ndarray, np.ndarray, list]:
    """(predictions (n, tasks) with NaN rows for invalid molecules, valid mask, skipped (pos, reason));
    ``output``: probabilities, or ``output_transform(card)``."""
    feats = featurise_smiles(smiles)
    kept = feats["kept"]
    store = GraphStore.from_parts(feats["nodes"], feats["bonds"], feats["bond_feats"], feats["n_counts"],
                                  feats["e_counts"], node_width=2, edge_width=2)
    out = np.full((len(smiles), model.num_tasks), np.nan, dtype=np.float32)
    for start in range(0, len(kept), batch_size):
        idx = np.arange(start, min(start + batch_size, len(kept)))
        batch = store.batch(idx).to(device)
        with autocast(device, precision):
            logits = model(batch)
        out[kept[idx]] = output(logits)
    valid = np.zeros(len(smiles), dtype=bool)
    valid[kept] = True
    return out, valid, feats["skipped"]


def predict_smiles(model_path: str, smiles: list[str], device: str | None = "cpu", precision: str = "fp32") -> np.ndarray:
    """Probabilities, or values in the target's units, (len(smiles), tasks); NaN rows where a molecule
    cannot be featurised."""
    precision = resolve_precision(precision, device)
    model, card = load_finetuned(model_path, device)
    dev, output = next(model.parameters()).device, output_transform(card)
    parts = [predict_chunk(model, list(smiles[i:i + CHUNK]), dev, precision, output=output)[0]
             for i in range(0, len(smiles), CHUNK)]
    return np.concatenate(parts) if parts else np.zeros((0, model.num_tasks), np.float32)


def predict_file(model_path: str, smiles_file: str, out: str, smiles_column: str | None = None,
                 device: str | None = "cpu", precision: str = "fp32", chunk: int = CHUNK) -> dict:
    precision = resolve_precision(precision, device)
    for path in (out, out + ".skipped.csv"):
        check_writable(path, "--out")
    model, card = load_finetuned(model_path, device)
    dev, output = next(model.parameters()).device, output_transform(card)
    tasks = card.get("tasks") or [f"task{i}" for i in range(model.num_tasks)]
    smiles_column = smiles_column or card_smiles_column(smiles_file, card)
    rows = skipped = 0
    with output_lock(out, "--out"), atomic_write(out, newline="") as fo, \
            atomic_write(out + ".skipped.csv", newline="") as fs:
        w, ws = csv.writer(fo), csv.writer(fs)
        w.writerow(["row", "smiles", "valid", *tasks])
        ws.writerow(["row", "smiles", "reason"])
        for smiles in read_smiles_chunks(smiles_file, smiles_column, chunk):
            probs, valid, skips = predict_chunk(model, smiles, dev, precision, output=output)
            for pos, why in skips:
                ws.writerow([rows + pos, smiles[pos], why])
            w.writerows([rows + i, s, int(v), *(("%.9g" % p) if v else "" for p in probs[i])]
                        for i, (s, v) in enumerate(zip(smiles, valid)))
            rows += len(smiles)
            skipped += len(skips)
    return {"rows": rows, "skipped": skipped, "tasks": tasks, "files": [out, out + ".skipped.csv"]}


def card_smiles_column(path: str, card: dict) -> str | None:
    """The SMILES column the model was fine-tuned with (--data), when the file to predict has one so named."""
    from chem.datasets import read_table
    from chem.pretrain_data import is_smi_file
    wanted = card.get("smiles_column")
    if not wanted or is_smi_file(path) or not os.path.isfile(path):
        return None
    header = [str(c) for c in read_table(path, nrows=0).columns]
    return wanted if wanted in header else None


def build_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(prog=prog_name("python -m chem.predict"), description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="a finetune.py --save-model file (its .json must be beside it)")
    add_smiles_input_args(p)
    p.add_argument("--out", required=True, help="output CSV: row, smiles, valid, one column per task (a probability; "
                   "for a regression model, the value in the target's units)")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    add_precision_arg(p)
    return p


def main(argv: list[str] | None = None) -> dict:
    args = build_parser().parse_args(argv)
    if not args.out.lower().endswith(".csv"):
        raise ValueError(f"--out {args.out!r}: predictions are written as .csv")
    result = predict_file(args.model, args.smiles_file, args.out, args.smiles_column, args.device, args.precision)
    print(f"[predict] {result['rows']} rows ({result['rows'] - result['skipped']} predicted, {result['skipped']} "
          f"skipped: see {args.out}.skipped.csv), tasks {', '.join(result['tasks'][:8])}"
          f"{' ...' if len(result['tasks']) > 8 else ''} -> {args.out}", flush=True)
    return result


if __name__ == "__main__":
    from pretrain_gnns.cli_args import run_main
    run_main(main)
