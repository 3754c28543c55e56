"""Dataset splits with the original's signatures and index order.

scaffold_split: Bemis-Murcko scaffolds (with chirality) grouped, groups sorted by (size, first index)
largest first, filled into train until 80%, then valid until 90%, rest test: deterministic.
random_scaffold_split: the same groups in a seeded random order. random_split: a seeded shuffle.
species_split (bio): by species id. Scaffolds are cached per process, since on HIV and MUV computing
them is the slow part of a sweep.
"""
from __future__ import annotations

import random
from collections import defaultdict
from functools import lru_cache
from typing import Sequence

import numpy as np
import torch


@lru_cache(maxsize=None)
def generate_scaffold(smiles: str, include_chirality: bool = False) -> str:
    from rdkit import RDLogger
    from rdkit.Chem.Scaffolds import MurckoScaffold
    RDLogger.DisableLog("rdApp.*")
    return MurckoScaffold.MurckoScaffoldSmiles(smiles=smiles, includeChirality=include_chirality)


def _labelled_positions(dataset, n: int, task_idx: int | None, null_value: float) -> np.ndarray:
    """Positions kept for splitting: all, or those whose label for ``task_idx`` is not null."""
    if task_idx is None:
        return np.arange(n)
    y = dataset.graph_attr("y") if hasattr(dataset, "graph_attr") else np.stack([d.y.view(-1).numpy() for d in dataset])
    return np.flatnonzero(np.asarray(y).reshape(n, -1)[:, task_idx] != null_value)


def _check_fracs(frac_train: float, frac_valid: float, frac_test: float) -> None:
    np.testing.assert_almost_equal(frac_train + frac_valid + frac_test, 1.0)


def _subsets(dataset, idx_lists, smiles_list=None, return_smiles=False):
    parts = tuple(dataset[torch.tensor(i, dtype=torch.long)] for i in idx_lists)
    if return_smiles:
        return parts + (tuple([smiles_list[i] for i in idx] for idx in idx_lists),)
    return parts


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
    _check_fracs(frac_train, frac_valid, frac_test)
    positions = _labelled_positions(dataset, len(smiles_list), task_idx, null_value)
    idx = scaffold_split_indices(smiles_list, positions, frac_train, frac_valid)
    return _subsets(dataset, idx, smiles_list, return_smiles)


def random_scaffold_split(dataset, smiles_list: Sequence[str], task_idx: int | None = None,
                          null_value: float = 0, frac_train: float = 0.8, frac_valid: float = 0.1,
                          frac_test: float = 0.1, seed: int = 0):
    """Scaffold groups in a seeded random order; valid and test filled first (as the original)."""
    _check_fracs(frac_train, frac_valid, frac_test)
    positions = _labelled_positions(dataset, len(smiles_list), task_idx, null_value)
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
    return _subsets(dataset, (train, valid, test))


def random_split(dataset, task_idx: int | None = None, null_value: float = 0, frac_train: float = 0.8,
                 frac_valid: float = 0.1, frac_test: float = 0.1, seed: int = 0, smiles_list=None):
    """A seeded shuffle cut 80/10/10 (Python's ``random``, as the original)."""
    _check_fracs(frac_train, frac_valid, frac_test)
    n = len(dataset)
    positions = list(_labelled_positions(dataset, n, task_idx, null_value))
    random.seed(seed)
    all_idx = list(range(len(positions)))
    random.shuffle(all_idx)
    all_idx = [int(positions[i]) for i in all_idx]
    m = len(all_idx)
    a, b = int(frac_train * m), int(frac_valid * m) + int(frac_train * m)
    idx = (all_idx[:a], all_idx[a:b], all_idx[b:])
    if smiles_list is not None:
        return _subsets(dataset, idx, smiles_list, True)
    return _subsets(dataset, idx)


def species_split(dataset, train_valid_species_id_list: Sequence[int] = (3702, 6239, 511145, 7227, 10090, 4932, 7955),
                  test_species_id_list: Sequence[int] = (9606,)):
    """Bio: (graphs of the train/valid species, graphs of the test species: human by default), each in
    dataset order. As the original (which asserted it), every graph must belong to exactly one of the
    two lists: a graph of another species is an error, not a silent loss."""
    species = np.asarray(dataset.graph_attr("species_id")).reshape(-1)
    overlap = sorted(set(train_valid_species_id_list) & set(test_species_id_list))
    if overlap:
        raise ValueError(f"species {overlap} are in both the train/valid and the test list")
    in_train_valid = np.isin(species, train_valid_species_id_list)
    in_test = np.isin(species, test_species_id_list)
    other = ~(in_train_valid | in_test)
    if other.any():
        found, counts = np.unique(species[other], return_counts=True)
        detail = ", ".join(f"{int(s)} ({int(c)} graphs)" for s, c in zip(found, counts))
        raise ValueError(f"{int(other.sum())} graphs belong to neither species list: {detail}; "
                         "pass them in train_valid_species_id_list or test_species_id_list")
    return (dataset[torch.from_numpy(np.flatnonzero(in_train_valid))],
            dataset[torch.from_numpy(np.flatnonzero(in_test))])
