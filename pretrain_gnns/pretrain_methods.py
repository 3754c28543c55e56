"""Pre-training methods that do not depend on the domain: EdgePred and Infomax (the same maths for
molecules and ego-networks) and the base of graph-level supervised pre-training.

A domain registers a subclass that names its encoder (``encoder_cls``) or its graph-prediction
model (``model_cls``) in its ``methods`` package, one module a method. Heads keep the
original's names (discriminator.weight).
"""
from __future__ import annotations

import math
import os

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.data import Batch
from torch_geometric.nn import global_mean_pool

from pretrain_gnns.card import architecture_of, check_architecture
from pretrain_gnns.checkpoint import domain_of
from pretrain_gnns.encoder import EncoderLoop, GraphPredictor, encoder_out_dim
from pretrain_gnns.graph_ops import cycle_index, sample_negative_edges
from pretrain_gnns.method import Flag, PretrainConfig, PretrainMethod


def resolve_input_model(path: str) -> str:
    """The original's pretrain_supervised read ``input_model_file + '.pth'``: accept both spellings."""
    if os.path.exists(path) or not os.path.exists(path + ".pth"):
        return path
    return path + ".pth"


def bce_pair(positive: torch.Tensor, negative: torch.Tensor) -> torch.Tensor:
    """BCE(positive scores, 1) + BCE(negative scores, 0), each a mean, as the original's two criteria."""
    loss = F.binary_cross_entropy_with_logits(positive, torch.ones_like(positive))
    if negative.numel():
        loss = loss + F.binary_cross_entropy_with_logits(negative, torch.zeros_like(negative))
    return loss


def pair_accuracy(positive: torch.Tensor, negative: torch.Tensor) -> torch.Tensor:
    """The original's accuracy: (positives > 0 + negatives < 0) / (2 * number of positives)."""
    return ((positive > 0).sum() + (negative < 0).sum()).float() / max(2 * positive.numel(), 1)


class EdgePred(PretrainMethod):
    """Dot-product scores of node pairs: every edge (one direction) against as many sampled
    non-adjacent pairs per graph (the original NegativeEdge: up to 5 * num_edges draws)."""

    def transform(self, batch: Batch) -> Batch:
        num_graphs = batch.ptr.numel() - 1
        directed = torch.bincount(batch.batch[batch.edge_index[0]], minlength=num_graphs)
        batch.negative_edge_index = sample_negative_edges(batch.edge_index, batch.ptr, num_per_graph=directed // 2,
                                                          tries_per_graph=5 * directed)
        return batch

    def forward(self, batch: Batch) -> tuple[torch.Tensor, dict]:
        h = self.gnn(batch.x, batch.edge_index, batch.edge_attr).float()
        pos_edges, neg_edges = batch.edge_index[:, 0::2], batch.negative_edge_index
        positive = (h[pos_edges[0]] * h[pos_edges[1]]).sum(dim=1)
        negative = (h[neg_edges[0]] * h[neg_edges[1]]).sum(dim=1)
        return bce_pair(positive, negative), {"acc": pair_accuracy(positive, negative).detach()}


class Discriminator(nn.Module):
    """Bilinear score x^T W s; W drawn uniform(-1/sqrt(d), 1/sqrt(d)) as PyG's ``uniform`` did."""

    def __init__(self, hidden_dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(hidden_dim, hidden_dim))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.weight.size(0))
        nn.init.uniform_(self.weight, -bound, bound)

    def forward(self, x: torch.Tensor, summary: torch.Tensor) -> torch.Tensor:
        return torch.sum(x * torch.matmul(summary, self.weight), dim=1)


class Infomax(PretrainMethod):
    """Deep Graph Infomax: summary = sigmoid(mean of a graph's node representations); each node
    scored against its own graph's summary (positive) and the next graph's in the batch."""

    def __init__(self, gnn: EncoderLoop) -> None:
        super().__init__(gnn)
        self.discriminator = Discriminator(encoder_out_dim(gnn.num_layer, gnn.emb_dim, gnn.JK))

    def forward(self, batch: Batch) -> tuple[torch.Tensor, dict]:
        h = self.gnn(batch.x, batch.edge_index, batch.edge_attr).float()
        summary = torch.sigmoid(global_mean_pool(h, batch.batch, size=batch.num_graphs))
        # x^T W s per node = x . (s W)[graph]: one (graphs x d x d) product instead of (nodes x d x d).
        projected = torch.matmul(summary, self.discriminator.weight)
        shifted = projected[cycle_index(projected.size(0), 1, device=h.device)]
        positive = (h * projected[batch.batch]).sum(dim=1)
        negative = (h * shifted[batch.batch]).sum(dim=1)
        return bce_pair(positive, negative), {"acc": pair_accuracy(positive, negative).detach()}


class GraphSupervised(PretrainMethod):
    """Graph-level multi-task pre-training of a domain's GNN_graphpred (``model_cls``) around the
    encoder; the encoder inside it is what gets saved. A domain's subclass defines ``forward`` (its
    labels and loss) and ``num_tasks``."""

    batch_size, dropout_ratio, needs_labels = 32, 0.2, True  # the original's supervised defaults
    model_cls: type[GraphPredictor]
    flags = (
        Flag("--graph_pooling", str, "mean", "graph pooling: sum, mean, max, attention, set2setN"),
        Flag("--input_model_file", str, "", "node-level pre-trained encoder to start from (e.g. a masking or "
             "contextpred output; '.pth' is tried when the name has no suffix)"),
    )

    def __init__(self, gnn: EncoderLoop, num_tasks: int, graph_pooling: str = "mean", input_model_file: str = "") -> None:
        nn.Module.__init__(self)  # the encoder lives inside the model, as the original's model.gnn
        if input_model_file:
            path = resolve_input_model(input_model_file)
            gnn.from_pretrained(path)
            # the encoder's own attributes are its architecture (gnn_type, num_layer, emb_dim, JK)
            check_architecture(path, architecture_of(gnn, domain_of(gnn)))
        self.model = self.model_cls(gnn.num_layer, gnn.emb_dim, num_tasks, JK=gnn.JK, drop_ratio=gnn.drop_ratio,
                                    graph_pooling=graph_pooling, gnn_type=gnn.gnn_type, gnn=gnn)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "model_cls" in cls.__dict__:
            cls.encoder_cls = cls.model_cls.encoder_cls

    @staticmethod
    def num_tasks(dataset) -> int:
        return dataset.num_tasks

    @classmethod
    def hyperparameters(cls, cfg: PretrainConfig, dataset=None) -> dict:
        return {"num_tasks": cls.num_tasks(dataset), **super().hyperparameters(cfg, dataset)}

    def encoder_state_dict(self) -> dict:
        return self.model.gnn.state_dict()
