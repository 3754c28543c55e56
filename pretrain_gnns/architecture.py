"""Which GNN architectures exist, and which one a checkpoint holds.

The names are the keys of a domain's conv registry (``GNN.CONVS`` of its model module); nothing
else lists them. A checkpoint's architecture is read from its card, the JSON
beside it (pretrain_gnns/card.py), and, for files without one (the original's released models),
from its name's prefix (``gin_...``).
GCN and GraphSAGE encoders have identical keys and shapes, so a strict load alone cannot tell them
apart.

    python -m pretrain_gnns.architecture --list            # the default domain's: gin gcn graphsage gat
    python -m pretrain_gnns.architecture FILE.pth ...      # FILE<TAB>architecture (empty if unknown)
"""
from __future__ import annotations

import argparse
import os
import sys

from pretrain_gnns.card import recorded_architecture
from pretrain_gnns.domain import get_domain

__all__ = ["architecture_from_json", "architecture_from_name", "checkpoint_gnn_type", "gnn_types", "main",
           "recorded_architecture"]


def gnn_types(domain: str | None = None) -> list[str]:
    """The architectures of ``domain``'s GNN (None: the default domain), in its conv registry's order."""
    return get_domain(domain).gnn_types()


def architecture_from_json(model_file: str) -> str | None:
    gnn_type = recorded_architecture(model_file).get("gnn_type")
    return gnn_type if isinstance(gnn_type, str) else None


def architecture_from_name(model_file: str, known: list[str]) -> str | None:
    stem = os.path.basename(model_file).lower()
    named = [t for t in known if stem.startswith(t + "_")]
    return max(named, key=len) if named else None


def checkpoint_gnn_type(model_file: str, domain: str | None = None) -> str | None:
    """The checkpoint's architecture: from the JSON beside it, else from its name; None if neither says."""
    known = gnn_types(domain)
    arch = architecture_from_json(model_file)
    return arch if arch in known else architecture_from_name(model_file, known)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pretrain_gnns.architecture", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--domain", default=None, help="whose conv registry (default: the default domain)")
    p.add_argument("--list", action="store_true", help="print the known architectures, space-separated")
    p.add_argument("files", nargs="*", help="checkpoints: print FILE<TAB>architecture for each")
    args = p.parse_args(argv)
    if args.list:
        print(" ".join(gnn_types(args.domain)))
    for f in args.files:
        print(f"{f}\t{checkpoint_gnn_type(f, args.domain) or ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
