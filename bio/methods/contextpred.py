"""ContextPred for ego-networks (the original's bio/pretrain_contextpred.py, util.py
ExtractSubstructureContextPair), vectorised over the batch.

The substructure is the whole ego-network, read at its centre protein; the context is every protein
more than l1 hops from a root (the centre with --center 1, a random protein by default), embedded by
a 3-layer context GNN; all context proteins are overlap. Scoring, loss and forward are the
domain-free ones of pretrain_gnns/contextpred.py (cbow / skipgram against other graphs' contexts).
"""
from __future__ import annotations

import torch
from torch_geometric.data import Batch

from bio.model import GNN
from pretrain_gnns.context import ContextPairs, ball, hop_distances, induced_subgraph, random_centers
from pretrain_gnns.contextpred import ContextPredMethod, context_batch
from pretrain_gnns.method import Flag, register

CONTEXT_LAYERS = 3  # the original's context GNN depth for bio


@register("contextpred")
class BioContextPred(ContextPredMethod):
    """Context prediction (the original's bio/pretrain_contextpred.py): the whole ego-network read at
    its centre protein against the context (proteins more than --l1 hops from a root: random, or
    the centre with --center 1) embedded by a 3-layer context GNN, versus other graphs' contexts in
    the batch. Graphs without context are dropped from their batch (dropped_share).

    The main GNN (``gnn``, saved as the encoder) and a 3-layer context GNN (``context_gnn``)."""

    encoder_cls = GNN
    flags = (Flag("--l1", int, 1, "the context is every protein more than l1 hops from the root (l1 = 0: the "
                  "whole ego-network, as the original's cutoff quirk)"),
             Flag("--center", int, 0, "1: the root is the centre protein; 0: a random protein (the substructure "
                  "is read at the centre either way, as the original)"),
             *ContextPredMethod.scoring_flags)

    def __init__(self, gnn: GNN, l1: int = 1, center: bool = False, neg_samples: int = 1,
                 context_pooling: str = "mean", mode: str = "cbow") -> None:
        super().__init__(gnn, neg_samples, context_pooling, mode)
        self.l1, self.center = l1, bool(center)
        # Built after the encoder, in the original's order (substructure model first): a seed draws the same weights.
        self.context_gnn = self.context_encoder(CONTEXT_LAYERS)

    def pairs(self, batch: Batch, roots: torch.Tensor | None = None) -> ContextPairs:
        """Substructure = whole graph; context = proteins outside the root's l1-ball; overlap = context."""
        num_nodes, G = int(batch.ptr[-1]), int(batch.num_graphs)
        if roots is None:
            roots = batch.center_node_idx.view(-1) if self.center else random_centers(batch.ptr)
        dist = hop_distances(batch.edge_index, num_nodes, roots, max(self.l1, 0))
        in_ctx = ~ball(dist, self.l1)  # unreachable proteins count as context too (the original's l2 = all)
        ctx_count = torch.bincount(batch.batch.index_select(0, in_ctx.nonzero().view(-1)), minlength=G)
        kept = ctx_count > 0
        node_kept = kept.index_select(0, batch.batch)
        sub = induced_subgraph(node_kept, batch.edge_index)
        ctx = induced_subgraph(in_ctx & node_kept, batch.edge_index)
        graph_rank = torch.cumsum(kept, 0) - 1
        overlap_graph = graph_rank.index_select(0, batch.batch.index_select(0, ctx.nodes))
        centers = batch.center_node_idx.view(-1).index_select(0, kept.nonzero().view(-1))
        return ContextPairs(kept=kept, substruct=sub, center=sub.new_id.index_select(0, centers), context=ctx,
                            overlap=torch.arange(ctx.nodes.numel()), overlap_graph=overlap_graph,
                            overlap_size=torch.bincount(overlap_graph, minlength=int(kept.sum())))

    def transform(self, batch: Batch) -> Batch:
        return context_batch(batch, self.pairs(batch))
