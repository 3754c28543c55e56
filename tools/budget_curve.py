"""The budget curve: fine-tuning score against pre-training steps, per method, from a sweep folder.

Configurations are named as scripts/budget_curve.sh names them: ``gin_scratch`` (no pre-training, 0
steps) and ``gin_<method>_<steps>steps``. Every number comes from ``tools.results`` (mean and sample
std over seeds; the gain over no pre-training with the standard error of that difference).
"""
from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass

from tools.results import RULES, Summary, summarize, load_results

_POINT = re.compile(r"^(?P<arch>[a-z]+)_(?P<method>.+)_(?P<steps>\d+)steps$")
# The paper's Tox21 cells (GIN, best-validation epoch, 10 seeds; ../shared/ORIGINAL.md); others unknown.
PAPER_TOX21 = {"scratch": (74.0, 0.8), "attrmasking": (76.7, 0.4), "supervised_attrmasking": (77.9, 0.4)}


@dataclass(frozen=True)
class Point:
    method: str
    steps: int
    config: str


def points_of(summary: Summary) -> list[Point]:
    """The pre-trained points of the curve, by method then steps; other configurations are ignored."""
    found = []
    for config in summary.configs:
        m = _POINT.match(config)
        if m and summary.pretrained[config]:
            found.append(Point(m["method"], int(m["steps"]), config))
    return sorted(found, key=lambda p: (p.method, p.steps))


def rows(summary: Summary, dataset: str) -> list[dict]:
    """One row per (method, steps) and rule, the no-pre-training row first (steps 0)."""
    base = summary.scratch_of("gin")
    out = []
    for rule in RULES:
        if base is not None:
            c = summary.cell(base, dataset, rule)
            out.append({"method": "none", "steps": 0, "rule": rule, "n": c.n, "mean": c.mean, "std": c.std,
                        "gain": None, "gain_se": None})
        for p in points_of(summary):
            c = summary.cell(p.config, dataset, rule)
            gain, se = summary.gain(p.config, dataset, rule)
            out.append({"method": p.method, "steps": p.steps, "rule": rule, "n": c.n, "mean": c.mean, "std": c.std,
                        "gain": gain, "gain_se": se})
    return out


def _fmt(v: float | None, digits: int = 1) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def markdown(table: list[dict], dataset: str) -> str:
    """The curve as a table: score ± std (n) and the gain ± its standard error, both rules side by side."""
    by = {(r["method"], r["steps"], r["rule"]): r for r in table}
    keys = list(dict.fromkeys((r["method"], r["steps"]) for r in table))
    lines = [f"| pre-training | steps | test ROC-AUC, best val | gain | test ROC-AUC, last epoch | gain | paper ({dataset}) |",
             "|---|---:|---|---|---|---|---|"]
    for method, steps in keys:
        cells = []
        for rule in RULES:
            r = by.get((method, steps, rule))
            if r is None or r["mean"] is None:
                cells += ["-", "-"]
                continue
            std = f" ± {r['std']:.1f}" if r["std"] is not None else ""
            cells.append(f"{r['mean']:.1f}{std} (n={r['n']})")
            cells.append("" if r["gain"] is None else
                         f"{r['gain']:+.1f}" + (f" ± {r['gain_se']:.1f}" if r["gain_se"] is not None else ""))
        paper = PAPER_TOX21.get("scratch" if method == "none" else method) if dataset == "tox21" else None
        last_of_method = steps == max(s for m, s in keys if m == method)
        ref = f"{paper[0]:.1f} ± {paper[1]:.1f}" if paper and last_of_method else ""
        lines.append(f"| {method} | {steps:,} | " + " | ".join(cells) + f" | {ref} |")
    return "\n".join(lines) + "\n"


def to_csv(table: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=["method", "steps", "rule", "n", "mean", "std", "gain", "gain_se"],
                       lineterminator="\n")
    w.writeheader()
    for r in table:
        w.writerow({k: ("" if v is None else round(v, 4) if isinstance(v, float) else v) for k, v in r.items()})
    return buf.getvalue()


def plot(table: list[dict], dataset: str, path: str) -> None:
    """Gain over no pre-training (± standard error) against steps, log scale; one panel per rule."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(RULES), figsize=(10, 3.8), sharey=True)
    for ax, rule in zip(axes, RULES):
        for method in sorted({r["method"] for r in table if r["method"] != "none"}):
            pts = sorted((r["steps"], r["gain"], r["gain_se"] or 0.0) for r in table
                         if r["method"] == method and r["rule"] == rule and r["gain"] is not None)
            if pts:
                xs, ys, es = zip(*pts)
                ax.errorbar(xs, ys, yerr=es, marker="o", capsize=3, label=method)
        ax.axhline(0.0, color="grey", lw=0.8)
        ax.set_xscale("log")
        ax.set_xlabel("pre-training steps (batches of 256)")
        ax.set_title(f"{dataset}: test at {'best-validation' if rule == 'best_val' else 'last'} epoch")
    axes[0].set_ylabel("gain over no pre-training (ROC-AUC x 100)")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write(runs_dir: str, dataset: str, out: str, figure: bool = True) -> str:
    """Tables (markdown, CSV) and the plot into ``out``; returns the markdown."""
    summary = summarize(load_results(runs_dir).runs)
    table = rows(summary, dataset)
    md = markdown(table, dataset)
    os.makedirs(out, exist_ok=True)
    from pretrain_gnns.files import write_text
    write_text(os.path.join(out, f"budget_curve_{dataset}.md"), md)
    write_text(os.path.join(out, f"budget_curve_{dataset}.csv"), to_csv(table))
    if figure:
        plot(table, dataset, os.path.join(out, f"budget_curve_{dataset}.png"))
    return md
