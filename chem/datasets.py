"""The molecule datasets as data: where each one's SMILES and labels are, and how labels are read.

Every downstream dataset of the original follows one label rule (0 -> -1, 1 -> +1, missing -> 0);
the differences between datasets are only file, columns and whether the original wrote RDKit's
canonical SMILES into processed/smiles.csv (it did for bbbp, clintox and toxcast, which is what the
scaffold split then reads).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

SIDER_TASKS = (
    "Hepatobiliary disorders", "Metabolism and nutrition disorders", "Product issues", "Eye disorders",
    "Investigations", "Musculoskeletal and connective tissue disorders", "Gastrointestinal disorders",
    "Social circumstances", "Immune system disorders", "Reproductive system and breast disorders",
    "Neoplasms benign, malignant and unspecified (incl cysts and polyps)",
    "General disorders and administration site conditions", "Endocrine disorders",
    "Surgical and medical procedures", "Vascular disorders", "Blood and lymphatic system disorders",
    "Skin and subcutaneous tissue disorders", "Congenital, familial and genetic disorders",
    "Infections and infestations", "Respiratory, thoracic and mediastinal disorders", "Psychiatric disorders",
    "Renal and urinary disorders", "Pregnancy, puerperium and perinatal conditions",
    "Ear and labyrinth disorders", "Cardiac disorders", "Nervous system disorders",
    "Injury, poisoning and procedural complications")
TOX21_TASKS = ("NR-AR", "NR-AR-LBD", "NR-AhR", "NR-Aromatase", "NR-ER", "NR-ER-LBD", "NR-PPAR-gamma",
               "SR-ARE", "SR-ATAD5", "SR-HSE", "SR-MMP", "SR-p53")
MUV_TASKS = ("MUV-466", "MUV-548", "MUV-600", "MUV-644", "MUV-652", "MUV-689", "MUV-692", "MUV-712",
             "MUV-713", "MUV-733", "MUV-737", "MUV-810", "MUV-832", "MUV-846", "MUV-852", "MUV-858", "MUV-859")

DEEPCHEM = "https://deepchemdata.s3-us-west-1.amazonaws.com/datasets/"


@dataclass(frozen=True)
class DatasetSpec:
    """How to read one dataset. ``label_columns=None`` means every column but the SMILES column."""
    name: str
    smiles_column: str = "smiles"
    label_columns: tuple[str, ...] | None = ()
    label_rule: str = "pm1"  # pm1: 1 -> +1, 0 -> -1, NaN -> 0 | as_is | threshold | none | regression (values, NaN missing)
    threshold: float | None = None  # for label_rule='threshold': value >= threshold is active
    canonical_smiles: bool = False  # processed/smiles.csv holds RDKit canonical SMILES (original: bbbp, clintox, toxcast)
    file_format: str = "csv"  # csv | smi (whitespace separated: SMILES first, optional id second)
    labels_file: str | None = None  # a second raw file with one label per line (mutag)
    id_column: str | None = None  # zinc_standard_agent keeps its ZINC id
    extra_columns: dict = field(default_factory=dict)  # graph attribute -> column (bace's fold)
    url: str | None = None  # public location of the raw file, for `python -m chem.download`
    sha256: str | None = None  # of the content after gunzip; known for the byte-canonical files (SOURCES.md)
    max_rows: int | None = None  # read only the first N rows of the raw file (quick runs on a large SMILES file)
    has_header: bool = True  # False: a CSV without a header row; columns are then named "0", "1", ...
    moleculenet: bool = False  # one of the paper's eight downstream benchmarks (its Table 1)


SPECS: dict[str, DatasetSpec] = {s.name: s for s in [
    DatasetSpec("bbbp", moleculenet=True, label_columns=("p_np",), canonical_smiles=True, url=DEEPCHEM + "BBBP.csv",
                sha256="d07a38487aeac5cee5508413e468043ef3097451d2a112701c2d60be9ec6b662"),
    DatasetSpec("tox21", moleculenet=True, label_columns=TOX21_TASKS, url=DEEPCHEM + "tox21.csv.gz"),
    DatasetSpec("toxcast", moleculenet=True, label_columns=None, canonical_smiles=True, url=DEEPCHEM + "toxcast_data.csv.gz"),
    DatasetSpec("sider", moleculenet=True, label_columns=SIDER_TASKS, url=DEEPCHEM + "sider.csv.gz",
                sha256="71efc6ac4ca82d6545bc512509863281be0f17234afd7adaf71a71899988302e"),
    DatasetSpec("clintox", moleculenet=True, label_columns=("FDA_APPROVED", "CT_TOX"), canonical_smiles=True,
                url=DEEPCHEM + "clintox.csv.gz",
                sha256="9999816e760dd838358b5d88e81cea2fc062be4458ffa412ceecdba4f88a67b6"),
    DatasetSpec("muv", moleculenet=True, label_columns=MUV_TASKS, url=DEEPCHEM + "muv.csv.gz"),
    DatasetSpec("hiv", moleculenet=True, label_columns=("HIV_active",), url=DEEPCHEM + "HIV.csv",
                sha256="9ffa7fe57dc86c342627ee1d5255e937e2ab812393c73c4d16c697022f6e1d22"),
    DatasetSpec("bace", moleculenet=True, smiles_column="mol", label_columns=("Class",), extra_columns={"fold": "Model"},
                url=DEEPCHEM + "bace.csv",
                sha256="f3fb9ce90bada3e2bd6148b0df13f8f8145a357bf87df0dd5b391ede974fc737"),
    # MoleculeNet's regression sets (not in the paper; asked for by the original's users): values as they
    # are, in the target's units. FreeSolv's sha256 is of the CSV deepchem serves (SOURCES.md).
    DatasetSpec("esol", label_columns=("measured log solubility in mols per litre",), label_rule="regression",
                url=DEEPCHEM + "delaney-processed.csv",
                sha256="8c06a76f0c6487d29ab0f903e6a7a7139f189ab3c1178f159c8be8964602f189"),
    DatasetSpec("freesolv", label_columns=("expt",), label_rule="regression", url=DEEPCHEM + "SAMPL.csv",
                sha256="ab5895d914ee87cb563bd7b9611e869527bba45bec6b014d34dc495a0f9dcb72"),
    DatasetSpec("lipophilicity", label_columns=("exp",), label_rule="regression", url=DEEPCHEM + "Lipophilicity.csv",
                sha256="aed41590cb30609d51d8e08ad3ff06495a76e80e211358801f596b10da69bacd"),
    DatasetSpec("mutag", smiles_column="0", label_columns=("label",), label_rule="as_is", file_format="smi",
                labels_file="mutag_188_target.txt"),
    DatasetSpec("zinc_standard_agent", label_columns=(), label_rule="none", id_column="zinc_id"),
    # Embedded in RDKit's wheel (chem/embedded.py builds their folders): need no download.
    DatasetSpec("chembl2321810", label_columns=("pIC50",), label_rule="threshold", threshold=7.0),
    DatasetSpec("rdkit_corpus", label_columns=(), label_rule="none"),
]}
# The paper's eight downstream datasets, in its Table 1 order (the order of SPECS).
MOLECULENET: tuple[str, ...] = tuple(name for name, spec in SPECS.items() if spec.moleculenet)
# The named regression sets (scripts/regression_table.sh sweeps them).
REGRESSION: tuple[str, ...] = tuple(name for name, spec in SPECS.items() if spec.label_rule == "regression")


def task_type(spec: DatasetSpec) -> str:
    """'regression' for value targets, 'classification' for the binary label rules (the paper's)."""
    return "regression" if spec.label_rule == "regression" else "classification"

EMBEDDED = ("chembl2321810", "rdkit_corpus")

# The original's chem_dataset.zip (all of the above, processed by the original, plus zinc_standard_agent
# and chembl_filtered). Public location as published in the original README.
CHEM_DATASET_ZIP = "http://snap.stanford.edu/gnn-pretrain/data/chem_dataset.zip"


def get_spec(name: str, **overrides) -> DatasetSpec:
    """The spec of a named dataset, or a generic one (any CSV / SMILES file) built from ``overrides``."""
    if name in SPECS:
        return replace(SPECS[name], **overrides) if overrides else SPECS[name]
    if name in ("csv", "smiles", "generic"):
        return DatasetSpec(name=name, **overrides)
    raise ValueError(f"unknown dataset {name!r}; known: {', '.join(sorted(SPECS))}, or 'csv' with "
                     "smiles_column / label_columns")


@dataclass
class RawTable:
    smiles: list[str]
    labels: np.ndarray  # (n, tasks) int8 in {-1, 0, +1} (0 = missing); float32 with NaN = missing for 'regression'
    tasks: list[str]
    extra: dict[str, np.ndarray]


def read_table(path: str, **kwargs) -> pd.DataFrame:
    """``pd.read_csv`` whose failures on a bad file (truncated gzip, binary, empty, malformed) name
    the file and what is wrong with it, as a ValueError."""
    import zlib
    name = os.path.realpath(path) if os.path.islink(path) else path  # a cached link: name the user's file
    if _looks_binary(path):
        raise ValueError(f"{name}: not a text file (it holds NUL bytes); expected a CSV or SMILES file, "
                         "gzipped or not")
    try:
        return pd.read_csv(path, **kwargs)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{name}: the file is empty (no rows, no header)") from None
    except (EOFError, zlib.error) as err:
        raise ValueError(f"{name}: the compressed file is truncated or damaged ({err}); download or copy it "
                         "again") from None
    except UnicodeDecodeError:
        raise ValueError(f"{name}: not a text file (bytes that are not UTF-8 text); expected a CSV or "
                         "SMILES file, gzipped or not") from None
    except pd.errors.ParserError as err:
        raise ValueError(f"{name}: cannot be read as a table: {str(err).splitlines()[0]}") from None
    except OSError as err:
        if "gzip" in str(err).lower() or "compressed" in str(err).lower():
            raise ValueError(f"{name}: not a valid gzip file ({err}); download or copy it again") from None
        raise


def _looks_binary(path: str, probe: int = 4096) -> bool:
    """A NUL byte near the start (after gunzip): no CSV or SMILES file holds one."""
    import gzip
    try:
        with open(path, "rb") as f:
            head = f.read(probe)
        if head[:2] == b"\x1f\x8b":
            with gzip.open(path, "rb") as f:
                head = f.read(probe)
    except (OSError, EOFError):
        return False  # let the reader say what is wrong
    return b"\x00" in head


def find_raw_files(raw_dir: str) -> list[str]:
    if not os.path.isdir(raw_dir):
        return []
    return sorted(f for f in os.listdir(raw_dir) if not f.startswith("."))


def read_raw(spec: DatasetSpec, raw_dir: str) -> RawTable:
    files = find_raw_files(raw_dir)
    main = [f for f in files if f != spec.labels_file]
    if len(main) != 1:
        raise FileNotFoundError(f"{raw_dir} must hold exactly one raw file for {spec.name!r} "
                                f"(found: {files or 'nothing'})")
    path = os.path.join(raw_dir, main[0])
    if spec.file_format == "smi" or path.endswith((".smi", ".smi.gz", ".can")):
        # a .smi with targets holds their values after the SMILES (columns "1", "2", ...)
        with_values = (spec.label_columns is None or len(spec.label_columns) > 0) and not spec.labels_file
        if with_values:
            df = read_table(path, sep=r"\s+", header=None, dtype={0: str}, engine="python", nrows=spec.max_rows)
            df.columns = [str(c) for c in df.columns]
        else:
            df = read_table(path, sep=r"\s+", header=None, dtype=str, engine="python", usecols=[0],
                             nrows=spec.max_rows)
            df.columns = ["0"]
        smiles_col = "0"
    else:
        if spec.has_header:
            df = read_table(path, dtype={spec.smiles_column: str}, nrows=spec.max_rows)
        else:
            df = read_table(path, header=None, dtype=str, nrows=spec.max_rows)
            df.columns = [str(c) for c in df.columns]
        smiles_col = spec.smiles_column
        if smiles_col not in df.columns:
            raise ValueError(f"{path}: no SMILES column {smiles_col!r} (columns: {list(df.columns)[:10]}...)")
    if spec.labels_file:
        lab = read_table(os.path.join(raw_dir, spec.labels_file), header=None)[0].to_numpy()
        df["label"] = lab[: len(df)]
    tasks = [c for c in df.columns if c != smiles_col] if spec.label_columns is None else list(spec.label_columns)
    missing = [t for t in tasks if t not in df.columns]
    if missing:
        raise ValueError(f"{path}: label columns not found: {missing}")
    values = df[tasks].to_numpy(dtype=np.float64) if tasks else np.zeros((len(df), 0))
    check_label_values(values, tasks, spec, path)
    labels = encode_labels(values, spec) if tasks else np.zeros((len(df), 0), np.int8)
    extra = {}
    for attr, col in spec.extra_columns.items():
        if col in df.columns:
            codes = {"Train": 0, "Valid": 1, "Test": 2}
            extra[attr] = df[col].map(lambda v: codes.get(v, v)).to_numpy(dtype=np.int64)
    if spec.id_column and spec.id_column in df.columns:
        extra["zinc_id"] = df[spec.id_column].str.replace("ZINC", "").astype(np.int64).to_numpy()
    smiles = df[smiles_col].fillna("").astype(str).tolist()
    return RawTable(smiles, labels, tasks, extra)


# The values each classification rule reads as classes (NaN: missing); anything else in such a column
# (a potency, a continuous score) would be cut into classes silently (issue 25: test ROC-AUC 0.0000).
CLASS_VALUES = {"pm1": (-1.0, 0.0, 1.0), "as_is": (-1.0, 0.0, 1.0)}


def check_label_values(values: np.ndarray, tasks: list[str], spec: DatasetSpec, path: str) -> None:
    """Refuse, before any training, label columns whose values do not fit the dataset's task type."""
    allowed = CLASS_VALUES.get(spec.label_rule)
    if allowed is None or not values.size:
        return
    bad = ~np.isnan(values) & ~np.isin(values, allowed)
    if bad.any():
        col = int(np.argwhere(bad)[0][1])
        examples = ", ".join(f"{v:g}" for v in np.unique(values[:, col][bad[:, col]])[:3])
        raise ValueError(f"{path}: label column {tasks[col]!r} holds values that are not classes "
                         f"({', '.join(f'{a:g}' for a in allowed)}): {examples}, ...; but {spec.name!r} is a "
                         "classification dataset; give it binary labels (or a threshold for potencies)")


def encode_labels(values: np.ndarray, spec: DatasetSpec) -> np.ndarray:
    """Labels as int8 in {-1, 0, +1}, 0 meaning missing, following the spec's rule; 'regression' keeps
    the values (float32, NaN = missing)."""
    if spec.label_rule == "regression":
        return values.astype(np.float32)
    nan = np.isnan(values)
    if spec.label_rule == "pm1":
        out = np.where(values > 0, 1, -1)
    elif spec.label_rule == "as_is":
        out = np.sign(values)
    elif spec.label_rule == "threshold":
        if spec.threshold is None:
            raise ValueError("label_rule='threshold' needs a threshold")
        out = np.where(values >= spec.threshold, 1, -1)
    elif spec.label_rule == "none":
        return np.zeros((len(values), 0), np.int8)
    else:
        raise ValueError(f"unknown label rule {spec.label_rule!r}")
    out[nan] = 0
    return out.astype(np.int8)
