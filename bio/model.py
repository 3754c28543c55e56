"""Bio GNNs with the original's layer maths and parameter names (the six released bio checkpoints
load strict).

What differs from chem (see ORIGINAL.md): no batch norm between layers; every node's input is the
constant 1, embedded by layer 0's ``input_node_embeddings`` (2 x emb); each layer has its own
``edge_encoder`` Linear(9 -> emb) over the 7 evidence channels plus the self-loop (column 7) and
mask (column 8) flags; GIN's message is cat[x_j, e_ij] into an MLP with its own batch norm.
Aggregation is at edge_index[0] (PyG 1.0.3), i.e. ``flow='target_to_source'`` in PyG 2.x.

Why the convs look different from a literal transcription: the edge embedding is linear in the
9 binary channels, so sum_j W a_ij + b = W (sum_j a_ij) + deg * b. ``prepare`` aggregates the raw
(E, 9) attributes once per batch and each layer encodes (N, 9) sums instead of building an (E, emb)
edge tensor per layer: the same numbers (tests compare with the per-edge form) at a fraction of the
memory traffic, since ego-networks have more edges than nodes. Node sums go through the sparse
(CSR) adjacency product of pretrain_gnns/sparse_ops.py, as chem's do.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.nn.inits import glorot, zeros
from torch_geometric.utils import add_self_loops, softmax

from pretrain_gnns.encoder import EncoderLoop, GraphPredictor
from pretrain_gnns.sparse_ops import PreparedGraph, SparseConv, linear_aggregation


NUM_EDGE_FEATURES = 9  # 7 evidence channels, self-loop flag, mask flag
NUM_EVIDENCE_CHANNELS = 7
SELF_LOOP_COLUMN = 7
MASK_COLUMN = 8


def prepare_graph(num_nodes: int, edge_index: torch.Tensor, edge_attr: torch.Tensor) -> PreparedGraph:
    """Append one self-loop per node with the attribute e_7 (the original's order: real edges first);
    each edge's feature is its (9,) float row."""
    edge_index, _ = add_self_loops(edge_index, num_nodes=num_nodes)
    loops = torch.zeros(num_nodes, NUM_EDGE_FEATURES, dtype=torch.float32, device=edge_attr.device)
    loops[:, SELF_LOOP_COLUMN] = 1
    return PreparedGraph(edge_index, torch.cat([edge_attr.float(), loops]), num_nodes)


def attr_sums(graph: PreparedGraph, w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, 9) sum_j w_ij a_ij and (N,) sum_j w_ij: enough to encode sum_j w_ij enc(a_ij), enc affine."""
    row, n = graph.edge_index[0], graph.num_nodes
    attr_sum = torch.zeros(n, NUM_EDGE_FEATURES, device=w.device).index_add_(0, row, graph.edge_feat * w.unsqueeze(1))
    weight_sum = torch.zeros(n, device=w.device).index_add_(0, row, w)
    return attr_sum, weight_sum


def encode_sum(encoder: nn.Linear, attr_sum: torch.Tensor, weight_sum: torch.Tensor) -> torch.Tensor:
    """sum_j w_ij * encoder(a_ij) from sum_j w_ij a_ij and sum_j w_ij (the encoder is affine)."""
    return F.linear(attr_sum, encoder.weight) + weight_sum.unsqueeze(-1) * encoder.bias


class BioConv(SparseConv):
    """Parts shared by the four convs: the edge encoder and, in layer 0, the input node embedding.

    Subclasses create their own layers first and then call ``_add_encoders``: the original's order,
    so one seed draws the same initial weights as the original did.
    """

    def __init__(self, aggr: str, input_layer: bool, flow: str = "source_to_target") -> None:
        super().__init__(aggr, flow)
        self.input_layer = input_layer

    def _add_encoders(self, edge_dim: int, emb_dim: int) -> None:
        self.edge_encoder = nn.Linear(NUM_EDGE_FEATURES, edge_dim)
        if self.input_layer:
            self.input_node_embeddings = nn.Embedding(2, emb_dim)
            nn.init.xavier_uniform_(self.input_node_embeddings.weight.data)

    def embed_input(self, x: torch.Tensor) -> torch.Tensor:
        return self.input_node_embeddings(x.to(torch.int64).view(-1))

    def aggregate_linear(self, x: torch.Tensor, graph: PreparedGraph, kind: str) -> tuple[torch.Tensor, torch.Tensor]:
        """(sum_j w_ij x_j, sum_j w_ij e_ij) at edge_index[0]."""
        adj_t, attr_sum, weight_sum = linear_aggregation(graph, kind, attr_sums)
        out = self.sum_neighbours(x, adj_t)
        return out, encode_sum(self.edge_encoder, attr_sum, weight_sum).to(out.dtype)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor) -> torch.Tensor:
        """The original's signature: layer 0 embeds the raw (N, 1) input; self-loops are added here."""
        if self.input_layer:
            x = self.embed_input(x)
        return self.forward_prepared(x, prepare_graph(x.size(0), edge_index, edge_attr))


class GINConv(BioConv):
    """mlp(sum_j cat[x_j, e_ij]); the MLP has a batch norm of its own."""

    def __init__(self, emb_dim: int, aggr: str = "add", input_layer: bool = False) -> None:
        super().__init__(aggr, input_layer)
        self.mlp = nn.Sequential(nn.Linear(2 * emb_dim, 2 * emb_dim), nn.BatchNorm1d(2 * emb_dim), nn.ReLU(),
                                 nn.Linear(2 * emb_dim, emb_dim))
        self._add_encoders(emb_dim, emb_dim)

    def forward_prepared(self, x, graph):
        return self.mlp(torch.cat(self.aggregate_linear(x, graph, "sum"), dim=1))


class GCNConv(BioConv):
    """sum_j norm_ij * (W x_j + e_ij), symmetric normalisation by degrees over edge_index[0]."""

    def __init__(self, emb_dim: int, aggr: str = "add", input_layer: bool = False) -> None:
        super().__init__(aggr, input_layer)
        self.emb_dim = emb_dim
        self.linear = nn.Linear(emb_dim, emb_dim)
        self._add_encoders(emb_dim, emb_dim)

    def forward_prepared(self, x, graph):
        x_sum, e_sum = self.aggregate_linear(self.linear(x), graph, "gcn")
        return x_sum + e_sum


class GraphSAGEConv(BioConv):
    """L2-normalised mean_j (W x_j + e_ij)."""

    def __init__(self, emb_dim: int, aggr: str = "mean", input_layer: bool = False) -> None:
        super().__init__(aggr, input_layer)
        self.emb_dim = emb_dim
        self.linear = nn.Linear(emb_dim, emb_dim)
        self._add_encoders(emb_dim, emb_dim)

    def forward_prepared(self, x, graph):
        x_mean, e_mean = self.aggregate_linear(self.linear(x), graph, "mean")
        return F.normalize(x_mean + e_mean, p=2, dim=-1)


class GATConv(BioConv):
    """Attention over (x_i, x_j + e_ij), softmax per edge_index[0], heads averaged, plus bias.

    att . cat[x_i, x_j + e_ij] splits into per-node scores and a per-edge score that is linear in
    the 9 edge channels; the attention-weighted edge embeddings are again an affine map of the
    attention-weighted channel sums (the weights of each node and head sum to 1).
    """

    def __init__(self, emb_dim: int, heads: int = 2, negative_slope: float = 0.2, aggr: str = "add",
                 input_layer: bool = False) -> None:
        super().__init__(aggr, input_layer, flow="target_to_source")
        self.emb_dim, self.heads, self.negative_slope = emb_dim, heads, negative_slope
        self.weight_linear = nn.Linear(emb_dim, heads * emb_dim)
        self.att = nn.Parameter(torch.empty(1, heads, 2 * emb_dim))
        self.bias = nn.Parameter(torch.empty(emb_dim))
        self._add_encoders(heads * emb_dim, emb_dim)
        self.reset_parameters()

    def reset_parameters(self):
        glorot(self.att)
        zeros(self.bias)

    def forward_prepared(self, x, graph):
        H, D = self.heads, self.emb_dim
        x = self.weight_linear(x).view(-1, H, D)
        att_i, att_j = self.att[0, :, :D], self.att[0, :, D:]  # (H, D) each
        w_e = self.edge_encoder.weight.view(H, D, NUM_EDGE_FEATURES)
        b_e = self.edge_encoder.bias.view(H, D)
        row, col = graph.edge_index
        node_i = (x * att_i).sum(-1)  # (N, H)
        node_j = (x * att_j).sum(-1)
        edge_score = graph.edge_feat @ torch.einsum("hd,hdk->kh", att_j, w_e) + (att_j * b_e).sum(-1)
        alpha = node_i.index_select(0, row) + node_j.index_select(0, col) + edge_score.to(node_i.dtype)
        alpha = F.leaky_relu(alpha, self.negative_slope)
        alpha = softmax(alpha, row, num_nodes=graph.num_nodes)  # (E + N, H)
        out = self.propagate(graph.edge_index, x=x, alpha=alpha)  # sum_j alpha_ij x_j
        attr_w = torch.zeros(graph.num_nodes, H, NUM_EDGE_FEATURES, device=x.device).index_add_(
            0, row, alpha.unsqueeze(-1).float() * graph.edge_feat.unsqueeze(1))  # (N, H, 9)
        out = out + (torch.einsum("nhk,hdk->nhd", attr_w, w_e) + b_e).to(out.dtype)
        return out.mean(dim=1) + self.bias

    def message(self, x_j, alpha):
        return x_j * alpha.unsqueeze(-1).to(x_j.dtype)


# The conv registry: --gnn_type's choices, in this order. A new conv is a BioConv subclass added here.
CONVS = {"gin": GINConv, "gcn": GCNConv, "graphsage": GraphSAGEConv, "gat": GATConv}


class GNN(EncoderLoop):
    """Node representations: ``num_layer`` x (conv, ReLU except after the last, dropout); no batch norm."""

    CONVS = CONVS

    def build_layers(self) -> None:
        # Layer 0 holds the input embedding (input_node_embeddings), as the original.
        self.gnns = nn.ModuleList([CONVS[self.gnn_type](self.emb_dim, input_layer=(layer == 0))
                                   for layer in range(self.num_layer)])

    def embed_input(self, x):
        return self.gnns[0].embed_input(x)

    def prepare(self, num_nodes, edge_index, edge_attr):
        return prepare_graph(num_nodes, edge_index, edge_attr)


class GNN_graphpred(GraphPredictor):
    """GNN, then a linear layer on cat[pooled graph, centre node] to ``num_tasks`` logits."""

    encoder_cls = GNN

    def head_width(self, node_width: int) -> int:
        return self.mult * node_width + node_width  # pooled graph, then the centre node

    def graph_representation(self, *argv) -> torch.Tensor:
        """cat[pooled, centre node]; arguments: a batch, or (x, edge_index, edge_attr, batch, center_node_idx)."""
        if len(argv) == 1:
            d = argv[0]
            argv = (d.x, d.edge_index, d.edge_attr, d.batch, d.center_node_idx)
        if len(argv) != 5:
            raise ValueError("expected a batch or (x, edge_index, edge_attr, batch, center_node_idx)")
        x, edge_index, edge_attr, batch, center = argv
        h = self.gnn(x, edge_index, edge_attr)
        return torch.cat([self.pool(h, batch), h.index_select(0, center.view(-1))], dim=1)
