"""Which GNN architectures exist, and which one a checkpoint holds.

The names are the keys of a domain's conv registry (``GNN.CONVS`` in chem/model.py or
bio/model.py); nothing else lists them. A checkpoint's architecture is read from the JSON written
beside it (``architecture``, or the ``gnn_type`` of the pre-training config it records) and, for
files without one (the original's released models), from its name's prefix (``gin_...``).
GCN and GraphSAGE encoders have identical keys and shapes, so a strict load alone cannot tell them
apart.

    python -m pretrain_gnns.architecture --list            # gin gcn graphsage gat
    python -m pretrain_gnns.architecture FILE.pth ...      # FILE<TAB>architecture (empty if unknown)
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys


def gnn_types(domain: str = "chem") -> list[str]:
    """The architectures of ``domain``'s GNN, in its conv registry's order."""
    return list(importlib.import_module(f"{domain}.model").GNN.CONVS)


def architecture_from_json(model_file: str) -> str | None:
    path = os.path.splitext(model_file)[0] + ".json"
    try:
        with open(path) as f:
            info = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict):
        return None
    arch = info.get("architecture")
    if isinstance(arch, dict):
        arch = arch.get("gnn_type")
    if isinstance(arch, str):
        return arch
    config = info.get("config")
    return config.get("gnn_type") if isinstance(config, dict) and isinstance(config.get("gnn_type"), str) else None


def architecture_from_name(model_file: str, known: list[str]) -> str | None:
    stem = os.path.basename(model_file).lower()
    named = [t for t in known if stem.startswith(t + "_")]
    return max(named, key=len) if named else None


def checkpoint_gnn_type(model_file: str, domain: str = "chem") -> str | None:
    """The checkpoint's architecture: from the JSON beside it, else from its name; None if neither says."""
    known = gnn_types(domain)
    arch = architecture_from_json(model_file)
    return arch if arch in known else architecture_from_name(model_file, known)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pretrain_gnns.architecture", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--domain", default="chem", choices=["chem", "bio"], help="whose conv registry")
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
