"""What every bio pre-training script does: the shared script steps (pretrain_gnns/pretrain_script.py)
on ego-networks.

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
from pretrain_gnns import pretrain_script
from pretrain_gnns.data_root import data_root
from pretrain_gnns.graphstore import GraphDataset
from pretrain_gnns.splitters import random_split, species_split


def build_parser(method: str, description: str | None) -> argparse.ArgumentParser:
    supervised = method == "supervised"
    return pretrain_script.build_parser(METHODS[method], description, supervised=supervised,
                                        dataset="supervised" if supervised else "unsupervised",
                                        add_data_args=None if supervised else add_model_file_alias)


def add_model_file_alias(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model_file", dest="output_model_file", default=argparse.SUPPRESS,
                   help="the original's name for --output_model_file")


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
    def load(args: argparse.Namespace) -> GraphDataset:
        dataset = load_bio_pretrain_dataset(args, method == "supervised")
        args.synthetic = bool(getattr(dataset, "synthetic", False))
        return dataset

    def describe(dataset: GraphDataset) -> str:
        return f"{len(dataset)} ego-networks{' (SYNTHETIC)' if getattr(dataset, 'synthetic', False) else ''}"

    return pretrain_script.run(METHODS[method], args, load, describe, tag="bio ")


def main_for(method: str, argv: list[str] | None, description: str | None) -> dict:
    return run(method, build_parser(method, description).parse_args(argv))
