"""The original's chem/pretrain_supervised.py: ``python -m chem.pretrain --method supervised`` (the same flags)."""
from chem.pretrain import run_main, script

main = script("supervised")
if __name__ == "__main__":
    run_main(main)
