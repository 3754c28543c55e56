"""Pre-train a bio GNN encoder: ``pretrain-gnns pretrain --domain bio --method NAME``
(``python -m bio.pretrain``; ``--help`` lists the methods).

Node-level methods read the ego-networks of ``<data-root>/unsupervised`` (--dataset); a method that
needs labels (supervised) reads ``<data-root>/supervised`` and trains on the species split's
train/valid species plus the easy half of human, as the original. The encoder goes to
--output_model_file, for bio/finetune.py --model_file. The original's per-method scripts
(bio/pretrain_masking.py, ...) are this command with the method fixed.
"""
from __future__ import annotations

from bio.domain import BIO as DOMAIN
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
