"""A user's own split: a column of the data file naming each row's split, or a file listing the rows.

Rows are the data rows of the file, counted from 0 (the ``row`` of ``chem.predict``'s output and of
``processed/skipped.csv``); a row whose molecule was skipped is left out. Each split keeps dataset
order. Every split must hold at least one molecule (``check_not_empty``, for every split kind).
"""
from __future__ import annotations

import json
import os

import numpy as np
import torch

from chem.datasets import find_raw_files, read_table

SPLIT_NAMES = {"train": 0, "training": 0, "valid": 1, "validation": 1, "val": 1, "dev": 1, "test": 2}
PARTS = ("train", "valid", "test")


def _code(value, where: str) -> int:
    code = SPLIT_NAMES.get(str(value).strip().lower())
    if code is None:
        raise ValueError(f"{where}: split value {value!r} is not train, valid or test")
    return code


def raw_file(dataset) -> str:
    files = [f for f in find_raw_files(dataset.raw_dir) if f != dataset.spec.labels_file]
    return os.path.join(dataset.raw_dir, files[0])


def split_codes_from_column(dataset, column: str) -> np.ndarray:
    """The split code (0 train, 1 valid, 2 test) of every raw row, from a column of the data file."""
    path = raw_file(dataset)
    if dataset.spec.file_format == "smi" or not dataset.spec.has_header:
        raise ValueError(f"--split-column needs a CSV with a header row; {path} has none (use --split-file)")
    df = read_table(path, dtype=str, keep_default_na=False)
    if column not in df.columns:
        raise ValueError(f"{path}: no split column {column!r} (columns: {list(df.columns)[:20]})")
    return np.array([_code(v, f"{path} data row {i}, column {column!r}") for i, v in enumerate(df[column])])


def split_codes_from_file(path: str, num_rows: int) -> np.ndarray:
    """Split codes of every raw row from a JSON {train: [rows], ...} or CSV row,split file; -1 = unlisted."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"split file not found: {path}")
    if path.lower().endswith(".json"):
        with open(path) as f:
            listed = json.load(f)
        if not isinstance(listed, dict) or not set(listed) <= set(PARTS):
            raise ValueError(f"{path}: expected a JSON object with keys train, valid, test (lists of rows)")
        pairs = [(row, SPLIT_NAMES[name]) for name, rows in listed.items() for row in rows]
    else:
        df = read_table(path, dtype=str, keep_default_na=False)
        if not {"row", "split"} <= set(df.columns):
            raise ValueError(f"{path}: a split CSV needs columns row and split, has {list(df.columns)[:10]}")
        pairs = [(r, _code(s, f"{path} line {i + 2}")) for i, (r, s) in enumerate(zip(df["row"], df["split"]))]
    codes = np.full(num_rows, -1, dtype=np.int64)
    for row, code in pairs:
        try:
            r = int(row)
        except (TypeError, ValueError):
            raise ValueError(f"{path}: row {row!r} is not a row number") from None
        if not 0 <= r < num_rows:
            raise ValueError(f"{path}: row {r} is outside the data file's {num_rows} rows (counted from 0)")
        if codes[r] != -1:
            raise ValueError(f"{path}: row {r} is listed twice")
        codes[r] = code
    return codes


def explicit_split(dataset, split_column: str | None = None, split_file: str | None = None, log=print):
    """(train, valid, test) views of ``dataset`` by a split column or file; rows of skipped molecules and
    rows the file does not list are left out, and counted in the log."""
    rows = np.asarray(dataset.graph_attr("id"), dtype=np.int64)  # raw row of each kept molecule
    num_raw = int(dataset.meta.get("num_raw", rows.max(initial=-1) + 1))
    codes = split_codes_from_column(dataset, split_column) if split_column else split_codes_from_file(split_file, num_raw)
    mine = codes[rows]
    parts = tuple(dataset[torch.from_numpy(np.flatnonzero(mine == k))] for k in range(3))
    unlisted = int((mine == -1).sum())
    if unlisted:
        log(f"note: {unlisted} molecules are in no split of {split_file} and are left out", flush=True)
    return parts


def check_not_empty(parts, how: str) -> None:
    """Every split must hold a molecule: an empty one cannot be trained on, selected by or scored."""
    empty = [name for name, part in zip(PARTS, parts) if len(part) == 0]
    if empty:
        sizes = "/".join(str(len(p)) for p in parts)
        raise ValueError(f"the {' and '.join(empty)} split{'s are' if len(empty) > 1 else ' is'} empty ({how}: "
                         f"{sizes} train/valid/test molecules); use more data or another split")
