"""Synthetic bio data for the bio tests, built once per test session (bio.synthetic, through the
real raw-table preprocessing)."""
from __future__ import annotations

import pytest

from bio.synthetic import SyntheticSpec, make_synthetic_bio

_BUILT: dict = {}
TINY = dict(proteins_per_species=40, annotated_fraction=0.5, test_annotated_fraction=0.8)


def synthetic_root(tmp_path_factory, name: str, **spec) -> str:
    key = (name, tuple(sorted(spec.items())))
    if key not in _BUILT:
        root = tmp_path_factory.mktemp(f"bio_{name}")
        make_synthetic_bio(str(root), SyntheticSpec(**spec), verbose=False)
        _BUILT[key] = str(root)
    return _BUILT[key]


@pytest.fixture(scope="session")
def tiny_bio_root(tmp_path_factory) -> str:
    """<root>/{supervised,unsupervised}: 12 species x 40 proteins, half of them annotated."""
    return synthetic_root(tmp_path_factory, "tiny", **TINY)


@pytest.fixture(autouse=False)
def one_thread():
    """Bio test tensors are tiny: a second intra-op thread only adds synchronisation, and on a shared
    2-core machine a contended OpenMP team turns milliseconds into seconds. Restored afterwards."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
