"""Read the original's processed bio files (``geometric_data_processed.pt``) into a GraphStore.

Those files are torch 1.0 pickles of ``(Data, slices)`` where ``Data`` is a PyG 1.0.3 object whose
tensors sit in its ``__dict__``; PyG 2.x refuses them ("created by an older version of PyG",
original issues #59, #67). Here they are unpickled by the project's one allowlisted unpickler
(pretrain_gnns/legacy_pickle.py), the PyG class mapped to an inert stand-in, so nothing but tensors,
dicts and that stand-in can be built.
It is still unpickling: convert only files you trust, once; afterwards the project's own format
(numpy arrays, ``allow_pickle=False``) is all that is read.
"""
from __future__ import annotations

import numpy as np
import torch

from bio.ppi import Report
from pretrain_gnns.graphstore import GraphStore
from pretrain_gnns.legacy_pickle import load_pyg1_collated  # noqa: F401  (re-exported: bio's reader)

REQUIRED = ("x", "edge_index", "edge_attr", "center_node_idx", "species_id")
LABELS = ("go_target_pretrain", "go_target_downstream")


def _per_graph(name: str, value: torch.Tensor, ptr: np.ndarray, num_graphs: int) -> np.ndarray | None:
    """A graph-level attribute collated along dim 0 with the same width for every graph, as (G, ...)."""
    step = np.diff(ptr)
    if len(step) != num_graphs or (num_graphs and not (step == step[0]).all()):
        return None
    arr = value.numpy()
    width = int(step[0]) if num_graphs else 0
    if arr.shape[0] != width * num_graphs:
        return None
    return arr.reshape(num_graphs) if width == 1 and arr.ndim == 1 else arr.reshape((num_graphs, width) + arr.shape[1:])


def collated_to_store(attrs: dict, slices: dict, report: Report) -> GraphStore:
    """Check the original's bio layout and repack it: undirected edges once, labels as uint8."""
    missing = [k for k in REQUIRED if k not in attrs or k not in slices]
    if missing:
        raise ValueError(f"not a bio dataset: attributes {missing} missing (found {sorted(attrs)})")
    node_ptr = slices["x"].numpy().astype(np.int64)
    edge_ptr = slices["edge_index"].numpy().astype(np.int64)
    G = len(node_ptr) - 1
    x = attrs["x"].numpy()
    if x.shape != (node_ptr[-1], 1) or not np.isin(x, (0, 1)).all():
        raise ValueError(f"x must be ({node_ptr[-1]}, 1) of ones (the original's dummy node feature), got {x.shape}")
    edge_index = attrs["edge_index"].numpy().astype(np.int64)
    edge_attr = attrs["edge_attr"].numpy().astype(np.float32)
    if edge_attr.shape != (edge_index.shape[1], 9):
        raise ValueError(f"edge_attr must be (num_edges, 9), got {edge_attr.shape}")
    if not np.array_equal(slices["edge_attr"].numpy(), slices["edge_index"].numpy()):
        raise ValueError("edge_attr and edge_index slices differ")

    # The original wrote every undirected edge as (i, j), (j, i) consecutively with equal attributes;
    # then it is stored once. Anything else is kept as directed edges.
    e0, e1 = edge_index[:, 0::2], edge_index[:, 1::2]
    paired = (edge_index.shape[1] % 2 == 0 and (edge_ptr % 2 == 0).all() and np.array_equal(e0, e1[::-1])
              and np.array_equal(edge_attr[0::2], edge_attr[1::2]))
    if paired:
        local, feat, eptr = e0.T, edge_attr[0::2], edge_ptr // 2
    else:
        report.add("graphs stored with directed edges (pairs not consecutive)", G)
        local, feat, eptr = edge_index.T, edge_attr, edge_ptr

    graph_attrs = {}
    for name, value in attrs.items():
        if name in ("x", "edge_index", "edge_attr"):
            continue
        arr = _per_graph(name, value, slices[name].numpy() if name in slices else np.zeros(0), G)
        if arr is None:
            report.add(f"attribute skipped (not one fixed-size row per graph): {name}", 1)
            continue
        if name in LABELS:
            if not np.isin(arr, (0, 1)).all():
                raise ValueError(f"{name} must hold 0/1 labels")
            arr = arr.astype(np.uint8)
        elif name in ("center_node_idx", "species_id"):
            arr = arr.astype(np.int64).reshape(G)
        graph_attrs[name] = arr
    n_nodes = np.diff(node_ptr)
    centre = graph_attrs["center_node_idx"]
    if ((centre < 0) | (centre >= n_nodes)).any():
        raise ValueError("center_node_idx out of range for some graphs")
    report.add("graphs", G)
    report.add("nodes", int(node_ptr[-1]))
    report.add("undirected edges" if paired else "directed edges", int(eptr[-1]))
    return GraphStore(np.ones((int(node_ptr[-1]), 1), dtype=np.uint8) if x.all() else x.astype(np.uint8),
                      local.astype(np.int32), feat, node_ptr, eptr, graph_attrs, undirected=paired,
                      node_index_attrs=("center_node_idx",))
