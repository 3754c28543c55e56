"""The ego-networks bio pre-training reads, and its data flags.

Node-level methods read the ego-networks of ``<data-root>/unsupervised`` (--dataset); a method that
needs labels (supervised) reads ``<data-root>/supervised`` and trains on the species split's
train/valid species plus the easy half of human, as the original.
"""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass

import numpy as np

from bio.loader import BioDataset, combine_dataset
from bio.splitters import species_split
from pretrain_gnns.config import add_options, option, state
from pretrain_gnns.data_root import data_root
from pretrain_gnns.graphstore import GraphDataset
from pretrain_gnns.pretrain_config import PretrainConfig
from pretrain_gnns.splitters import random_split


@dataclass
class EgoNetworkData:
    """What the ego-networks turned out to be (recorded in the report)."""

    synthetic: bool = state(False)


@dataclass
class LabelledEgoNetworkData(EgoNetworkData):
    """Supervised pre-training's part of the labelled ego-networks."""

    split: str = option("species", "species: train on the train/valid species plus the easy half of human (the hard "
                        "half stays unseen for fine-tuning's test); random: the train and valid parts of an 80/10/10 "
                        "split", choices=("species", "random"))
    split_seed: int = option(42, "seed of the dataset split, as the original's --seed (must match bio/finetune.py "
                             "--seed)", flag="--seed", aliases=("--split_seed",), type=int)


def data_config(labels: bool) -> type:
    return LabelledEgoNetworkData if labels else EgoNetworkData


def add_data_args(p: argparse.ArgumentParser, needs_labels: bool) -> None:
    add_options(p, data_config(needs_labels))
    if not needs_labels:
        p.add_argument("--model_file", dest="output_model_file", default=argparse.SUPPRESS,
                       help="the original's name for --output_model_file")


def load_bio_pretrain_dataset(cfg: PretrainConfig, labels: bool) -> GraphDataset:
    """The ego-networks to train on: <data-root>/<dataset>; with labels, the original's training part."""
    root = os.path.join(data_root(cfg.data_root), cfg.dataset)
    dataset = BioDataset(root, "supervised" if labels else "unsupervised")
    if labels:
        split_seed = cfg.data.split_seed
        if cfg.data.split == "species":
            train_valid, test = species_split(dataset)
            easy, _, _ = random_split(test, frac_train=0.5, frac_valid=0.5, frac_test=0.0, seed=split_seed)
            part = combine_dataset(train_valid, easy)
        else:
            train, valid, _ = random_split(dataset, seed=split_seed)
            part = combine_dataset(train, valid)
        dataset = part
    if cfg.max_molecules is not None:
        if cfg.max_molecules < 1:
            raise ValueError("--max-molecules must be at least 1")
        dataset = dataset[np.arange(min(cfg.max_molecules, len(dataset)))]
    if len(dataset) == 0:
        raise ValueError(f"no ego-networks to train on in {root}")
    return dataset
