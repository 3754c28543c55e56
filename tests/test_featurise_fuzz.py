"""Fuzzing the featuriser: random strings over the SMILES alphabet and real molecules mutated by
inserting, deleting and replacing characters. Every input is either featurised or skipped with a
reason; none raises."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chem.features import featurise_smiles

ALPHABET = "CNOSPFIBrcnospHl[]()=#+-@/\\%.*:0123456789~$&"


@pytest.fixture(scope="module")
def real_smiles(shared_data) -> list[str]:
    df = pd.read_csv(os.path.join(shared_data, "moleculenet", "bbbp", "raw", "BBBP.csv"), nrows=300)
    return df["smiles"].astype(str).tolist()


def check_accounted(smiles: list[str]) -> dict:
    out = featurise_smiles(smiles)
    kept = out["kept"].tolist()
    skipped = dict(out["skipped"])
    assert sorted(kept + list(skipped)) == list(range(len(smiles)))  # every input: kept or skipped, once
    assert all(isinstance(why, str) and why for why in skipped.values())
    n_counts, e_counts = out["n_counts"], out["e_counts"]
    assert len(n_counts) == len(e_counts) == len(kept) and (n_counts >= 1).all()
    assert len(out["nodes"]) == 2 * int(n_counts.sum()) and len(out["bonds"]) == 2 * int(e_counts.sum())
    offsets = np.repeat(n_counts, e_counts)
    bonds = out["bonds"].reshape(-1, 2)
    assert ((bonds >= 0) & (bonds < offsets[:, None])).all()  # bond ends inside their own molecule
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(alphabet=ALPHABET, min_size=0, max_size=40), min_size=1, max_size=8))
def test_random_strings_are_featurised_or_skipped_with_a_reason(smiles):
    check_accounted(smiles)


@st.composite
def mutated(draw, pool):
    s = list(draw(st.sampled_from(pool)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        i = draw(st.integers(0, max(len(s) - 1, 0)))
        c = draw(st.sampled_from(ALPHABET))
        if op == "insert":
            s.insert(i, c)
        elif s and op == "delete":
            del s[i]
        elif s:
            s[i] = c
    return "".join(s)


def test_mutated_real_molecules_are_featurised_or_skipped_with_a_reason(real_smiles):
    seen = {"kept": 0, "skipped": 0}

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                     HealthCheck.function_scoped_fixture])
    @given(st.lists(mutated(real_smiles), min_size=1, max_size=5))
    def run(smiles):
        out = check_accounted(smiles)
        seen["kept"] += len(out["kept"])
        seen["skipped"] += len(out["skipped"])

    run()
    assert seen["kept"] > 0 and seen["skipped"] > 0  # the mutations reach both outcomes


def test_unmutated_real_molecules_are_kept(real_smiles):
    out = check_accounted(real_smiles[:50])
    assert len(out["kept"]) >= 48  # BBBP's first rows parse, bar the odd one the original dropped too
