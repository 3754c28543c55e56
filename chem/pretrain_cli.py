"""What every chem pre-training script does: the shared script steps (pretrain_gnns/pretrain_script.py)
on molecules: ZINC for node-level methods, ChEMBL for supervised, or any SMILES file.

A script names its method class (a ``PretrainMethod`` with ``add_args`` and ``from_args``) and calls
``main_for``; everything else is shared, so the scripts stay a few lines each.
"""
from __future__ import annotations

import argparse
from functools import partial

from chem.pretrain_data import add_data_args, load_pretrain_dataset
from pretrain_gnns import pretrain_script


def build_parser(method_cls, description: str | None, supervised: bool = False) -> argparse.ArgumentParser:
    return pretrain_script.build_parser(method_cls, description, supervised=supervised,
                                        dataset="chembl_filtered" if supervised else "zinc_standard_agent",
                                        add_data_args=partial(add_data_args, supervised=supervised))


def run(method_cls, args: argparse.Namespace, supervised: bool = False) -> dict:
    """Load the molecules (rank 0 first under torchrun), seed, build the method, train; returns the report."""
    return pretrain_script.run(method_cls, args, partial(load_pretrain_dataset, supervised=supervised))


def main_for(method_cls, argv: list[str] | None, description: str | None, supervised: bool = False) -> dict:
    args = build_parser(method_cls, description, supervised).parse_args(argv)
    return run(method_cls, args, supervised)
