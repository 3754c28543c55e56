"""Chem GNNs with the original's layer maths and parameter names (released checkpoints load strict).

PyG 1.0.3, which the original used, gathered x_i = x[edge_index[0]], x_j = x[edge_index[1]] and
aggregated at edge_index[0]; PyG 2.x does that with ``flow='target_to_source'``. Self-loops are added
after the real edges with the bond attribute [4, 0]. Per-batch work that every layer repeats in the
original (self-loops, edge codes, GCN normalisation) is done once per forward in ``prepare``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.nn.inits import glorot, zeros
from torch_geometric.utils import add_self_loops, softmax

from chem.features import NUM_ATOM_TYPE, NUM_BOND_DIRECTION, NUM_BOND_TYPE, NUM_CHIRALITY_TAG, SELF_LOOP_BOND_TYPE
from pretrain_gnns.encoder import EncoderLoop, GraphPredictor, unpack_graph
from pretrain_gnns.sparse_ops import PreparedGraph, SparseConv, linear_aggregation

num_atom_type, num_chirality_tag = NUM_ATOM_TYPE, NUM_CHIRALITY_TAG  # the original's module-level names
num_bond_type, num_bond_direction = NUM_BOND_TYPE, NUM_BOND_DIRECTION

NUM_EDGE_CODES = NUM_BOND_TYPE * NUM_BOND_DIRECTION


def prepare_graph(num_nodes: int, edge_index: torch.Tensor, edge_attr: torch.Tensor) -> PreparedGraph:
    """Self-loops after the real edges; each edge's feature is its code bond type * 3 + direction,
    one row of the combined (18-row) edge table."""
    edge_index, _ = add_self_loops(edge_index, num_nodes=num_nodes)
    loop_code = torch.full((num_nodes,), SELF_LOOP_BOND_TYPE * NUM_BOND_DIRECTION, dtype=torch.long,
                           device=edge_attr.device)
    code = torch.cat([edge_attr[:, 0].long() * NUM_BOND_DIRECTION + edge_attr[:, 1].long(), loop_code])
    return PreparedGraph(edge_index, code, num_nodes)


def code_weights(graph: PreparedGraph, w: torch.Tensor) -> tuple[torch.Tensor]:
    """(N, 18) weighted counts of each node's edge codes: code_weights @ edge_table = sum_j w_ij e_ij."""
    n = graph.num_nodes
    counts = torch.zeros(n * NUM_EDGE_CODES, device=w.device, dtype=w.dtype)
    counts.index_add_(0, graph.edge_index[0] * NUM_EDGE_CODES + graph.edge_feat, w)
    return (counts.view(n, NUM_EDGE_CODES),)


class BondConv(SparseConv):
    """Shared parts of the four convs: the two bond embeddings, added to each message.

    Subclasses create their own layers first and then call ``_add_bond_embeddings``: the original's
    order, so that one seed draws the same initial weights as the original did.
    """

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
        return F.embedding(graph.edge_feat, self.edge_table())

    def aggregate_linear(self, x: torch.Tensor, graph: PreparedGraph, kind: str) -> torch.Tensor:
        """sum_j w_ij (x_j + e_ij) at edge_index[0]: adj_t @ x + code counts @ edge table."""
        adj_t, counts = linear_aggregation(graph, kind, code_weights)
        return self.sum_neighbours(x, adj_t) + counts.to(x.dtype) @ self.edge_table().to(x.dtype)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor) -> torch.Tensor:
        """The original's signature: self-loops are added here."""
        return self.forward_prepared(x, prepare_graph(x.size(0), edge_index, edge_attr))


class GINConv(BondConv):
    """mlp(sum_j (x_j + e_ij)) over neighbours and the node itself."""

    def __init__(self, emb_dim: int, aggr: str = "add") -> None:
        super().__init__(aggr)
        self.mlp = nn.Sequential(nn.Linear(emb_dim, 2 * emb_dim), nn.ReLU(), nn.Linear(2 * emb_dim, emb_dim))
        self._add_bond_embeddings(emb_dim)

    def forward_prepared(self, x, graph):
        return self.mlp(self.aggregate_linear(x, graph, "sum"))


class GCNConv(BondConv):
    """sum_j norm_ij * (W x_j + e_ij), symmetric normalisation by degrees over edge_index[0]."""

    def __init__(self, emb_dim: int, aggr: str = "add") -> None:
        super().__init__(aggr)
        self.emb_dim = emb_dim
        self.linear = nn.Linear(emb_dim, emb_dim)
        self._add_bond_embeddings(emb_dim)

    def forward_prepared(self, x, graph):
        return self.aggregate_linear(self.linear(x), graph, "gcn")


class GraphSAGEConv(BondConv):
    """L2-normalised mean_j (W x_j + e_ij)."""

    def __init__(self, emb_dim: int, aggr: str = "mean") -> None:
        super().__init__(aggr)
        self.emb_dim = emb_dim
        self.linear = nn.Linear(emb_dim, emb_dim)
        self._add_bond_embeddings(emb_dim)

    def forward_prepared(self, x, graph):
        return F.normalize(self.aggregate_linear(self.linear(x), graph, "mean"), p=2, dim=-1)


class GATConv(BondConv):
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


# The conv registry: --gnn_type's choices, in this order. A new conv is a BondConv subclass added here
# (or, from another package, by a plugin: docs/ARCHITECTURE.md).
CONVS = {"gin": GINConv, "gcn": GCNConv, "graphsage": GraphSAGEConv, "gat": GATConv}


class GNN(EncoderLoop):
    """Node representations: atom embedding, then ``num_layer`` x (conv, batch norm, ReLU, dropout)."""

    CONVS = CONVS

    def build_layers(self) -> None:
        self.x_embedding1 = nn.Embedding(num_atom_type, self.emb_dim)
        self.x_embedding2 = nn.Embedding(num_chirality_tag, self.emb_dim)
        nn.init.xavier_uniform_(self.x_embedding1.weight.data)
        nn.init.xavier_uniform_(self.x_embedding2.weight.data)
        self.gnns = nn.ModuleList([CONVS[self.gnn_type](self.emb_dim) for _ in range(self.num_layer)])
        self.batch_norms = nn.ModuleList([nn.BatchNorm1d(self.emb_dim) for _ in range(self.num_layer)])

    def embed_input(self, x):
        return self.x_embedding1(x[:, 0]) + self.x_embedding2(x[:, 1])

    def prepare(self, num_nodes, edge_index, edge_attr):
        return prepare_graph(num_nodes, edge_index, edge_attr)


class GNN_graphpred(GraphPredictor):
    """GNN, graph pooling, and a linear layer to ``num_tasks`` logits."""

    encoder_cls = GNN

    def graph_representation(self, *argv) -> torch.Tensor:
        x, edge_index, edge_attr, batch = unpack_graph(argv, 4)
        return self.pool(self.gnn(x, edge_index, edge_attr), batch)
