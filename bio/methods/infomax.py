"""Infomax for ego-networks: the domain-free method (pretrain_gnns/pretrain_methods.py) on the bio GNN."""
from __future__ import annotations

from bio.model import GNN
from pretrain_gnns import pretrain_methods as shared
from pretrain_gnns.method import register


@register("infomax")
class Infomax(shared.Infomax):
    """Deep Graph Infomax (the original's bio/pretrain_deepgraphinfomax.py): each protein scored
    against its own ego-network's summary and the next one's in the batch."""

    encoder_cls = GNN
