"""Pre-train a chem GNN by context prediction (the original's pretrain_contextpred.py): for a random
centre atom per molecule, tell its K-hop substructure (K = num_layer) from the surrounding context
ring (num_layer - 1 < d <= num_layer - 1 + csize hops, embedded by a context GNN of csize layers),
against other molecules' contexts in the batch. Molecules without context are dropped from their
batch (share reported as dropped_share). Writes the encoder to --output_model_file for
finetune.py --input_model_file."""
from __future__ import annotations


from chem.contextpred import ContextPred
from chem.pretrain_cli import main_for


def main(argv: list[str] | None = None) -> dict:
    return main_for(ContextPred, argv, __doc__)


if __name__ == "__main__":
    from pretrain_gnns.cli_args import run_main
    run_main(main)
