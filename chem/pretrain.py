"""Pre-train a chem GNN encoder: ``python -m chem.pretrain --method NAME`` (``--help`` lists the methods).

Node-level methods train on molecules without labels (ZINC by default, or any SMILES file with
--smiles-file); a method that needs labels (supervised) on ChEMBL or a labelled CSV. The encoder
goes to --output_model_file, for chem/finetune.py --input_model_file. The original's per-method
scripts (chem/pretrain_masking.py, pretrain_contextpred.py, ...) are this command with the method fixed.
"""
from __future__ import annotations

import argparse

from chem.pretrain_data import add_data_args, load_pretrain_dataset
from pretrain_gnns import pretrain_script
from pretrain_gnns.cli_args import run_main
from pretrain_gnns.graphstore import GraphDataset
from pretrain_gnns.pretrain_config import PretrainConfig
from pretrain_gnns.pretrain_script import MethodClass


def _add_data_args(p: argparse.ArgumentParser, method_cls: MethodClass) -> None:
    add_data_args(p, labels=method_cls.needs_labels)


def _load(cfg: PretrainConfig, method_cls: MethodClass) -> GraphDataset:
    return load_pretrain_dataset(cfg, labels=method_cls.needs_labels)


DOMAIN = pretrain_script.Domain(
    name="chem",
    default_dataset=lambda method_cls: "chembl_filtered" if method_cls.needs_labels else "zinc_standard_agent",
    add_data_args=_add_data_args, load_dataset=_load, describe=lambda dataset: f"{len(dataset)} molecules")


def main(argv: list[str] | None = None, method: str | None = None) -> dict:
    return pretrain_script.main(DOMAIN, argv, method)


def script(method: str):
    """The ``main`` of the original's script for ``method``."""
    return pretrain_script.script(DOMAIN, method)


__all__ = ["main", "run_main", "script"]

if __name__ == "__main__":
    run_main(main)
