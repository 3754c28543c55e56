"""Pre-train a bio GNN by edge prediction (the original's bio/pretrain_edgepred.py): dot-product
scores of interacting protein pairs against as many sampled non-interacting pairs per ego-network,
binary cross-entropy. Reads <data-root>/unsupervised; writes the encoder to --output_model_file
(alias --model_file) for bio/finetune.py --model_file."""
from __future__ import annotations


from bio.pretrain_cli import main_for


def main(argv: list[str] | None = None) -> dict:
    return main_for("edgepred", argv, __doc__)


if __name__ == "__main__":
    from pretrain_gnns.cli_args import run_main
    run_main(main)
