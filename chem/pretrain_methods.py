"""Chem pre-training methods with the original's maths: AttrMasking, EdgePred, Infomax, Supervised
(ContextPred and GraphMAE have their own modules, imported at the end so that the registry is
complete). EdgePred, Infomax and the supervised base are domain-free
(pretrain_gnns/pretrain_methods.py): here they only get the chem GNN (and Supervised its labels
and masked loss).

Each is a ``PretrainMethod`` (pretrain_gnns/method.py): ``transform`` prepares a whole batch in
one vectorised step (it runs as the DataLoader's collate and replaces fields of the freshly cut
batch, so the stored dataset never changes: the original's in-place MaskAtom corrupted it),
``forward`` returns the loss and accuracy, ``encoder_state_dict`` the GNN that finetune.py loads.
Heads keep the original's names (linear_pred_atoms, linear_pred_bonds, discriminator.weight).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.data import Batch

from chem.features import MASK_ATOM_INDEX, MASK_BOND_TYPE
from chem.model import GNN, GNN_graphpred
from pretrain_gnns import pretrain_methods as shared
from pretrain_gnns.encoder import encoder_out_dim
from pretrain_gnns.graph_ops import count_from_rate, edges_touching, graph_sizes, sample_nodes_per_graph
from pretrain_gnns.method import Flag, PretrainMethod, register
from pretrain_gnns.metrics import masked_bce_loss

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


@register("attrmasking")
class AttrMasking(PretrainMethod):
    """Attribute masking (the original's pretrain_masking.py): mask int(n * mask_rate + 1) atoms per
    molecule (type -> 119, chirality -> 0) and predict their types; with --mask_edge 1, also mask
    the bonds touching them (-> [5, 0]) and predict those bond types from the sum of the two end
    atoms' representations."""

    encoder_cls = GNN
    flags = (Flag("--mask_rate", float, 0.15, "share of atoms masked (int(n * rate + 1) per molecule)"),
             Flag("--mask_edge", int, 0, "1: also mask and predict the bonds touching masked atoms"))

    def __init__(self, gnn: GNN, mask_rate: float = 0.15, mask_edge: bool = False) -> None:
        super().__init__(gnn)
        if not 0 <= mask_rate < 1:
            raise ValueError(f"mask_rate must be in [0, 1), got {mask_rate}")
        self.mask_rate, self.mask_edge = mask_rate, bool(mask_edge)
        width = encoder_out_dim(gnn.num_layer, gnn.emb_dim, gnn.JK)
        self.linear_pred_atoms = nn.Linear(width, NUM_ATOM_CLASSES)
        # Created only when used: DistributedDataParallel refuses parameters that never get a gradient.
        self.linear_pred_bonds = nn.Linear(width, NUM_BOND_CLASSES) if self.mask_edge else None

    def transform(self, batch: Batch) -> Batch:
        batch = mask_atoms(batch, self.mask_rate)
        x, idx = batch.x, batch.masked_atom_indices
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


@register("edgepred")
class EdgePred(shared.EdgePred):
    """Edge prediction (the original's pretrain_edgepred.py): dot-product scores of bonded atom pairs
    against as many sampled non-bonded pairs per molecule."""

    encoder_cls = GNN


@register("infomax")
class Infomax(shared.Infomax):
    """Deep Graph Infomax (the original's pretrain_deepgraphinfomax.py): each atom scored against its
    own molecule's summary and the next molecule's in the batch."""

    encoder_cls = GNN


@register("supervised")
class Supervised(shared.GraphSupervised):
    """Graph-level supervised pre-training (the original's pretrain_supervised.py): GNN_graphpred on
    many binary tasks, BCE over the labels present (y != 0). Data: --dataset chembl_filtered with
    --chembl-dir, or any labelled CSV with --smiles-file (--threshold turns potencies into labels).
    Stack it on a node-level method with --input_model_file."""

    model_cls = GNN_graphpred

    def forward(self, batch: Batch) -> tuple[torch.Tensor, dict]:
        logits = self.model(batch).float()
        y = batch.y.view(logits.shape)
        present = y != 0
        correct = ((logits > 0) == (y > 0)) & present
        acc = correct.sum().float() / present.sum().clamp(min=1)
        return masked_bce_loss(logits, y), {"acc": acc.detach()}


# The methods with modules of their own register when imported.
from chem import contextpred, graphmae  # noqa: E402,F401
