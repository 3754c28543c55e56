"""The paper's tables from a sweep Summary, as markdown (to read) and long-format CSV (to compute with).

Table 1: configurations x datasets (+ average), both selection rules side by side.
Table 2: per architecture, no pre-training vs each pre-trained model, averaged over datasets, and the gain.
Reference: our cells beside the paper's numbers and the difference.
"""
from __future__ import annotations

import csv
import io
import os

from pretrain_gnns.files import write_text
from tools.results import DISPLAY, PAPER_DATASETS, RULE_LABELS, RULES, Cell, Summary

MISSING = "—"  # a run that is not there: never shown (or averaged) as 0

CAPTION = ("Test ROC-AUC ×100, mean ± sample standard deviation (ddof=1) over fine-tuning seeds; n = number of "
           f"seeds. {MISSING} = no run. Two selection rules side by side: *val* = {RULE_LABELS['best_val']} (the "
           f"original's parse_result.py, the paper's numbers), *last* = {RULE_LABELS['last']} (GraphCL, GraphLoG, "
           "GraphMAE). Average = mean over the datasets of the per-dataset means, given only when every dataset "
           f"has a run; otherwise `{MISSING} (k/N)` says how many of the N datasets have one.")


def fmt(v: float | None) -> str:
    return MISSING if v is None else f"{v:.1f}"


def fmt_cell(c: Cell) -> str:
    if c.n == 0:
        return MISSING
    return f"{c.mean:.1f} ± {c.std:.1f} (n={c.n})" if c.std is not None else f"{c.mean:.1f} (n={c.n})"


def fmt_average(s: Summary, config: str, rule: str) -> str:
    avg = s.average(config, rule)
    return fmt(avg.mean) if avg.mean is not None else f"{MISSING} ({avg.present}/{avg.total})"


def name(dataset: str) -> str:
    return DISPLAY.get(dataset, dataset)


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


# ---- Table 1 -------------------------------------------------------------------------------------------

def table1_markdown(s: Summary) -> str:
    header = ["Configuration"]
    for d in s.datasets + ["average"]:
        header += [f"{name(d) if d != 'average' else 'Average'} ({short})" for short in ("val", "last")]
    rows = []
    for c in s.configs:
        row = [c]
        for d in s.datasets:
            row += [fmt_cell(s.cell(c, d, rule)) for rule in RULES]
        rows.append(row + [fmt_average(s, c, rule) for rule in RULES])
    return markdown_table(header, rows)


def table1_records(s: Summary) -> list[dict]:
    out = []
    for c in s.configs:
        for rule in RULES:
            for d in s.datasets:
                cell = s.cell(c, d, rule)
                out.append(_record(c, s, d, rule, cell.mean, cell.std, cell.n, complete=cell.n > 0))
            avg = s.average(c, rule)
            out.append(_record(c, s, "average", rule, avg.mean, None, avg.min_n, complete=avg.mean is not None,
                               datasets_present=f"{avg.present}/{avg.total}"))
    return out


def _record(config, s, dataset, rule, mean, std, n, complete, datasets_present=""):
    return {"config": config, "architecture": s.architecture[config], "pretrained": int(s.pretrained[config]),
            "dataset": dataset, "rule": rule, "mean": _num(mean), "std": _num(std), "n": n,
            "complete": int(complete), "datasets_present": datasets_present}


# ---- Table 2 -------------------------------------------------------------------------------------------

def table2_records(s: Summary) -> list[dict]:
    """One row per (architecture, pre-trained configuration); an architecture with no pre-trained model
    still gets a row, so its no-pre-training average is visible."""
    out = []
    for arch in dict.fromkeys(s.architecture[c] for c in s.configs):
        base = s.scratch_of(arch)
        pretrained = [c for c in s.configs if s.architecture[c] == arch and s.pretrained[c]] or [None]
        for c in pretrained:
            rec = {"architecture": arch, "no_pretrain_config": base or "", "pretrained_config": c or ""}
            for rule in RULES:
                nb = s.average(base, rule).mean if base else None
                pt = s.average(c, rule).mean if c else None
                rec.update({f"no_pretrain_{rule}": _num(nb), f"pretrained_{rule}": _num(pt),
                            f"gain_{rule}": _num(pt - nb if nb is not None and pt is not None else None)})
            out.append(rec)
    return out


def table2_markdown(s: Summary) -> str:
    header = ["Architecture", "Pre-trained model"]
    for short in ("val", "last"):
        header += [f"No pre-train ({short})", f"Pre-trained ({short})", f"Gain ({short})"]
    rows = []
    for r in table2_records(s):
        base, pre = r["no_pretrain_config"], r["pretrained_config"]
        row = [r["architecture"], pre or MISSING]
        for rule in RULES:
            gain = r[f"gain_{rule}"]
            row += [fmt_average(s, base, rule) if base else MISSING, fmt_average(s, pre, rule) if pre else MISSING,
                    MISSING if gain == "" else f"{float(gain):+.1f}"]
        rows.append(row)
    return markdown_table(header, rows)


# ---- Reference ----------------------------------------------------------------------------------------

def reference_records(s: Summary, reference: list[dict]) -> list[dict]:
    """Each paper number beside ours (both rules) and ours - paper. The paper's averages run over its 8
    datasets: when ours run over others, ``same_datasets`` is 0 and the markdown flags the row."""
    same = set(s.datasets) == set(PAPER_DATASETS)
    out = []
    for ref in reference:
        rec = {"config": ref["config"], "dataset": ref["dataset"], "paper_mean": ref["mean"],
               "paper_std": _num(ref["std"])}
        for rule in RULES:
            if ref["dataset"] == "average":
                ours = s.average(ref["config"], rule).mean if ref["config"] in s.architecture else None
                cell = Cell(ours, None, 0)
            else:
                cell = s.cell(ref["config"], ref["dataset"], rule)
            rec.update({f"ours_{rule}": _num(cell.mean), f"ours_std_{rule}": _num(cell.std), f"n_{rule}": cell.n,
                        f"diff_{rule}": _num(cell.mean - ref["mean"] if cell.mean is not None else None),
                        f"inside_paper_std_{rule}": _inside(cell.mean, ref)})
        rec["same_datasets"] = int(same) if ref["dataset"] == "average" else 1
        out.append(rec)
    return out


def reference_markdown(s: Summary, reference: list[dict]) -> str:
    header = ["Configuration", "Dataset", "Paper", "Ours (val)", "Ours - paper (val)", "Ours (last)",
              "Ours - paper (last)"]
    rows, flagged = [], False
    for r in reference_records(s, reference):
        mark = "" if r["same_datasets"] else " †"
        flagged |= bool(mark)
        paper = f"{r['paper_mean']:.1f}" + (f" ± {float(r['paper_std']):.1f}" if r["paper_std"] != "" else "")
        row = [r["config"], (name(r["dataset"]) if r["dataset"] != "average" else "Average") + mark, paper]
        for rule in RULES:
            ours = MISSING if r[f"ours_{rule}"] == "" else fmt(float(r[f"ours_{rule}"]))
            if r[f"ours_std_{rule}"] != "":
                ours += f" ± {float(r[f'ours_std_{rule}']):.1f}"
            diff = MISSING if r[f"diff_{rule}"] == "" else f"{float(r[f'diff_{rule}']):+.1f}"
            inside = r[f"inside_paper_std_{rule}"]
            row += [ours, diff + (" (inside paper ± std)" if inside == 1 else " (outside paper ± std)" if inside == 0 else "")]
        rows.append(row)
    note = ("\n\n† The paper's average runs over its eight datasets (" + ", ".join(name(d) for d in PAPER_DATASETS)
            + "); ours over " + ", ".join(name(d) for d in s.datasets) + ": not the same quantity.") if flagged else ""
    return markdown_table(header, rows) + note


def _inside(mean, ref) -> int | str:
    if mean is None or ref["std"] is None:
        return ""
    return int(abs(mean - ref["mean"]) <= ref["std"])


# ---- Writing -------------------------------------------------------------------------------------------

def summary_markdown(s: Summary, sweep: str, reference: list[dict] | None = None,
                     skipped: list[str] = ()) -> str:
    parts = [f"# Fine-tuning results: `{sweep}`", "",
             f"{s.n_runs} runs: {len(s.configs)} configurations x {len(s.datasets)} datasets "
             f"({', '.join(name(d) for d in s.datasets)}).", "",
             "## Table 1: test ROC-AUC per dataset", "", CAPTION, "", table1_markdown(s), "",
             "## Table 2: pre-training gain per architecture", "",
             "Average test ROC-AUC ×100 over the datasets above (only where every dataset has a run); "
             "gain = pre-trained - no pre-training of the same architecture.", "", table2_markdown(s)]
    if reference is not None:
        parts += ["", "## Difference to the paper", "",
                  "Paper numbers are test ROC-AUC at the best-validation epoch (mean ± std over 10 seeds where "
                  "the paper gives one). *inside paper ± std*: |ours - paper| <= the paper's std.", "",
                  reference_markdown(s, reference)]
    notes = list(skipped) + list(s.missing_scores)
    if notes:
        parts += ["", "## Files skipped or without a score", ""] + [f"- {n}" for n in notes]
    return "\n".join(parts) + "\n"


def write_summary(s: Summary, sweep: str, out_dir: str, reference: list[dict] | None = None,
                  skipped: list[str] = ()) -> list[str]:
    os.makedirs(out_dir, exist_ok=True)
    files = {"summary.md": summary_markdown(s, sweep, reference, skipped),
             "table1.csv": to_csv(table1_records(s)), "table2.csv": to_csv(table2_records(s))}
    if reference is not None:
        files["reference_diff.csv"] = to_csv(reference_records(s, reference))
    paths = []
    for fname, text in files.items():
        paths.append(os.path.join(out_dir, fname))
        write_text(paths[-1], text)
    return paths


def to_csv(records: list[dict]) -> str:
    buf = io.StringIO()
    if records:
        writer = csv.DictWriter(buf, fieldnames=list(records[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
    return buf.getvalue()


def _num(v: float | None) -> str | float:
    """CSV cell: empty when missing (never 0), else rounded to 4 decimals of ROC-AUC x 100."""
    return "" if v is None else round(float(v), 4)


