"""The fine-tuning loop every domain shares: train with masked BCE, score ROC-AUC per task, write
one CSV row per epoch and a final JSON (test ROC-AUC at the best-validation epoch and at the last)."""
from __future__ import annotations

import argparse
import contextlib
import csv
import math
import os
import time
from typing import Callable

import numpy as np
import torch
from tqdm.auto import tqdm

from pretrain_gnns.checkpoint import atomic_save
from pretrain_gnns.files import check_folder_writable, check_writable, output_lock, write_json
from pretrain_gnns.metrics import masked_bce_loss, roc_auc_per_task
from pretrain_gnns.runtime import autocast, hardware_record, package_versions, resolve_precision

CSV_FIELDS = ["epoch", "train_loss", "train_auc", "val_auc", "test_auc", "seconds"]


def output_stem(filename: str, dataset: str, gnn_type: str, model_file: str, runseed: int) -> str:
    """--filename ({seed} replaced by the run seed), or <dataset>_<gnn_type>_<model stem or 'scratch'>_seed<runseed>."""
    model = os.path.splitext(os.path.basename(model_file))[0] if model_file else "scratch"
    return filename.replace("{seed}", str(runseed)) if filename else "_".join([dataset, gnn_type, model, f"seed{runseed}"])


def per_seed_args(args: argparse.Namespace) -> list[argparse.Namespace]:
    """One copy of a fine-tuning script's flags per run seed: --runseeds' seeds, else --runseed alone.

    Each copy has ``runseed`` set and ``runseeds`` cleared, so it records exactly the config a
    separate --runseed run records. Several seeds writing to one --filename (no {seed} in it) or one
    --save-model would overwrite each other: refused before any work."""
    seeds = args.runseeds if args.runseeds is not None else [args.runseed]
    if len(seeds) > 1:
        for flag, value in (("--filename", args.filename), ("--save-model", args.save_model)):
            if value and "{seed}" not in value:
                raise ValueError(f"--runseeds gives {len(seeds)} seeds but {flag} {value!r} names one file: "
                                 "put {seed} in it (e.g. seed{seed})")
    check_run_args(args)
    runs = [argparse.Namespace(**{**vars(args), "runseed": seed, "runseeds": None,
                                  "save_model": args.save_model.replace("{seed}", str(seed))}) for seed in seeds]
    for run in runs:
        if run.save_model:
            check_writable(run.save_model, "--save-model")
    return runs


def check_run_args(args: argparse.Namespace) -> None:
    """Before any work: the precision the run computes in (``args.precision`` resolved: ``auto`` becomes
    fp32 or bf16, bf16 without native support is refused) and that --output-dir takes files."""
    args.precision = resolve_precision(args.precision, args.device)
    check_folder_writable(args.output_dir, "--output-dir")


def save_model(model: torch.nn.Module, path: str) -> None:
    """--save-model: the fine-tuned model's state_dict, written atomically; nothing when ``path`` is empty."""
    if path:
        atomic_save(model.state_dict(), path)


def graph_logits(model: torch.nn.Module, batch) -> torch.Tensor:
    """Both domains' graph-prediction models take the whole batch."""
    return model(batch)


def train_epoch(model: torch.nn.Module, loader, optimizer: torch.optim.Optimizer, device: torch.device,
                target: str = "y", precision: str = "fp32", progress: bool = True, desc: str = "train",
                loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = masked_bce_loss) -> float:
    """One epoch; ``loss_fn(outputs, targets)``: the masked BCE of classification, or regression's
    MSE on standardised targets (pretrain_gnns/regression.py)."""
    model.train()
    total, count = 0.0, 0
    for batch in tqdm(loader, desc=desc, leave=False, disable=not progress):
        if batch.num_nodes < 2:
            # batch norm cannot train on a single atom: a last batch holding one one-atom molecule
            # (FreeSolv's methane) is skipped rather than ending the run (it would raise, so no run that
            # finished before ever took this branch)
            continue
        batch = batch.to(device)
        with autocast(device, precision):
            logits = graph_logits(model, batch)
        loss = loss_fn(logits.float(), batch[target])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += float(loss.detach()) * batch.num_graphs
        count += batch.num_graphs
    return total / max(count, 1)


@torch.no_grad()
def predict(model: torch.nn.Module, loader, device: torch.device, target: str = "y",
            precision: str = "fp32") -> tuple[np.ndarray, np.ndarray]:
    """(labels, logits) over a loader, in loader order."""
    model.eval()
    ys, scores = [], []
    for batch in loader:
        batch = batch.to(device)
        with autocast(device, precision):
            logits = graph_logits(model, batch)
        ys.append(batch[target].view(logits.shape).cpu())
        scores.append(logits.float().cpu())
    return torch.cat(ys).numpy(), torch.cat(scores).numpy()


def _mean(per_task: list) -> float:
    scored = [a for a in per_task if a is not None]
    return float(np.mean(scored)) if scored else float("nan")


def run_finetune(model: torch.nn.Module, optimizer: torch.optim.Optimizer, loaders: dict, epochs: int,
                 device: torch.device, out_prefix: str | None, config: dict, **kwargs) -> dict:
    """``_run_finetune`` holding the lock of its output name: a second run writing the same
    ``out_prefix`` is refused at once instead of interleaving its epochs with this one's."""
    with output_lock(out_prefix) if out_prefix else contextlib.nullcontext():
        return _run_finetune(model, optimizer, loaders, epochs, device, out_prefix, config, **kwargs)


def _run_finetune(model: torch.nn.Module, optimizer: torch.optim.Optimizer, loaders: dict, epochs: int,
                  device: torch.device, out_prefix: str | None, config: dict, target: str = "y",
                  eval_train: bool = False, precision: str = "fp32", progress: bool = True,
                  log: Callable[[str], None] = print, extra_tests: dict | None = None) -> dict:
    """Train for ``epochs``; after each, score valid and test (and train if asked). Returns the summary
    that is also written to ``out_prefix + '.json'`` (with ``out_prefix + '.csv'`` per epoch).

    ``extra_tests`` {name: loader}: further test sets scored every epoch (e.g. a second test half),
    reported as ``<name>_auc`` columns and ``<name>_at_best_val`` / ``<name>_last`` / per-task keys."""
    history, per_task_test = [], []
    extra_tests = extra_tests or {}
    per_task_extra: dict[str, list] = {name: [] for name in extra_tests}
    fields = CSV_FIELDS[:-1] + [f"{name}_auc" for name in extra_tests] + CSV_FIELDS[-1:]
    csv_path = out_prefix + ".csv" if out_prefix else None
    # Rows go to <stem>.csv.partial while the run trains, renamed to <stem>.csv beside the JSON at the
    # end: a run that fails or is refused never truncates an earlier run's CSV.
    partial = csv_path + ".partial" if csv_path else None
    if csv_path:
        os.makedirs(os.path.dirname(os.path.abspath(csv_path)), exist_ok=True)
        with open(partial, "w", newline="") as f:
            csv.writer(f).writerow(fields)
    left_out = {}
    start = time.time()
    for epoch in range(1, epochs + 1):
        t0 = time.time()
        loss = train_epoch(model, loaders["train"], optimizer, device, target, precision, progress,
                           desc=f"epoch {epoch}/{epochs}")
        row = {"epoch": epoch, "train_loss": loss}
        for split, key in (("train", "train_auc"), ("valid", "val_auc"), ("test", "test_auc")):
            if split == "train" and not eval_train:
                row[key] = float("nan")
                continue
            per_task = roc_auc_per_task(*predict(model, loaders[split + "_eval"] if split == "train" else loaders[split],
                                                 device, target, precision))
            row[key] = _mean(per_task)
            left_out[split] = sum(a is None for a in per_task)
            if split == "test":
                per_task_test.append(per_task)
        for name, loader in extra_tests.items():
            per_task = roc_auc_per_task(*predict(model, loader, device, target, precision))
            row[f"{name}_auc"] = _mean(per_task)
            left_out[name] = sum(a is None for a in per_task)
            per_task_extra[name].append(per_task)
        row["seconds"] = time.time() - t0
        history.append(row)
        if csv_path:
            with open(partial, "a", newline="") as f:
                csv.writer(f).writerow([_fmt(row[k]) for k in fields])
        # train ROC-AUC is only scored with eval_train; an unscored column is left out, not shown as nan
        train = f"train {row['train_auc']:.4f}  " if eval_train else ""
        extra = "".join(f"{name} {row[f'{name}_auc']:.4f}  " for name in extra_tests)
        log(f"epoch {epoch:3d}  loss {loss:.4f}  {train}val {row['val_auc']:.4f}  "
            f"test {row['test_auc']:.4f}  {extra}{row['seconds']:.1f}s")
    summary = summarise(history, per_task_test, left_out, per_task_extra)
    summary.update(config=config, versions=package_versions(), seconds_total=time.time() - start,
                   device=str(device), hardware=hardware_record(device))
    if out_prefix:
        os.replace(partial, csv_path)
        write_json(out_prefix + ".json", summary)
    log(f"test ROC-AUC at best validation epoch {summary['best_epoch']}: {summary['test_at_best_val']:.4f}; "
        f"at last epoch: {summary['test_last']:.4f}")
    if any(left_out.values()) and per_task_test:
        log(tasks_left_out_line(len(per_task_test[-1]), left_out))
    return summary


def tasks_left_out_line(num_tasks: int, left_out: dict) -> str:
    """How many tasks each split scored: a task whose labels there hold one class only has no ROC-AUC
    and is left out of that split's mean."""
    parts = [f"{split} {num_tasks - n} of {num_tasks} scored ({n} left out)" for split, n in left_out.items()]
    return "tasks with one class only in a split are left out of its mean ROC-AUC: " + "; ".join(parts)


def summarise(history: list[dict], per_task_test: list[list], left_out: dict,
              per_task_extra: dict | None = None) -> dict:
    val = np.array([h["val_auc"] for h in history], dtype=float)
    best = int(np.nanargmax(val)) if np.isfinite(val).any() else len(history) - 1  # first best, as parse_result
    extra = {}
    for name, per_task in (per_task_extra or {}).items():
        extra.update({f"{name}_at_best_val": history[best][f"{name}_auc"], f"{name}_last": history[-1][f"{name}_auc"],
                      f"{name}_per_task_at_best_val": per_task[best], f"{name}_per_task_last": per_task[-1]})
    return {
        "best_epoch": history[best]["epoch"], "val_at_best": history[best]["val_auc"],
        "test_at_best_val": history[best]["test_auc"], "val_last": history[-1]["val_auc"],
        "test_last": history[-1]["test_auc"], "epochs": len(history),
        "test_per_task_at_best_val": per_task_test[best] if per_task_test else [],
        "test_per_task_last": per_task_test[-1] if per_task_test else [],
        **extra, "tasks_left_out": left_out, "history": history,
    }


def _fmt(v) -> str:
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.6f}"
    return str(v)
