"""The species split of protein ego-networks (the original's bio/splitters.py species_split)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from pretrain_gnns.splitters import random_split

__all__ = ["random_split", "species_split"]


def species_split(dataset, train_valid_species_id_list: Sequence[int] = (3702, 6239, 511145, 7227, 10090, 4932, 7955),
                  test_species_id_list: Sequence[int] = (9606,)):
    """(graphs of the train/valid species, graphs of the test species: human by default), each in
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
