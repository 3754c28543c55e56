"""What every chem pre-training script does: flags, data, seed, method, the shared loop.

A script names its method class (a ``PretrainMethod`` with ``add_args`` and ``from_args``) and calls
``main_for``; everything else is here, so the scripts stay a few lines each.
"""
from __future__ import annotations

import argparse

from chem.pretrain_data import add_data_args, load_pretrain_dataset
from pretrain_gnns.pretrain_loop import add_pretrain_args, main_process_first, run_pretraining, setup_distributed
from pretrain_gnns.runtime import seed_everything


def build_parser(method_cls, description: str | None, supervised: bool = False) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    # The original's defaults: node-level methods batch 256, dropout 0 on ZINC; supervised 32, 0.2 on ChEMBL.
    add_pretrain_args(p, batch_size=32 if supervised else 256, dropout_ratio=0.2 if supervised else 0.0,
                      dataset="chembl_filtered" if supervised else "zinc_standard_agent")
    add_data_args(p, supervised)
    method_cls.add_args(p)
    return p


def run(method_cls, args: argparse.Namespace, supervised: bool = False) -> dict:
    """Load the data (rank 0 first under torchrun), seed, build the method, train; returns the report."""
    info = setup_distributed(args.device)
    with main_process_first(info):
        dataset = load_pretrain_dataset(args, supervised)
    seed_everything(args.seed)
    method = method_cls.from_args(args, dataset)
    if info.is_main:
        print(f"[{method.name}] {len(dataset)} molecules, {sum(p.numel() for p in method.parameters()):,} parameters",
              flush=True)
    return run_pretraining(method, dataset, args)


def main_for(method_cls, argv: list[str] | None, description: str | None, supervised: bool = False) -> dict:
    args = build_parser(method_cls, description, supervised).parse_args(argv)
    return run(method_cls, args, supervised)
