"""Scaffold, random-scaffold and random splits on BBBP (2039 molecules kept, as the original)."""
from __future__ import annotations

import os
import random

import numpy as np
import pytest

from chem.loader import MoleculeDataset
from chem.splitters import random_scaffold_split, random_split, scaffold_split

N_BBBP = 2039


@pytest.fixture(scope="module")
def bbbp(moleculenet_root):
    ds = MoleculeDataset(os.path.join(moleculenet_root, "bbbp"), dataset="bbbp", verbose=False)
    assert len(ds) == N_BBBP
    return ds


def parts_of(split) -> list[list[int]]:
    return [part.indices.tolist() for part in split]


def assert_partition(parts, n):
    flat = [i for p in parts for i in p]
    assert len(flat) == len(set(flat)) == n, "parts overlap or lose molecules"
    assert set(flat) == set(range(n))


def test_scaffold_split_matches_the_original_sizes(bbbp):
    parts = parts_of(scaffold_split(bbbp, bbbp.smiles_list, null_value=0, frac_train=0.8, frac_valid=0.1,
                                    frac_test=0.1))
    assert [len(p) for p in parts] == [1631, 204, 204]
    assert_partition(parts, N_BBBP)
    # Deterministic: a second call (and a fresh copy of the list) gives the same indices in the same order.
    assert parts_of(scaffold_split(bbbp, list(bbbp.smiles_list))) == parts
    # Largest scaffold groups go to train first; every molecule of one scaffold lands in one part.
    from chem.splitters import generate_scaffold
    part_of = {i: k for k, p in enumerate(parts) for i in p}
    by_scaffold: dict[str, set[int]] = {}
    for i, s in enumerate(bbbp.smiles_list):
        by_scaffold.setdefault(generate_scaffold(s, include_chirality=True), set()).add(part_of[i])
    assert all(len(ks) == 1 for ks in by_scaffold.values())
    benzene = generate_scaffold("c1ccccc1CCN", include_chirality=True)
    assert by_scaffold[benzene] == {0}  # the biggest group (benzene) is in train


def test_scaffold_split_returns_smiles_and_respects_task_filter(bbbp):
    train, valid, test, (s_train, s_valid, s_test) = scaffold_split(bbbp, bbbp.smiles_list, return_smiles=True)
    assert s_test == [bbbp.smiles_list[i] for i in test.indices]
    assert len(s_train) == 1631
    # task_idx keeps only molecules labelled for that task (BBBP has no missing labels: all 2039 stay).
    parts = parts_of(scaffold_split(bbbp, bbbp.smiles_list, task_idx=0, null_value=0))
    assert sum(len(p) for p in parts) == N_BBBP


def test_random_scaffold_split_is_seeded(bbbp):
    a = parts_of(random_scaffold_split(bbbp, bbbp.smiles_list, seed=42))
    b = parts_of(random_scaffold_split(bbbp, bbbp.smiles_list, seed=42))
    c = parts_of(random_scaffold_split(bbbp, bbbp.smiles_list, seed=0))
    assert a == b
    assert a != c
    for parts in (a, c):
        assert_partition(parts, N_BBBP)
        # valid and test are filled with whole scaffold groups up to floor(10%) = 203 molecules each
        assert 150 < len(parts[1]) <= 203 and 150 < len(parts[2]) <= 203


def test_random_split_is_the_original_shuffle(bbbp):
    parts = parts_of(random_split(bbbp, null_value=0, frac_train=0.8, frac_valid=0.1, frac_test=0.1, seed=7))
    n_train, n_valid = int(0.8 * N_BBBP), int(0.1 * N_BBBP)
    assert [len(p) for p in parts] == [n_train, n_valid, N_BBBP - n_train - n_valid]
    assert [len(p) for p in parts] == [1631, 203, 205]
    # The original: random.seed(seed); shuffle list(range(n)); cut at int(0.8 n) and int(0.8 n) + int(0.1 n).
    random.seed(7)
    order = list(range(N_BBBP))
    random.shuffle(order)
    assert parts == [order[:1631], order[1631:1834], order[1834:]]
    assert parts_of(random_split(bbbp, seed=7)) == parts
    assert parts_of(random_split(bbbp, seed=8)) != parts


def test_split_views_carry_labels(bbbp):
    train, valid, test = scaffold_split(bbbp, bbbp.smiles_list)
    y = np.asarray(bbbp.graph_attr("y")).reshape(-1)
    assert np.array_equal(np.asarray(test.graph_attr("y")).reshape(-1), y[test.indices])
    assert set(np.unique(y)) == {-1, 1}
