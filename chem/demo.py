"""The main job on data that ships with RDKit (no download): does a pre-trained GIN help?

1. Fine-tune on CHEMBL2321810 (1017 molecules with measured pIC50; active = pIC50 >= 7), scaffold
   split 80/10/10, from random initialisation and from a GIN this project pre-trained and ships in
   models/chem (docs/RESULTS.md says how it was made), over several fine-tuning seeds.
2. Print mean ± std of the test ROC-AUC under both selection rules (best-validation epoch, the
   original's; last epoch, GraphMAE's) and write demo_summary.json.

    python -m chem.demo                      # 3 seeds x 2 starts
    python -m chem.demo --pretrain-inline    # also pre-train AttrMasking on ~15k RDKit molecules first
                                             # and fine-tune from that encoder too
"""
from __future__ import annotations

import argparse
import os
import time
from multiprocessing import get_context

import numpy as np

from pretrain_gnns.cli_args import ArgumentParser, prog_name

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_MODEL = os.path.join(REPO, "models", "chem", "gin_supervised_attrmasking.pth")
DATASET = "chembl2321810"


def build_parser() -> argparse.ArgumentParser:
    from pretrain_gnns.cli_args import add_precision_arg
    p = ArgumentParser(prog=prog_name(), description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=DEFAULT_MODEL, help="pre-trained encoder to fine-tune from (a .pth of GIN 5x300; "
                   "default: this project's shipped supervised + AttrMasking GIN)")
    p.add_argument("--output-dir", default="runs/demo", help="where checkpoints, CSVs and JSONs go")
    p.add_argument("--seeds", default="0,1,2", help="fine-tuning seeds (weights, dropout, batch order), comma-separated")
    p.add_argument("--finetune-epochs", type=int, default=20, help="fine-tuning epochs on CHEMBL2321810")
    p.add_argument("--jobs", type=int, default=2, help="fine-tuning runs at once, in worker processes")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads per run (default: cores / jobs)")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    add_precision_arg(p)
    p.add_argument("--pretrain-inline", action="store_true",
                   help="also pre-train AttrMasking on RDKit's NCI + WEHI molecules here and fine-tune from it")
    p.add_argument("--pretrain-epochs", type=int, default=3, help="with --pretrain-inline: AttrMasking epochs")
    return p


def parse_seeds(text: str) -> list[int]:
    """--seeds as finetune.py --runseeds reads it (0,1,2 or 0-2); a seed named twice is refused: the
    table's "± std over n seeds" would count one run twice."""
    import argparse as _argparse

    from pretrain_gnns.cli_args import seed_list
    if not text.strip(", "):
        raise ValueError("--seeds names no seed")
    try:
        return seed_list(text.strip(","))
    except _argparse.ArgumentTypeError as err:
        raise ValueError(f"--seeds: {err}") from None


def finetune_one(out: str, name: str, epochs: int, runseed: int, device: str, precision: str,
                 model_file: str, threads: int) -> dict:
    """One fine-tuning run (in a worker process: its own torch threads)."""
    import torch

    from chem.finetune import main as finetune_main
    torch.set_num_threads(threads)
    argv = ["--dataset", DATASET, "--epochs", str(epochs), "--runseed", str(runseed), "--device", device,
            "--precision", precision, "--output-dir", out, "--filename", f"{name}_seed{runseed}", "--quiet"]
    result = finetune_main(argv + (["--input_model_file", model_file] if model_file else []))
    return {k: result[k] for k in ("test_at_best_val", "best_epoch", "test_last")}


def pretrain_inline(out: str, epochs: int, device: str, precision: str) -> str:
    from chem.pretrain import script
    model_file = os.path.join(out, "gin_attrmasking_inline.pth")
    print(f"== pre-training AttrMasking on RDKit's NCI + WEHI molecules, {epochs} epochs", flush=True)
    script("attrmasking")(["--dataset", "rdkit_corpus", "--epochs", str(epochs), "--device", device,
                      "--precision", precision, "--output_model_file", model_file, "--quiet"])
    return model_file


def run_all(starts: dict[str, str], seeds: list[int], args: argparse.Namespace) -> dict[str, list[dict]]:
    """Every (start, seed) run, ``args.jobs`` at a time; results per start in seed order."""
    jobs = [(name, seed) for name in starts for seed in seeds]
    threads = args.threads or max(1, (os.cpu_count() or 1) // max(1, args.jobs))
    results: dict[str, list[dict]] = {name: [] for name in starts}
    call = lambda name, seed: (args.output_dir, name, args.finetune_epochs, seed, args.device,  # noqa: E731
                               args.precision, starts[name], threads)
    if args.jobs <= 1:
        for name, seed in jobs:
            results[name].append(finetune_one(*call(name, seed)))
        return results
    # spawn, not fork: a forked child would inherit the parent's OpenMP state
    from pretrain_gnns.workers import worker_pool
    with worker_pool(args.jobs, mp_context=get_context("spawn")) as pool:  # dies with this process
        futures = [(name, pool.submit(finetune_one, *call(name, seed))) for name, seed in jobs]
        for name, future in futures:
            results[name].append(future.result())
    return results


def summarise(results: dict[str, list[dict]], seeds: list[int]) -> dict:
    summary = {}
    for name, runs in results.items():
        best = np.array([r["test_at_best_val"] for r in runs])
        last = np.array([r["test_last"] for r in runs])
        summary[name] = {"seeds": seeds, "test_at_best_val": best.tolist(), "test_last": last.tolist(),
                         "best_epochs": [r["best_epoch"] for r in runs],
                         "best_val_mean": float(best.mean()), "best_val_std": float(best.std()),
                         "last_mean": float(last.mean()), "last_std": float(last.std())}
    return summary


def print_table(summary: dict, n_seeds: int, epochs: int) -> None:
    """The result table, one write: its first column as wide as the longest start name (a long model
    file name does not push the numbers out of their columns)."""
    width = max([len("start"), *map(len, summary)])
    lines = [f"\nCHEMBL2321810 (pIC50 >= 7 active), scaffold split, {epochs} epochs, test ROC-AUC x 100, "
             f"mean ± std over {n_seeds} seed{'s' if n_seeds != 1 else ''}:",
             f"  {'start':<{width}} {'best-val epoch':>14} {'last epoch':>12}"]
    for name, s in summary.items():
        lines.append(f"  {name:<{width}} {100 * s['best_val_mean']:>7.1f} ± {100 * s['best_val_std']:<4.1f}"
                     f" {100 * s['last_mean']:>5.1f} ± {100 * s['last_std']:.1f}")
    print("\n".join(lines), flush=True)


def main(argv: list[str] | None = None) -> dict:
    args = build_parser().parse_args(argv)
    seeds = parse_seeds(args.seeds)
    for flag, value in (("--finetune-epochs", args.finetune_epochs), ("--jobs", args.jobs),
                        ("--threads", args.threads), ("--pretrain-epochs", args.pretrain_epochs)):
        if value is not None and value < 1:  # --threads 0 used to fail inside every worker
            raise ValueError(f"{flag} must be at least 1, got {value}")
    if not os.path.isfile(args.model):
        raise FileNotFoundError(f"pre-trained model not found: {args.model} (pass --model PATH)")
    from pretrain_gnns.files import check_folder_writable
    from pretrain_gnns.runtime import resolve_precision
    args.precision = resolve_precision(args.precision, args.device)  # once here, not in each run
    check_folder_writable(args.output_dir, "--output-dir")
    os.makedirs(args.output_dir, exist_ok=True)
    start = time.time()
    from chem.loader import load_dataset
    load_dataset(DATASET)  # featurise once here, not in each worker
    starts = {"no pre-training": "", f"pre-trained ({os.path.splitext(os.path.basename(args.model))[0]})": args.model}
    if args.pretrain_inline:
        starts["AttrMasking on 15k RDKit molecules"] = pretrain_inline(args.output_dir, args.pretrain_epochs,
                                                                       args.device, args.precision)
    print(f"== fine-tuning on {DATASET}: {len(starts)} starts x {len(seeds)} seeds, {args.finetune_epochs} epochs, "
          f"{args.jobs} at a time", flush=True)
    summary = summarise(run_all(starts, seeds, args), seeds)
    summary["seconds"] = time.time() - start
    from pretrain_gnns.files import write_json
    write_json(os.path.join(args.output_dir, "demo_summary.json"), summary)
    print_table({k: v for k, v in summary.items() if k != "seconds"}, len(seeds), args.finetune_epochs)
    print(f"({summary['seconds']:.0f} s; files in {args.output_dir})")
    return summary


if __name__ == "__main__":
    from pretrain_gnns.cli_args import run_main
    run_main(main)
