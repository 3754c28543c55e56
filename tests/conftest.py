"""Shared test fixtures. Real data comes from the read-only shared folder (PRETRAIN_GNNS_SHARED,
default ../shared/data beside the repo); a missing folder fails the tests that need it, loudly."""
from __future__ import annotations

import os
import shutil
import sys

import pytest
import torch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)  # tools/ (not installed) is imported by the report tests
torch.set_num_threads(min(2, os.cpu_count() or 1))
# The bf16 tests check bf16's numbers, which hold on any CPU: run them where bf16 is emulated too (the
# commands refuse --precision bf16 there; tests/test_reliability3.py checks that refusal explicitly).
os.environ.setdefault("PRETRAIN_GNNS_FORCE_BF16", "1")


def shared_data_dir() -> str:
    return os.environ.get("PRETRAIN_GNNS_SHARED") or os.path.join(os.path.dirname(REPO), "shared", "data")


@pytest.fixture(scope="session")
def shared_data() -> str:
    path = shared_data_dir()
    if not os.path.isdir(os.path.join(path, "moleculenet")):
        pytest.fail(f"shared test data not found at {path}: set PRETRAIN_GNNS_SHARED to the folder holding "
                    "moleculenet/, zinc/, chembl/ and checkpoints/")
    return path


@pytest.fixture(scope="session")
def moleculenet_root(shared_data, tmp_path_factory) -> str:
    """A data root whose <name>/raw point at the shared raw files; processed files land in a temp cache."""
    os.environ["PRETRAIN_GNNS_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    return os.path.join(shared_data, "moleculenet")


@pytest.fixture(scope="session")
def checkpoints(shared_data) -> str:
    return os.path.join(shared_data, "checkpoints")
