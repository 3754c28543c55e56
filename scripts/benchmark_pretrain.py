"""Speed of every pre-training method, fp32 and bf16, beside the original's figures.

For each method: molecules per second through the real training loop (shuffle, cut, per-batch
transform, forward, backward, Adam), the share of step time spent waiting on data, the per-batch
transform alone in milliseconds per molecule, and the bytes each molecule takes in the store.
Medians of repeated epochs after a warm-up epoch, all in one run so that the figures compare.
On CUDA also the peak GPU memory. Prints a markdown table; --out also writes JSON and markdown.

    python scripts/benchmark_pretrain.py                      # CPU (docs/PERFORMANCE.md: how long)
    python scripts/benchmark_pretrain.py --device cuda --molecules 20000 --out $OUT/bench
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import torch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("PRETRAIN_GNNS_SHARED") or os.path.join(os.path.dirname(REPO), "shared", "data")
# The original on this kind of machine (2 cores, torch.set_num_threads(2), num_workers=0): ORIGINAL.md.
ORIGINAL = {"attrmasking": {"molecules_per_s": 525, "data_share": 0.05},
            "contextpred": {"molecules_per_s": 574, "data_share": 0.27, "transform_ms_per_mol": 0.47},
            "bytes_per_mol": 2200}
BF16_TARGET = 2.5  # bf16 against fp32, end to end, every pre-training method


def method_names() -> list[str]:
    from pretrain_gnns.method import methods
    return list(methods("chem"))


def build(name: str, dataset, emb_dim: int, num_layer: int, device: torch.device):
    """The method with its script's own defaults (batch 256 / 32, dropout 0 / 0.2) and given sizes."""
    from tools.profile_loops import build_method
    method, cfg = build_method(name, dataset, emb_dim, num_layer)
    return method.to(device), cfg


def median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def bench_method(name: str, dataset, opts: argparse.Namespace, device: torch.device, precisions: list[str]) -> list[dict]:
    """One method in each precision, their timed epochs interleaved (fp32, bf16, fp32, ...) so that
    both see the same machine: the ratio between them is the figure this compares."""
    from pretrain_gnns.graphstore import make_loader
    from pretrain_gnns.pretrain_loop import DistInfo, train_epoch
    from pretrain_gnns.runtime import adam
    runs = {}
    for precision in precisions:
        method, args = build(name, dataset, opts.emb_dim, opts.num_layer, device)
        batch_size = opts.batch_size or args.batch_size
        loader = make_loader(dataset, batch_size, shuffle=True, transform=method.transform, num_workers=opts.num_workers)
        runs[precision] = (method, adam(method.parameters(), lr=args.lr), loader)
    records = {p: [] for p in precisions}
    peaks = {p: 0.0 for p in precisions}
    for repeat in range(opts.repeats + 1):  # the first round warms up: allocator, kernels, caches
        for precision in precisions:
            method, optimizer, loader = runs[precision]
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
            record = train_epoch(method, loader, optimizer, device, precision, DistInfo(), progress=False)
            if repeat:
                records[precision].append(record)
            if device.type == "cuda":
                peaks[precision] = max(peaks[precision], torch.cuda.max_memory_allocated(device) / 2**20)
    # The per-batch transform alone, on batches cut beforehand.
    method = runs[precisions[0]][0]
    cuts = [dataset.batch(range(i, min(i + batch_size, len(dataset)))) for i in range(0, len(dataset), batch_size)]
    t_times = []
    for _ in range(opts.repeats):
        fresh = [c.clone() for c in cuts]
        t0 = time.perf_counter()
        for c in fresh:
            method.transform(c)
        t_times.append(time.perf_counter() - t0)
    out = []
    for precision in precisions:
        rec = records[precision]
        r = {"method": name, "precision": precision, "batch_size": batch_size, "molecules": len(dataset),
             "num_workers": opts.num_workers, "molecules_per_s": median([x["molecules_per_s"] for x in rec]),
             "data_share": median([x["data_share"] for x in rec]),
             "transform_ms_per_mol": 1000 * median(t_times) / len(dataset),
             "loss_last": rec[-1]["loss"], "epoch_seconds": [x["seconds"] for x in rec]}
        if device.type == "cuda":
            r["peak_gpu_memory_mb"] = peaks[precision]
        out.append(r)
    return out


def load_datasets(opts: argparse.Namespace) -> tuple:
    from chem.pretrain_data import smiles_file_dataset
    zinc = smiles_file_dataset(opts.smiles_file, max_rows=opts.molecules)
    chembl = None
    if "supervised" in opts.methods:
        chembl = smiles_file_dataset(opts.labels_file, max_rows=opts.molecules, label_columns=None, threshold=6.0)
    return zinc, chembl


def markdown(results: list[dict], meta: dict) -> str:
    lines = [f"Pre-training speed: {meta['device_name']}, {meta['molecules']} molecules, GNN {meta['num_layer']} x "
             f"{meta['emb_dim']}, torch threads {meta['threads']}, loader workers {meta['num_workers']}; medians of {meta['repeats']} epochs after a warm-up. "
             f"Store: {meta['bytes_per_mol']:.0f} bytes per molecule (original: {ORIGINAL['bytes_per_mol']} in RAM).", "",
             f"bf16 target: {BF16_TARGET:.1f}x fp32 for every method.", "",
             "| method | precision | batch | molecules/s | data share | transform ms/mol | bf16 speed-up | peak GPU MB | original mol/s (data share) |",
             "|---|---|---|---|---|---|---|---|---|"]
    fp32 = {r["method"]: r["molecules_per_s"] for r in results if r["precision"] == "fp32"}
    for r in results:
        orig = ORIGINAL.get(r["method"])
        orig_s = f"{orig['molecules_per_s']} ({100 * orig['data_share']:.0f}%)" if orig else ""
        ratio = r["molecules_per_s"] / fp32[r["method"]] if r["precision"] == "bf16" and r["method"] in fp32 else None
        speedup = f"{ratio:.2f}x ({'met' if ratio >= BF16_TARGET else 'not met'})" if ratio else ""
        peak = f"{r['peak_gpu_memory_mb']:.0f}" if "peak_gpu_memory_mb" in r else ""
        lines.append(f"| {r['method']} | {r['precision']} | {r['batch_size']} | {r['molecules_per_s']:.0f} | "
                     f"{100 * r['data_share']:.1f}% | {r['transform_ms_per_mol']:.4f} | {speedup} | {peak} | {orig_s} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smiles-file", default=os.path.join(SHARED, "zinc", "moses", "test.csv.gz"),
                   help="molecules for the self-supervised methods (first --molecules rows)")
    p.add_argument("--labels-file", default=os.path.join(SHARED, "chembl", "chembl_5thresh.csv.gz"),
                   help="labelled CSV for supervised (potencies, thresholded at 6)")
    p.add_argument("--molecules", type=int, default=2048, help="molecules per epoch")
    p.add_argument("--repeats", type=int, default=3, help="timed epochs per method and precision (median)")
    p.add_argument("--methods", nargs="+", default=method_names(), choices=method_names())
    p.add_argument("--precisions", nargs="+", default=["fp32", "bf16"], choices=["fp32", "bf16"],
                   help="precisions to time, each method's in the same run")
    p.add_argument("--bf16", action="store_true", help="time bf16 beside fp32 (also the default of --precisions)")
    p.add_argument("--emb_dim", type=int, default=300)
    p.add_argument("--num_layer", type=int, default=5)
    p.add_argument("--batch_size", type=int, default=None, help="default: each method's own (256, supervised 32)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--num-workers", dest="num_workers", type=int, default=0,
                   help="DataLoader workers cutting and transforming batches beside the training process")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    p.add_argument("--out", default=None, help="write <out>.json and <out>.md")
    opts = p.parse_args(argv)
    if opts.bf16:
        opts.precisions = list(dict.fromkeys(["fp32", *opts.precisions, "bf16"]))
    from pretrain_gnns.runtime import keep_freed_memory
    keep_freed_memory()  # as every command-line entry point does
    if opts.threads:
        torch.set_num_threads(opts.threads)
    sys.path.insert(0, REPO)
    from pretrain_gnns.runtime import hardware_record, package_versions, resolve_device
    device = resolve_device(opts.device)
    zinc, chembl = load_datasets(opts)
    results = []
    for name in opts.methods:
        dataset = chembl if name == "supervised" else zinc
        for r in bench_method(name, dataset, opts, device, opts.precisions):
            results.append(r)
            precision = r["precision"]
            print(f"{name:12s} {precision}  {r['molecules_per_s']:8.0f} mol/s  data {100 * r['data_share']:5.1f}%  "
                  f"transform {r['transform_ms_per_mol']:.4f} ms/mol", flush=True)
    meta = {"device": str(device), "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else
            f"CPU ({os.cpu_count()} cores)", "threads": torch.get_num_threads(), "molecules": len(zinc),
            "emb_dim": opts.emb_dim, "num_layer": opts.num_layer, "repeats": opts.repeats, "num_workers": opts.num_workers,
            "bytes_per_mol": zinc.store.nbytes() / len(zinc), "versions": package_versions(),
            "hardware": hardware_record(device)}  # a speed figure names its machine (CPU kind, native bf16)
    table = markdown(results, meta)
    print(table)
    if opts.out:
        os.makedirs(os.path.dirname(os.path.abspath(opts.out)), exist_ok=True)
        with open(opts.out + ".json", "w") as f:
            json.dump({"meta": meta, "results": results, "original": ORIGINAL}, f, indent=1)
        with open(opts.out + ".md", "w") as f:
            f.write(table)
    return {"meta": meta, "results": results}


if __name__ == "__main__":
    main()
