"""The original's bio/pretrain_edgepred.py: ``python -m bio.pretrain --method edgepred`` (the same flags)."""
from bio.pretrain import run_main, script

main = script("edgepred")
if __name__ == "__main__":
    run_main(main)
