"""Molecules to pre-train on: a named dataset (zinc_standard_agent, chembl_filtered, any MoleculeNet
set), or any SMILES file (.csv / .smi, gzipped or not), optionally with label columns.

A file given directly is not copied: a cache folder gets ``raw/<file name>`` as a symbolic link to
it, and the usual MoleculeDataset processing (featurise once, memory-mapped store) runs there.
"""
from __future__ import annotations

import argparse
import hashlib
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chem.datasets import read_table
from chem.loader import MoleculeDataset, load_dataset
from pretrain_gnns.config import add_options, option
from pretrain_gnns.data_root import cache_dir
from pretrain_gnns.files import atomic_write
from pretrain_gnns.graphstore import GraphDataset
from pretrain_gnns.pretrain_config import PretrainConfig

SMILES_COLUMN_NAMES = ("smiles", "SMILES", "Smiles", "smi", "SMI", "canonical_smiles", "mol")
SMI_SUFFIXES = (".smi", ".smi.gz", ".can", ".can.gz", ".ism", ".ism.gz")


@dataclass
class SmilesData:
    """Where the molecules of self-supervised pre-training come from, besides --dataset."""

    smiles_file: str | None = option(
        None, "train on this file instead of --dataset: .csv (a SMILES column, header optional) or .smi (SMILES "
        "first on each line), gzipped or not. It is linked, not copied, into a cache folder ($PRETRAIN_GNNS_CACHE, "
        "default ~/.cache/pretrain_gnns) where its graphs are stored once", flag="--smiles-file")
    smiles_column: str | None = option(
        None, "the SMILES column of a CSV (default: the one named smiles or SMILES; a CSV without header: its first "
        "column)", flag="--smiles-column")


@dataclass
class LabelledData(SmilesData):
    """Supervised pre-training's molecules and labels: a labelled SMILES file, or the original's ChEMBL files."""

    label_columns: str | None = option(
        None, "comma-separated label columns of --smiles-file (default: every column but the SMILES one)",
        flag="--label-columns")
    threshold: float | None = option(
        None, "turn values into labels: >= threshold is active (+1), below inactive (-1), empty missing (e.g. 6 for "
        "pIC50-like potencies in chembl_5thresh.csv.gz); without it labels must be 0/1", type=float)
    chembl_dir: str | None = option(
        None, "for --dataset chembl_filtered: a folder holding the original's files, either "
        "processed/geometric_data_processed.pt (from chem_dataset.zip) or the Mayr et al. pickles folds0.pckl, "
        "labelsHard.pckl, chembl20LSTM.pckl (in it or in its raw/). Both are Python pickles, read through an "
        "allowlisted unpickler (tensors, arrays, sparse matrices, pandas Series, RDKit molecules; anything else is "
        "refused); still, name a folder you trust. They are read once and converted to a plain cached graph "
        "store", flag="--chembl-dir")


def data_config(labels: bool) -> type:
    return LabelledData if labels else SmilesData


def add_data_args(p: argparse.ArgumentParser, labels: bool = False) -> None:
    """--smiles-file and its options; with ``labels``, the label flags and the original's ChEMBL files."""
    add_options(p, data_config(labels))


def is_smi_file(path: str) -> bool:
    return path.lower().endswith(SMI_SUFFIXES)


def sniff_smiles_column(path: str, wanted: str | None = None) -> tuple[str, bool]:
    """(SMILES column, whether the CSV has a header row)."""
    head = read_table(path, nrows=1, header=None, dtype=str)
    first_row = [str(c) for c in head.iloc[0].tolist()]
    if wanted is not None:
        if wanted in first_row:
            return wanted, True
        if wanted.isdigit():
            return wanted, False
        raise ValueError(f"{path}: no column {wanted!r} (header: {first_row[:10]})")
    for name in SMILES_COLUMN_NAMES:
        if name in first_row:
            return name, True
    from rdkit import Chem, RDLogger
    RDLogger.DisableLog("rdApp.*")
    if Chem.MolFromSmiles(first_row[0]) is not None:
        return "0", False  # no header: the first row is already a molecule
    raise ValueError(f"{path}: cannot tell which column holds SMILES (header: {first_row[:10]}); pass --smiles-column")


def smiles_file_root(path: str, max_rows: int | None = None) -> str:
    """A cache folder whose raw/ holds a link to ``path`` (one folder per file and row limit)."""
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"SMILES file not found: {path}")
    tag = hashlib.sha1(path.encode()).hexdigest()[:10]
    stem = os.path.basename(path).split(".")[0] or "smiles"
    root = os.path.join(cache_dir(), "smiles_files", f"{stem}-{tag}" + (f"-first{max_rows}" if max_rows else ""))
    raw = os.path.join(root, "raw")
    os.makedirs(raw, exist_ok=True)
    link = os.path.join(raw, os.path.basename(path))
    if not (os.path.islink(link) and os.readlink(link) == path):
        with atomic_write(link, "") as tmp:
            os.symlink(path, tmp)
    return root


def smiles_file_dataset(path: str, max_rows: int | None = None, smiles_column: str | None = None,
                        label_columns: list[str] | None = (), threshold: float | None = None) -> MoleculeDataset:
    """Molecules (and labels, unless ``label_columns == ()``) of a SMILES file, through the cache."""
    overrides: dict = {"max_rows": max_rows}
    if is_smi_file(path):
        overrides.update(file_format="smi", smiles_column="0")
    else:
        column, header = sniff_smiles_column(path, smiles_column)
        overrides.update(smiles_column=column, has_header=header)
    if label_columns == ():
        overrides.update(label_columns=(), label_rule="none")
    else:
        if is_smi_file(path):
            raise ValueError(f"{path}: a .smi file holds no labels; use a CSV with label columns")
        overrides.update(label_columns=tuple(label_columns) if label_columns else None)
        check_labels(path, overrides, threshold)
        if threshold is not None:
            overrides.update(label_rule="threshold", threshold=threshold)
        else:
            overrides.update(label_rule="pm1")
    return MoleculeDataset(smiles_file_root(path, max_rows), dataset="csv", **overrides)


def check_labels(path: str, overrides: dict, threshold: float | None) -> None:
    """Labels must be numbers; without --threshold they must be binary (0/1, or -1/1)."""
    header = 0 if overrides.get("has_header", True) else None
    df = read_table(path, header=header, nrows=overrides.get("max_rows"))
    df.columns = [str(c) for c in df.columns]
    smiles = overrides["smiles_column"]
    tasks = list(overrides["label_columns"]) if overrides["label_columns"] else [c for c in df.columns if c != smiles]
    missing = [t for t in tasks if t not in df.columns]
    if missing:
        raise ValueError(f"{path}: label columns not found: {missing[:10]}")
    if not tasks:
        raise ValueError(f"{path}: no label columns besides {smiles!r}")
    not_numeric = [t for t in tasks if not pd.api.types.is_numeric_dtype(df[t])]
    if not_numeric:
        raise ValueError(f"{path}: label columns with non-numeric values: {not_numeric[:10]}; choose the label "
                         "columns with --label-columns")
    if threshold is None:
        values = np.unique(df[tasks].to_numpy(dtype=np.float64))
        values = values[~np.isnan(values)]
        if not np.isin(values, (-1.0, 0.0, 1.0)).all():
            raise ValueError(f"{path}: labels are not binary (values from {values.min():g} to {values.max():g}); "
                             "pass --threshold to turn them into actives and inactives")


def load_pretrain_dataset(cfg: PretrainConfig, labels: bool = False) -> GraphDataset:
    """The dataset the flags name; ``labels`` keeps labels (and needs them)."""
    max_n, data = cfg.max_molecules, cfg.data if cfg.data is not None else data_config(labels)()
    if max_n is not None and max_n < 1:
        raise ValueError("--max-molecules must be at least 1")
    if data.smiles_file:
        columns = () if not labels else (data.label_columns.split(",") if data.label_columns else None)
        dataset = smiles_file_dataset(data.smiles_file, max_n, data.smiles_column, columns,
                                      data.threshold if labels else None)
    elif cfg.dataset == "chembl_filtered":
        from chem.chembl import load_chembl_filtered
        chembl_dir = data.chembl_dir if labels else None
        if not chembl_dir:
            raise ValueError("--dataset chembl_filtered needs --chembl-dir (the folder holding the original's files; "
                             "see --help: they are pickles, so only a folder you trust)")
        dataset = load_chembl_filtered(chembl_dir, data_root=cfg.data_root)
    else:
        dataset = load_dataset(cfg.dataset, cfg.data_root)  # named, or embedded in RDKit's wheel
    if max_n is not None and len(dataset) > max_n:
        dataset = dataset[np.arange(max_n)]
    if len(dataset) == 0:
        raise ValueError("no molecules to train on (every row was skipped; see the processed skipped.csv)")
    if labels and getattr(dataset, "num_tasks", 0) == 0:
        raise ValueError("supervised pre-training needs labels: this dataset has none")
    if labels:
        check_label_values(dataset, data.smiles_file or cfg.dataset)
    return dataset


def check_label_values(dataset: GraphDataset, name: str, log=print) -> None:
    """Refuse a dataset whose labels are all missing (it would train nothing and write an untrained
    encoder); name the label columns that have no value at all."""
    y = dataset.graph_attr("y")
    y = y.reshape(len(y), -1)
    present = (y != 0).sum(axis=0)
    tasks = [str(t) for t in getattr(dataset, "meta", {}).get("tasks") or []]
    if len(tasks) != y.shape[1]:  # chembl_filtered's files name no targets: their column numbers
        tasks = [str(i) for i in range(y.shape[1])]
    if int(present.sum()) == 0:
        raise ValueError(f"{name}: every label of its {y.shape[1]} label columns is missing for all {len(y)} molecules; "
                         "nothing to learn (check --label-columns and --threshold)")
    empty = [t for t, n in zip(tasks, present) if n == 0]
    if empty:
        log(f"note: {len(empty)} of {len(tasks)} label columns have no values and teach nothing: "
            f"{', '.join(empty[:20])}{' ...' if len(empty) > 20 else ''}", flush=True)
