"""ContextPred's domain-free half (the original's two pretrain_contextpred.py train()):
the batch of substructures and contexts, the scores, the loss and the method's forward.

A domain decides what the substructure and the context are (molecules: K-hop ball around a random
atom and the ring l1 < d <= l2; ego-networks: the whole graph and the nodes beyond l1 hops of a root),
builds the two GNNs (``gnn``, saved as the encoder, and ``context_gnn``) and cuts the batch with
``context_batch`` in its ``transform``. The scoring is the same: cbow pools a graph's overlap nodes
(mean, sum or max) and scores the dot product with the substructure read at its centre; skipgram
scores each overlap node on its own. Negatives pair each substructure with another graph's context,
by cyclic shifts within the batch. Graphs without context are dropped and their share reported.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch_geometric.data import Batch
from torch_geometric.nn import global_add_pool, global_max_pool, global_mean_pool

from pretrain_gnns.context import ContextPairs
from pretrain_gnns.encoder import EncoderLoop
from pretrain_gnns.graph_ops import cycle_index
from pretrain_gnns.method import Flag, PretrainMethod

MODES = ("cbow", "skipgram")
POOLS = {"sum": global_add_pool, "mean": global_mean_pool, "max": global_max_pool}


def context_batch(batch: Batch, pairs: ContextPairs) -> Batch:
    """The original's BatchSubstructContext fields, cut out of ``batch`` for the kept graphs.

    ``num_graphs`` stays the number of graphs that came in (the loop counts throughput with it);
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


def pair_scores(substruct_rep: torch.Tensor, overlap_rep: torch.Tensor, overlap_graph: torch.Tensor,
                mode: str, context_pooling: str, neg_samples: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(positive, negative) logits as the original's train(): dot products of substructure and context.

    cbow: a graph's overlap representations pooled into one context; negative s pairs substructure
    i with the context of graph (i + s) mod n. skipgram: every overlap node against its own
    substructure; negative s against the substructure of graph (i + s) mod n. Negatives are
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


class ContextPredMethod(PretrainMethod):
    """The scoring half of ContextPred. A domain's subclass takes the encoder (``gnn``), its context
    keywords and the scoring ones, creates ``context_gnn`` after calling ``__init__``, and defines
    ``transform`` (returning ``context_batch(batch, pairs)``)."""

    scoring_flags = (
        Flag("--neg_samples", int, 1, "negative contexts per positive (cyclic shifts in the batch)"),
        Flag("--context_pooling", str, "mean", "cbow: how a graph's overlap nodes are pooled into one context",
             choices=sorted(POOLS)),
        Flag("--mode", str, "cbow", "cbow: one pooled context per graph; skipgram: every overlap node on its own",
             choices=MODES),
    )

    def __init__(self, gnn: EncoderLoop, neg_samples: int = 1, context_pooling: str = "mean", mode: str = "cbow") -> None:
        super().__init__(gnn)
        if mode not in MODES:
            raise ValueError(f"invalid mode {mode!r}; one of {MODES}")
        if context_pooling not in POOLS:
            raise ValueError(f"invalid context pooling {context_pooling!r}; one of {sorted(POOLS)}")
        if neg_samples < 1:
            raise ValueError(f"--neg_samples {neg_samples}: need at least 1 negative per positive")
        self.mode, self.context_pooling, self.neg_samples = mode, context_pooling, neg_samples

    def context_encoder(self, num_layer: int) -> EncoderLoop:
        """A GNN of the encoder's kind and width, ``num_layer`` deep: the context GNN."""
        g = self.gnn
        return type(g)(num_layer, g.emb_dim, JK=g.JK, drop_ratio=g.drop_ratio, gnn_type=g.gnn_type)

    def forward(self, batch: Batch) -> tuple[torch.Tensor, dict]:
        n_in = int(batch.num_graphs)
        n_kept = int(batch.center_substruct_idx.numel())
        if n_kept == 0 or batch.x_context.size(0) < 2:
            return self._nothing_to_learn()
        substruct_rep = self.gnn(batch.x_substruct, batch.edge_index_substruct, batch.edge_attr_substruct)
        substruct_rep = substruct_rep.index_select(0, batch.center_substruct_idx)
        context_rep = self.context_gnn(batch.x_context, batch.edge_index_context, batch.edge_attr_context)
        overlap_rep = context_rep.index_select(0, batch.overlap_context_substruct_idx)
        # The scores are the loss's input: pooled and summed in fp32 also under bf16 autocast, where a
        # bf16 sum of emb_dim products rounds each logit to 3 significant digits (a no-op in fp32).
        pos, neg = pair_scores(substruct_rep.float(), overlap_rep.float(), batch.batch_overlapped_context, self.mode,
                               self.context_pooling, self.neg_samples)
        loss, metrics = contextpred_loss(pos, neg, self.neg_samples)
        metrics["dropped_share"] = (n_in - n_kept) / max(n_in, 1)
        return loss, metrics

    def _nothing_to_learn(self) -> tuple[torch.Tensor, dict]:
        """A batch where no graph has a context (or one lone context node, on which training-mode
        batch norm cannot run; the original crashed on both). A loss outside the graph leaves every
        gradient unset, so Adam skips all parameters: the step changes nothing. Counted as dropped;
        no loss or accuracy is reported for it."""
        device = next(self.gnn.parameters()).device
        zero = torch.zeros((), dtype=torch.float64, device=device, requires_grad=True)
        return zero, {"dropped_share": 1.0}
