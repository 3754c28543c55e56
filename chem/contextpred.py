"""ContextPred for molecules (the original's chem/pretrain_contextpred.py, util.py
ExtractSubstructureContextPair and batch.py BatchSubstructContext), vectorised over the batch.

Per molecule: a random centre atom; the substructure is its K-hop neighbourhood (K = num_layer),
embedded by the main GNN and read at the centre; the context is the ring of atoms between
l1 = K - 1 (exclusive) and l2 = l1 + csize (inclusive) hops, embedded by a context GNN of csize
layers; the atoms in both (those exactly K hops away) carry the context's representation. Scoring,
loss and forward are the domain-free ones of pretrain_gnns/contextpred.py (cbow / skipgram, cyclic
negatives); molecules without context (e.g. a centre on an isolated atom or in a small molecule)
are dropped from the batch, and their share is reported.
"""
from __future__ import annotations

import argparse

import torch
from torch_geometric.data import Batch

from chem.model import GNN
from pretrain_gnns.context import extract_context_pairs, random_centers
# Re-exported: tests and scripts import the scoring pieces from here.
from pretrain_gnns.contextpred import (MODES, POOLS, ContextPredMethod, context_batch,  # noqa: F401
                                       contextpred_loss, pair_scores)


def context_radii(num_layer: int, csize: int) -> tuple[int, int, int]:
    """(k, l1, l2) as the original set them: k = num_layer, l1 = num_layer - 1, l2 = l1 + csize."""
    l1 = num_layer - 1
    return num_layer, l1, l1 + csize


class ExtractSubstructureContextPair:
    """Batch -> substructure/context Batch, with a random centre per molecule from torch's RNG.

    A plain callable holding three integers (no weights): usable as a collate function on its own.
    """

    def __init__(self, k: int, l1: int, l2: int) -> None:
        self.k, self.l1, self.l2 = k, l1, l2

    def __call__(self, batch: Batch, centers: torch.Tensor | None = None) -> Batch:
        if centers is None:
            centers = random_centers(batch.ptr)
        pairs = extract_context_pairs(batch.edge_index, batch.batch, int(batch.num_graphs), centers,
                                      self.k, self.l1, self.l2)
        return context_batch(batch, pairs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(k={self.k}, l1={self.l1}, l2={self.l2})"


class ContextPred(ContextPredMethod):
    """The main GNN (``gnn``, saved as the encoder) and the context GNN of csize layers (``context_gnn``)."""

    def __init__(self, num_layer: int = 5, emb_dim: int = 300, JK: str = "last", drop_ratio: float = 0.0,
                 gnn_type: str = "gin", csize: int = 3, neg_samples: int = 1, context_pooling: str = "mean",
                 mode: str = "cbow") -> None:
        super().__init__(neg_samples, context_pooling, mode)
        if csize < 2:
            raise ValueError(f"--csize {csize}: the context GNN has csize layers and needs at least 2")
        self.k, self.l1, self.l2 = context_radii(num_layer, csize)
        # Built in the original's order (substructure model first) so a seed draws the same weights.
        self.gnn = GNN(num_layer, emb_dim, JK=JK, drop_ratio=drop_ratio, gnn_type=gnn_type)
        self.context_gnn = GNN(self.l2 - self.l1, emb_dim, JK=JK, drop_ratio=drop_ratio, gnn_type=gnn_type)
        self.extract = ExtractSubstructureContextPair(self.k, self.l1, self.l2)

    @staticmethod
    def add_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--csize", type=int, default=3, help="context size: the context is the atoms l1 < d <= l1 + csize "
                       "hops from the centre (l1 = num_layer - 1), embedded by a context GNN of csize layers")
        ContextPredMethod.add_scoring_args(p)

    @staticmethod
    def context_args(args: argparse.Namespace) -> dict:
        return {"csize": args.csize}

    def transform(self, batch: Batch) -> Batch:
        return self.extract(batch)
