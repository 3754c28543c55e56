"""What every pre-training script does, chem or bio: flags, data, seed, method, the shared loop.

A method is a ``PretrainMethod`` class with ``add_args`` and ``from_args``; a domain's pretrain_cli
only says where its data comes from (and its flags), so its scripts stay a few lines each.
"""
from __future__ import annotations

import argparse
from typing import Callable

from pretrain_gnns.cli_args import HelpFormatter
from pretrain_gnns.graphstore import GraphDataset
from pretrain_gnns.pretrain_loop import add_pretrain_args, main_process_first, run_pretraining, setup_distributed
from pretrain_gnns.runtime import parse_device, seed_everything


def build_parser(method_cls, description: str | None, *, supervised: bool, dataset: str,
                 add_data_args: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.ArgumentParser:
    """The shared flags with the original's defaults, then the domain's data flags, then the method's."""
    p = argparse.ArgumentParser(description=description, formatter_class=HelpFormatter)
    # The original's defaults: node-level methods batch 256, dropout 0; supervised 32, 0.2.
    add_pretrain_args(p, batch_size=32 if supervised else 256, dropout_ratio=0.2 if supervised else 0.0,
                      dataset=dataset)
    if add_data_args is not None:
        add_data_args(p)
    method_cls.add_args(p)
    return p


def run(method_cls, args: argparse.Namespace, load_dataset: Callable[[argparse.Namespace], GraphDataset],
        describe: Callable[[GraphDataset], str] = lambda d: f"{len(d)} molecules", tag: str = "") -> dict:
    """Load the data (rank 0 first under torchrun), seed, build the method, train; returns the report."""
    parse_device(args.device)  # an unknown --device is refused before the data is read
    info = setup_distributed(args.device)
    with main_process_first(info):
        dataset = load_dataset(args)
    seed_everything(args.seed)
    method = method_cls.from_args(args, dataset)
    if info.is_main:
        print(f"[{tag}{method.name}] {describe(dataset)}, {sum(p.numel() for p in method.parameters()):,} parameters",
              flush=True)
    return run_pretraining(method, dataset, args)
