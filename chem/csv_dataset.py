"""Fine-tune (or probe) on your own file: a CSV (gzipped or not) or .smi with SMILES and target columns.

    python chem/finetune.py --data assay.csv --targets pIC50 --input_model_file gin_supervised_contextpred
    python chem/finetune.py --data assay.csv --smiles-column mol --targets active --task classification

The targets decide the task type unless --task says it: columns holding only 0/1 (or -1/+1) are
classification, other numbers regression; the log states which and why. A target column that is not
numeric, has no value or one value only is refused with one line, as is a --task that does not fit
the values. Missing values are allowed per target. The file is linked (not copied) into the cache
and featurised once, like a named dataset; molecules RDKit cannot read are skipped and listed in
the processed ``skipped.csv``.
"""
from __future__ import annotations

import argparse
import os

import pandas as pd

from chem.datasets import SPECS, DatasetSpec, read_table, task_type
from chem.loader import MoleculeDataset, load_dataset
from chem.pretrain_data import is_smi_file, smiles_file_root, sniff_smiles_column
from pretrain_gnns.task_types import CLASSIFICATION, REGRESSION, TASK_TYPES, check_named_task, check_targets


def add_own_data_args(p: argparse.ArgumentParser) -> None:
    """--data and what it needs; --split-column / --split-file work with --dataset too."""
    g = p.add_argument_group("your own data (instead of --dataset)")
    g.add_argument("--data", default=None,
                   help="a CSV (.csv, .csv.gz: a header row, a SMILES column, target columns) or .smi file "
                        "(whitespace separated: SMILES, then target values) to fine-tune on instead of --dataset")
    g.add_argument("--smiles-column", dest="smiles_column", default=None,
                   help="the SMILES column of --data (default: the one named smiles, SMILES, smi or mol)")
    g.add_argument("--targets", default=None,
                   help="comma-separated target columns of --data (default: every column but the SMILES and split ones)")
    g.add_argument("--task", default=None, choices=TASK_TYPES,
                   help="classification (0/1 targets, ROC-AUC) or regression (values, RMSE); default: inferred "
                        "from the targets")
    g.add_argument("--split-column", dest="split_column", default=None,
                   help="a column of the data file saying train, valid or test for each row (replaces --split)")
    g.add_argument("--split-file", dest="split_file", default=None,
                   help="explicit split (replaces --split): JSON {\"train\": [rows], \"valid\": [...], \"test\": [...]} "
                        "or a CSV with columns row,split; rows count the data rows from 0")


def read_user_table(path: str, smiles_column: str | None) -> tuple[pd.DataFrame, str, bool]:
    """(the whole file as a table, its SMILES column, whether it has a header row)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"data file not found: {path}")
    if is_smi_file(path):
        df = read_table(path, sep=r"\s+", header=None, dtype={0: str}, engine="python")
        df.columns = [str(c) for c in df.columns]
        return df, "0", False
    column, header = sniff_smiles_column(path, smiles_column)
    df = read_table(path, header=0 if header else None, dtype={column if header else int(column): str})
    df.columns = [str(c) for c in df.columns]
    return df, column, header


def target_columns(df: pd.DataFrame, smiles: str, targets: str | None, split_column: str | None,
                   path: str) -> list[str]:
    if targets:
        names = [t.strip() for t in targets.split(",") if t.strip()]
        missing = [t for t in names if t not in df.columns]
        if missing:
            raise ValueError(f"{path}: target columns not found: {missing[:10]} (columns: {list(df.columns)[:20]})")
        return names
    return [c for c in df.columns if c not in (smiles, split_column)]


def load_csv_dataset(path: str, smiles_column: str | None = None, targets: str | None = None,
                     task: str | None = None, split_column: str | None = None,
                     log=print) -> MoleculeDataset:
    """The molecules and targets of a user's file, with the task type checked or inferred."""
    df, smiles, header = read_user_table(path, smiles_column)
    names = target_columns(df, smiles, targets, split_column, path)
    resolved, why = check_targets(df[names], task, path)
    stem = os.path.basename(path).split(".")[0] or "data"
    spec = DatasetSpec(name=stem, smiles_column=smiles, has_header=header, label_columns=tuple(names),
                       label_rule="regression" if resolved == REGRESSION else "pm1",
                       file_format="smi" if is_smi_file(path) else "csv")
    log(f"[{stem}] {len(df)} rows, targets {', '.join(names[:8])}{' ...' if len(names) > 8 else ''}; "
        f"task type {resolved} ({why})", flush=True)
    return MoleculeDataset(smiles_file_root(path), dataset=stem, spec=spec)


def load_labelled(args: argparse.Namespace, log=print, **kwargs) -> MoleculeDataset:
    """--data (a user's file) or --dataset (a named one, whose task type is in its table row)."""
    if getattr(args, "data", None):
        return load_csv_dataset(args.data, args.smiles_column, args.targets, args.task, args.split_column, log=log)
    stray = [flag for flag, value in (("--targets", args.targets), ("--smiles-column", args.smiles_column)) if value]
    if stray:
        raise ValueError(f"{' and '.join(stray)} choose columns of --data; --dataset {args.dataset} has its columns "
                         "in the dataset table (chem/datasets.py)")
    if args.dataset in SPECS:  # refused before any featurising
        check_named_task(args.dataset, task_type(SPECS[args.dataset]), getattr(args, "task", None))
    dataset = load_dataset(args.dataset, args.data_root, **kwargs)
    if task_type(dataset.spec) != CLASSIFICATION:  # the paper's sets keep their log as it was
        log(f"[{args.dataset}] task type {task_type(dataset.spec)} (the dataset table's)", flush=True)
    return dataset
