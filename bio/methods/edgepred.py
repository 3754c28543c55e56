"""EdgePred for ego-networks: the domain-free method (pretrain_gnns/pretrain_methods.py) on the bio GNN."""
from __future__ import annotations

from bio.model import GNN
from pretrain_gnns import pretrain_methods as shared
from pretrain_gnns.method import register


@register("edgepred")
class EdgePred(shared.EdgePred):
    """Edge prediction (the original's bio/pretrain_edgepred.py): interacting protein pairs against
    sampled other pairs."""

    encoder_cls = GNN
