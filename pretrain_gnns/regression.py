"""Regression pieces of fine-tuning: the training split's standardisation, the masked MSE loss, and
RMSE / MAE per task. Missing targets are NaN and count nowhere.

The model learns standardised targets ((y - mean) / std, mean and std of the training split), as is
usual for MoleculeNet regression (chemprop, DGL-LifeSci); every prediction shown, scored or written
goes back to the target's units through ``TargetScaler.to_units`` (float32, one formula), so that
fine-tuning's test scores and the predict command's values are the same numbers.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class TargetScaler:
    mean: np.ndarray  # (tasks,) float32
    std: np.ndarray  # (tasks,) float32

    @classmethod
    def fit(cls, y: np.ndarray, tasks: list[str] | None = None) -> "TargetScaler":
        """Mean and (population) std of each task over the training rows that have a value."""
        y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        names = tasks or [str(t) for t in range(y.shape[1])]
        present = ~np.isnan(y)
        for t, name in enumerate(names):
            if not present[:, t].any():
                raise ValueError(f"target {name!r} has no value in the training split: nothing to learn")
        with np.errstate(invalid="ignore"):
            mean, std = np.nanmean(y, axis=0), np.nanstd(y, axis=0)
        flat = [n for n, s in zip(names, std) if not s > 0]
        if flat:
            raise ValueError(f"target {flat[0]!r} is constant in the training split: its values cannot be "
                             "standardised (choose another split)")
        return cls(mean.astype(np.float32), std.astype(np.float32))

    @classmethod
    def from_dict(cls, d: dict) -> "TargetScaler":
        return cls(np.asarray(d["mean"], dtype=np.float32), np.asarray(d["std"], dtype=np.float32))

    def as_dict(self) -> dict:
        return {"mean": [float(v) for v in self.mean], "std": [float(v) for v in self.std]}

    def standardise(self, y: torch.Tensor) -> torch.Tensor:
        mean = torch.as_tensor(self.mean, device=y.device)
        std = torch.as_tensor(self.std, device=y.device)
        return (y.view(-1, len(self.mean)).float() - mean) / std

    def to_units(self, outputs: np.ndarray) -> np.ndarray:
        """Model outputs (standardised) back in the target's units, float32."""
        return np.asarray(outputs, dtype=np.float32) * self.std + self.mean

    def loss(self, outputs: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The training loss: MSE between outputs and the standardised targets."""
        return masked_mse_loss(outputs, self.standardise(y))


def masked_mse_loss(outputs: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the present (non-NaN) targets only."""
    y = y.view(outputs.shape).to(outputs.dtype)
    present = ~torch.isnan(y)
    diff = torch.where(present, outputs - torch.nan_to_num(y), torch.zeros_like(outputs))
    return (diff ** 2).sum() / present.sum().clamp(min=1)


def _per_task(y: np.ndarray, pred: np.ndarray, reduce) -> list[float | None]:
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    pred = np.asarray(pred, dtype=np.float64).reshape(y.shape)
    out: list[float | None] = []
    for t in range(y.shape[1]):
        present = ~np.isnan(y[:, t])
        out.append(float(reduce(pred[present, t] - y[present, t])) if present.any() else None)
    return out


def rmse_per_task(y: np.ndarray, pred: np.ndarray) -> list[float | None]:
    """Root mean squared error of each task over its present targets; None where a task has none."""
    return _per_task(y, pred, lambda d: np.sqrt(np.mean(d ** 2)))


def mae_per_task(y: np.ndarray, pred: np.ndarray) -> list[float | None]:
    """Mean absolute error of each task over its present targets; None where a task has none."""
    return _per_task(y, pred, lambda d: np.mean(np.abs(d)))


def mean_over_tasks(per_task: list) -> float:
    scored = [v for v in per_task if v is not None]
    return float(np.mean(scored)) if scored else float("nan")
