"""The original's chem/pretrain_contextpred.py: ``python -m chem.pretrain --method contextpred`` (the same flags)."""
from chem.pretrain import run_main, script

main = script("contextpred")
if __name__ == "__main__":
    run_main(main)
