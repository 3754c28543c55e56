"""The original's name for chem/pretrain_attrmasking.py (same flags)."""
from __future__ import annotations


from chem.pretrain_attrmasking import main

if __name__ == "__main__":
    from pretrain_gnns.cli_args import run_main
    run_main(main)
