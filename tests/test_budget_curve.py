"""The budget curve (tools/budget_curve.py): points parsed from configuration names, means and gains
with their standard errors, and the table in docs/RESULTS.md following from the committed runs."""
from __future__ import annotations

import math
import os

import pytest

from test_summarize import write_result
from tools.budget_curve import markdown, points_of, rows
from tools.results import load_results, summarize

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CURVE_RUNS = os.path.join(REPO, "docs", "results", "budget_curve", "runs")


def test_points_gains_and_standard_errors_follow_from_the_runs(tmp_path):
    d = str(tmp_path)
    for seed, best in enumerate([0.70, 0.72, 0.74]):
        write_result(d, "tox21", "gin_scratch", seed, best, best - 0.01, gnn="gin")
    for seed, best in enumerate([0.75, 0.77]):
        write_result(d, "tox21", "gin_attrmasking_6190steps", seed, best, best, gnn="gin")
    write_result(d, "tox21", "gin_attrmasking_782steps", 0, 0.71, 0.70, gnn="gin")
    write_result(d, "tox21", "gin_other_model", 0, 0.99, 0.99, gnn="gin")  # not a curve point: ignored
    s = summarize(load_results(d).runs)
    assert [(p.method, p.steps) for p in points_of(s)] == [("attrmasking", 782), ("attrmasking", 6190)]
    table = {(r["method"], r["steps"], r["rule"]): r for r in rows(s, "tox21")}
    none, big = table[("none", 0, "best_val")], table[("attrmasking", 6190, "best_val")]
    assert none["mean"] == pytest.approx(72.0) and none["std"] == pytest.approx(2.0) and none["n"] == 3
    assert big["gain"] == pytest.approx(4.0)
    # standard error of a difference of means: sqrt(s1^2/n1 + s2^2/n2) = sqrt(4/3 + 2/2)
    assert big["gain_se"] == pytest.approx(math.sqrt(4 / 3 + 2 / 2))
    assert table[("attrmasking", 782, "last")]["gain"] == pytest.approx(70.0 - 71.0)
    assert table[("attrmasking", 782, "best_val")]["gain_se"] is None  # one seed: no spread to report
    md = markdown(rows(s, "tox21"), "tox21")
    assert "| attrmasking | 6,190 | 76.0 ± 1.4 (n=2) | +4.0 ± 1.5 |" in md
    assert "76.7 ± 0.4" in md  # the paper's cell beside the largest budget


@pytest.mark.skipif(not os.path.isdir(CURVE_RUNS), reason="no budget-curve runs committed yet")
def test_the_budget_curve_in_results_follows_from_the_committed_runs():
    s = summarize(load_results(CURVE_RUNS).runs)
    with open(os.path.join(REPO, "docs", "RESULTS.md")) as f:
        assert markdown(rows(s, "tox21"), "tox21") in f.read(), \
            "refresh docs/RESULTS.md's budget curve: python scripts/budget_curve.py docs/results/budget_curve/runs " \
            "--out docs/results/budget_curve/summary"
