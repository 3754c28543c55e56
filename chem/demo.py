"""The main job on data that ships with RDKit (no download): pre-train, fine-tune, compare.

1. Pre-train a GIN with AttrMasking on ~15k molecules of RDKit's wheel (NCI first_5K + WEHI).
2. Fine-tune on CHEMBL2321810 (1017 molecules with measured pIC50; active = pIC50 >= 7), scaffold
   split 80/10/10, from random initialisation and from the pre-trained encoder.
3. Print both test ROC-AUCs (at the best-validation epoch, and at the last epoch).

    python -m chem.demo                 # about 3-4 minutes on 2 cores
    python -m chem.demo --finetune-only # the fine-tuning part alone (under a minute or two)
"""
from __future__ import annotations

import argparse
import json
import os
import time

import torch


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--output-dir", default="runs/demo", help="where checkpoints, CSVs and JSONs go")
    p.add_argument("--pretrain-epochs", type=int, default=3, help="AttrMasking epochs over the ~15k-molecule corpus")
    p.add_argument("--finetune-epochs", type=int, default=30, help="fine-tuning epochs on CHEMBL2321810")
    p.add_argument("--runseed", type=int, default=0, help="fine-tuning seed (weights, dropout, batch order)")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    p.add_argument("--precision", default="fp32", choices=["fp32", "bf16"], help="bf16 autocast (opt-in)")
    p.add_argument("--finetune-only", action="store_true", help="skip pre-training: fine-tune from scratch only")
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    return p


def finetune(out: str, name: str, epochs: int, runseed: int, device: str, precision: str, model_file: str = "") -> dict:
    from chem.finetune import main as finetune_main
    argv = ["--dataset", "chembl2321810", "--epochs", str(epochs), "--runseed", str(runseed), "--device", device,
            "--precision", precision, "--output-dir", out, "--filename", name, "--quiet"]
    return finetune_main(argv + (["--input_model_file", model_file] if model_file else []))


def main(argv: list[str] | None = None) -> dict:
    args = build_parser().parse_args(argv)
    torch.set_num_threads(args.threads)
    os.makedirs(args.output_dir, exist_ok=True)
    start = time.time()
    results = {}
    model_file = ""
    if not args.finetune_only:
        from chem.pretrain_attrmasking import main as attrmasking_main
        model_file = os.path.join(args.output_dir, "gin_attrmasking.pth")
        print(f"== 1. pre-training AttrMasking on RDKit's NCI + WEHI molecules, {args.pretrain_epochs} epochs", flush=True)
        attrmasking_main(["--dataset", "rdkit_corpus", "--epochs", str(args.pretrain_epochs), "--device", args.device,
                          "--precision", args.precision, "--output_model_file", model_file])
    print(f"== 2. fine-tuning on CHEMBL2321810 from random initialisation, {args.finetune_epochs} epochs", flush=True)
    results["no pre-training"] = finetune(args.output_dir, "chembl2321810_scratch", args.finetune_epochs,
                                          args.runseed, args.device, args.precision)
    if model_file:
        print(f"== 3. fine-tuning on CHEMBL2321810 from the AttrMasking encoder, {args.finetune_epochs} epochs", flush=True)
        results["AttrMasking"] = finetune(args.output_dir, "chembl2321810_attrmasking", args.finetune_epochs,
                                          args.runseed, args.device, args.precision, model_file)
    summary = {k: {"test_at_best_val": v["test_at_best_val"], "best_epoch": v["best_epoch"], "test_last": v["test_last"]}
               for k, v in results.items()}
    summary["seconds"] = time.time() - start
    with open(os.path.join(args.output_dir, "demo_summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print("\nCHEMBL2321810 (pIC50 >= 7 active), scaffold split, test ROC-AUC:")
    print(f"  {'start':<18} {'best-val epoch':>15} {'last epoch':>11}")
    for k, v in results.items():
        print(f"  {k:<18} {v['test_at_best_val']:>15.4f} {v['test_last']:>11.4f}")
    print(f"({summary['seconds']:.0f} s; files in {args.output_dir})")
    return summary


if __name__ == "__main__":
    from pretrain_gnns.cli_args import run_main
    run_main(main)
