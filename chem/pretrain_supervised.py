"""Graph-level supervised pre-training (the original's pretrain_supervised.py): GNN_graphpred on many
binary tasks, BCE over the labels present. Data: --dataset chembl_filtered with --chembl-dir (the
original's files), or any labelled CSV with --smiles-file (--threshold turns potencies into labels).
Stack it on a node-level method with --input_model_file. Writes the encoder (the GNN inside
GNN_graphpred) to --output_model_file for finetune.py --input_model_file."""
from __future__ import annotations


from chem.pretrain_cli import main_for
from chem.pretrain_methods import Supervised


def main(argv: list[str] | None = None) -> dict:
    return main_for(Supervised, argv, __doc__, supervised=True)


if __name__ == "__main__":
    from pretrain_gnns.cli_args import run_main
    run_main(main)
