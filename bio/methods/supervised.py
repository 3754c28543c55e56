"""Graph-level supervised pre-training of ego-networks on the coarse GO terms (the original's
bio/pretrain_supervised.py): the domain-free base (pretrain_gnns/pretrain_methods.py) with the bio
GNN_graphpred, BCE over all labels (0 = not annotated: no missing labels)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch_geometric.data import Batch

from bio.model import GNN_graphpred
from pretrain_gnns import pretrain_methods as shared
from pretrain_gnns.method import register


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
