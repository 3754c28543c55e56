"""Real molecules that ship inside RDKit's wheel: the default data of the demo, needing no download.

- downstream: ``Contrib/FreeWilson/data/CHEMBL2321810.smi`` with ``CHEMBL2321810_act.csv``: 1017
  molecules with measured pIC50; pIC50 >= 7 is 'active' (353 actives).
- pre-training corpus: ``Data/NCI/first_5K.smi`` and ``Data/Pains/test_data/wehi_mols.csv`` (~15k).

Files are read from the installed package (never copied into the project). The CHEMBL set's two
files are joined on the molecule id into one CSV in the cache folder, so that the ordinary
``MoleculeDataset`` reads it like any other dataset.
"""
from __future__ import annotations

import os

import pandas as pd
from rdkit import RDConfig

from pretrain_gnns.data_root import ENV_CACHE
from pretrain_gnns.files import atomic_write, write_text


def _cache_root() -> str:
    return os.environ.get(ENV_CACHE) or os.path.join(os.path.expanduser("~"), ".cache", "pretrain_gnns")


def chembl2321810_root() -> str:
    """A dataset folder <cache>/embedded/chembl2321810/raw/chembl2321810.csv (smiles, pIC50)."""
    folder = os.path.join(RDConfig.RDContribDir, "FreeWilson", "data")
    smi = pd.read_csv(os.path.join(folder, "CHEMBL2321810.smi"), sep=r"\s+", header=None, names=["smiles", "Name"])
    act = pd.read_csv(os.path.join(folder, "CHEMBL2321810_act.csv"))
    table = smi.merge(act, on="Name", how="left").rename(columns={"Act": "pIC50"})
    root = os.path.join(_cache_root(), "embedded", "chembl2321810")
    raw = os.path.join(root, "raw")
    os.makedirs(raw, exist_ok=True)
    path = os.path.join(raw, "chembl2321810.csv")
    text = table[["smiles", "Name", "pIC50"]].to_csv(index=False)
    if not os.path.exists(path) or open(path).read() != text:
        write_text(path, text)
    return root


def embedded_root(name: str) -> str:
    return {"chembl2321810": chembl2321810_root, "rdkit_corpus": pretraining_corpus_root}[name]()


def pretraining_smiles_files() -> list[str]:
    """The two SMILES files of RDKit's wheel used as the demo's pre-training corpus."""
    return [os.path.join(RDConfig.RDDataDir, "NCI", "first_5K.smi"),
            os.path.join(RDConfig.RDDataDir, "Pains", "test_data", "wehi_mols.csv")]


def pretraining_corpus_root() -> str:
    """A dataset folder holding one CSV (smiles, source) of both files above, in order."""
    nci, wehi = pretraining_smiles_files()
    a = pd.read_csv(nci, sep=r"\s+", header=None, usecols=[0], names=["smiles"])
    b = pd.read_csv(wehi, header=None, usecols=[0], names=["smiles"])
    table = pd.concat([a.assign(source="NCI/first_5K.smi"), b.assign(source="Pains/test_data/wehi_mols.csv")])
    root = os.path.join(_cache_root(), "embedded", "rdkit_corpus")
    raw = os.path.join(root, "raw")
    os.makedirs(raw, exist_ok=True)
    path = os.path.join(raw, "rdkit_corpus.csv")
    if not os.path.exists(path):
        with atomic_write(path, "") as tmp:
            table.to_csv(tmp, index=False)
    return root
