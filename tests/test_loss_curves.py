"""Every pre-training method, chem and bio, reproduces its recorded seeded loss curve bit for bit
(tests/data/loss_curves.json, "ci" set, or that of another CPU kind it was recorded on, "ci_other_cpus";
tests/loss_curves.py runs and records them), and its report's config is unchanged: the method
classes, flags and loop can be rewritten, the numbers cannot move. On a CPU kind with no recording the
curve must come within loss_curves.CLOSE of one, and a warning says how to pin it."""
from __future__ import annotations

import copy
import warnings

import pytest

from loss_curves import CASES, CLOSE, compare, load_fixture, run_case

EXPECTED = load_fixture()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, moleculenet_root) -> str:
    # moleculenet_root points the featurisation cache at a temporary folder
    return str(tmp_path_factory.mktemp("curves"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_seeded_loss_curve_is_unchanged(name, workdir):
    got = run_case(name, "ci", workdir)
    diffs, note = compare(EXPECTED, "ci", name, got)
    assert not diffs, "\n".join(diffs)
    if note:
        warnings.warn(note)
    losses = [h["loss"] for h in got["history"]]
    assert len(losses) == 2 and all(loss > 0 for loss in losses)


def test_the_full_set_covers_every_case():
    assert set(EXPECTED["full"]) == set(CASES) and set(EXPECTED["ci"]) == set(CASES)
    for name, case in EXPECTED["full"].items():
        if name.startswith("chem/"):
            assert case["config"]["num_molecules"] == 500, name
        assert len(case["history"]) == 2


def test_a_cpu_kind_never_recorded_is_held_to_closeness():
    base = EXPECTED["ci"]["chem/edgepred"]
    fixture = {"ci": {"x": base}, "ci_cpu_kinds": ["recorded"]}
    near, far = copy.deepcopy(base), copy.deepcopy(base)
    near["history"][1]["loss"] *= 1 + CLOSE / 2
    far["history"][1]["loss"] *= 1 + 2 * CLOSE
    assert compare(fixture, "ci", "x", base, kind="recorded") == ([], "")
    assert compare(fixture, "ci", "x", near, kind="recorded")[0]  # a recorded kind: bit for bit only
    diffs, note = compare(fixture, "ci", "x", near, kind="new")
    assert not diffs and "--add-cpu ci" in note
    assert compare(fixture, "ci", "x", far, kind="new")[0]
