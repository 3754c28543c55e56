"""Pre-train a bio GNN by Deep Graph Infomax (the original's bio/pretrain_deepgraphinfomax.py): each
protein's representation is scored by a bilinear discriminator against its ego-network's summary
(sigmoid of the mean) and against the next graph's in the batch. Reads <data-root>/unsupervised;
writes the encoder to --output_model_file (alias --model_file) for bio/finetune.py --model_file."""
from __future__ import annotations


from bio.pretrain_cli import main_for


def main(argv: list[str] | None = None) -> dict:
    return main_for("infomax", argv, __doc__)


if __name__ == "__main__":
    from pretrain_gnns.cli_args import run_main
    run_main(main)
