"""Pre-train a chem GNN by attribute masking (the original's pretrain_masking.py): mask
int(n_atoms * mask_rate + 1) atoms per molecule, and with --mask_edge 1 the bonds touching them,
and predict their types. Writes the encoder to --output_model_file for finetune.py --input_model_file."""
from __future__ import annotations


from chem.pretrain_cli import main_for
from chem.pretrain_methods import AttrMasking


def main(argv: list[str] | None = None) -> dict:
    return main_for(AttrMasking, argv, __doc__)


if __name__ == "__main__":
    from pretrain_gnns.cli_args import run_main
    run_main(main)
