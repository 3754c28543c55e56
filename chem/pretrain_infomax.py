"""The original's chem/pretrain_deepgraphinfomax.py: ``python -m chem.pretrain --method infomax`` (the same flags)."""
from chem.pretrain import run_main, script

main = script("infomax")
if __name__ == "__main__":
    run_main(main)
