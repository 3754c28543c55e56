"""Losses and scores over multi-task labels in {-1, 0, +1}, where 0 means 'no label'."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score


def masked_bce_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy over present labels only (the original's loss)."""
    y = y.view(logits.shape).to(logits.dtype)
    valid = y != 0
    loss = F.binary_cross_entropy_with_logits(logits.float(), ((y + 1) / 2).float(), reduction="none")
    return (loss * valid).sum() / valid.sum().clamp(min=1)


def roc_auc_per_task(y_true: np.ndarray, y_score: np.ndarray) -> list[float | None]:
    """ROC-AUC of each task over its present labels; None where a task lacks one of the two classes."""
    y_true = np.asarray(y_true).reshape(len(y_true), -1)
    y_score = np.asarray(y_score, dtype=np.float64).reshape(y_true.shape)
    out: list[float | None] = []
    for t in range(y_true.shape[1]):
        yt, ys = y_true[:, t], y_score[:, t]
        pos, neg = yt > 0, yt < 0
        if pos.any() and neg.any():
            keep = pos | neg
            out.append(float(roc_auc_score(pos[keep], ys[keep])))
        else:
            out.append(None)
    return out

