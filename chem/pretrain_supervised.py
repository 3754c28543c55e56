"""Graph-level supervised pre-training (the original's pretrain_supervised.py): GNN_graphpred on many
binary tasks, BCE over the labels present. Data: --dataset chembl_filtered with --chembl-dir (the
original's files), or any labelled CSV with --smiles-file (--threshold turns potencies into labels).
Stack it on a node-level method with --input_model_file. Writes the encoder (the GNN inside
GNN_graphpred) to --output_model_file for finetune.py --input_model_file."""
from __future__ import annotations


from chem.pretrain_cli import build_parser, run
from chem.pretrain_methods import Supervised
from pretrain_gnns.zoo import add_model_dir_arg, resolve_input_model_arg


def main(argv: list[str] | None = None) -> dict:
    parser = build_parser(Supervised, __doc__, supervised=True)
    add_model_dir_arg(parser)
    args = parser.parse_args(argv)
    resolve_input_model_arg(args)  # a zoo name: its file, and the encoder flags from its entry
    return run(Supervised, args, supervised=True)


if __name__ == "__main__":
    from pretrain_gnns.cli_args import run_main
    run_main(main)
