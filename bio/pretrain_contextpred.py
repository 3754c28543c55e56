"""The original's bio/pretrain_contextpred.py: ``python -m bio.pretrain --method contextpred`` (the same flags)."""
from bio.pretrain import run_main, script

main = script("contextpred")
if __name__ == "__main__":
    run_main(main)
