"""The original's chem/pretrain_masking.py: ``python -m chem.pretrain --method attrmasking`` (the same flags)."""
from chem.pretrain import run_main, script

main = script("attrmasking")
if __name__ == "__main__":
    run_main(main)
