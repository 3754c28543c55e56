"""Pre-train a chem GNN by Deep Graph Infomax (the original's pretrain_deepgraphinfomax.py): each
atom's representation is scored by a bilinear discriminator against its molecule's summary
(sigmoid of the mean) and against the next molecule's in the batch. Writes the encoder to
--output_model_file for finetune.py --input_model_file."""
from __future__ import annotations


from chem.pretrain_cli import main_for
from chem.pretrain_methods import Infomax


def main(argv: list[str] | None = None) -> dict:
    return main_for(Infomax, argv, __doc__)


if __name__ == "__main__":
    from pretrain_gnns.cli_args import run_main
    run_main(main)
