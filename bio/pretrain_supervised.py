"""The original's bio/pretrain_supervised.py: ``python -m bio.pretrain --method supervised`` (the same flags)."""
from bio.pretrain import run_main, script

main = script("supervised")
if __name__ == "__main__":
    run_main(main)
