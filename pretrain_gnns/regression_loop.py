"""The fine-tuning loop for regression targets: the classification loop's protocol (pretrain_gnns/
finetune_loop.py) with MSE on standardised targets, RMSE and MAE in the target's units per split and
epoch, and the best-validation epoch = the lowest validation RMSE.

Writes one CSV row per epoch and a JSON with the keys of the classification JSON (``test_at_best_val``,
``test_last``, ... hold RMSE here, ``metric`` says so), the MAE beside them, the training split's
mean and std, and the RMSE of predicting that mean for every molecule (the trivial baseline).
"""
from __future__ import annotations

import contextlib
import csv
import os
import time
from typing import Callable

import numpy as np
import torch

from pretrain_gnns.files import output_lock, write_json
from pretrain_gnns.finetune_loop import _fmt, predict, train_epoch
from pretrain_gnns.regression import TargetScaler, mae_per_task, mean_over_tasks, rmse_per_task
from pretrain_gnns.runtime import hardware_record, package_versions

CSV_FIELDS = ["epoch", "train_loss", "train_rmse", "val_rmse", "test_rmse", "val_mae", "test_mae", "seconds"]


def score_split(model: torch.nn.Module, loader, scaler: TargetScaler, device: torch.device,
                precision: str = "fp32") -> tuple[list, list, np.ndarray, np.ndarray]:
    """(RMSE per task, MAE per task, targets, predictions in the target's units) over one split."""
    y, outputs = predict(model, loader, device, "y", precision)
    pred = scaler.to_units(outputs)
    return rmse_per_task(y, pred), mae_per_task(y, pred), y, pred


def run_finetune_regression(model: torch.nn.Module, optimizer: torch.optim.Optimizer, loaders: dict, epochs: int,
                            device: torch.device, out_prefix: str | None, config: dict, scaler: TargetScaler,
                            **kwargs) -> dict:
    """``_run_regression`` holding its output name's lock, as the classification loop does."""
    with output_lock(out_prefix) if out_prefix else contextlib.nullcontext():
        return _run_regression(model, optimizer, loaders, epochs, device, out_prefix, config, scaler, **kwargs)


def _run_regression(model: torch.nn.Module, optimizer: torch.optim.Optimizer, loaders: dict, epochs: int,
                    device: torch.device, out_prefix: str | None, config: dict, scaler: TargetScaler,
                    eval_train: bool = False, precision: str = "fp32", progress: bool = True,
                    log: Callable[[str], None] = print) -> dict:
    """Train for ``epochs`` on standardised targets; after each, RMSE and MAE on valid and test (and
    train if asked). Returns the summary also written to ``out_prefix + '.json'``."""
    history, per_task = [], {"rmse": [], "mae": []}
    csv_path = out_prefix + ".csv" if out_prefix else None
    partial = csv_path + ".partial" if csv_path else None  # renamed at the end, as the classification loop's
    if csv_path:
        os.makedirs(os.path.dirname(os.path.abspath(csv_path)), exist_ok=True)
        with open(partial, "w", newline="") as f:
            csv.writer(f).writerow(CSV_FIELDS)
    start, y_test = time.time(), None
    for epoch in range(1, epochs + 1):
        t0 = time.time()
        loss = train_epoch(model, loaders["train"], optimizer, device, "y", precision, progress,
                           desc=f"epoch {epoch}/{epochs}", loss_fn=scaler.loss)
        row = {"epoch": epoch, "train_loss": loss, "train_rmse": float("nan")}
        if eval_train:
            row["train_rmse"] = mean_over_tasks(score_split(model, loaders["train_eval"], scaler, device, precision)[0])
        for split, name in (("valid", "val"), ("test", "test")):
            rmse, mae, y, _ = score_split(model, loaders[split], scaler, device, precision)
            row[f"{name}_rmse"], row[f"{name}_mae"] = mean_over_tasks(rmse), mean_over_tasks(mae)
            if split == "test":
                per_task["rmse"].append(rmse)
                per_task["mae"].append(mae)
                y_test = y
        row["seconds"] = time.time() - t0
        history.append(row)
        if csv_path:
            with open(partial, "a", newline="") as f:
                csv.writer(f).writerow([_fmt(row[k]) for k in CSV_FIELDS])
        train = f"train RMSE {row['train_rmse']:.4f}  " if eval_train else ""
        log(f"epoch {epoch:3d}  loss {loss:.4f}  {train}val RMSE {row['val_rmse']:.4f}  test RMSE "
            f"{row['test_rmse']:.4f}  test MAE {row['test_mae']:.4f}  {row['seconds']:.1f}s")
    summary = summarise_regression(history, per_task)
    summary.update(target_mean=scaler.as_dict()["mean"], target_std=scaler.as_dict()["std"],
                   train_mean_baseline=train_mean_baseline(y_test, scaler), config=config,
                   versions=package_versions(), seconds_total=time.time() - start, device=str(device),
                   hardware=hardware_record(device))
    if out_prefix:
        os.replace(partial, csv_path)
        write_json(out_prefix + ".json", summary)
    log(f"test RMSE at best validation epoch {summary['best_epoch']}: {summary['test_at_best_val']:.4f} "
        f"(MAE {summary['test_mae_at_best_val']:.4f}); at last epoch: {summary['test_last']:.4f} "
        f"(MAE {summary['test_mae_last']:.4f}); predicting the training mean: "
        f"{summary['train_mean_baseline']['test_rmse']:.4f}")
    return summary


def train_mean_baseline(y_test: np.ndarray, scaler: TargetScaler) -> dict:
    """The trivial model: every test molecule gets the training split's mean."""
    pred = np.broadcast_to(scaler.mean, np.asarray(y_test).reshape(len(y_test), -1).shape)
    return {"test_rmse": mean_over_tasks(rmse_per_task(y_test, pred)),
            "test_mae": mean_over_tasks(mae_per_task(y_test, pred))}


def summarise_regression(history: list[dict], per_task: dict) -> dict:
    """The classification summary's keys, by the lowest validation RMSE, plus the MAE beside them."""
    val = np.array([h["val_rmse"] for h in history], dtype=float)
    best = int(np.nanargmin(val)) if np.isfinite(val).any() else len(history) - 1  # first best
    at_best, last = history[best], history[-1]
    return {
        "task_type": "regression", "metric": "rmse",
        "best_epoch": at_best["epoch"], "val_at_best": at_best["val_rmse"], "test_at_best_val": at_best["test_rmse"],
        "val_last": last["val_rmse"], "test_last": last["test_rmse"], "epochs": len(history),
        "test_rmse_at_best_val": at_best["test_rmse"], "test_rmse_last": last["test_rmse"],
        "test_mae_at_best_val": at_best["test_mae"], "test_mae_last": last["test_mae"],
        "test_per_task_at_best_val": per_task["rmse"][best], "test_per_task_last": per_task["rmse"][-1],
        "test_mae_per_task_at_best_val": per_task["mae"][best], "test_mae_per_task_last": per_task["mae"][-1],
        "tasks_left_out": {"test": sum(v is None for v in per_task["rmse"][-1])}, "history": history,
    }
