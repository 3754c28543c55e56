"""Chem GNNs with the original's layer maths and parameter names (released checkpoints load strict).

PyG 1.0.3, which the original used, gathered x_i = x[edge_index[0]], x_j = x[edge_index[1]] and
aggregated at edge_index[0]; PyG 2.x does that with ``flow='target_to_source'``. Self-loops are added
after the real edges with the bond attribute [4, 0]. Per-batch work that every layer repeats in the
original (self-loops, edge codes, GCN normalisation) is done once per forward in ``prepare``.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.nn import MessagePassing
from torch_geometric.nn.inits import glorot, zeros
from torch_geometric.utils import add_self_loops, degree, softmax

from chem.features import NUM_ATOM_TYPE, NUM_BOND_DIRECTION, NUM_BOND_TYPE, NUM_CHIRALITY_TAG, SELF_LOOP_BOND_TYPE
from pretrain_gnns.checkpoint import load_into
from pretrain_gnns.encoder import EncoderLoop, encoder_out_dim, make_pool, unpack_graph

# torch marks CSR tensors 'beta'; the sparse products used here are covered by the layer-maths tests.
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
warnings.filterwarnings("ignore", message="Sparse invariant checks are implicitly disabled")

num_atom_type, num_chirality_tag = NUM_ATOM_TYPE, NUM_CHIRALITY_TAG  # the original's module-level names
num_bond_type, num_bond_direction = NUM_BOND_TYPE, NUM_BOND_DIRECTION


@dataclass
class PreparedGraph:
    """A batch's graph with self-loops, shared by all layers of one forward pass."""
    edge_index: torch.Tensor  # (2, E + N): real edges, then one loop per node
    edge_code: torch.Tensor  # (E + N,) bond type * 3 + direction: one row of the combined edge table
    num_nodes: int
    cache: dict = field(default_factory=dict)  # per-normalisation adjacency and edge-code counts


NUM_EDGE_CODES = NUM_BOND_TYPE * NUM_BOND_DIRECTION


def prepare_graph(num_nodes: int, edge_index: torch.Tensor, edge_attr: torch.Tensor) -> PreparedGraph:
    edge_index, _ = add_self_loops(edge_index, num_nodes=num_nodes)
    loop_code = torch.full((num_nodes,), SELF_LOOP_BOND_TYPE * NUM_BOND_DIRECTION, dtype=torch.long,
                           device=edge_attr.device)
    code = torch.cat([edge_attr[:, 0].long() * NUM_BOND_DIRECTION + edge_attr[:, 1].long(), loop_code])
    return PreparedGraph(edge_index, code, num_nodes)


def edge_weights(graph: PreparedGraph, kind: str) -> torch.Tensor:
    """Per-edge weight of a linear aggregation at edge_index[0]: 'sum' (GIN), 'gcn'
    (deg^-1/2[row] * deg^-1/2[col], degree over edge_index[0] including the loop), 'mean' (GraphSAGE)."""
    row, col = graph.edge_index
    ones = torch.ones(row.numel(), device=row.device)
    if kind == "sum":
        return ones
    deg = degree(row, graph.num_nodes, dtype=ones.dtype)
    if kind == "mean":
        return (1.0 / deg.clamp(min=1))[row]
    inv = deg.pow(-0.5)
    inv[torch.isinf(inv)] = 0
    return inv[row] * inv[col]


def linear_aggregation(graph: PreparedGraph, kind: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(adj_t, code_weights) with sum_j w_ij (x_j + e_ij) = adj_t @ x + code_weights @ edge_table.

    GIN, GCN and GraphSAGE messages are linear in (x_j, e_ij), so the per-edge (E x emb) message tensor
    of the original never needs to exist: a sparse product over the nodes plus a (nodes x 18) count
    matrix times the 18-row table of bond embeddings give the same sums, several times faster.
    """
    if kind not in graph.cache:
        row, _ = graph.edge_index
        w = edge_weights(graph, kind)
        n = graph.num_nodes
        adj_t = torch.sparse_coo_tensor(graph.edge_index, w, (n, n)).coalesce().to_sparse_csr()
        counts = torch.zeros(n * NUM_EDGE_CODES, device=w.device, dtype=w.dtype)
        counts.index_add_(0, row * NUM_EDGE_CODES + graph.edge_code, w)
        graph.cache[kind] = (adj_t, counts.view(n, NUM_EDGE_CODES))
    return graph.cache[kind]


class _BondConv(MessagePassing):
    """Shared parts of the four convs: the two bond embeddings, added to each message.

    Subclasses create their own layers first and then call ``_add_bond_embeddings``: the original's
    order, so that one seed draws the same initial weights as the original did.
    """

    def __init__(self, aggr: str, flow: str = "source_to_target") -> None:
        # Linear convs propagate over adj_t (rows = edge_index[0], PyG's sparse convention); GAT's
        # per-edge attention uses flow='target_to_source' on edge_index, which gathers x_i at
        # edge_index[0] and x_j at edge_index[1] and aggregates at edge_index[0], as PyG 1.0.3 did.
        super().__init__(aggr=aggr, flow=flow, node_dim=0)  # node_dim 0: GAT messages are (E, heads, emb)

    def _add_bond_embeddings(self, edge_dim: int) -> None:
        self.edge_embedding1 = nn.Embedding(num_bond_type, edge_dim)
        self.edge_embedding2 = nn.Embedding(num_bond_direction, edge_dim)
        nn.init.xavier_uniform_(self.edge_embedding1.weight.data)
        nn.init.xavier_uniform_(self.edge_embedding2.weight.data)

    def edge_table(self) -> torch.Tensor:
        """embedding1[type] + embedding2[dir] for all 18 (type, dir) pairs, row = type * 3 + dir."""
        return (self.edge_embedding1.weight[:, None, :] + self.edge_embedding2.weight[None, :, :]).flatten(0, 1)

    def edge_embeddings(self, graph: PreparedGraph) -> torch.Tensor:
        # one gather from the table per edge: the original's two gathers and add, same sums
        return F.embedding(graph.edge_code, self.edge_table())

    def aggregate_linear(self, x: torch.Tensor, graph: PreparedGraph, kind: str) -> torch.Tensor:
        """sum_j w_ij (x_j + e_ij) at edge_index[0], through PyG's sparse propagate path."""
        adj_t, code_weights = linear_aggregation(graph, kind)
        out = self.propagate(adj_t, x=x)
        return out.to(x.dtype) + code_weights.to(x.dtype) @ self.edge_table().to(x.dtype)

    def message_and_aggregate(self, adj_t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        # Sparse kernels have no bf16 version: under autocast the sum runs in fp32 (it is cheap).
        with torch.autocast(device_type=x.device.type, enabled=False):
            return adj_t @ x.to(adj_t.dtype)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor) -> torch.Tensor:
        """The original's signature: self-loops are added here."""
        return self.forward_prepared(x, prepare_graph(x.size(0), edge_index, edge_attr))

    def forward_prepared(self, x: torch.Tensor, graph: PreparedGraph) -> torch.Tensor:
        raise NotImplementedError


class GINConv(_BondConv):
    """mlp(sum_j (x_j + e_ij)) over neighbours and the node itself."""

    def __init__(self, emb_dim: int, aggr: str = "add") -> None:
        super().__init__(aggr)
        self.mlp = nn.Sequential(nn.Linear(emb_dim, 2 * emb_dim), nn.ReLU(), nn.Linear(2 * emb_dim, emb_dim))
        self._add_bond_embeddings(emb_dim)

    def forward_prepared(self, x, graph):
        return self.mlp(self.aggregate_linear(x, graph, "sum"))


class GCNConv(_BondConv):
    """sum_j norm_ij * (W x_j + e_ij), symmetric normalisation by degrees over edge_index[0]."""

    def __init__(self, emb_dim: int, aggr: str = "add") -> None:
        super().__init__(aggr)
        self.emb_dim = emb_dim
        self.linear = nn.Linear(emb_dim, emb_dim)
        self._add_bond_embeddings(emb_dim)

    def forward_prepared(self, x, graph):
        return self.aggregate_linear(self.linear(x), graph, "gcn")


class GraphSAGEConv(_BondConv):
    """L2-normalised mean_j (W x_j + e_ij)."""

    def __init__(self, emb_dim: int, aggr: str = "mean") -> None:
        super().__init__(aggr)
        self.emb_dim = emb_dim
        self.linear = nn.Linear(emb_dim, emb_dim)
        self._add_bond_embeddings(emb_dim)

    def forward_prepared(self, x, graph):
        return F.normalize(self.aggregate_linear(self.linear(x), graph, "mean"), p=2, dim=-1)


class GATConv(_BondConv):
    """Attention over (x_i, x_j + e_ij), softmax per edge_index[0], heads averaged, plus bias."""

    def __init__(self, emb_dim: int, heads: int = 2, negative_slope: float = 0.2, aggr: str = "add") -> None:
        super().__init__(aggr, flow="target_to_source")
        self.emb_dim, self.heads, self.negative_slope = emb_dim, heads, negative_slope
        self.weight_linear = nn.Linear(emb_dim, heads * emb_dim)
        self.att = nn.Parameter(torch.empty(1, heads, 2 * emb_dim))
        self.bias = nn.Parameter(torch.empty(emb_dim))
        self._add_bond_embeddings(heads * emb_dim)
        self.reset_parameters()

    def reset_parameters(self):
        glorot(self.att)
        zeros(self.bias)

    def forward_prepared(self, x, graph):
        x = self.weight_linear(x).view(-1, self.heads, self.emb_dim)
        out = self.propagate(graph.edge_index, x=x, edge_attr=self.edge_embeddings(graph))
        return out.mean(dim=1) + self.bias

    def message(self, x_i, x_j, edge_attr, index, size_i):
        x_j = x_j + edge_attr.view(-1, self.heads, self.emb_dim)
        alpha = (torch.cat([x_i, x_j], dim=-1) * self.att).sum(dim=-1)
        alpha = softmax(F.leaky_relu(alpha, self.negative_slope), index, num_nodes=size_i)
        return x_j * alpha.unsqueeze(-1)


CONVS = {"gin": GINConv, "gcn": GCNConv, "graphsage": GraphSAGEConv, "gat": GATConv}


class GNN(EncoderLoop):
    """Node representations: atom embedding, then ``num_layer`` x (conv, batch norm, ReLU, dropout)."""

    def __init__(self, num_layer: int, emb_dim: int, JK: str = "last", drop_ratio: float = 0,
                 gnn_type: str = "gin") -> None:
        super().__init__(num_layer, JK, drop_ratio)
        if gnn_type not in CONVS:
            raise ValueError(f"unknown gnn_type {gnn_type!r}; one of {sorted(CONVS)}")
        self.emb_dim, self.gnn_type = emb_dim, gnn_type
        self.x_embedding1 = nn.Embedding(num_atom_type, emb_dim)
        self.x_embedding2 = nn.Embedding(num_chirality_tag, emb_dim)
        nn.init.xavier_uniform_(self.x_embedding1.weight.data)
        nn.init.xavier_uniform_(self.x_embedding2.weight.data)
        self.gnns = nn.ModuleList([CONVS[gnn_type](emb_dim) for _ in range(num_layer)])
        self.batch_norms = nn.ModuleList([nn.BatchNorm1d(emb_dim) for _ in range(num_layer)])

    def embed_input(self, x):
        return self.x_embedding1(x[:, 0]) + self.x_embedding2(x[:, 1])

    def prepare(self, num_nodes, edge_index, edge_attr):
        return prepare_graph(num_nodes, edge_index, edge_attr)

    def from_pretrained(self, model_file: str) -> None:
        load_into(self, model_file)


class GNN_graphpred(nn.Module):
    """GNN, graph pooling, and a linear layer to ``num_tasks`` logits."""

    def __init__(self, num_layer: int, emb_dim: int, num_tasks: int, JK: str = "last", drop_ratio: float = 0,
                 graph_pooling: str = "mean", gnn_type: str = "gin") -> None:
        super().__init__()
        self.num_layer, self.drop_ratio, self.JK, self.emb_dim, self.num_tasks = num_layer, drop_ratio, JK, emb_dim, num_tasks
        self.gnn = GNN(num_layer, emb_dim, JK, drop_ratio, gnn_type=gnn_type)
        width = encoder_out_dim(num_layer, emb_dim, JK)
        self.pool, self.mult = make_pool(graph_pooling, width)
        self.graph_pred_linear = nn.Linear(self.mult * width, num_tasks)

    def from_pretrained(self, model_file: str) -> None:
        """Load an encoder checkpoint (the original's GNN state_dict) with strict=True, weights_only=True."""
        load_into(self.gnn, model_file)

    def graph_representation(self, *argv) -> torch.Tensor:
        x, edge_index, edge_attr, batch = unpack_graph(argv, 4)
        return self.pool(self.gnn(x, edge_index, edge_attr), batch)

    def forward(self, *argv) -> torch.Tensor:
        return self.graph_pred_linear(self.graph_representation(*argv))
