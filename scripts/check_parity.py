"""Compare our processed molecule datasets with the original pipeline's outputs; write docs/PARITY.md.

Needs the staged data (a folder holding moleculenet/<name>/raw and reference_processed). Processed
files go to $PRETRAIN_GNNS_CACHE when the data folder is read-only.
"""
from __future__ import annotations

import argparse
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)  # run as a plain script from anywhere

from pretrain_gnns.files import write_text  # noqa: E402
from pretrain_gnns.runtime import package_versions  # noqa: E402
from tools.parity import FEATURE_DATASETS, PARITY_DATASETS, feature_parity, kept_parity, render_markdown  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    shared = os.environ.get("PRETRAIN_GNNS_SHARED") or os.path.join(os.path.dirname(REPO), "shared", "data")
    p.add_argument("--data-root", dest="data_root", default=shared,
                   help="folder holding moleculenet/<name>/{raw,reference_processed}")
    p.add_argument("--datasets", nargs="+", default=list(PARITY_DATASETS), help="datasets to compare")
    p.add_argument("--output", default=os.path.join(REPO, "docs", "PARITY.md"), help="markdown report to write")
    args = p.parse_args(argv)
    root = os.path.join(args.data_root, "moleculenet")
    kept = []
    for name in args.datasets:
        k = kept_parity(root, name)
        kept.append(k)
        s = k.split
        print(f"{name}: raw {k.raw_rows}, original {k.original_kept}, ours {k.ours_kept}, same canonical "
              f"{k.same_canonical}/{k.both_kept}, differences {len(k.differences)}"
              + (f", split {s.ours} (original's list {s.original_list}), moved {len(s.moved)}" if s else ""),
              flush=True)
    features = [feature_parity(root, n) for n in FEATURE_DATASETS if n in args.datasets]
    for f in features:
        print(f"{f.name} features: {f.exact}/{f.molecules} identical, {f.same_bonds_other_orientation} differ only "
              f"in bond orientation ({f.direction_label_flipped} with a direction label flipped)", flush=True)
    text = render_markdown(kept, features, package_versions())
    write_text(args.output, text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
