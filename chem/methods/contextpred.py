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

import torch
from torch_geometric.data import Batch

from chem.model import GNN
from pretrain_gnns.context import extract_context_pairs, random_centers
from pretrain_gnns.contextpred import ContextPredMethod, context_batch
from pretrain_gnns.method import Flag, register


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


@register("contextpred")
class ContextPred(ContextPredMethod):
    """Context prediction (the original's pretrain_contextpred.py): for a random centre atom per
    molecule, tell its K-hop substructure (K = num_layer) from the surrounding context ring
    (num_layer - 1 < d <= num_layer - 1 + csize hops, embedded by a context GNN of csize layers),
    against other molecules' contexts in the batch. Molecules without context are dropped from
    their batch (share reported as dropped_share).

    The main GNN (``gnn``, saved as the encoder) and the context GNN of csize layers (``context_gnn``)."""

    encoder_cls = GNN
    flags = (Flag("--csize", int, 3, "context size: the context is the atoms l1 < d <= l1 + csize hops from the "
                  "centre (l1 = num_layer - 1), embedded by a context GNN of csize layers"),
             *ContextPredMethod.scoring_flags)

    def __init__(self, gnn: GNN, csize: int = 3, neg_samples: int = 1, context_pooling: str = "mean",
                 mode: str = "cbow") -> None:
        super().__init__(gnn, neg_samples, context_pooling, mode)
        if csize < 2:
            raise ValueError(f"--csize {csize}: the context GNN has csize layers and needs at least 2")
        self.k, self.l1, self.l2 = context_radii(gnn.num_layer, csize)
        # Built after the encoder, in the original's order (substructure model first): a seed draws the same weights.
        self.context_gnn = self.context_encoder(self.l2 - self.l1)
        self.extract = ExtractSubstructureContextPair(self.k, self.l1, self.l2)

    def transform(self, batch: Batch) -> Batch:
        return self.extract(batch)
