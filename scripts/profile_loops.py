"""Where each loop's step time goes (matmul, sparse aggregation, batch norm, casts, dropout, the rest,
optimizer, data), fp32 beside bf16, from torch.profiler: the reasons behind benchmark.py's and
benchmark_pretrain.py's figures. Run it alone on the machine.

    python scripts/profile_loops.py --out docs/results/profile_cpu
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import torch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("PRETRAIN_GNNS_SHARED") or os.path.join(os.path.dirname(REPO), "shared", "data")
PRETRAIN = ("attrmasking", "contextpred", "edgepred", "infomax", "graphmae", "supervised")


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smiles-file", default=os.path.join(SHARED, "zinc", "moses", "test.csv.gz"),
                   help="molecules for the self-supervised methods")
    p.add_argument("--labels-file", default=os.path.join(SHARED, "chembl", "chembl_5thresh.csv.gz"),
                   help="labelled CSV for supervised pre-training (potencies, thresholded at 6)")
    p.add_argument("--data-root", default=os.path.join(SHARED, "moleculenet"), help="MoleculeNet root (BBBP for fine-tuning)")
    p.add_argument("--molecules", type=int, default=2048, help="molecules loaded for each pre-training loop")
    p.add_argument("--steps", type=int, default=8, help="profiled steps per loop (batch-32 loops: 4x as many)")
    p.add_argument("--loops", nargs="+", default=[*PRETRAIN, "finetune"], choices=[*PRETRAIN, "finetune"],
                   help="loops to profile ('finetune' = fine-tuning and evaluation on BBBP)")
    p.add_argument("--precisions", nargs="+", default=["fp32", "bf16"], choices=["fp32", "bf16"])
    p.add_argument("--compile", action="store_true", help="also time fine-tuning through torch.compile(dynamic=True)")
    p.add_argument("--threads", type=int, default=2, help="torch threads")
    p.add_argument("--out", default=None, help="write <out>.json and <out>.md")
    opts = p.parse_args(argv)
    from pretrain_gnns.runtime import keep_freed_memory
    keep_freed_memory()  # as every command-line entry point does
    torch.set_num_threads(opts.threads)
    sys.path.insert(0, REPO)
    from chem.loader import load_dataset
    from chem.pretrain_data import smiles_file_dataset
    from tools.profile_loops import compile_markdown, compile_trial, finetune_loops, markdown, pretrain_loop, profile_loop

    loops = []
    for name in opts.loops:
        if name == "finetune":
            loops += finetune_loops(load_dataset("bbbp", opts.data_root, verbose=False))
        elif name == "supervised":
            loops.append(pretrain_loop(name, smiles_file_dataset(opts.labels_file, max_rows=opts.molecules,
                                                                 label_columns=None, threshold=6.0)))
        else:
            loops.append(pretrain_loop(name, smiles_file_dataset(opts.smiles_file, max_rows=opts.molecules)))
    results = []
    for loop in loops:
        steps = opts.steps * (4 if loop.molecules_per_batch <= 32 else 1)
        for precision in opts.precisions:
            r = profile_loop(loop, precision, steps)
            results.append(r)
            print(f"{loop.name:28s} {precision}  {r['molecules_per_s']:7.0f} mol/s  " + "  ".join(
                f"{k} {100 * v:.0f}%" for k, v in r["share_by_kind"].items() if v >= 0.01), flush=True)
    table = markdown(results)
    trials = []
    if opts.compile:
        bbbp = load_dataset("bbbp", opts.data_root, verbose=False)
        trials = [compile_trial(bbbp, precision) for precision in opts.precisions]
        table += "\n" + compile_markdown(trials)
    print(table)
    if opts.out:
        from pretrain_gnns.files import write_json, write_text
        from pretrain_gnns.runtime import package_versions
        write_json(opts.out + ".json", {"threads": opts.threads, "cpu": cpu_name(), "versions": package_versions(),
                                        "results": results, "compile": trials})
        write_text(opts.out + ".md", f"CPU: {cpu_name()}, torch threads {opts.threads}.\n\n" + table)
    return results


def cpu_name() -> str:
    import platform
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


if __name__ == "__main__":
    main()
