"""Tables and plot of the budget curve (scripts/budget_curve.sh): fine-tuning score and gain over no
pre-training against pre-training steps.

Writes OUT/budget_curve_<dataset>.md, .csv (long format: method, steps, rule, n, mean, std, gain,
gain_se; ROC-AUC x 100) and .png (gain ± standard error against steps, log scale).
"""
from __future__ import annotations

import argparse
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)  # tools/ is not installed: run from the checkout

from tools.budget_curve import write  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", help="the sweep folder: RUNS/<dataset>/<config>/seed<N>.json")
    p.add_argument("--dataset", default="tox21", help="which dataset's curve (default: tox21)")
    p.add_argument("--out", required=True, help="folder for the tables and the plot")
    p.add_argument("--no-plot", action="store_true", help="tables only (no matplotlib needed)")
    args = p.parse_args(argv)
    if not os.path.isdir(args.runs):
        print(f"error: {args.runs} is not a folder", file=sys.stderr)
        return 2
    print(write(args.runs, args.dataset, args.out, figure=not args.no_plot), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
