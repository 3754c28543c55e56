"""GraphMAE for molecules (Hou et al., KDD 2022, "GraphMAE: Self-Supervised Masked Graph Autoencoders",
the chem transfer-learning setting): reconstruct masked atoms' types through a GNN decoder.

Masking is AttrMasking's (chem/masking.py ``mask_atoms``: int(n * mask_rate + 1) atoms per
molecule get the mask token), at mask_rate 0.25. The encoder (the chem GNN, saved as the checkpoint)
embeds the masked molecule; the decoder re-masks: PReLU, a linear map without bias, the masked
atoms' rows set to zero (so their types can only come from their neighbours), then one GIN layer
whose MLP ends at the 119 atom classes. The loss is the scaled cosine error
mean((1 - cos(prediction, one-hot type)) ** alpha) over the masked atoms, alpha = 1.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.data import Batch

from chem.masking import NUM_ATOM_CLASSES, mask_atoms
from chem.model import GNN, GINConv
from pretrain_gnns.encoder import encoder_out_dim
from pretrain_gnns.method import Flag, PretrainMethod, register


def scaled_cosine_error(pred: torch.Tensor, target: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """mean over rows of (1 - cos(pred, target)) ** alpha; alpha > 1 down-weights the easy rows."""
    cos = (F.normalize(pred, p=2, dim=-1) * F.normalize(target, p=2, dim=-1)).sum(dim=-1)
    return (1 - cos).pow(alpha).mean()


class DecoderConv(GINConv):
    """The chem GIN layer (bond embeddings, self-loops, sum, MLP) with its MLP ending at ``out_dim``."""

    def __init__(self, emb_dim: int, out_dim: int) -> None:
        super().__init__(emb_dim)
        self.mlp[2] = nn.Linear(2 * emb_dim, out_dim)


@register("graphmae")
class GraphMAE(PretrainMethod):
    """GraphMAE (Hou et al., KDD 2022): mask 25% of the atoms with the mask token, encode, re-mask
    (PReLU, linear without bias, masked rows zeroed) and decode with one GIN layer to the 119 atom
    classes; scaled cosine error (alpha 1) against the masked atoms' one-hot types."""

    encoder_cls = GNN
    flags = (Flag("--mask_rate", float, 0.25, "share of atoms masked (int(n * rate + 1) per molecule)"),
             Flag("--alpha_l", float, 1.0, "exponent of the scaled cosine error (1: plain cosine error)"))

    def __init__(self, gnn: GNN, mask_rate: float = 0.25, alpha_l: float = 1.0) -> None:
        super().__init__(gnn)
        if not 0 <= mask_rate < 1:
            raise ValueError(f"mask_rate must be in [0, 1), got {mask_rate}")
        if alpha_l < 1:
            raise ValueError(f"alpha_l must be at least 1, got {alpha_l}")
        self.mask_rate, self.alpha_l = mask_rate, alpha_l
        width = encoder_out_dim(gnn.num_layer, gnn.emb_dim, gnn.JK)
        self.activation = nn.PReLU()
        self.enc_to_dec = nn.Linear(width, width, bias=False)
        self.decoder = DecoderConv(width, NUM_ATOM_CLASSES)

    def transform(self, batch: Batch) -> Batch:
        return mask_atoms(batch, self.mask_rate)

    def decode(self, node_rep: torch.Tensor, batch: Batch) -> torch.Tensor:
        """Atom-type scores of every atom, each masked atom's own representation zeroed first."""
        h = self.enc_to_dec(self.activation(node_rep))
        keep = torch.ones(h.size(0), 1, dtype=h.dtype, device=h.device)
        keep[batch.masked_atom_indices] = 0
        return self.decoder(h * keep, batch.edge_index, batch.edge_attr)

    def forward(self, batch: Batch) -> tuple[torch.Tensor, dict]:
        node_rep = self.gnn(batch.x, batch.edge_index, batch.edge_attr)
        pred = self.decode(node_rep, batch)[batch.masked_atom_indices].float()
        target = batch.mask_node_label[:, 0]
        loss = scaled_cosine_error(pred, F.one_hot(target, NUM_ATOM_CLASSES).float(), self.alpha_l)
        return loss, {"acc": (pred.argmax(1) == target).float().mean().detach()}
