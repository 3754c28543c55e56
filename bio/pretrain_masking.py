"""Pre-train a bio GNN by edge-attribute masking (the original's bio/pretrain_masking.py): mask
int(num_edges * mask_rate + 1) interactions per ego-network and predict their evidence (the first
of the 7 channels that is on, as the original) from the two end proteins. Reads
<data-root>/unsupervised; writes the encoder to --output_model_file (alias --model_file) for
bio/finetune.py --model_file."""
from __future__ import annotations


from bio.pretrain_cli import main_for


def main(argv: list[str] | None = None) -> dict:
    return main_for("masking", argv, __doc__)


if __name__ == "__main__":
    from pretrain_gnns.cli_args import run_main
    run_main(main)
