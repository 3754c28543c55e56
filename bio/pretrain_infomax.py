"""The original's bio/pretrain_deepgraphinfomax.py: ``python -m bio.pretrain --method infomax`` (the same flags)."""
from bio.pretrain import run_main, script

main = script("infomax")
if __name__ == "__main__":
    run_main(main)
