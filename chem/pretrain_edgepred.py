"""The original's chem/pretrain_edgepred.py: ``python -m chem.pretrain --method edgepred`` (the same flags)."""
from chem.pretrain import run_main, script

main = script("edgepred")
if __name__ == "__main__":
    run_main(main)
