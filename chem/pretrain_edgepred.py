"""Pre-train a chem GNN by edge prediction (the original's pretrain_edgepred.py): dot-product scores
of bonded atom pairs against as many sampled non-bonded pairs per molecule, binary cross-entropy.
Writes the encoder to --output_model_file for finetune.py --input_model_file."""
from __future__ import annotations


from chem.pretrain_cli import main_for
from chem.pretrain_methods import EdgePred


def main(argv: list[str] | None = None) -> dict:
    return main_for(EdgePred, argv, __doc__)


if __name__ == "__main__":
    from pretrain_gnns.cli_args import run_main
    run_main(main)
