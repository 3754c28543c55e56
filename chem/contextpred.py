"""ContextPred for molecules (the original's chem/pretrain_contextpred.py, util.py
ExtractSubstructureContextPair and batch.py BatchSubstructContext), vectorised over the batch.

Per molecule: a random centre atom; the substructure is its K-hop neighbourhood (K = num_layer),
embedded by the main GNN and read at the centre; the context is the ring of atoms between
l1 = K - 1 (exclusive) and l2 = l1 + csize (inclusive) hops, embedded by a context GNN of csize
layers; the atoms in both (those exactly K hops away) carry the context's representation. cbow
pools them per molecule (mean, sum or max) and scores the dot product with the substructure;
skipgram scores each of them on its own. Negatives pair each substructure with another molecule's
context, by cyclic shifts within the batch. Molecules without context (e.g. a centre on an
isolated atom or in a small molecule) are dropped from the batch, and their share is reported.
"""
from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F
from torch_geometric.data import Batch
from torch_geometric.nn import global_add_pool, global_max_pool, global_mean_pool

from chem.model import GNN
from pretrain_gnns.context import ContextPairs, extract_context_pairs, random_centers
from pretrain_gnns.graph_ops import cycle_index
from pretrain_gnns.pretrain_loop import PretrainMethod

MODES = ("cbow", "skipgram")
POOLS = {"sum": global_add_pool, "mean": global_mean_pool, "max": global_max_pool}


def context_radii(num_layer: int, csize: int) -> tuple[int, int, int]:
    """(k, l1, l2) as the original set them: k = num_layer, l1 = num_layer - 1, l2 = l1 + csize."""
    l1 = num_layer - 1
    return num_layer, l1, l1 + csize


def context_batch(batch: Batch, pairs: ContextPairs) -> Batch:
    """The original's BatchSubstructContext fields, cut out of ``batch`` for the kept molecules.

    ``num_graphs`` stays the number of molecules that came in (the loop counts throughput with it);
    ``num_dropped`` says how many of them had no context.
    """
    sub, ctx = pairs.substruct, pairs.context
    out = Batch(
        x_substruct=batch.x.index_select(0, sub.nodes),
        edge_index_substruct=sub.edge_index,
        edge_attr_substruct=batch.edge_attr.index_select(0, sub.edges),
        center_substruct_idx=pairs.center,
        x_context=batch.x.index_select(0, ctx.nodes),
        edge_index_context=ctx.edge_index,
        edge_attr_context=batch.edge_attr.index_select(0, ctx.edges),
        overlap_context_substruct_idx=pairs.overlap,
        batch_overlapped_context=pairs.overlap_graph,
        overlapped_context_size=pairs.overlap_size,
    )
    out._num_graphs = int(batch.num_graphs)
    out.num_dropped = pairs.num_dropped
    return out


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


def pair_scores(substruct_rep: torch.Tensor, overlap_rep: torch.Tensor, overlap_graph: torch.Tensor,
                mode: str, context_pooling: str, neg_samples: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(positive, negative) logits as the original's train(): dot products of substructure and context.

    cbow: a molecule's overlap representations pooled into one context; negative s pairs substructure
    i with the context of molecule (i + s) mod n. skipgram: every overlap atom against its own
    substructure; negative s against the substructure of molecule (i + s) mod n. Negatives are
    stacked shift after shift, as the original's repeat/cat order.
    """
    n = substruct_rep.size(0)
    shifts = [cycle_index(n, s, substruct_rep.device) for s in range(1, neg_samples + 1)]
    if mode == "cbow":
        context_rep = POOLS[context_pooling](overlap_rep, overlap_graph, size=n)
        pos = (substruct_rep * context_rep).sum(dim=1)
        neg_context = context_rep.index_select(0, torch.cat(shifts))
        neg = (substruct_rep.repeat(neg_samples, 1) * neg_context).sum(dim=1)
    elif mode == "skipgram":
        pos = (substruct_rep.index_select(0, overlap_graph) * overlap_rep).sum(dim=1)
        neg_substruct = substruct_rep.index_select(0, torch.cat([s.index_select(0, overlap_graph) for s in shifts]))
        neg = (neg_substruct * overlap_rep.repeat(neg_samples, 1)).sum(dim=1)
    else:
        raise ValueError(f"invalid mode {mode!r}; one of {MODES}")
    return pos, neg


def contextpred_loss(pos: torch.Tensor, neg: torch.Tensor, neg_samples: int) -> tuple[torch.Tensor, dict]:
    """BCE on positives + neg_samples * BCE on negatives, in float64 as the original; metrics as it
    printed them: balanced loss (pos + neg) and accuracy (mean of the two sides' hit rates)."""
    pos, neg = pos.double(), neg.double()
    loss_pos = F.binary_cross_entropy_with_logits(pos, torch.ones_like(pos))
    loss_neg = F.binary_cross_entropy_with_logits(neg, torch.zeros_like(neg))
    loss = loss_pos + neg_samples * loss_neg
    with torch.no_grad():
        acc = 0.5 * ((pos > 0).double().mean() + (neg < 0).double().mean())
    return loss, {"balanced_loss": (loss_pos + loss_neg).detach(), "acc": acc}


class ContextPred(PretrainMethod):
    """The main GNN (``gnn``, saved as the encoder) and the context GNN of csize layers (``context_gnn``)."""

    name = "contextpred"

    def __init__(self, num_layer: int = 5, emb_dim: int = 300, JK: str = "last", drop_ratio: float = 0.0,
                 gnn_type: str = "gin", csize: int = 3, neg_samples: int = 1, context_pooling: str = "mean",
                 mode: str = "cbow") -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"invalid mode {mode!r}; one of {MODES}")
        if context_pooling not in POOLS:
            raise ValueError(f"invalid context pooling {context_pooling!r}; one of {sorted(POOLS)}")
        if csize < 2:
            raise ValueError(f"--csize {csize}: the context GNN has csize layers and needs at least 2")
        if neg_samples < 1:
            raise ValueError(f"--neg_samples {neg_samples}: need at least 1 negative per positive")
        self.k, self.l1, self.l2 = context_radii(num_layer, csize)
        self.mode, self.context_pooling, self.neg_samples = mode, context_pooling, neg_samples
        # Built in the original's order (substructure model first) so a seed draws the same weights.
        self.gnn = GNN(num_layer, emb_dim, JK=JK, drop_ratio=drop_ratio, gnn_type=gnn_type)
        self.context_gnn = GNN(self.l2 - self.l1, emb_dim, JK=JK, drop_ratio=drop_ratio, gnn_type=gnn_type)
        self.extract = ExtractSubstructureContextPair(self.k, self.l1, self.l2)

    @staticmethod
    def add_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--csize", type=int, default=3, help="context size: the context is the atoms l1 < d <= l1 + csize "
                       "hops from the centre (l1 = num_layer - 1), embedded by a context GNN of csize layers")
        p.add_argument("--neg_samples", type=int, default=1, help="negative contexts per positive (cyclic shifts in the batch)")
        p.add_argument("--context_pooling", default="mean", choices=sorted(POOLS),
                       help="cbow: how a molecule's overlap atoms are pooled into one context")
        p.add_argument("--mode", default="cbow", choices=MODES,
                       help="cbow: one pooled context per molecule; skipgram: every overlap atom on its own")

    @classmethod
    def from_args(cls, args: argparse.Namespace, dataset=None) -> "ContextPred":
        return cls(args.num_layer, args.emb_dim, JK=args.JK, drop_ratio=args.dropout_ratio, gnn_type=args.gnn_type,
                   csize=args.csize, neg_samples=args.neg_samples, context_pooling=args.context_pooling, mode=args.mode)

    def transform(self, batch: Batch) -> Batch:
        return self.extract(batch)

    def forward(self, batch: Batch) -> tuple[torch.Tensor, dict]:
        n_in = int(batch.num_graphs)
        n_kept = int(batch.center_substruct_idx.numel())
        if n_kept == 0 or batch.x_context.size(0) < 2:
            return self._nothing_to_learn(n_in)
        substruct_rep = self.gnn(batch.x_substruct, batch.edge_index_substruct, batch.edge_attr_substruct)
        substruct_rep = substruct_rep.index_select(0, batch.center_substruct_idx)
        context_rep = self.context_gnn(batch.x_context, batch.edge_index_context, batch.edge_attr_context)
        overlap_rep = context_rep.index_select(0, batch.overlap_context_substruct_idx)
        pos, neg = pair_scores(substruct_rep, overlap_rep, batch.batch_overlapped_context, self.mode,
                               self.context_pooling, self.neg_samples)
        loss, metrics = contextpred_loss(pos, neg, self.neg_samples)
        metrics["dropped_share"] = (n_in - n_kept) / max(n_in, 1)
        return loss, metrics

    def _nothing_to_learn(self, n_in: int) -> tuple[torch.Tensor, dict]:
        """A batch where no molecule has a context (or one lone context atom, on which training-mode
        batch norm cannot run; the original crashed on both). A loss outside the graph leaves every
        gradient unset, so Adam skips all parameters: the step changes nothing. Counted as dropped;
        no loss or accuracy is reported for it."""
        device = self.gnn.x_embedding1.weight.device
        zero = torch.zeros((), dtype=torch.float64, device=device, requires_grad=True)
        return zero, {"dropped_share": 1.0}
