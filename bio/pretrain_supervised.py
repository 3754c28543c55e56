"""Graph-level supervised pre-training on the coarse GO terms (the original's bio/pretrain_supervised.py):
GNN_graphpred on go_target_pretrain, BCE over all labels. Data: <data-root>/supervised, the species
split's train/valid species plus the easy half of human (the hard half stays unseen; --split_seed must
match bio/finetune.py --seed). Stack it on a node-level method with --input_model_file. Writes the
encoder (the GNN inside GNN_graphpred) to --output_model_file for bio/finetune.py --model_file."""
from __future__ import annotations


from bio.pretrain_cli import main_for


def main(argv: list[str] | None = None) -> dict:
    return main_for("supervised", argv, __doc__)


if __name__ == "__main__":
    from pretrain_gnns.cli_args import run_main
    run_main(main)
