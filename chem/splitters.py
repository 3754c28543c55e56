"""Scaffold splits of molecules with the original's signatures and index order.

scaffold_split: Bemis-Murcko scaffolds (with chirality) grouped, groups sorted by (size, first index)
largest first, filled into train until 80%, then valid until 90%, rest test: deterministic.
random_scaffold_split: the same groups in a seeded random order. Scaffolds are cached per process,
since on HIV and MUV computing them is the slow part of a sweep.
"""
from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from typing import Sequence

import numpy as np

from pretrain_gnns.splitters import check_fracs, labelled_positions, random_split, subsets

__all__ = ["generate_scaffold", "random_scaffold_split", "random_split", "scaffold_split", "scaffold_split_indices",
           "split_dataset", "split_name"]


@lru_cache(maxsize=None)
def generate_scaffold(smiles: str, include_chirality: bool = False) -> str:
    from rdkit import RDLogger
    from rdkit.Chem.Scaffolds import MurckoScaffold
    RDLogger.DisableLog("rdApp.*")
    return MurckoScaffold.MurckoScaffoldSmiles(smiles=smiles, includeChirality=include_chirality)


def scaffold_split_indices(smiles_list: Sequence[str], positions: Sequence[int] | None = None,
                           frac_train: float = 0.8, frac_valid: float = 0.1) -> tuple[list, list, list]:
    positions = range(len(smiles_list)) if positions is None else positions
    groups: dict[str, list[int]] = {}
    for i in positions:
        groups.setdefault(generate_scaffold(smiles_list[i], include_chirality=True), []).append(int(i))
    ordered = sorted(groups.values(), key=lambda g: (len(g), g[0]), reverse=True)
    n = len(positions)
    train_cutoff, valid_cutoff = frac_train * n, (frac_train + frac_valid) * n
    train, valid, test = [], [], []
    for group in ordered:
        if len(train) + len(group) > train_cutoff:
            if len(train) + len(valid) + len(group) > valid_cutoff:
                test.extend(group)
            else:
                valid.extend(group)
        else:
            train.extend(group)
    return train, valid, test


def scaffold_split(dataset, smiles_list: Sequence[str], task_idx: int | None = None, null_value: float = 0,
                   frac_train: float = 0.8, frac_valid: float = 0.1, frac_test: float = 0.1,
                   return_smiles: bool = False):
    """Deterministic scaffold split, as the original: returns (train, valid, test) dataset views."""
    check_fracs(frac_train, frac_valid, frac_test)
    positions = labelled_positions(dataset, len(smiles_list), task_idx, null_value)
    idx = scaffold_split_indices(smiles_list, positions, frac_train, frac_valid)
    return subsets(dataset, idx, smiles_list, return_smiles)


def random_scaffold_split(dataset, smiles_list: Sequence[str], task_idx: int | None = None,
                          null_value: float = 0, frac_train: float = 0.8, frac_valid: float = 0.1,
                          frac_test: float = 0.1, seed: int = 0):
    """Scaffold groups in a seeded random order; valid and test filled first (as the original)."""
    check_fracs(frac_train, frac_valid, frac_test)
    positions = labelled_positions(dataset, len(smiles_list), task_idx, null_value)
    rng = np.random.RandomState(seed)
    groups: dict[str, list[int]] = defaultdict(list)
    for i in positions:
        groups[generate_scaffold(smiles_list[i], include_chirality=True)].append(int(i))
    sets = list(groups.values())
    # permutation(len) draws the same shuffle as the original's permutation(list of lists)
    order = rng.permutation(len(sets))
    n_valid, n_test = int(np.floor(frac_valid * len(dataset))), int(np.floor(frac_test * len(dataset)))
    train, valid, test = [], [], []
    for k in order:
        group = sets[k]
        if len(valid) + len(group) <= n_valid:
            valid.extend(group)
        elif len(test) + len(group) <= n_test:
            test.extend(group)
        else:
            train.extend(group)
    return subsets(dataset, (train, valid, test))


def split_dataset(dataset, split: str, seed: int, split_column: str | None = None, split_file: str | None = None):
    """(train, valid, test) for fine-tuning: a user's split column or file when given, else --split
    (scaffold, random, random_scaffold; 80/10/10 as the original); none may be empty."""
    from chem.explicit_split import check_not_empty, explicit_split
    if split_column or split_file:
        parts = explicit_split(dataset, split_column, split_file)
    elif split == "scaffold":
        parts = scaffold_split(dataset, dataset.smiles_list, null_value=0, frac_train=0.8, frac_valid=0.1, frac_test=0.1)
    elif split == "random":
        parts = random_split(dataset, null_value=0, frac_train=0.8, frac_valid=0.1, frac_test=0.1, seed=seed)
    else:
        parts = random_scaffold_split(dataset, dataset.smiles_list, null_value=0, frac_train=0.8, frac_valid=0.1,
                                      frac_test=0.1, seed=seed)
    check_not_empty(parts, split_name(split, split_column, split_file))
    return parts


def split_name(split: str, split_column: str | None = None, split_file: str | None = None) -> str:
    if split_column:
        return f"split column {split_column!r}"
    return f"split file {split_file}" if split_file else split
