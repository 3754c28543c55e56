"""Compact, memory-mapped storage of many small graphs, and vectorised batching.

The original kept one PyG ``Data`` object per graph (about 2.2 KB per molecule in RAM) and collated
batches graph by graph in Python. Here a whole dataset is a handful of concatenated numpy arrays
(a few hundred bytes per molecule, memory-mapped from disk), and a batch of any size is cut out
of them with a constant number of numpy operations.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from typing import Iterable, Sequence

import numpy as np
import torch
from torch_geometric.data import Batch, Data

FORMAT_VERSION = 1


def concat_ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + c)`` for every (s, c) pair, without a Python loop."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    run_starts = np.cumsum(counts) - counts
    return np.arange(total, dtype=np.int64) + np.repeat(np.asarray(starts, dtype=np.int64) - run_starts, counts)


class GraphStore:
    """A set of graphs held as concatenated arrays.

    node_feat (N, Fn), edge_index (E, 2) with node indices local to each graph, edge_feat (E, Fe),
    node_ptr / edge_ptr (G + 1) offsets, graph_attrs {name: (G, ...)}.
    ``undirected=True`` stores each undirected edge once and expands it at batching time into
    the directed pair (a, b), (b, a), consecutively: exactly the order the original featuriser wrote.
    ``node_index_attrs`` names graph attributes that hold a node index (e.g. a centre node) and are
    shifted by the node offset of their graph in a batch.
    """

    def __init__(self, node_feat: np.ndarray, edge_index: np.ndarray, edge_feat: np.ndarray,
                 node_ptr: np.ndarray, edge_ptr: np.ndarray, graph_attrs: dict | None = None,
                 undirected: bool = True, node_index_attrs: Sequence[str] = (),
                 path: str | None = None) -> None:
        self.node_feat = node_feat
        self.edge_index = edge_index
        self.edge_feat = edge_feat
        self.node_ptr = np.asarray(node_ptr, dtype=np.int64)
        self.edge_ptr = np.asarray(edge_ptr, dtype=np.int64)
        self.graph_attrs = dict(graph_attrs or {})
        self.undirected = undirected
        self.node_index_attrs = tuple(node_index_attrs)
        self.path = path  # set when memory-mapped from disk; lets worker processes reopen it
        if len(self.node_ptr) != len(self.edge_ptr):
            raise ValueError("node_ptr and edge_ptr must have the same length")
        for name, arr in self.graph_attrs.items():
            if len(arr) != len(self):
                raise ValueError(f"graph attribute {name!r} has {len(arr)} rows for {len(self)} graphs")

    def __len__(self) -> int:
        return len(self.node_ptr) - 1

    # ------------------------------------------------------------------ building
    @classmethod
    def from_parts(cls, node_feats: list, edges: list, edge_feats: list, node_counts: Sequence[int],
                   edge_counts: Sequence[int], *, node_dtype=np.uint8, edge_dtype=np.uint8,
                   node_width: int, edge_width: int, **kwargs) -> "GraphStore":
        """Build from flat Python lists (all graphs' rows one after the other) and per-graph counts."""
        node_feat = np.asarray(node_feats, dtype=node_dtype).reshape(-1, node_width)
        edge_index = np.asarray(edges, dtype=np.int32).reshape(-1, 2)
        edge_feat = np.asarray(edge_feats, dtype=edge_dtype).reshape(-1, edge_width)
        node_ptr = np.concatenate([[0], np.cumsum(np.asarray(node_counts, dtype=np.int64))])
        edge_ptr = np.concatenate([[0], np.cumsum(np.asarray(edge_counts, dtype=np.int64))])
        return cls(node_feat, edge_index, edge_feat, node_ptr, edge_ptr, **kwargs)

    # ------------------------------------------------------------------ disk I/O
    def save(self, directory: str) -> None:
        """Write as .npy files plus meta.json; atomic (a temporary folder renamed into place)."""
        parent = os.path.dirname(os.path.abspath(directory))
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=".tmp_store_", dir=parent)
        arrays = {"node_feat": self.node_feat, "edge_index": self.edge_index, "edge_feat": self.edge_feat,
                  "node_ptr": self.node_ptr, "edge_ptr": self.edge_ptr}
        arrays.update({f"graph__{k}": v for k, v in self.graph_attrs.items()})
        for name, arr in arrays.items():
            np.save(os.path.join(tmp, name + ".npy"), np.ascontiguousarray(arr))
        meta = {"format_version": FORMAT_VERSION, "undirected": self.undirected,
                "node_index_attrs": list(self.node_index_attrs), "graph_attrs": list(self.graph_attrs),
                "num_graphs": len(self)}
        with open(os.path.join(tmp, "meta.json"), "w") as f:
            json.dump(meta, f, indent=1)
        if os.path.exists(directory):
            shutil.rmtree(directory)
        os.replace(tmp, directory)

    @classmethod
    def load(cls, directory: str, mmap: bool = True) -> "GraphStore":
        with open(os.path.join(directory, "meta.json")) as f:
            meta = json.load(f)
        if meta.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{directory}: graph store format {meta.get('format_version')}, "
                             f"expected {FORMAT_VERSION}; delete the folder to rebuild it")
        mode = "r" if mmap else None

        def arr(name):
            return np.load(os.path.join(directory, name + ".npy"), mmap_mode=mode, allow_pickle=False)

        return cls(arr("node_feat"), arr("edge_index"), arr("edge_feat"), np.asarray(arr("node_ptr")),
                   np.asarray(arr("edge_ptr")), {k: arr("graph__" + k) for k in meta["graph_attrs"]},
                   undirected=meta["undirected"], node_index_attrs=meta["node_index_attrs"],
                   path=directory if mmap else None)

    def __reduce__(self):
        # A memory-mapped store travels to DataLoader workers as its path, not as a copy of its data.
        if self.path is not None:
            return (GraphStore.load, (self.path, True))
        return super().__reduce__()

    def nbytes(self) -> int:
        arrays = [self.node_feat, self.edge_index, self.edge_feat, self.node_ptr, self.edge_ptr,
                  *self.graph_attrs.values()]
        return int(sum(a.nbytes for a in arrays))

    # ------------------------------------------------------------------ batching
    def num_nodes(self, indices: np.ndarray | None = None) -> np.ndarray:
        counts = np.diff(self.node_ptr)
        return counts if indices is None else counts[indices]

    def batch(self, indices: Iterable[int]) -> Batch:
        """The graphs at ``indices`` as one PyG ``Batch`` (x, edge_index, edge_attr, batch, ptr, attrs)."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        n_counts = self.node_ptr[idx + 1] - self.node_ptr[idx]
        e_counts = self.edge_ptr[idx + 1] - self.edge_ptr[idx]
        node_sel = concat_ranges(self.node_ptr[idx], n_counts)
        edge_sel = concat_ranges(self.edge_ptr[idx], e_counts)
        node_offsets = np.cumsum(n_counts) - n_counts
        x = np.asarray(self.node_feat[node_sel])
        local = np.asarray(self.edge_index[edge_sel], dtype=np.int64)
        shift = np.repeat(node_offsets, e_counts)
        a, b = local[:, 0] + shift, local[:, 1] + shift
        efeat = np.asarray(self.edge_feat[edge_sel])
        if self.undirected:
            edge_index = np.empty((2, 2 * len(a)), dtype=np.int64)
            edge_index[0, 0::2], edge_index[0, 1::2] = a, b
            edge_index[1, 0::2], edge_index[1, 1::2] = b, a
            efeat = np.repeat(efeat, 2, axis=0)
        else:
            edge_index = np.stack([a, b])
        out = {
            "x": _to_torch(x),
            "edge_index": torch.from_numpy(edge_index),
            "edge_attr": _to_torch(efeat),
            "batch": torch.from_numpy(np.repeat(np.arange(len(idx), dtype=np.int64), n_counts)),
            "ptr": torch.from_numpy(np.concatenate([[0], np.cumsum(n_counts)]).astype(np.int64)),
        }
        for name, values in self.graph_attrs.items():
            vals = np.asarray(values[idx])
            if name in self.node_index_attrs:
                vals = vals + node_offsets.reshape((-1,) + (1,) * (vals.ndim - 1))
            out[name] = _to_torch(vals)
        return Batch(**out)

    def get(self, i: int) -> Data:
        """One graph as a plain ``Data`` (the original's per-molecule object)."""
        b = self.batch([i])
        data = Data(x=b.x, edge_index=b.edge_index, edge_attr=b.edge_attr)
        for name in self.graph_attrs:
            data[name] = b[name]
        return data


def _to_torch(a: np.ndarray) -> torch.Tensor:
    """Small integer codes become int64 (embedding indices, as in the original); floats stay float."""
    a = np.ascontiguousarray(a)
    if a.dtype.kind in "ui" and a.dtype != np.int64:
        a = a.astype(np.int64)
    elif a.dtype == np.float64:
        a = a.astype(np.float32)
    return torch.from_numpy(a)


class GraphDataset(torch.utils.data.Dataset):
    """A view of a ``GraphStore``: ``ds[i]`` is a ``Data``, ``ds[idx_list]`` a subset view, and
    ``torch.utils.data.DataLoader`` fetches whole batches through ``__getitems__`` (one vectorised cut)."""

    def __init__(self, store: GraphStore, indices: np.ndarray | None = None) -> None:
        self.store = store
        self.indices = np.arange(len(store), dtype=np.int64) if indices is None else np.asarray(indices, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.indices)

    def subset(self, idx) -> "GraphDataset":
        view = object.__new__(type(self))
        view.__dict__.update(self.__dict__)
        view.indices = self.indices[idx]
        return view

    def __getitem__(self, idx):
        if isinstance(idx, (int, np.integer)) or (torch.is_tensor(idx) and idx.dim() == 0):
            return self.store.get(int(self.indices[int(idx)]))
        if torch.is_tensor(idx):
            idx = idx.cpu().numpy()
        if isinstance(idx, slice):
            return self.subset(idx)
        return self.subset(np.asarray(idx, dtype=np.int64))

    def __getitems__(self, idxs: Sequence[int]) -> Batch:
        return self.store.batch(self.indices[np.asarray(idxs, dtype=np.int64)])

    def batch(self, idxs: Sequence[int] | None = None) -> Batch:
        return self.__getitems__(np.arange(len(self)) if idxs is None else idxs)

    def graph_attr(self, name: str) -> np.ndarray:
        return np.asarray(self.store.graph_attrs[name][self.indices])


def dataset_fingerprint(dataset: GraphDataset) -> str:
    """A hash identifying the graphs a dataset holds (its view's indices, offsets, node and bond
    features and graph attributes such as labels): two runs on different data get different hashes.
    The edge list, the largest array, is left out: the offsets and features already tell datasets
    apart, and hashing it would add seconds on a large store."""
    import hashlib
    store = dataset.store
    h = hashlib.blake2b(digest_size=16)
    parts = [("indices", dataset.indices), ("node_ptr", store.node_ptr), ("edge_ptr", store.edge_ptr),
             ("node_feat", store.node_feat), ("edge_feat", store.edge_feat),
             *sorted((f"graph__{k}", v) for k, v in store.graph_attrs.items())]
    for name, arr in parts:
        arr = np.ascontiguousarray(arr)
        h.update(f"{name}:{arr.dtype.str}:{arr.shape}".encode())
        h.update(memoryview(arr.reshape(-1)).cast("B"))
    return h.hexdigest()


def _identity(batch):
    return batch


def make_loader(dataset: GraphDataset, batch_size: int, shuffle: bool = False, transform=None,
                sampler=None, num_workers: int = 0, drop_last: bool = False,
                generator: torch.Generator | None = None) -> torch.utils.data.DataLoader:
    """A DataLoader whose batches are cut from the store in one go; ``transform`` acts on a whole Batch."""
    return torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, shuffle=shuffle if sampler is None else False, sampler=sampler,
        collate_fn=transform or _identity, num_workers=num_workers, drop_last=drop_last,
        generator=generator, persistent_workers=num_workers > 0)
