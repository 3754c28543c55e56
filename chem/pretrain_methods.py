"""Chem pre-training methods with the original's maths: AttrMasking, EdgePred, Infomax, Supervised.

Each is a ``PretrainMethod`` (pretrain_gnns.pretrain_loop): ``transform`` prepares a whole batch in
one vectorised step (it runs as the DataLoader's collate and replaces fields of the freshly cut
batch, so the stored dataset never changes: the original's in-place MaskAtom corrupted it),
``forward`` returns the loss and accuracy, ``encoder_state_dict`` the GNN that finetune.py loads.
Heads keep the original's names (linear_pred_atoms, linear_pred_bonds, discriminator.weight).
"""
from __future__ import annotations

import argparse
import math

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.data import Batch
from torch_geometric.nn import global_mean_pool

from chem.features import MASK_ATOM_INDEX, MASK_BOND_TYPE
from chem.model import GNN, GNN_graphpred
from pretrain_gnns.encoder import encoder_out_dim
from pretrain_gnns.graph_ops import (count_from_rate, cycle_index, edges_touching, graph_sizes,
                                     sample_negative_edges, sample_nodes_per_graph)
from pretrain_gnns.metrics import masked_bce_loss
from pretrain_gnns.pretrain_loop import PretrainMethod

NUM_ATOM_CLASSES = 119  # the original's head predicts atom types 0..118 (the mask token is not a class)
NUM_BOND_CLASSES = 4  # SINGLE, DOUBLE, TRIPLE, AROMATIC


def make_gnn(args: argparse.Namespace) -> GNN:
    return GNN(args.num_layer, args.emb_dim, JK=args.JK, drop_ratio=args.dropout_ratio, gnn_type=args.gnn_type)


def _bce_pair(positive: torch.Tensor, negative: torch.Tensor) -> torch.Tensor:
    """BCE(positive scores, 1) + BCE(negative scores, 0), each a mean, as the original's two criteria."""
    loss = F.binary_cross_entropy_with_logits(positive, torch.ones_like(positive))
    if negative.numel():
        loss = loss + F.binary_cross_entropy_with_logits(negative, torch.zeros_like(negative))
    return loss


def _pair_accuracy(positive: torch.Tensor, negative: torch.Tensor) -> torch.Tensor:
    """The original's accuracy: (positives > 0 + negatives < 0) / (2 * number of positives)."""
    return ((positive > 0).sum() + (negative < 0).sum()).float() / max(2 * positive.numel(), 1)


class AttrMasking(PretrainMethod):
    """Mask int(n * mask_rate + 1) atoms per molecule (type -> 119, chirality -> 0) and predict their
    types; with mask_edge, also mask the bonds touching them (-> [5, 0]) and predict those bond types
    from the sum of the two end atoms' representations."""

    name = "attrmasking"

    def __init__(self, gnn: GNN, mask_rate: float = 0.15, mask_edge: bool = False) -> None:
        super().__init__()
        if not 0 <= mask_rate < 1:
            raise ValueError(f"mask_rate must be in [0, 1), got {mask_rate}")
        self.gnn, self.mask_rate, self.mask_edge = gnn, mask_rate, bool(mask_edge)
        width = encoder_out_dim(gnn.num_layer, gnn.emb_dim, gnn.JK)
        self.linear_pred_atoms = nn.Linear(width, NUM_ATOM_CLASSES)
        # Created only when used: DistributedDataParallel refuses parameters that never get a gradient.
        self.linear_pred_bonds = nn.Linear(width, NUM_BOND_CLASSES) if self.mask_edge else None

    @staticmethod
    def add_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--mask_rate", type=float, default=0.15, help="share of atoms masked (int(n * rate + 1) per molecule)")
        p.add_argument("--mask_edge", type=int, default=0, help="1: also mask and predict the bonds touching masked atoms")

    @classmethod
    def from_args(cls, args: argparse.Namespace, dataset=None) -> "AttrMasking":
        return cls(make_gnn(args), args.mask_rate, bool(args.mask_edge))

    def transform(self, batch: Batch) -> Batch:
        k = count_from_rate(graph_sizes(batch.ptr), self.mask_rate)
        idx = sample_nodes_per_graph(batch.ptr, k)
        batch.masked_atom_indices = idx
        batch.mask_node_label = batch.x[idx]
        x = batch.x.clone()  # a copy: the stored molecules stay as they are
        x[idx] = torch.tensor([MASK_ATOM_INDEX, 0], dtype=x.dtype)
        batch.x = x
        if self.mask_edge:
            node_mask = torch.zeros(x.size(0), dtype=torch.bool, device=x.device)
            node_mask[idx] = True
            touching = edges_touching(batch.edge_index, node_mask)
            # Both directions of a bond are consecutive (i, j), (j, i): the bond is its first direction.
            first = torch.nonzero(touching[0::2]).view(-1) * 2
            batch.connected_edge_indices = first
            batch.mask_edge_label = batch.edge_attr[first]
            edge_attr = batch.edge_attr.clone()
            edge_attr[touching] = torch.tensor([MASK_BOND_TYPE, 0], dtype=edge_attr.dtype)
            batch.edge_attr = edge_attr
        return batch

    def forward(self, batch: Batch) -> tuple[torch.Tensor, dict]:
        node_rep = self.gnn(batch.x, batch.edge_index, batch.edge_attr)
        target = batch.mask_node_label[:, 0]
        pred = self.linear_pred_atoms(node_rep[batch.masked_atom_indices]).float()
        loss = F.cross_entropy(pred, target)
        metrics = {"acc": (pred.argmax(1) == target).float().mean().detach()}
        if self.mask_edge and batch.connected_edge_indices.numel():
            ends = batch.edge_index[:, batch.connected_edge_indices]
            pred_edge = self.linear_pred_bonds(node_rep[ends[0]] + node_rep[ends[1]]).float()
            bond_target = batch.mask_edge_label[:, 0]
            loss = loss + F.cross_entropy(pred_edge, bond_target)
            metrics["acc_bond"] = (pred_edge.argmax(1) == bond_target).float().mean().detach()
        return loss, metrics


class EdgePred(PretrainMethod):
    """Dot-product scores of node pairs: every bond (one direction) against as many sampled
    non-bonded pairs per molecule (the original NegativeEdge: up to 5 * num_edges draws)."""

    name = "edgepred"

    def __init__(self, gnn: GNN) -> None:
        super().__init__()
        self.gnn = gnn

    @staticmethod
    def add_args(p: argparse.ArgumentParser) -> None:
        pass

    @classmethod
    def from_args(cls, args: argparse.Namespace, dataset=None) -> "EdgePred":
        return cls(make_gnn(args))

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
        return _bce_pair(positive, negative), {"acc": _pair_accuracy(positive, negative).detach()}


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
    """Deep Graph Infomax: summary = sigmoid(mean of a molecule's node representations); each node
    scored against its own molecule's summary (positive) and the next molecule's in the batch."""

    name = "infomax"

    def __init__(self, gnn: GNN) -> None:
        super().__init__()
        self.gnn = gnn
        self.discriminator = Discriminator(encoder_out_dim(gnn.num_layer, gnn.emb_dim, gnn.JK))

    @staticmethod
    def add_args(p: argparse.ArgumentParser) -> None:
        pass

    @classmethod
    def from_args(cls, args: argparse.Namespace, dataset=None) -> "Infomax":
        return cls(make_gnn(args))

    def forward(self, batch: Batch) -> tuple[torch.Tensor, dict]:
        h = self.gnn(batch.x, batch.edge_index, batch.edge_attr).float()
        summary = torch.sigmoid(global_mean_pool(h, batch.batch, size=batch.num_graphs))
        # x^T W s per node = x . (s W)[graph]: one (graphs x d x d) product instead of (nodes x d x d).
        projected = torch.matmul(summary, self.discriminator.weight)
        shifted = projected[cycle_index(projected.size(0), 1, device=h.device)]
        positive = (h * projected[batch.batch]).sum(dim=1)
        negative = (h * shifted[batch.batch]).sum(dim=1)
        return _bce_pair(positive, negative), {"acc": _pair_accuracy(positive, negative).detach()}


class Supervised(PretrainMethod):
    """Graph-level multi-task pre-training: GNN_graphpred, BCE over the labels present (y != 0)."""

    name = "supervised"

    def __init__(self, model: GNN_graphpred) -> None:
        super().__init__()
        self.model = model

    @staticmethod
    def add_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--graph_pooling", default="mean", help="graph pooling: sum, mean, max, attention, set2setN")
        p.add_argument("--input_model_file", default="", help="node-level pre-trained encoder to start from "
                       "(e.g. an AttrMasking or ContextPred output; '.pth' is tried when the name has no suffix)")

    @classmethod
    def from_args(cls, args: argparse.Namespace, dataset=None) -> "Supervised":
        model = GNN_graphpred(args.num_layer, args.emb_dim, dataset.num_tasks, JK=args.JK, drop_ratio=args.dropout_ratio,
                              graph_pooling=args.graph_pooling, gnn_type=args.gnn_type)
        if args.input_model_file:
            model.from_pretrained(resolve_input_model(args.input_model_file))
        return cls(model)

    def forward(self, batch: Batch) -> tuple[torch.Tensor, dict]:
        logits = self.model(batch).float()
        y = batch.y.view(logits.shape)
        present = y != 0
        correct = ((logits > 0) == (y > 0)) & present
        acc = correct.sum().float() / present.sum().clamp(min=1)
        return masked_bce_loss(logits, y), {"acc": acc.detach()}

    def encoder_state_dict(self) -> dict:
        return self.model.gnn.state_dict()


def resolve_input_model(path: str) -> str:
    """The original's pretrain_supervised read ``input_model_file + '.pth'``: accept both spellings."""
    import os
    if os.path.exists(path) or not os.path.exists(path + ".pth"):
        return path
    return path + ".pth"


METHODS = {cls.name: cls for cls in (AttrMasking, EdgePred, Infomax, Supervised)}
