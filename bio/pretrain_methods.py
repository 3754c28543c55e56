"""Bio pre-training methods with the original's maths (bio/pretrain_*.py, util.py MaskEdge and
ExtractSubstructureContextPair), vectorised over the batch.

- EdgeMasking (pretrain_masking.py): mask int(num_edges * mask_rate + 1) interactions per ego-network
  (both directions' attributes -> the mask row e_8), predict each masked interaction's evidence from
  the sum of its two end proteins' representations with ``linear_pred_edges`` (emb -> 7). As the
  original, the 7 binary channels become one class, the first channel that is on (argmax), under
  cross-entropy.
- BioContextPred (pretrain_contextpred.py): the substructure is the whole ego-network, read at its
  centre protein; the context is every protein more than l1 hops from a root (the centre with
  --center 1, a random protein by default), embedded by a 3-layer context GNN; all context proteins
  are overlap. cbow / skipgram scoring against other graphs' contexts, as chem.
- BioSupervised (pretrain_supervised.py): GNN_graphpred on the coarse GO terms (go_target_pretrain),
  BCE over all labels (0 = not annotated: no missing labels, unlike chem).
- EdgePred and Infomax are the domain-free classes of pretrain_gnns/pretrain_methods.py, given the
  bio GNN; ContextPred's scoring, loss and forward are pretrain_gnns/contextpred.py's.

``transform`` replaces fields of the freshly cut batch (never the stored graphs); randomness comes
from torch's global RNG, which the shared loop seeds and restores.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.data import Batch

from bio.model import GNN, GNN_graphpred, MASK_COLUMN, NUM_EDGE_FEATURES, NUM_EVIDENCE_CHANNELS
from pretrain_gnns import pretrain_methods as shared
from pretrain_gnns.context import ContextPairs, ball, hop_distances, induced_subgraph, random_centers
from pretrain_gnns.contextpred import ContextPredMethod, context_batch
from pretrain_gnns.encoder import encoder_out_dim
from pretrain_gnns.graph_ops import count_from_rate, sample_nodes_per_graph
from pretrain_gnns.method import Flag, PretrainMethod, register

CONTEXT_LAYERS = 3  # the original's context GNN depth for bio


def check_paired_edges(edge_index: torch.Tensor) -> None:
    """Bio transforms address an interaction by its first direction (i, j) followed by (j, i)."""
    if edge_index.size(1) % 2 or not bool((edge_index[0, 0::2] == edge_index[1, 1::2]).all()):
        raise ValueError("edge-level pre-training needs each interaction stored as consecutive (i, j), (j, i) "
                         "edges, as the original's data and this project's stores have them")


def edges_per_graph(batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    """(undirected edge count per graph, ptr over undirected edges); edges are grouped by graph."""
    owner = batch.batch.index_select(0, batch.edge_index[0, 0::2])
    counts = torch.bincount(owner, minlength=int(batch.num_graphs))
    return counts, torch.cat([counts.new_zeros(1), torch.cumsum(counts, 0)])


@register("masking")
class EdgeMasking(PretrainMethod):
    """Edge-attribute masking (the original's bio/pretrain_masking.py): mask int(num_edges * mask_rate + 1)
    interactions per ego-network and predict their evidence (the first of the 7 channels that is
    on, as the original) from the two end proteins. Heads keep the original's names."""

    encoder_cls = GNN
    flags = (Flag("--mask_rate", float, 0.15, "share of interactions masked (int(num_edges * rate + 1) per ego-network)"),)

    def __init__(self, gnn: GNN, mask_rate: float = 0.15) -> None:
        super().__init__(gnn)
        if not 0 <= mask_rate < 1:
            raise ValueError(f"mask_rate must be in [0, 1), got {mask_rate}")
        self.mask_rate = mask_rate
        self.linear_pred_edges = nn.Linear(encoder_out_dim(gnn.num_layer, gnn.emb_dim, gnn.JK), NUM_EVIDENCE_CHANNELS)

    def transform(self, batch: Batch) -> Batch:
        check_paired_edges(batch.edge_index)
        counts, eptr = edges_per_graph(batch)
        chosen = sample_nodes_per_graph(eptr, count_from_rate(counts, self.mask_rate))  # undirected ids
        masked = chosen * 2  # first direction of each masked interaction
        batch.masked_edge_idx = masked
        batch.mask_edge_label = batch.edge_attr.index_select(0, masked)
        edge_attr = batch.edge_attr.clone()  # a copy: the stored graphs stay as they are
        mask_row = torch.zeros(NUM_EDGE_FEATURES, dtype=edge_attr.dtype)
        mask_row[MASK_COLUMN] = 1
        edge_attr[torch.cat([masked, masked + 1])] = mask_row
        batch.edge_attr = edge_attr
        return batch

    def forward(self, batch: Batch) -> tuple[torch.Tensor, dict]:
        h = self.gnn(batch.x, batch.edge_index, batch.edge_attr)
        ends = batch.edge_index.index_select(1, batch.masked_edge_idx)
        pred = self.linear_pred_edges(h.index_select(0, ends[0]) + h.index_select(0, ends[1])).float()
        target = batch.mask_edge_label.argmax(dim=1)  # the first evidence channel that is on
        loss = F.cross_entropy(pred, target)
        return loss, {"acc": (pred.argmax(1) == target).float().mean().detach()}


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


@register("supervised")
class BioSupervised(shared.GraphSupervised):
    """Graph-level supervised pre-training on the coarse GO terms (the original's bio/pretrain_supervised.py):
    GNN_graphpred on go_target_pretrain, BCE over all labels (0 = not annotated). Data:
    <data-root>/supervised, the species split's train/valid species plus the easy half of human
    (the hard half stays unseen; --seed, the split's seed, must match bio/finetune.py --seed);
    --runseed seeds the weights and batches. Stack it on a node-level method with --input_model_file."""

    model_cls = GNN_graphpred
    run_seed_flag = "--runseed"  # the original's --seed is the split's (a data flag here)

    @staticmethod
    def num_tasks(dataset) -> int:
        return dataset.num_pretrain_tasks

    def forward(self, batch: Batch) -> tuple[torch.Tensor, dict]:
        logits = self.model(batch).float()
        y = batch.go_target_pretrain.view(logits.shape).float()
        loss = F.binary_cross_entropy_with_logits(logits, y)
        return loss, {"acc": ((logits > 0) == (y > 0)).float().mean().detach()}


@register("edgepred")
class EdgePred(shared.EdgePred):
    """Edge prediction (the original's bio/pretrain_edgepred.py): interacting protein pairs against
    sampled other pairs."""

    encoder_cls = GNN


@register("infomax")
class Infomax(shared.Infomax):
    """Deep Graph Infomax (the original's bio/pretrain_deepgraphinfomax.py): each protein scored
    against its own ego-network's summary and the next one's in the batch."""

    encoder_cls = GNN

