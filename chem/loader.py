"""Molecule datasets: the original's ``MoleculeDataset`` and ``mol_to_graph_data_obj_simple``, on a
compact memory-mapped store.

``MoleculeDataset(root, dataset=NAME)`` reads ``root/raw/``, featurises once (in parallel, with a
progress bar) and caches the result in ``root/processed/`` (or a cache folder when ``root`` is
read-only): the graph store, ``smiles.csv`` (the kept molecules, in order, as the original wrote
them) and ``skipped.csv`` (row, SMILES, reason for every molecule left out). The cache is rebuilt
when the raw file, the dataset's spec or the featuriser changes.
"""
from __future__ import annotations

import csv
import json
import os
from dataclasses import asdict

import numpy as np
import torch
from rdkit import Chem
from torch_geometric.data import Data
from tqdm.auto import tqdm

from chem.datasets import DatasetSpec, find_raw_files, get_spec, read_raw
from chem.features import featurise_smiles, mol_to_arrays
from pretrain_gnns.data_root import MissingDataError, missing_data_message, processed_dir, sha256_file
from pretrain_gnns.files import atomic_write
from pretrain_gnns.graphstore import GraphDataset, GraphStore
from pretrain_gnns.workers import folder_lock, worker_pool

FEATURISER_VERSION = 1
MIN_CHUNK, MAX_CHUNK = 1000, 5000  # molecules per worker task: enough to amortise the hand-off


def mol_to_graph_data_obj_simple(mol: Chem.Mol) -> Data:
    """The original's featuriser: Data(x (n, 2), edge_index (2, 2b), edge_attr (2b, 2)), all int64."""
    nodes, bonds, bond_feats = mol_to_arrays(mol)
    x = torch.tensor(nodes, dtype=torch.long).view(-1, 2)
    pairs = torch.tensor(bonds, dtype=torch.long).view(-1, 2)
    edge_index = torch.stack([pairs, pairs.flip(1)], dim=1).view(-1, 2).t().contiguous()
    edge_attr = torch.tensor(bond_feats, dtype=torch.long).view(-1, 2).repeat_interleave(2, dim=0)
    return Data(x=x, edge_index=edge_index, edge_attr=edge_attr)


def _featurise_chunk(args):
    smiles, canonical = args
    return featurise_smiles(smiles, canonical)


def featurise_parallel(smiles: list[str], canonical: bool, workers: int | None = None,
                       desc: str = "featurise") -> dict:
    """``featurise_smiles`` over chunks in worker processes, results concatenated in input order."""
    workers = max(1, workers or os.cpu_count() or 1)
    # about four chunks a worker: balanced ends, few hand-offs; small sets stay in this process
    size = max(MIN_CHUNK, min(MAX_CHUNK, -(-len(smiles) // (4 * workers))))
    chunks = [smiles[i:i + size] for i in range(0, len(smiles), size)]
    workers = min(workers, len(chunks))
    bar = tqdm(total=len(smiles), desc=desc, unit="mol", disable=len(smiles) < 5000)
    parts = []
    if workers <= 1:
        for c in chunks:
            parts.append(featurise_smiles(c, canonical))
            bar.update(len(c))
    else:
        with worker_pool(workers) as pool:
            for c, part in zip(chunks, pool.map(_featurise_chunk, [(c, canonical) for c in chunks])):
                parts.append(part)
                bar.update(len(c))
    bar.close()
    offsets = np.cumsum([0] + [len(c) for c in chunks[:-1]])
    out = {k: np.concatenate([p[k] for p in parts]) if parts else np.zeros(0, np.int64)
           for k in ("nodes", "bonds", "bond_feats", "n_counts", "e_counts")}
    out["kept"] = np.concatenate([p["kept"] + o for p, o in zip(parts, offsets)]) if parts else np.zeros(0, np.int64)
    out["smiles"] = [s for p in parts for s in p["smiles"]]
    out["skipped"] = [(pos + int(o), why) for p, o in zip(parts, offsets) for pos, why in p["skipped"]]
    return out


class MoleculeDataset(GraphDataset):
    """Molecules of one dataset as graphs; ``ds[i]`` is a ``Data`` with x, edge_index, edge_attr, y, id."""

    def __init__(self, root: str, dataset: str = "zinc_standard_agent", *, spec: DatasetSpec | None = None,
                 workers: int | None = None, force: bool = False, verbose: bool = True, **spec_overrides) -> None:
        self.root = root
        self.dataset = dataset
        self.spec = spec or get_spec(dataset, **spec_overrides)
        self.raw_dir = os.path.join(root, "raw")
        if not find_raw_files(self.raw_dir):
            raise MissingDataError(missing_data_message(dataset, root, download_hint(dataset)))
        self.processed_dir = processed_dir(root)
        key = self._cache_key()
        meta_path = os.path.join(self.processed_dir, "meta.json")
        if force or not _cache_complete(meta_path, key):
            # One run builds the cache; another one featurising the same data waits, then reads it.
            with folder_lock(self.processed_dir):
                if force or not _cache_complete(meta_path, key):
                    self._process(key, workers, verbose)
        self.meta = _read_json(meta_path)
        super().__init__(GraphStore.load(os.path.join(self.processed_dir, "graphs")))
        self._smiles: list[str] | None = None

    @property
    def smiles_list(self) -> list[str]:
        """The kept molecules' SMILES, in dataset order (processed/smiles.csv)."""
        if self._smiles is None:
            with open(os.path.join(self.processed_dir, "smiles.csv"), newline="") as f:
                self._smiles = [row[0] for row in csv.reader(f)]
        return [self._smiles[i] for i in self.indices] if len(self.indices) != len(self._smiles) else self._smiles

    @property
    def num_tasks(self) -> int:
        return len(self.meta["tasks"])

    def _cache_key(self) -> dict:
        spec = {k: v for k, v in asdict(self.spec).items() if k not in ("url", "sha256")}
        files = {f: sha256_file(os.path.join(self.raw_dir, f)) for f in find_raw_files(self.raw_dir)}
        return {"featuriser": FEATURISER_VERSION, "spec": json.loads(json.dumps(spec)), "raw": files}

    def _process(self, key: dict, workers: int | None, verbose: bool) -> None:
        table = read_raw(self.spec, self.raw_dir)
        feats = featurise_parallel(table.smiles, self.spec.canonical_smiles, workers, desc=self.dataset)
        kept = np.asarray(feats["kept"], dtype=np.int64)
        attrs = {"id": kept}
        if table.labels.shape[1]:
            attrs["y"] = table.labels[kept]
        for name, values in table.extra.items():
            attrs[name] = values[kept]
        store = GraphStore.from_parts(feats["nodes"], feats["bonds"], feats["bond_feats"], feats["n_counts"],
                                      feats["e_counts"], node_width=2, edge_width=2, graph_attrs=attrs)
        pdir = self.processed_dir
        store.save(os.path.join(pdir, "graphs"))
        _write_rows(os.path.join(pdir, "smiles.csv"), [[s] for s in feats["smiles"]])
        skipped = [[pos, table.smiles[pos], why] for pos, why in feats["skipped"]]
        _write_rows(os.path.join(pdir, "skipped.csv"), skipped, header=["row", "smiles", "reason"])
        reasons: dict[str, int] = {}
        for _, _, why in skipped:
            kind = why.split(" is outside")[0] if "outside" in why else why
            reasons[kind] = reasons.get(kind, 0) + 1
        meta = {"key": key, "dataset": self.dataset, "tasks": table.tasks, "num_raw": len(table.smiles),
                "num_kept": len(kept), "num_skipped": len(skipped), "skip_reasons": reasons}
        _write_json(os.path.join(pdir, "meta.json"), meta)  # written last: marks the cache complete
        if verbose:
            detail = ", ".join(f"{n} {why}" for why, n in sorted(reasons.items(), key=lambda kv: -kv[1]))
            print(f"[{self.dataset}] kept {len(kept)} of {len(table.smiles)} molecules; skipped {len(skipped)}"
                  + (f" ({detail}) -> {os.path.join(pdir, 'skipped.csv')}" if skipped else ""), flush=True)


def load_dataset(name: str, data_root: str | None = None, **kwargs) -> MoleculeDataset:
    """A named dataset from the data root (--data-root / $PRETRAIN_GNNS_DATA / ./dataset), or from
    RDKit's wheel for the embedded ones (chembl2321810, rdkit_corpus)."""
    from chem.datasets import EMBEDDED
    from pretrain_gnns.data_root import dataset_dir
    if name in EMBEDDED:
        from chem.embedded import embedded_root
        return MoleculeDataset(embedded_root(name), dataset=name, **kwargs)
    return MoleculeDataset(dataset_dir(name, data_root), dataset=name, **kwargs)


def download_hint(name: str) -> str:
    from chem.datasets import SPECS
    if name in SPECS and SPECS[name].url:
        return f"python -m chem.download {name} --data-root <folder>   (from {SPECS[name].url})"
    return "python -m chem.download chem_dataset --data-root <folder>   (the original's chem_dataset.zip)"


def _cache_complete(meta_path: str, key: dict) -> bool:
    return os.path.exists(meta_path) and _read_json(meta_path).get("key") == key


def _read_json(path: str) -> dict:
    with open(path) as f:
        return json.load(f)


def _write_json(path: str, obj) -> None:
    with atomic_write(path) as f:
        json.dump(obj, f, indent=1, default=str)


def _write_rows(path: str, rows: list, header: list | None = None) -> None:
    with atomic_write(path, newline="") as f:
        w = csv.writer(f)
        if header:
            w.writerow(header)
        w.writerows(rows)
