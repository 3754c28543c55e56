"""Pre-train a chem GNN encoder: ``pretrain-gnns pretrain --method NAME`` (``python -m chem.pretrain``;
``--help`` lists the methods).

Node-level methods train on molecules without labels (ZINC by default, or any SMILES file with
--smiles-file); a method that needs labels (supervised) on ChEMBL or a labelled CSV. The encoder
goes to --output_model_file, for chem/finetune.py --input_model_file. The original's per-method
scripts (chem/pretrain_masking.py, pretrain_contextpred.py, ...) are this command with the method fixed.
"""
from __future__ import annotations

from chem.domain import CHEM as DOMAIN
from pretrain_gnns import pretrain_script
from pretrain_gnns.cli_args import run_main


def main(argv: list[str] | None = None, method: str | None = None) -> dict:
    return pretrain_script.main(DOMAIN, argv, method)


def script(method: str):
    """The ``main`` of the original's script for ``method``."""
    return pretrain_script.script(DOMAIN, method)


__all__ = ["DOMAIN", "main", "run_main", "script"]

if __name__ == "__main__":
    run_main(main)
