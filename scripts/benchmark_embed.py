"""Embedding throughput, SMILES to vectors end to end (read, featurise, encode, pool, write), on this
machine, fp32 and bf16, beside the original's evaluation throughput (1,080 molecules/s, GIN, ORIGINAL.md).

Medians of repeats; run it alone on the machine (other processes distort it, see README "Speed"):

    python scripts/benchmark_embed.py --gnn-types gcn,gin --repeats 5 --out results/benchmark_embed

Weights do not change the speed: a zoo model is used where the file is at hand (--model-dir), a
seeded random encoder of the same shape otherwise. 'peak_rss_mb' is the process's peak resident memory
after the runs (the streamed writer keeps it flat in the number of molecules).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile

import torch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from pretrain_gnns.runtime import hardware_record, median_time  # noqa: E402

ORIGINAL_EVAL_MOL_S = 1080  # the original's evaluation throughput, GIN 5 x 300, this kind of machine


def default_smiles_file() -> str:
    from chem.embedded import pretraining_smiles_files
    return pretraining_smiles_files()[0]  # RDKit's NCI first_5K.smi


def encoder(gnn_type: str, model_dir: str | None):
    from chem.model import GNN
    from pretrain_gnns.zoo import ZooError, load_pretrained
    if model_dir:
        try:
            return load_pretrained(f"{gnn_type}_supervised_contextpred", model_dir=model_dir, progress=False)
        except ZooError:
            pass
    torch.manual_seed(0)
    return GNN(5, 300, gnn_type=gnn_type).eval()


def bench(smiles_file: str, gnn_type: str, precision: str, repeats: int, batch_size: int, model_dir: str | None,
          max_molecules: int | None, workers: int = 1) -> dict:
    from chem.embed import Embedder, embed_file, read_smiles_chunks
    src = smiles_file
    with tempfile.TemporaryDirectory(prefix="bench_embed_") as tmp:
        if max_molecules:
            src = os.path.join(tmp, "input.smi")
            rows = [s for chunk in read_smiles_chunks(smiles_file) for s in chunk][:max_molecules]
            with open(src, "w") as f:
                f.write("\n".join(rows) + "\n")
        embedder = Embedder(encoder(gnn_type, model_dir), batch_size=batch_size, precision=precision)
        out = os.path.join(tmp, "emb.npy")
        result = {}

        def run():
            result.update(embed_file(src, out, embedder, progress=False, workers=workers))

        seconds = median_time(run, repeats, warmup=1)
    n = result["rows"]
    return {"gnn_type": gnn_type, "precision": precision, "workers": workers, "molecules": n, "embedded": result["valid"],
            "seconds": seconds, "molecules_per_s": n / seconds, "vs_original": n / seconds / ORIGINAL_EVAL_MOL_S}


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smiles-file", default=None, help="molecules to embed (default: RDKit's NCI first_5K.smi)")
    p.add_argument("--max-molecules", type=int, default=None, help="only the first N molecules")
    p.add_argument("--gnn-types", default="gcn,gin", help="comma-separated architectures")
    p.add_argument("--precisions", default="fp32,bf16", help="comma-separated: fp32, bf16")
    p.add_argument("--repeats", type=int, default=5, help="timed repeats (median), after one warm-up")
    p.add_argument("--batch-size", type=int, default=512, help="molecules per forward pass")
    p.add_argument("--threads", type=int, default=2, help="torch threads (the original was measured with 2)")
    p.add_argument("--workers", type=int, default=1, help="featurising processes ahead of the encoder (as chem.embed)")
    p.add_argument("--model-dir", default=None, help="folder of released files (else random weights, same speed)")
    p.add_argument("--out", default="", help="output prefix for .json and .md (default: print only)")
    args = p.parse_args(argv)
    from pretrain_gnns.runtime import keep_freed_memory
    keep_freed_memory()  # as every command-line entry point does
    torch.set_num_threads(args.threads)
    smiles_file = args.smiles_file or default_smiles_file()
    rows = []
    for gnn_type in args.gnn_types.split(","):
        for precision in args.precisions.split(","):
            row = bench(smiles_file, gnn_type, precision, args.repeats, args.batch_size, args.model_dir,
                        args.max_molecules, args.workers)
            rows.append(row)
            print(f"{gnn_type:9s} {precision}  {row['molecules']} molecules  {row['seconds']:.2f} s  "
                  f"{row['molecules_per_s']:,.0f} mol/s  ({row['vs_original']:.2f}x the original's "
                  f"{ORIGINAL_EVAL_MOL_S} mol/s)", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report = {"rows": rows, "peak_rss_mb": peak, "threads": args.threads, "smiles_file": smiles_file,
              "original_eval_mol_s": ORIGINAL_EVAL_MOL_S, "hardware": hardware_record("cpu")}
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out + ".json", "w") as f:
            json.dump(report, f, indent=1)
        with open(args.out + ".md", "w") as f:
            f.write("| model | precision | molecules | seconds | molecules/s | vs original (1,080/s) |\n"
                    "|---|---|---:|---:|---:|---:|\n")
            for r in rows:
                f.write(f"| {r['gnn_type']} | {r['precision']} | {r['molecules']} | {r['seconds']:.2f} | "
                        f"{r['molecules_per_s']:,.0f} | {r['vs_original']:.2f}x |\n")
    print(f"peak RSS {peak:.0f} MB")
    return rows


if __name__ == "__main__":
    main()
