"""The original's supervised pre-training set, chembl_filtered, read from files the user names.

Two sources, both Python pickles, read by the one allowlisted unpickler (pretrain_gnns/legacy_pickle.py:
only tensors, arrays, sparse matrices, pandas Series, RDKit molecules; anything else is refused):
- ``processed/geometric_data_processed.pt`` (+ ``smiles.csv``) from the original's chem_dataset.zip,
  written by torch 1.x / PyG 1.0.3: PyG's old ``Data`` class is mapped to a plain attribute holder,
  then converted to a graph store.
- the Mayr et al. (2018) files ``folds0.pckl``, ``labelsHard.pckl``, ``chembl20LSTM.pckl``: processed
  as the original's ``_load_chembl_with_labels_dataset`` and ``MoleculeDataset('chembl_filtered')``
  did: largest species with more than 2 atoms, molecular weight 50-900, and every molecule whose
  standardised InChI belongs to a validation or test molecule of a downstream dataset's scaffold
  split removed.
Either way the result is cached once as a plain memory-mapped graph store (no pickle afterwards).
"""
from __future__ import annotations

import csv
import hashlib
import json
import os

import numpy as np
import torch
from tqdm.auto import tqdm

from pretrain_gnns.data_root import cache_dir, dataset_dir
from pretrain_gnns.files import atomic_write
from pretrain_gnns.graphstore import GraphDataset, GraphStore
from pretrain_gnns.legacy_pickle import load_pickle_file, load_pyg1_collated
from pretrain_gnns.workers import folder_lock, worker_pool

MAYR_FILES = ("folds0.pckl", "labelsHard.pckl", "chembl20LSTM.pckl")
LEGACY_FILE = "geometric_data_processed.pt"
# The original's list; esol, freesolv and lipophilicity are regression sets outside this project's
# datasets and are used when a folder for them exists under the data root.
DOWNSTREAM = ("bace", "bbbp", "clintox", "esol", "freesolv", "hiv", "lipophilicity", "muv", "sider", "tox21", "toxcast")
FORMAT = 1
CHUNK = 2000


class ChemblDataset(GraphDataset):
    """chembl_filtered as graphs with y (tasks in {-1, 0, +1}), id and fold."""

    def __init__(self, folder: str) -> None:
        super().__init__(GraphStore.load(os.path.join(folder, "graphs")))
        with open(os.path.join(folder, "meta.json")) as f:
            self.meta = json.load(f)
        self.folder = folder

    @property
    def num_tasks(self) -> int:
        return int(self.meta["num_tasks"])

    @property
    def smiles_list(self) -> list[str]:
        with open(os.path.join(self.folder, "smiles.csv"), newline="") as f:
            rows = [r[0] for r in csv.reader(f)]
        return [rows[i] for i in self.indices]


def find_sources(folder: str) -> tuple[str, str | None]:
    """('legacy', path to the .pt) or ('mayr', folder holding the three pickles)."""
    for cand in (os.path.join(folder, "processed", LEGACY_FILE), os.path.join(folder, LEGACY_FILE)):
        if os.path.isfile(cand):
            return "legacy", cand
    for cand in (os.path.join(folder, "raw"), folder):
        if all(os.path.isfile(os.path.join(cand, f)) for f in MAYR_FILES):
            return "mayr", cand
    raise FileNotFoundError(
        f"{folder}: found neither processed/{LEGACY_FILE} (the original's chem_dataset.zip, "
        f"dataset/chembl_filtered) nor the Mayr et al. pickles {', '.join(MAYR_FILES)} (in it or its raw/)")


def load_chembl_filtered(folder: str, data_root: str | None = None, workers: int | None = None,
                         verbose: bool = True) -> ChemblDataset:
    """chembl_filtered from ``folder`` (see module doc), converted once into a cached graph store."""
    kind, path = find_sources(os.path.abspath(folder))
    files = [path] if kind == "legacy" else [os.path.join(path, f) for f in MAYR_FILES]
    # Size and mtime identify the files: hashing gigabytes of pickles on every run would cost more
    # than it protects against.
    key = {"format": FORMAT, "kind": kind,
           "files": [[os.path.abspath(f), os.path.getsize(f), int(os.path.getmtime(f))] for f in files]}
    if kind == "mayr":
        key["downstream_root"] = os.path.abspath(data_root) if data_root else None
    tag = hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]
    out = os.path.join(cache_dir(), f"chembl_filtered-{tag}")
    meta_path = os.path.join(out, "meta.json")
    if not os.path.exists(meta_path):
        with folder_lock(out):
            if not os.path.exists(meta_path):
                _build_cache(out, kind, path, key, data_root, workers, verbose)
    return ChemblDataset(out)


def _build_cache(out: str, kind: str, path: str, key: dict, data_root: str | None, workers: int | None,
                 verbose: bool) -> None:
    if kind == "legacy":
        store, smiles, meta = convert_legacy(path)
    else:
        store, smiles, meta = process_mayr(path, data_root, workers, verbose)
    meta["key"] = key
    write_cache(out, store, smiles, meta)
    if verbose:
        print(f"[chembl_filtered] {len(store)} molecules x {meta['num_tasks']} tasks from {kind} files "
              f"-> {out}", flush=True)


def write_cache(out: str, store: GraphStore, smiles: list[str], meta: dict) -> None:
    os.makedirs(out, exist_ok=True)
    store.save(os.path.join(out, "graphs"))
    with atomic_write(os.path.join(out, "smiles.csv"), newline="") as f:
        csv.writer(f).writerows([s] for s in smiles)
    with atomic_write(os.path.join(out, "meta.json")) as f:  # last: marks the cache complete
        json.dump(meta, f, indent=1)


# ------------------------------------------------------------------------------ the original's .pt
def read_legacy_processed(path: str) -> tuple[dict, dict]:
    """(attributes, slices) of an original InMemoryDataset file, through the allowlisted unpickler."""
    attrs, slices = load_pyg1_collated(path)
    return attrs, {k: torch.as_tensor(v) for k, v in slices.items()}


def legacy_to_store(attrs: dict, slices: dict) -> GraphStore:
    """The original's concatenated graphs (local node indices, both directions of each bond
    consecutive) as a GraphStore holding each bond once."""
    x, ei, ea = attrs["x"].numpy(), attrs["edge_index"].numpy(), attrs["edge_attr"].numpy()
    node_ptr, edge_ptr = slices["x"].numpy(), slices["edge_index"].numpy()
    if (edge_ptr % 2).any() or not (np.array_equal(ei[0, 0::2], ei[1, 1::2]) and np.array_equal(ei[1, 0::2], ei[0, 1::2])):
        raise ValueError("edges are not stored as consecutive (i, j), (j, i) pairs: not the original featuriser's output")
    n_graphs = len(node_ptr) - 1
    graph_attrs = {}
    for name in ("y", "id", "fold"):
        if name not in attrs:
            continue
        v = attrs[name].numpy()
        width = np.diff(slices[name].numpy())
        if len(set(width.tolist())) != 1:
            raise ValueError(f"graph attribute {name!r} has varying widths per graph")
        v = v.reshape(n_graphs, -1) if width[0] > 1 or name == "y" else v.reshape(n_graphs)
        graph_attrs[name] = np.sign(v).astype(np.int8) if name == "y" else v.astype(np.int64)
    return GraphStore(x.astype(np.uint8), ei[:, 0::2].T.astype(np.int32), ea[0::2].astype(np.uint8), node_ptr,
                      edge_ptr // 2, graph_attrs)


def convert_legacy(path: str) -> tuple[GraphStore, list[str], dict]:
    store = legacy_to_store(*read_legacy_processed(path))
    smiles_csv = os.path.join(os.path.dirname(path), "smiles.csv")
    smiles = []
    if os.path.isfile(smiles_csv):
        with open(smiles_csv, newline="") as f:
            smiles = [r[0] for r in csv.reader(f) if r]
    if len(smiles) != len(store):
        smiles = [""] * len(store)
    num_tasks = store.graph_attrs["y"].shape[1] if "y" in store.graph_attrs else 0
    return store, smiles, {"source": "legacy", "num_tasks": int(num_tasks), "num_kept": len(store)}


# ------------------------------------------------------------------------------ Mayr et al. pickles
def read_mayr_pickles(folder: str) -> tuple[list, list[list[int]], np.ndarray]:
    """(molecules, folds, labels) as the original's _load_chembl_with_labels_dataset read them.
    Labels: dense (molecules x targets) int8 in {-1, 0, +1}. Through the allowlisted unpickler."""
    with open(os.path.join(folder, "folds0.pckl"), "rb") as f:
        folds = load_pickle_file(f)
    with open(os.path.join(folder, "labelsHard.pckl"), "rb") as f:
        target_mat = load_pickle_file(f)
        sample_ann = load_pickle_file(f)
        load_pickle_file(f)  # targetAnnInd: target names, not needed for the labels
    target_mat = target_mat.copy().tocsr()
    target_mat.sort_indices()
    folds = [np.intersect1d(fold, sample_ann.index.values).tolist() for fold in folds]
    labels = np.sign(target_mat.toarray()).astype(np.int8)  # int8: 456k x 1310 stays 0.6 GB
    with open(os.path.join(folder, "chembl20LSTM.pckl"), "rb") as f:
        mols = load_pickle_file(f)
    if len(mols) != labels.shape[0] or len(mols) != sum(len(f) for f in folds):
        raise ValueError(f"{folder}: {len(mols)} molecules, {labels.shape[0]} label rows and "
                         f"{sum(len(f) for f in folds)} fold entries do not match")
    return list(mols), folds, labels


def downstream_inchis(data_root: str | None, verbose: bool = True) -> tuple[set[str], list[str], list[str]]:
    """InChIs of the validation and test molecules of each downstream dataset's scaffold split (the
    original removed them from chembl_filtered). Returns (InChIs, datasets used, datasets missing)."""
    from chem.loader import MoleculeDataset
    from chem.splitters import scaffold_split_indices
    found, missing, inchis = [], [], set()
    for name in DOWNSTREAM:
        folder = dataset_dir(name, data_root)
        if not os.path.isdir(os.path.join(folder, "raw")):
            missing.append(name)
            continue
        try:
            ds = MoleculeDataset(folder, dataset=name, verbose=False)
        except ValueError:  # a folder for a dataset without a spec here (esol, freesolv, lipophilicity)
            missing.append(name)
            continue
        smiles = ds.smiles_list
        _, valid, test = scaffold_split_indices(smiles)
        for i in valid + test:
            for species in smiles[i].split("."):
                inchi = standardized_mol_id(species)
                if inchi is not None:
                    inchis.add(inchi)
        found.append(name)
    if verbose and missing:
        print(f"[chembl_filtered] downstream datasets not found under the data root, their molecules are NOT "
              f"removed: {', '.join(missing)}", flush=True)
    return inchis, found, missing


def standardized_mol_id(smiles: str) -> str | None:
    """The original's create_standardized_mol_id: InChI of the non-isomeric molecule (largest species)."""
    from rdkit import Chem
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return None
    flat = Chem.MolToSmiles(mol, isomericSmiles=False)
    mol = Chem.MolFromSmiles(flat)
    if mol is None:
        return None
    if "." in flat:
        species = split_species(mol)
        mol = largest(species) if species else None
        if mol is None:
            return None
    return Chem.MolToInchi(mol)


def split_species(mol) -> list:
    """The original's split_rdkit_mol_obj: each valid '.'-separated species of the isomeric SMILES."""
    from rdkit import Chem
    out = []
    for s in Chem.MolToSmiles(mol, isomericSmiles=True).split("."):
        m = Chem.MolFromSmiles(s)
        if m is not None:
            out.append(m)
    return out


def largest(mols: list):
    """The first molecule with the most atoms (the original's get_largest_mol)."""
    sizes = [m.GetNumAtoms() for m in mols]
    return mols[sizes.index(max(sizes))]


_DOWNSTREAM_SET: set[str] = set()


def _init_worker(inchis: set[str]) -> None:
    global _DOWNSTREAM_SET
    _DOWNSTREAM_SET = inchis
    from rdkit import RDLogger
    RDLogger.DisableLog("rdApp.*")


def _process_chunk(items: list[tuple[int, str | None]]) -> dict:
    """Filter and featurise (position, isomeric SMILES of the raw molecule) pairs as the original did."""
    from rdkit import Chem
    from rdkit.Chem import Descriptors
    from chem.features import VocabularyError, mol_to_arrays
    out = {"pos": [], "smiles": [], "nodes": [], "bonds": [], "bond_feats": [], "n": [], "e": [],
           "dropped": {"no molecule": 0, "2 atoms or fewer": 0, "weight outside 50-900": 0,
                       "no InChI": 0, "downstream valid/test molecule": 0, "atom or bond outside the vocabulary": 0}}
    drop = out["dropped"]
    for pos, smi in items:
        # The original split MolToSmiles(raw molecule) at '.' and parsed each species: so do we.
        species = [m for m in (Chem.MolFromSmiles(s) for s in smi.split(".")) if m is not None] if smi else []
        if not species:
            drop["no molecule"] += 1
            continue
        mol = largest(species)
        if mol.GetNumAtoms() <= 2:
            drop["2 atoms or fewer"] += 1
            continue
        if not 50 <= Descriptors.MolWt(mol) <= 900:
            drop["weight outside 50-900"] += 1
            continue
        smiles = Chem.MolToSmiles(mol)
        inchi = standardized_mol_id(smiles)
        if inchi is None:
            drop["no InChI"] += 1
            continue
        if inchi in _DOWNSTREAM_SET:
            drop["downstream valid/test molecule"] += 1
            continue
        try:
            nodes, bonds, bond_feats = mol_to_arrays(mol)
        except VocabularyError:
            drop["atom or bond outside the vocabulary"] += 1
            continue
        out["pos"].append(pos)
        out["smiles"].append(smiles)
        out["nodes"] += nodes
        out["bonds"] += bonds
        out["bond_feats"] += bond_feats
        out["n"].append(len(nodes) // 2)
        out["e"].append(len(bonds) // 2)
    return out


def process_mayr(folder: str, data_root: str | None, workers: int | None = None,
                 verbose: bool = True) -> tuple[GraphStore, list[str], dict]:
    from rdkit import Chem
    mols, folds, labels = read_mayr_pickles(folder)
    inchis, used, missing = downstream_inchis(data_root, verbose)
    # Molecules travel to the workers as isomeric SMILES: the original re-parsed each species from
    # exactly this string, so the graphs are the same.
    items = [(i, Chem.MolToSmiles(m, isomericSmiles=True) if m is not None else None) for i, m in enumerate(mols)]
    chunks = [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]
    workers = min(workers or os.cpu_count() or 1, max(len(chunks), 1))
    bar = tqdm(total=len(items), desc="chembl_filtered", unit="mol", disable=not verbose or len(items) < 5000)
    parts = []
    if workers <= 1:
        _init_worker(inchis)
        for c in chunks:
            parts.append(_process_chunk(c))
            bar.update(len(c))
    else:
        with worker_pool(workers, initializer=_init_worker, initargs=(inchis,)) as pool:
            for c, part in zip(chunks, pool.map(_process_chunk, chunks)):
                parts.append(part)
                bar.update(len(c))
    bar.close()
    merged = {k: [x for p in parts for x in p[k]] for k in ("pos", "smiles", "nodes", "bonds", "bond_feats", "n", "e")}
    dropped = {k: sum(p["dropped"][k] for p in parts) for k in parts[0]["dropped"]} if parts else {}
    pos = np.asarray(merged["pos"], dtype=np.int64)
    fold_of = np.full(len(mols), 2, dtype=np.int64)  # the original: in folds[0] -> 0, folds[1] -> 1, else 2
    fold_of[np.asarray(folds[1], dtype=np.int64)] = 1
    fold_of[np.asarray(folds[0], dtype=np.int64)] = 0
    store = GraphStore.from_parts(merged["nodes"], merged["bonds"], merged["bond_feats"], merged["n"], merged["e"],
                                  node_width=2, edge_width=2,
                                  graph_attrs={"y": labels[pos], "id": pos, "fold": fold_of[pos]})
    meta = {"source": "mayr", "num_tasks": int(labels.shape[1]), "num_raw": len(mols), "num_kept": len(pos),
            "dropped": dropped, "downstream_used": used, "downstream_missing": missing}
    if verbose:
        print(f"[chembl_filtered] kept {len(pos)} of {len(mols)}; dropped {dropped}", flush=True)
    return store, merged["smiles"], meta
