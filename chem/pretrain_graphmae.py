"""GraphMAE (Hou et al., KDD 2022): ``python -m chem.pretrain --method graphmae`` as a script of its own."""
from chem.pretrain import run_main, script

main = script("graphmae")
if __name__ == "__main__":
    run_main(main)
