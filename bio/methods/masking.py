"""Edge-attribute masking for ego-networks (the original's bio/pretrain_masking.py, util.py MaskEdge).

Mask int(num_edges * mask_rate + 1) interactions per ego-network (both directions' attributes -> the
mask row e_8), predict each masked interaction's evidence from the sum of its two end proteins'
representations with ``linear_pred_edges`` (emb -> 7). As the original, the 7 binary channels become
one class, the first channel that is on (argmax), under cross-entropy. ``transform`` replaces fields
of the freshly cut batch (never the stored graphs); randomness comes from torch's global RNG.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.data import Batch

from bio.model import GNN, MASK_COLUMN, NUM_EDGE_FEATURES, NUM_EVIDENCE_CHANNELS
from pretrain_gnns.encoder import encoder_out_dim
from pretrain_gnns.graph_ops import count_from_rate, sample_nodes_per_graph
from pretrain_gnns.method import Flag, PretrainMethod, register


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
