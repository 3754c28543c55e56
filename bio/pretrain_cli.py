"""What every bio pre-training script does: flags, data, seed, method, the shared loop.

Node-level methods read ``<data-root>/unsupervised`` (--dataset); supervised reads
``<data-root>/supervised`` and trains on the species split's train/valid species plus the easy half
of human, as the original. A script names its method and calls ``main_for``.
"""
from __future__ import annotations

import argparse
import os

import numpy as np

from bio.loader import BioDataset, combine_dataset
from bio.pretrain_methods import METHODS
from pretrain_gnns.data_root import data_root
from pretrain_gnns.graphstore import GraphDataset
from pretrain_gnns.pretrain_loop import add_pretrain_args, main_process_first, run_pretraining, setup_distributed
from pretrain_gnns.runtime import seed_everything
from pretrain_gnns.splitters import random_split, species_split


def build_parser(method: str, description: str | None) -> argparse.ArgumentParser:
    supervised = method == "supervised"
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    # The original's defaults: node-level methods batch 256, dropout 0; supervised 32, 0.2.
    add_pretrain_args(p, batch_size=32 if supervised else 256, dropout_ratio=0.2 if supervised else 0.0,
                      dataset="supervised" if supervised else "unsupervised")
    if not supervised:
        p.add_argument("--model_file", dest="output_model_file", default=argparse.SUPPRESS,
                       help="the original's name for --output_model_file")
    METHODS[method][0](p)
    return p


def load_bio_pretrain_dataset(args: argparse.Namespace, supervised: bool) -> GraphDataset:
    """The ego-networks to train on: <data-root>/<dataset>; for supervised, the original's training part."""
    root = os.path.join(data_root(args.data_root), args.dataset)
    dataset = BioDataset(root, "supervised" if supervised else "unsupervised")
    if supervised:
        if args.split == "species":
            train_valid, test = species_split(dataset)
            easy, _, _ = random_split(test, frac_train=0.5, frac_valid=0.5, frac_test=0.0, seed=args.split_seed)
            part = combine_dataset(train_valid, easy)
        else:
            train, valid, _ = random_split(dataset, seed=args.split_seed)
            part = combine_dataset(train, valid)
        dataset = part
    if args.max_molecules is not None:
        if args.max_molecules < 1:
            raise ValueError("--max-molecules must be at least 1")
        dataset = dataset[np.arange(min(args.max_molecules, len(dataset)))]
    if len(dataset) == 0:
        raise ValueError(f"no ego-networks to train on in {root}")
    return dataset


def run(method: str, args: argparse.Namespace) -> dict:
    info = setup_distributed(args.device)
    with main_process_first(info):
        dataset = load_bio_pretrain_dataset(args, method == "supervised")
    args.synthetic = bool(getattr(dataset, "synthetic", False))
    seed_everything(args.seed)
    model = METHODS[method][1](args, dataset)
    if info.is_main:
        print(f"[bio {model.name}] {len(dataset)} ego-networks{' (SYNTHETIC)' if args.synthetic else ''}, "
              f"{sum(p.numel() for p in model.parameters()):,} parameters", flush=True)
    return run_pretraining(model, dataset, args)


def main_for(method: str, argv: list[str] | None, description: str | None) -> dict:
    return run(method, build_parser(method, description).parse_args(argv))
