"""The original's bio/pretrain_masking.py: ``python -m bio.pretrain --method masking`` (the same flags)."""
from bio.pretrain import run_main, script

main = script("masking")
if __name__ == "__main__":
    run_main(main)
