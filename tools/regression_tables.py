"""The regression table of a sweep (ESOL, FreeSolv, Lipophilicity): test RMSE per configuration and
dataset under both selection rules, beside the trivial baseline (the training split's mean) and
published references with their settings, and the pre-training gain (a lower RMSE is a gain).

RMSE is in each target's units, so no average over datasets is shown: it would add log-solubility to
kcal/mol. The gain counts say, per selection rule, in how many (pre-trained model, dataset) pairs
pre-training lowered the mean test RMSE, and in how many by more than two standard errors.
"""
from __future__ import annotations

import csv
import os

from pretrain_gnns.files import write_text
from tools.result_tables import MISSING, markdown_table, name, to_csv
from tools.results import RULE_LABELS, RULES, Cell, Summary

UNITS = {"esol": "log mol/L", "freesolv": "kcal/mol", "lipophilicity": "logD"}

CAPTION = (f"Test RMSE in each target's units ({', '.join(f'{name(d)}: {u}' for d, u in UNITS.items())}), "
           "lower is better; mean ± sample standard deviation (ddof=1) over fine-tuning seeds, n = number of seeds; "
           f"{MISSING} = no run. *val* = {RULE_LABELS['best_val']} (the epoch of lowest validation RMSE), *last* = "
           f"{RULE_LABELS['last']}. *training mean* = every test molecule predicted as the training split's mean "
           "(no model; the same split).")


def fmt_rmse(c: Cell) -> str:
    if c.n == 0:
        return MISSING
    return f"{c.mean:.3f} ± {c.std:.3f} (n={c.n})" if c.std is not None else f"{c.mean:.3f} (n={c.n})"


def rmse_table(s: Summary) -> str:
    header = ["Configuration"] + [f"{name(d)} ({short})" for d in s.datasets for short in ("val", "last")]
    base = ["training mean (no model)"]
    for d in s.datasets:
        cell = s.baselines.get(d, Cell(None, None, 0))
        base += [MISSING if cell.n == 0 else f"{cell.mean:.3f}"] * 2
    rows = [base] + [[c] + [fmt_rmse(s.cell(c, d, rule)) for d in s.datasets for rule in RULES] for c in s.configs]
    return markdown_table(header, rows)


def gain_records(s: Summary) -> list[dict]:
    """RMSE of no pre-training minus RMSE of each pre-trained model of its architecture (positive = helps)."""
    out = []
    for c in s.configs:
        base = s.scratch_of(s.architecture[c])
        if not s.pretrained[c] or base is None:
            continue
        for d in s.datasets:
            for rule in RULES:
                gain, se = s.gain(c, d, rule)
                out.append({"config": c, "no_pretrain_config": base, "dataset": d, "rule": rule,
                            "rmse_reduction": "" if gain is None else round(gain, 4),
                            "standard_error": "" if se is None else round(se, 4)})
    return out


def gain_table(s: Summary) -> str:
    records = {(r["config"], r["dataset"], r["rule"]): r for r in gain_records(s)}
    configs = list(dict.fromkeys(c for c, _, _ in records))
    header = ["Pre-trained model", "vs"] + [f"{name(d)} ({short})" for d in s.datasets for short in ("val", "last")]
    rows = []
    for c in configs:
        row = [c, s.scratch_of(s.architecture[c])]
        for d in s.datasets:
            for rule in RULES:
                r = records[(c, d, rule)]
                g, se = r["rmse_reduction"], r["standard_error"]
                row.append(MISSING if g == "" else f"{g:+.3f}" + (f" ± {se:.3f}" if se != "" else ""))
        rows.append(row)
    return markdown_table(header, rows)


def gain_counts(s: Summary) -> str:
    lines = []
    for rule in RULES:
        pairs = [r for r in gain_records(s) if r["rule"] == rule and r["rmse_reduction"] != ""]
        lower = sum(r["rmse_reduction"] > 0 for r in pairs)
        clear = sum(r["standard_error"] != "" and r["rmse_reduction"] > 2 * r["standard_error"] for r in pairs)
        worse = sum(r["standard_error"] != "" and r["rmse_reduction"] < -2 * r["standard_error"] for r in pairs)
        lines.append(f"- {RULE_LABELS[rule]}: pre-training lowers the mean test RMSE in {lower} of {len(pairs)} "
                     f"(model, dataset) pairs; by more than two standard errors in {clear}; raises it by more than "
                     f"two standard errors in {worse}.")
    return "\n".join(lines)


def read_published(path: str) -> list[dict]:
    """Published RMSEs: CSV with columns reference,dataset,rmse,setting ('#' lines are comments)."""
    with open(path, newline="") as f:
        reader = csv.DictReader(row for row in f if not row.lstrip().startswith("#"))
        need = {"reference", "dataset", "rmse", "setting"}
        if not need <= set(reader.fieldnames or ()):
            raise ValueError(f"{path}: needs columns {sorted(need)}, has {reader.fieldnames}")
        return [{"reference": r["reference"].strip(), "dataset": r["dataset"].strip().lower(),
                 "rmse": float(r["rmse"]), "setting": r["setting"].strip()} for r in reader]


def published_table(s: Summary, published: list[dict]) -> str:
    named = {r["dataset"] for r in published}  # every published set, not only those run so far
    datasets = [d for d in UNITS if d in named] + sorted(named - set(UNITS))
    refs = list(dict.fromkeys(r["reference"] for r in published))
    value = {(r["reference"], r["dataset"]): r["rmse"] for r in published}
    setting = {r["reference"]: r["setting"] for r in published}
    rows = [[ref] + [f"{value[(ref, d)]:.2f}" if (ref, d) in value else MISSING for d in datasets] + [setting[ref]]
            for ref in refs]
    return markdown_table(["Published"] + [name(d) for d in datasets] + ["setting"], rows)


def regression_markdown(s: Summary, sweep: str, published: list[dict] | None = None, skipped: list[str] = ()) -> str:
    parts = [f"# Fine-tuning results, regression: `{sweep}`", "",
             f"{s.n_runs} runs: {len(s.configs)} configurations x {len(s.datasets)} datasets "
             f"({', '.join(name(d) for d in s.datasets)}).", "",
             "## Test RMSE per dataset", "", CAPTION, "", rmse_table(s), "",
             "## Pre-training gain", "",
             "RMSE of the same architecture without pre-training minus RMSE of the pre-trained model: positive = "
             "pre-training lowers the RMSE (helps), negative = negative transfer; ± = standard error of the "
             "difference of the two means.", "", gain_table(s), "", gain_counts(s)]
    if published:
        parts += ["", "## Published references", "",
                  "Test RMSE as published, under the settings stated (not re-run here).", "",
                  published_table(s, published)]
    notes = list(skipped) + list(s.missing_scores)
    if notes:
        parts += ["", "## Files skipped or without a score", ""] + [f"- {n}" for n in notes]
    return "\n".join(parts) + "\n"


def rmse_records(s: Summary) -> list[dict]:
    out = [{"config": "training_mean", "dataset": d, "rule": rule, "mean": round(c.mean, 4), "std": "", "n": c.n}
           for d, c in s.baselines.items() for rule in RULES]
    for c in s.configs:
        for d in s.datasets:
            for rule in RULES:
                cell = s.cell(c, d, rule)
                out.append({"config": c, "dataset": d, "rule": rule,
                            "mean": "" if cell.mean is None else round(cell.mean, 4),
                            "std": "" if cell.std is None else round(cell.std, 4), "n": cell.n})
    return out


def write_regression_summary(s: Summary, sweep: str, out_dir: str, published: list[dict] | None = None,
                             skipped: list[str] = ()) -> list[str]:
    os.makedirs(out_dir, exist_ok=True)
    files = {"summary.md": regression_markdown(s, sweep, published, skipped),
             "rmse.csv": to_csv(rmse_records(s)), "gain.csv": to_csv(gain_records(s))}
    paths = []
    for fname, text in files.items():
        paths.append(os.path.join(out_dir, fname))
        write_text(paths[-1], text)
    return paths
