"""AttrMasking for molecules (the original's chem/pretrain_masking.py), vectorised over the batch.

``transform`` prepares a whole batch in one step (it runs as the DataLoader's collate and replaces
fields of the freshly cut batch, so the stored dataset never changes: the original's in-place
MaskAtom corrupted it). Heads keep the original's names (linear_pred_atoms, linear_pred_bonds).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.data import Batch

from chem.features import MASK_BOND_TYPE
from chem.masking import NUM_ATOM_CLASSES, NUM_BOND_CLASSES, mask_atoms
from chem.model import GNN
from pretrain_gnns.encoder import encoder_out_dim
from pretrain_gnns.graph_ops import edges_touching
from pretrain_gnns.method import Flag, PretrainMethod, register


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
