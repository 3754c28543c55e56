"""Does bf16 train the same models as fp32? Pre-training loss curves and fine-tuning scores over
several seeds in each precision; bf16 passes where its mean lies within the fp32 seeds' range.

    python scripts/bf16_check.py --out docs/results/bf16_check
"""
from __future__ import annotations

import argparse
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("PRETRAIN_GNNS_SHARED") or os.path.join(os.path.dirname(REPO), "shared", "data")


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--methods", nargs="*", default=["attrmasking", "contextpred"],
                   help="pre-training methods to check (none: skip pre-training)")
    p.add_argument("--smiles-file", default=os.path.join(SHARED, "zinc", "moses", "train.csv.gz"), help="pre-training molecules")
    p.add_argument("--molecules", type=int, default=20000, help="first N molecules of --smiles-file")
    p.add_argument("--pretrain-epochs", type=int, default=2, help="pre-training epochs")
    p.add_argument("--datasets", nargs="*", default=["bace", "bbbp"], help="fine-tuning datasets (none: skip fine-tuning)")
    p.add_argument("--model", default=os.path.join(REPO, "models", "chem", "gin_attrmasking.pth"),
                   help="checkpoint every fine-tuning run starts from")
    p.add_argument("--data-root", default=os.path.join(SHARED, "moleculenet"), help="MoleculeNet root")
    p.add_argument("--finetune-epochs", type=int, default=100, help="fine-tuning epochs")
    p.add_argument("--seeds", default="0,1,2", help="seeds for each precision")
    p.add_argument("--out", default=None, help="write <out>.json and <out>.md")
    opts = p.parse_args(argv)
    sys.path.insert(0, REPO)
    from pretrain_gnns.runtime import keep_freed_memory
    from tools.bf16_check import markdown, run_checks
    keep_freed_memory()
    report = run_checks(opts.methods, opts.smiles_file, opts.molecules, opts.pretrain_epochs, opts.datasets,
                        opts.model, opts.data_root, opts.finetune_epochs, [int(s) for s in opts.seeds.split(",")])
    table = markdown(report)
    print(table)
    if opts.out:
        from pretrain_gnns.files import write_json, write_text
        from pretrain_gnns.runtime import hardware_record
        write_json(opts.out + ".json", {**report, "hardware": hardware_record("cpu")})
        write_text(opts.out + ".md", table)
    return report


if __name__ == "__main__":
    main()
