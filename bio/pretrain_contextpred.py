"""Pre-train a bio GNN by context prediction (the original's bio/pretrain_contextpred.py): the whole
ego-network read at its centre protein against the context (proteins more than --l1 hops from a
root: random, or the centre with --center 1) embedded by a 3-layer context GNN, versus other
graphs' contexts in the batch. Graphs without context are dropped from their batch (dropped_share).
Reads <data-root>/unsupervised; writes the encoder to --output_model_file (alias --model_file)."""
from __future__ import annotations


from bio.pretrain_cli import main_for


def main(argv: list[str] | None = None) -> dict:
    return main_for("contextpred", argv, __doc__)


if __name__ == "__main__":
    from pretrain_gnns.cli_args import run_main
    run_main(main)
