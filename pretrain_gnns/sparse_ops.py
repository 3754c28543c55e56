"""Linear neighbour aggregation as one sparse (CSR) product: the part of every domain's convs that
does not depend on what an edge carries.

GIN, GCN and GraphSAGE messages are linear in (x_j, e_ij): sum_j w_ij (x_j + e_ij) splits into
adj_t @ x, a sparse product over the nodes, plus a per-node weighted sum of the edge features that
each domain turns into embeddings its own way (molecules: counts of the 18 bond codes times a
table; ego-networks: sums of the 9 raw channels through the affine encoder). The per-edge (E x emb) message tensor
of the original never exists. Aggregation is at edge_index[0], as PyG 1.0.3 did.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch_geometric.nn import MessagePassing
from torch_geometric.utils import degree

AGGREGATIONS = ("sum", "gcn", "mean")

# torch marks CSR tensors 'beta'; the sparse products used here are covered by the layer-maths tests.
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
warnings.filterwarnings("ignore", message="Sparse invariant checks are implicitly disabled")


@dataclass
class PreparedGraph:
    """A batch's graph with self-loops, and the aggregation operators all layers of a forward share."""
    edge_index: torch.Tensor  # (2, E + N): real edges, then one loop per node
    edge_feat: torch.Tensor  # per edge, the domain's own: a bond code (E + N,) or channels (E + N, 9)
    num_nodes: int
    cache: dict = field(default_factory=dict)  # per aggregation kind: (adj_t, *edge feature sums)


def edge_weights(edge_index: torch.Tensor, num_nodes: int, kind: str) -> torch.Tensor:
    """Per-edge weight of a linear aggregation at edge_index[0]: 'sum' (GIN), 'gcn'
    (deg^-1/2[row] * deg^-1/2[col], degree over edge_index[0] including the loop), 'mean' (GraphSAGE)."""
    if kind not in AGGREGATIONS:
        raise ValueError(f"unknown aggregation {kind!r}; one of {AGGREGATIONS}")
    row, col = edge_index
    ones = torch.ones(row.numel(), device=row.device)
    if kind == "sum":
        return ones
    deg = degree(row, num_nodes, dtype=ones.dtype)
    if kind == "mean":
        return (1.0 / deg.clamp(min=1)).index_select(0, row)
    inv = deg.pow(-0.5)
    inv[torch.isinf(inv)] = 0
    return inv.index_select(0, row) * inv.index_select(0, col)


def csr_adjacency(edge_index: torch.Tensor, weight: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """(N, N) CSR matrix with adj_t[i, j] = sum of the weights of edges (i, j): rows are edge_index[0]."""
    with warnings.catch_warnings():  # also where a caller (pytest) reset the filters above
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_coo_tensor(edge_index, weight, (num_nodes, num_nodes)).coalesce().to_sparse_csr()


def linear_aggregation(graph: PreparedGraph, kind: str,
                       edge_sums: Callable[[PreparedGraph, torch.Tensor], tuple]) -> tuple:
    """(adj_t, *edge_sums(graph, w)) for aggregation ``kind``, computed once per graph and cached:
    every layer of a forward pass reuses it. ``edge_sums`` gives the domain's per-node weighted sums
    of the edge features (rows = edge_index[0])."""
    if kind not in graph.cache:
        w = edge_weights(graph.edge_index, graph.num_nodes, kind)
        graph.cache[kind] = (csr_adjacency(graph.edge_index, w, graph.num_nodes), *edge_sums(graph, w))
    return graph.cache[kind]


class SparseConv(MessagePassing):
    """Base of every domain's convs: ``propagate(adj_t, x=x)`` runs one sparse product.

    Linear convs propagate over adj_t (rows = edge_index[0], PyG's sparse convention); GAT's per-edge
    attention uses flow='target_to_source' on edge_index, which gathers x_i at edge_index[0] and x_j
    at edge_index[1] and aggregates at edge_index[0], as PyG 1.0.3 did.
    """

    def __init__(self, aggr: str, flow: str = "source_to_target") -> None:
        super().__init__(aggr=aggr, flow=flow, node_dim=0)  # node_dim 0: GAT messages are (E, heads, emb)

    def sum_neighbours(self, x: torch.Tensor, adj_t: torch.Tensor) -> torch.Tensor:
        """sum_j adj_t[i, j] x_j, in x's dtype, through PyG's sparse propagate path."""
        return self.propagate(adj_t, x=x).to(x.dtype)

    def message_and_aggregate(self, adj_t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if x.dtype == torch.bfloat16 and x.device.type == "cpu":
            # torch's CSR product has no bf16 kernel on CPU, but its reducing one has (it accumulates in
            # fp32): activations stay bf16 instead of a round trip through fp32 in every layer.
            return torch.sparse.mm(adj_t.to(x.dtype), x, "sum")
        with torch.autocast(device_type=x.device.type, enabled=False):
            return adj_t @ x.to(adj_t.dtype)

    def forward_prepared(self, x: torch.Tensor, graph: PreparedGraph) -> torch.Tensor:
        raise NotImplementedError
