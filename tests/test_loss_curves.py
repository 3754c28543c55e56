"""Every pre-training method, chem and bio, reproduces its recorded seeded loss curve bit for bit
(tests/data/loss_curves.json, "ci" set, or that of another CPU kind it was recorded on, "ci_other_cpus";
tests/loss_curves.py runs and records them), and its report's
config is unchanged: the method classes, flags and loop can be rewritten, the numbers cannot move."""
from __future__ import annotations

import pytest

from loss_curves import CASES, differences_to_nearest, load_fixture, run_case

EXPECTED = load_fixture()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, moleculenet_root) -> str:
    # moleculenet_root points the featurisation cache at a temporary folder
    return str(tmp_path_factory.mktemp("curves"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_seeded_loss_curve_is_unchanged(name, workdir):
    got = run_case(name, "ci", workdir)
    diffs = differences_to_nearest(EXPECTED, "ci", name, got)
    assert not diffs, "\n".join(diffs)
    losses = [h["loss"] for h in got["history"]]
    assert len(losses) == 2 and all(loss > 0 for loss in losses)


def test_the_full_set_covers_every_case():
    assert set(EXPECTED["full"]) == set(CASES) and set(EXPECTED["ci"]) == set(CASES)
    for name, case in EXPECTED["full"].items():
        if name.startswith("chem/"):
            assert case["config"]["num_molecules"] == 500, name
        assert len(case["history"]) == 2
