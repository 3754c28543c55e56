"""Infomax for molecules: the domain-free method (pretrain_gnns/pretrain_methods.py) on the chem GNN."""
from __future__ import annotations

from chem.model import GNN
from pretrain_gnns import pretrain_methods as shared
from pretrain_gnns.method import register


@register("infomax")
class Infomax(shared.Infomax):
    """Deep Graph Infomax (the original's pretrain_deepgraphinfomax.py): each atom scored against its
    own molecule's summary and the next molecule's in the batch."""

    encoder_cls = GNN
