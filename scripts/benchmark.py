"""Speed of featurisation, fine-tuning and evaluation on this machine, beside the original's figures.

Medians of repeats, all in one run. 'compute floor' = the same model and optimiser stepping over
batches collated beforehand (no data work at all); the fine-tune loop's figure includes shuffling
and cutting batches from the store, so loop / floor is the data overhead.

    python scripts/benchmark.py --data-root ../shared/data/moleculenet --out results/benchmark
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile

import torch

from pretrain_gnns.runtime import median_time

# The original's figures on this machine (2 cores, torch.set_num_threads(2), num_workers=0): ORIGINAL.md.
ORIGINAL = {"featurise_s_per_1000": 0.45, "hiv_featurise_s": 18.4, "finetune_s_per_epoch": 3.6,
            "finetune_mol_s": 450, "floor_mol_s": "475-500", "eval_mol_s": 1080, "bytes_per_mol": 2200}


def bench_featurise(data_root: str, name: str, repeats: int) -> dict:
    from chem.loader import MoleculeDataset
    from pretrain_gnns.data_root import dataset_dir
    folder = dataset_dir(name, data_root)
    cache = tempfile.mkdtemp(prefix="bench_cache_")
    os.environ["PRETRAIN_GNNS_CACHE"] = cache
    try:
        sec = median_time(lambda: MoleculeDataset(folder, dataset=name, force=True, verbose=False), repeats)
        ds = MoleculeDataset(folder, dataset=name, verbose=False)
        n_raw = ds.meta["num_raw"]
        return {"dataset": name, "molecules": n_raw, "seconds": sec, "s_per_1000": 1000 * sec / n_raw,
                "bytes_per_mol": ds.store.nbytes() / len(ds)}
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def bench_finetune(data_root: str, gnn_type: str, epochs: int, precisions: list[str],
                   device: torch.device = torch.device("cpu")) -> list[dict]:
    """Each precision's fine-tuning loop, compute floor and evaluation, the precisions' epochs
    interleaved (fp32, bf16, fp32, ...) so that both see the same machine: their ratio is the figure."""
    from chem.finetune import EVAL_BATCH, param_groups
    from chem.loader import load_dataset
    from chem.model import GNN_graphpred
    from pretrain_gnns.finetune_loop import predict, train_epoch
    from pretrain_gnns.graphstore import make_loader
    from pretrain_gnns.metrics import masked_bce_loss
    from pretrain_gnns.runtime import adam, autocast
    from chem.splitters import scaffold_split

    ds = load_dataset("bbbp", data_root, verbose=False)
    train, valid, test = scaffold_split(ds, ds.smiles_list)
    full = make_loader(ds, EVAL_BATCH)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    runs = {}
    for precision in precisions:
        torch.manual_seed(0)
        model = GNN_graphpred(5, 300, 1, drop_ratio=0.5, gnn_type=gnn_type).to(device)
        opt = adam(param_groups(model, 1e-3, 1), lr=1e-3)
        loader = make_loader(train, 32, shuffle=True)
        runs[precision] = (model, opt, loader, [b.to(device) for b in loader])  # the floor's: no data work

    def loop_epoch(precision):
        model, opt, loader, _ = runs[precision]
        train_epoch(model, loader, opt, device, precision=precision, progress=False)
        sync()

    def floor_epoch(precision):
        model, opt, _, batches = runs[precision]
        model.train()
        for b in batches:
            with autocast(device, precision):
                loss = masked_bce_loss(model(b).float(), b.y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sync()

    def evaluate(precision):
        predict(runs[precision][0], full, device, precision=precision)

    times = {p: {"loop": [], "floor": [], "eval": []} for p in precisions}
    for p in precisions:  # warm-up: allocator, kernels
        loop_epoch(p)
    for _ in range(epochs):
        for kind, fn in (("loop", loop_epoch), ("floor", floor_epoch), ("eval", evaluate)):
            for p in precisions:
                times[p][kind].append(median_time(lambda: fn(p), 1))
    out = []
    for p in precisions:
        loop, floor, ev = (statistics.median(times[p][k]) for k in ("loop", "floor", "eval"))
        out.append({"gnn_type": gnn_type, "precision": p, "train_molecules": len(train),
                    "loop_s_per_epoch": loop, "loop_mol_s": len(train) / loop, "floor_s_per_epoch": floor,
                    "floor_mol_s": len(train) / floor, "loop_over_floor": loop / floor, "eval_mol_s": len(ds) / ev})
    return out


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-root", default=None, help="folder holding bbbp/raw and hiv/raw (default: $PRETRAIN_GNNS_DATA)")
    p.add_argument("--epochs", type=int, default=5, help="timed epochs (median)")
    p.add_argument("--repeats", type=int, default=3, help="repeats of each featurisation (median)")
    p.add_argument("--threads", type=int, default=2, help="torch threads (the original was measured with 2)")
    p.add_argument("--gnn-types", default="gin", help="comma-separated architectures to time")
    p.add_argument("--bf16", action="store_true", help="also time bf16 autocast")
    p.add_argument("--skip-hiv", action="store_true", help="featurise BBBP only")
    p.add_argument("--device", default="cpu", help="device for fine-tuning and evaluation (cpu, cuda, cuda:N)")
    p.add_argument("--out", default="results/benchmark", help="output prefix for .json and .md")
    args = p.parse_args(argv)
    from pretrain_gnns.runtime import keep_freed_memory, resolve_device
    keep_freed_memory()  # as every command-line entry point does
    torch.set_num_threads(args.threads)
    res = {"featurise": [bench_featurise(args.data_root, n, args.repeats)
                         for n in (["bbbp"] if args.skip_hiv else ["bbbp", "hiv"])], "finetune": []}
    for gnn_type in args.gnn_types.split(","):
        res["finetune"] += bench_finetune(args.data_root, gnn_type, args.epochs, ["fp32"] + (["bf16"] if args.bf16 else []),
                                          resolve_device(args.device))
    res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    res["torch_threads"] = args.threads
    res["device"] = args.device
    from pretrain_gnns.runtime import hardware_record
    res["hardware"] = hardware_record(resolve_device(args.device))  # a speed figure names its machine
    table = markdown(res)
    print(table)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out + ".json", "w") as f:
        json.dump(res, f, indent=1)
    with open(args.out + ".md", "w") as f:
        f.write(table)
    return res


def markdown(res: dict) -> str:
    o = ORIGINAL
    rows = ["| work | original | this project | ratio |", "|---|---|---|---|"]
    for f in res["featurise"]:
        rows.append(f"| featurise {f['dataset']} ({f['molecules']} molecules), s per 1000 | {o['featurise_s_per_1000']} "
                    f"| {f['s_per_1000']:.3f} ({f['seconds']:.1f} s) | {o['featurise_s_per_1000'] / f['s_per_1000']:.1f}x |")
        rows.append(f"| stored graphs, bytes per molecule ({f['dataset']}) | {o['bytes_per_mol']} | {f['bytes_per_mol']:.0f} "
                    f"| {o['bytes_per_mol'] / f['bytes_per_mol']:.1f}x smaller |")
    for r in res["finetune"]:
        tag = f"{r['gnn_type']} {r['precision']}"
        if r["gnn_type"] == "gin" and r["precision"] == "fp32" and res.get("device", "cpu") == "cpu":
            orig_loop, orig_floor, orig_eval = f"{o['finetune_s_per_epoch']} s ({o['finetune_mol_s']} mol/s)", o["floor_mol_s"], o["eval_mol_s"]
        else:
            orig_loop = orig_floor = orig_eval = "n/a"
        rows.append(f"| fine-tune BBBP {tag}, bs 32: s/epoch | {orig_loop} | {r['loop_s_per_epoch']:.2f} s ({r['loop_mol_s']:.0f} mol/s) | |")
        rows.append(f"| compute-only floor {tag}, mol/s | {orig_floor} | {r['floor_mol_s']:.0f} (loop/floor {r['loop_over_floor']:.3f}) | |")
        rows.append(f"| eval {tag}, mol/s | {orig_eval} | {r['eval_mol_s']:.0f} | "
                    + (f"{r['eval_mol_s'] / o['eval_mol_s']:.1f}x |" if orig_eval != "n/a" else "|"))
    rows.append(f"\npeak RSS {res['peak_rss_mb']:.0f} MB; torch threads {res['torch_threads']}")
    return "\n".join(rows) + "\n" + precision_table(res["finetune"])


BF16_TARGET = 2.0  # bf16 against fp32, fine-tuning at batch 32 and evaluation


def precision_table(finetune: list[dict]) -> str:
    """bf16 against fp32 for each loop, from the same run, against the target ratio."""
    by = {(r["gnn_type"], r["precision"]): r for r in finetune}
    rows = ["", "| loop | fp32 mol/s | bf16 mol/s | bf16 / fp32 | target | met |", "|---|---|---|---|---|---|"]
    for gnn_type in dict.fromkeys(r["gnn_type"] for r in finetune):
        if (gnn_type, "bf16") not in by or (gnn_type, "fp32") not in by:
            continue
        for label, key in (("fine-tune BBBP, batch 32", "loop_mol_s"), ("evaluation, batch 512", "eval_mol_s")):
            a, b = by[(gnn_type, "fp32")][key], by[(gnn_type, "bf16")][key]
            rows.append(f"| {gnn_type} {label} | {a:.0f} | {b:.0f} | {b / a:.2f}x | {BF16_TARGET:.1f}x | "
                        f"{'yes' if b / a >= BF16_TARGET else 'no'} |")
    return "\n".join(rows) + "\n" if len(rows) > 3 else ""


if __name__ == "__main__":
    main(sys.argv[1:])
