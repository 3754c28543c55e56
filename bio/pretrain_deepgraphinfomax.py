"""The original's name for bio/pretrain_infomax.py (same flags)."""
from __future__ import annotations


from bio.pretrain_infomax import main

if __name__ == "__main__":
    from pretrain_gnns.cli_args import run_main
    run_main(main)
