"""Classification or regression: what a fine-tuning run's targets are, and what its score means.

The one place that knows (a) how to tell the task type from target values (binary 0/1 or -1/+1
columns are classification, anything else numeric is regression), (b) which target columns are
unusable (not numeric, all missing, constant), and (c) each metric's direction: ROC-AUC (higher is
better, shown x 100) for classification, RMSE (lower is better, in the target's units) for regression.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

CLASSIFICATION, REGRESSION = "classification", "regression"
TASK_TYPES = (CLASSIFICATION, REGRESSION)
_BINARY_SETS = ({0.0, 1.0}, {-1.0, 1.0})


@dataclass(frozen=True)
class Metric:
    """How a fine-tuning score reads: its name, its direction, and the factor tables show it with."""
    key: str
    label: str
    higher_is_better: bool
    scale: float  # ROC-AUC is shown x 100 (the paper's unit); RMSE in the target's units
    digits: int

    def better(self, a: float, b: float) -> float:
        """How much ``a`` beats ``b`` (positive = a is better), whatever the metric's direction."""
        return a - b if self.higher_is_better else b - a


METRICS = {"roc_auc": Metric("roc_auc", "ROC-AUC × 100", True, 100.0, 1),
           "rmse": Metric("rmse", "RMSE", False, 1.0, 3)}
METRIC_OF_TASK = {CLASSIFICATION: "roc_auc", REGRESSION: "rmse"}


def metric_of(result: dict) -> Metric:
    """The metric of a result JSON: regression results say 'rmse'; older (classification) ones say nothing."""
    return METRICS[result.get("metric", "roc_auc")]


def _numeric(column: pd.Series, name: str, source: str) -> np.ndarray:
    values = pd.to_numeric(column, errors="coerce")
    bad = column[values.isna() & column.notna() & (column.astype(str).str.strip() != "")]
    if len(bad):
        raise ValueError(f"{source}: target column {name!r} is not numeric (e.g. {str(bad.iloc[0])!r} in data row "
                         f"{bad.index[0]}); choose the target columns with --targets")
    return values.to_numpy(dtype=np.float64)


def _is_binary(values: np.ndarray) -> bool:
    present = set(np.unique(values[~np.isnan(values)]).tolist())
    return any(present <= allowed for allowed in _BINARY_SETS)


def check_targets(frame: pd.DataFrame, task: str | None, source: str) -> tuple[str, str]:
    """(task type, why) for the target columns of ``frame``; a ValueError names an unusable column
    (not numeric, all missing, constant) or a task type that does not fit the values."""
    if frame.shape[1] == 0:
        raise ValueError(f"{source}: no target columns; name them with --targets")
    binary, continuous = [], []
    for name in frame.columns:
        values = _numeric(frame[name], name, source)
        present = values[~np.isnan(values)]
        if len(present) == 0:
            raise ValueError(f"{source}: target column {name!r} has no values (all {len(values)} missing)")
        if np.unique(present).size == 1:
            raise ValueError(f"{source}: target column {name!r} is constant ({present[0]:g} in all {len(present)} "
                             "rows with a value): nothing to learn")
        (binary if _is_binary(values) else continuous).append(str(name))
    if task == CLASSIFICATION and continuous:
        raise ValueError(f"{source}: regression targets given to a classification run: {continuous[:5]} hold values "
                         "other than 0/1; use --task regression (or binary columns)")
    if task == REGRESSION and binary:
        raise ValueError(f"{source}: classification targets given to a regression run: {binary[:5]} hold only "
                         "0/1 labels; use --task classification")
    if task is not None:
        return task, "given by --task"
    if binary and continuous:
        raise ValueError(f"{source}: the targets mix binary labels {binary[:5]} with continuous values "
                         f"{continuous[:5]}; fine-tune them in separate runs (--targets)")
    if binary:
        return CLASSIFICATION, "inferred: every target holds only 0/1 labels"
    return REGRESSION, "inferred: the targets hold values other than 0/1"


def check_named_task(dataset: str, dataset_task: str, task: str | None) -> None:
    """A named dataset's task type is in its table row; a --task that disagrees is refused."""
    if task is not None and task != dataset_task:
        kind = "regression" if dataset_task == REGRESSION else "classification"
        raise ValueError(f"--dataset {dataset} holds {kind} targets; --task {task} does not fit them "
                         f"({kind} targets given to a {task} run)")
