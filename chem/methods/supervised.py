"""Graph-level supervised pre-training of molecules: the domain-free base
(pretrain_gnns/pretrain_methods.py) with the chem GNN_graphpred, its labels and masked loss."""
from __future__ import annotations

import torch
from torch_geometric.data import Batch

from chem.model import GNN_graphpred
from pretrain_gnns import pretrain_methods as shared
from pretrain_gnns.method import register
from pretrain_gnns.metrics import masked_bce_loss


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
