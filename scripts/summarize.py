"""Summarise a fine-tuning sweep the way the paper shows it.

Reads every result JSON under SWEEP (recursive; the sweep layout <dataset>/<config>/seed<N>.json, or any
finetune result file placed by its stored config) and writes to --out:
  summary.md          Table 1 (configurations x datasets + average, mean ± std over seeds with n, test at
                      best-validation epoch and at last epoch side by side), Table 2 (per architecture: no
                      pre-training, pre-trained, gain), and with --reference the difference to the paper;
  table1.csv, table2.csv, reference_diff.csv   the same numbers in long format (ROC-AUC x 100).
Missing runs are shown as missing, never as zero. Standard deviations are sample std (ddof=1).

A sweep of regression sets (esol, freesolv, lipophilicity: result JSONs with "metric": "rmse") gets the
regression table instead (tools/regression_tables.py): summary.md with test RMSE (both rules), the
training-mean baseline, the gain (a lower RMSE is a gain) and, with --reference (columns
reference,dataset,rmse,setting, e.g. scripts/reference_regression.csv), the published numbers;
rmse.csv and gain.csv in long format.
"""
from __future__ import annotations

import argparse
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)  # tools/ is not installed: run from the checkout

from tools.regression_tables import read_published, write_regression_summary  # noqa: E402
from tools.result_tables import write_summary  # noqa: E402
from tools.results import load_and_summarize, read_reference  # noqa: E402


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("sweep", help="folder of a sweep's result JSONs (OUT_DIR of scripts/finetune_sweep.sh)")
    p.add_argument("--out", default=None, help="where the tables go (default: SWEEP/summary)")
    p.add_argument("--reference", default=None,
                   help="CSV of paper numbers, columns config,dataset,mean,std (ROC-AUC x 100; dataset 'average' "
                        "for an average over the paper's 8 datasets), e.g. scripts/paper_reference.csv; for a "
                        "regression sweep, published RMSEs: columns reference,dataset,rmse,setting, e.g. "
                        "scripts/reference_regression.csv")
    p.add_argument("--quiet", action="store_true", help="do not print the markdown summary")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    found = load_and_summarize(args.sweep)
    if found is None:
        return 1
    loaded, summary = found
    out = args.out or os.path.join(args.sweep, "summary")
    if summary.metric.key == "rmse":
        published = read_published(args.reference) if args.reference else None
        paths = write_regression_summary(summary, args.sweep, out, published, loaded.skipped)
    else:
        reference = read_reference(args.reference) if args.reference else None
        paths = write_summary(summary, args.sweep, out, reference, loaded.skipped)
    if not args.quiet:
        with open(paths[0]) as f:
            print(f.read())
    print(f"{len(loaded.runs)} runs read, {len(loaded.skipped)} files skipped; wrote {', '.join(paths)}")
    for line in loaded.skipped:
        print(f"skipped: {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
