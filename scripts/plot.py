"""Figures of a fine-tuning sweep (PNG, needs the 'plot' extra: pip install -e '.[plot]').

Writes to --out:
  gain_<rule>.png      per dataset and pre-trained model: ROC-AUC gain (regression: RMSE reduction) over no
                       pre-training of the same architecture, negative transfer in red (one figure per selection rule);
  curves_<dataset>.png validation and test ROC-AUC (or RMSE) per epoch, mean over seeds with a ±1 std band.
"""
from __future__ import annotations

import argparse
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)  # tools/ is not installed: run from the checkout

from tools.result_figures import curves_figure, gain_figure  # noqa: E402
from tools.results import RULES, load_and_summarize  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("sweep", help="folder of a sweep's result JSONs (OUT_DIR of scripts/finetune_sweep.sh)")
    p.add_argument("--out", default=None, help="where the PNGs go (default: SWEEP/figures)")
    p.add_argument("--rule", default="both", choices=[*RULES, "both"],
                   help="selection rule of the gain figure: test at best-validation epoch, at last epoch, or both")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    found = load_and_summarize(args.sweep)
    if found is None:
        return 1
    loaded, summary = found
    out = args.out or os.path.join(args.sweep, "figures")
    written = []
    for rule in RULES if args.rule == "both" else [args.rule]:
        path = os.path.join(out, f"gain_{rule}.png")
        if gain_figure(summary, rule, path):
            written.append(path)
        else:
            print(f"no gain figure for {rule}: no pre-trained configuration with a no-pre-training run of its "
                  "architecture", file=sys.stderr)
    for dataset in summary.datasets:
        path = os.path.join(out, f"curves_{dataset}.png")
        if curves_figure(loaded.runs, dataset, path, summary.metric):
            written.append(path)
    print(f"wrote {len(written)} figures: {', '.join(written)}")
    for line in loaded.skipped:
        print(f"skipped: {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
