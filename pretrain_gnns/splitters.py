"""Dataset splits with the original's signatures and index order that any domain can use.

random_split: a seeded shuffle (Python's ``random``, as the original). A domain's own splits
(e.g. by scaffold, by species) live in its package and use the helpers here.
"""
from __future__ import annotations

import random

import numpy as np
import torch


def labelled_positions(dataset, n: int, task_idx: int | None, null_value: float) -> np.ndarray:
    """Positions kept for splitting: all, or those whose label for ``task_idx`` is not null."""
    if task_idx is None:
        return np.arange(n)
    y = dataset.graph_attr("y") if hasattr(dataset, "graph_attr") else np.stack([d.y.view(-1).numpy() for d in dataset])
    return np.flatnonzero(np.asarray(y).reshape(n, -1)[:, task_idx] != null_value)


def check_fracs(frac_train: float, frac_valid: float, frac_test: float) -> None:
    np.testing.assert_almost_equal(frac_train + frac_valid + frac_test, 1.0)


def subsets(dataset, idx_lists, smiles_list=None, return_smiles=False):
    parts = tuple(dataset[torch.tensor(i, dtype=torch.long)] for i in idx_lists)
    if return_smiles:
        return parts + (tuple([smiles_list[i] for i in idx] for idx in idx_lists),)
    return parts


def random_split(dataset, task_idx: int | None = None, null_value: float = 0, frac_train: float = 0.8,
                 frac_valid: float = 0.1, frac_test: float = 0.1, seed: int = 0, smiles_list=None):
    """A seeded shuffle cut 80/10/10 (Python's ``random``, as the original)."""
    check_fracs(frac_train, frac_valid, frac_test)
    n = len(dataset)
    positions = list(labelled_positions(dataset, n, task_idx, null_value))
    random.seed(seed)
    all_idx = list(range(len(positions)))
    random.shuffle(all_idx)
    all_idx = [int(positions[i]) for i in all_idx]
    m = len(all_idx)
    a, b = int(frac_train * m), int(frac_valid * m) + int(frac_train * m)
    idx = (all_idx[:a], all_idx[a:b], all_idx[b:])
    if smiles_list is not None:
        return subsets(dataset, idx, smiles_list, True)
    return subsets(dataset, idx)
