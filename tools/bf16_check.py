"""Does bf16 train the same models as fp32? Seed-to-seed spread of fp32 against bf16 runs.

Two checks, each with several seeds per precision, all in one run:

- pre-training: the per-epoch loss of a method on the first N ZINC-derived molecules;
- fine-tuning: test ROC-AUC (best-validation epoch and last epoch) from one checkpoint.

bf16 passes a check where its mean lies within the fp32 seeds' range (min to max), the spread that
seeds alone give. Nothing is written but the report: models go to a temporary folder.
"""
from __future__ import annotations

import os
import statistics
import tempfile

PRECISIONS = ("fp32", "bf16")


def pretrain_losses(method: str, smiles_file: str, molecules: int, epochs: int, seed: int, precision: str,
                    workdir: str) -> list[float]:
    """Per-epoch loss of one pre-training run."""
    from chem.pretrain import main
    report = main(["--method", method, "--smiles-file", smiles_file, "--max-molecules", str(molecules),
                   "--epochs", str(epochs), "--seed", str(seed), "--precision", precision, "--device", "cpu",
                   "--quiet", "--output_model_file", os.path.join(workdir, f"{method}_{precision}_{seed}")])
    return [h["loss"] for h in report["history"]]


def finetune_scores(dataset: str, model_file: str, data_root: str, epochs: int, seeds: list[int], precision: str,
                    workdir: str) -> list[tuple[float, float]]:
    """(test ROC-AUC at the best-validation epoch, at the last epoch) per seed, seeds in one process."""
    import json

    from chem.finetune import main
    out = os.path.join(workdir, f"{dataset}_{precision}")
    main(["--dataset", dataset, "--data-root", data_root, "--input_model_file", model_file, "--epochs", str(epochs),
          "--runseeds", ",".join(map(str, seeds)), "--precision", precision, "--device", "cpu", "--quiet",
          "--output-dir", out, "--filename", "seed{seed}"])
    scores = []
    for seed in seeds:
        with open(os.path.join(out, f"seed{seed}.json")) as f:
            r = json.load(f)
        scores.append((r["test_at_best_val"], r["test_last"]))
    return scores


def verdict(fp32: list[float], bf16: list[float]) -> dict:
    """fp32's range and mean, bf16's mean, and whether bf16's mean lies in fp32's range."""
    lo, hi = min(fp32), max(fp32)
    mean16 = statistics.fmean(bf16)
    return {"fp32": fp32, "bf16": bf16, "fp32_mean": statistics.fmean(fp32), "fp32_min": lo, "fp32_max": hi,
            "bf16_mean": mean16, "within": lo <= mean16 <= hi}


def run_checks(methods: list[str], smiles_file: str, molecules: int, pretrain_epochs: int, datasets: list[str],
               model_file: str, data_root: str, finetune_epochs: int, seeds: list[int]) -> dict:
    report: dict = {"pretrain": {}, "finetune": {}, "seeds": seeds, "molecules": molecules,
                    "pretrain_epochs": pretrain_epochs, "finetune_epochs": finetune_epochs, "model_file": model_file}
    with tempfile.TemporaryDirectory(prefix="bf16_check_") as workdir:
        for method in methods:
            curves = {p: [pretrain_losses(method, smiles_file, molecules, pretrain_epochs, s, p, workdir) for s in seeds]
                      for p in PRECISIONS}
            report["pretrain"][method] = [verdict([c[e] for c in curves["fp32"]], [c[e] for c in curves["bf16"]])
                                          for e in range(pretrain_epochs)]
            print(f"[bf16 check] {method}: " + "; ".join(
                f"epoch {e + 1} fp32 {v['fp32_min']:.4f}-{v['fp32_max']:.4f}, bf16 mean {v['bf16_mean']:.4f}"
                for e, v in enumerate(report["pretrain"][method])), flush=True)
        for dataset in datasets:
            scores = {p: finetune_scores(dataset, model_file, data_root, finetune_epochs, seeds, p, workdir)
                      for p in PRECISIONS}
            report["finetune"][dataset] = {rule: verdict([s[i] for s in scores["fp32"]], [s[i] for s in scores["bf16"]])
                                           for i, rule in enumerate(("best_val", "last"))}
            print(f"[bf16 check] {dataset}: " + "; ".join(
                f"{rule} fp32 {v['fp32_min']:.4f}-{v['fp32_max']:.4f}, bf16 mean {v['bf16_mean']:.4f}"
                for rule, v in report["finetune"][dataset].items()), flush=True)
    return report


def markdown(report: dict) -> str:
    seeds = ", ".join(map(str, report["seeds"]))
    lines = [f"bf16 against fp32, seeds {seeds} for each. Pass: bf16's mean lies within the fp32 seeds' range.", ""]
    if report["pretrain"]:
        lines += [f"Pre-training loss, {report['molecules']} ZINC-derived molecules, {report['pretrain_epochs']} epochs:", "",
                  "| method | epoch | fp32 seeds | fp32 range | bf16 seeds | bf16 mean | within |", "|---|---|---|---|---|---|---|"]
    for method, epochs in report["pretrain"].items():
        for e, v in enumerate(epochs):
            lines.append(f"| {method} | {e + 1} | {_list(v['fp32'])} | {v['fp32_min']:.4f}-{v['fp32_max']:.4f} | "
                         f"{_list(v['bf16'])} | {v['bf16_mean']:.4f} | {'yes' if v['within'] else 'no'} |")
    if report["finetune"]:
        lines += ["", f"Fine-tuning from `{os.path.basename(report['model_file'])}`, {report['finetune_epochs']} epochs, "
                  "test ROC-AUC:", "", "| dataset | rule | fp32 seeds | fp32 range | bf16 seeds | bf16 mean | within |",
                  "|---|---|---|---|---|---|---|"]
    for dataset, rules in report["finetune"].items():
        for rule, v in rules.items():
            lines.append(f"| {dataset} | {rule.replace('_', '-')} | {_list(v['fp32'])} | {v['fp32_min']:.4f}-"
                         f"{v['fp32_max']:.4f} | {_list(v['bf16'])} | {v['bf16_mean']:.4f} | {'yes' if v['within'] else 'no'} |")
    return "\n".join(lines) + "\n"


def _list(values: list[float]) -> str:
    return " / ".join(f"{v:.4f}" for v in values)
