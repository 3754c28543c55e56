"""EdgePred for molecules: the domain-free method (pretrain_gnns/pretrain_methods.py) on the chem GNN."""
from __future__ import annotations

from chem.model import GNN
from pretrain_gnns import pretrain_methods as shared
from pretrain_gnns.method import register


@register("edgepred")
class EdgePred(shared.EdgePred):
    """Edge prediction (the original's pretrain_edgepred.py): dot-product scores of bonded atom pairs
    against as many sampled non-bonded pairs per molecule."""

    encoder_cls = GNN
