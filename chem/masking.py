"""Atom masking, shared by the methods that reconstruct masked atoms (AttrMasking, GraphMAE)."""
from __future__ import annotations

import torch
from torch_geometric.data import Batch

from chem.features import MASK_ATOM_INDEX
from pretrain_gnns.graph_ops import count_from_rate, graph_sizes, sample_nodes_per_graph

NUM_ATOM_CLASSES = 119  # the original's head predicts atom types 0..118 (the mask token is not a class)
NUM_BOND_CLASSES = 4  # SINGLE, DOUBLE, TRIPLE, AROMATIC


def mask_atoms(batch: Batch, mask_rate: float) -> Batch:
    """Mask int(n * mask_rate + 1) atoms per molecule: type -> the mask token 119, chirality -> 0.
    Sets ``masked_atom_indices`` and ``mask_node_label`` (their original features)."""
    idx = sample_nodes_per_graph(batch.ptr, count_from_rate(graph_sizes(batch.ptr), mask_rate))
    batch.masked_atom_indices = idx
    batch.mask_node_label = batch.x[idx]
    x = batch.x.clone()  # a copy: the stored molecules stay as they are
    x[idx] = torch.tensor([MASK_ATOM_INDEX, 0], dtype=x.dtype)
    batch.x = x
    return batch
