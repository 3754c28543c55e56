"""The encoder loop and graph-level readout shared by every domain's models.

Both domains run the same loop (conv, optional batch norm, ReLU except after the last layer,
dropout) and the same jumping-knowledge and pooling choices; a domain only picks its convs, its
input embedding and whether there is a batch norm between layers (molecules: yes, ego-networks: no).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.nn import AttentionalAggregation, Set2Set, global_add_pool, global_max_pool, global_mean_pool

from pretrain_gnns.checkpoint import load_into
from pretrain_gnns.runtime import low_precision

JK_MODES = ("last", "concat", "max", "sum")
POOLINGS = ("sum", "mean", "max", "attention", "set2set1", "set2set2", "set2set3")


def unpack_graph(argv, n_tensors: int = 3):
    """The original's calling styles: model(x, edge_index, edge_attr[, batch]) or model(data)."""
    if len(argv) == n_tensors:
        return argv
    if len(argv) == 1:
        data = argv[0]
        names = ("x", "edge_index", "edge_attr", "batch")[:n_tensors]
        return tuple(getattr(data, n) for n in names)
    raise ValueError("unmatched number of arguments.")


def jumping_knowledge(h_list: list[torch.Tensor], mode: str) -> torch.Tensor:
    """Node representation from all layers' outputs (h_list[0] is the input embedding).

    'sum' returns the per-node sum over layers; the original's 'sum' indexed [0] after summing and
    returned only the first node's vector, a bug not reproduced here (no released model uses 'sum').
    """
    if mode == "last":
        return h_list[-1]
    if mode == "concat":
        return torch.cat(h_list, dim=1)
    if mode == "max":
        return torch.stack(h_list, dim=0).max(dim=0)[0]
    if mode == "sum":
        return torch.stack(h_list, dim=0).sum(dim=0)
    raise ValueError(f"unknown JK {mode!r}; one of {JK_MODES}")


def dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Inverted dropout, as F.dropout: keep each entry with probability 1 - p, scale by 1 / (1 - p).

    On CPU the mask comes from uniform draws compared with p: the same distribution as F.dropout's
    Bernoulli sampling, whose per-element generator is several times slower on CPU (docs/PERFORMANCE.md).
    CUDA keeps its fused kernel.
    """
    if not training or p == 0.0:
        return x
    if x.device.type != "cpu" or p >= 1.0:
        return F.dropout(x, p, training=True)
    if x.dtype == torch.bfloat16:
        keep = keep_mask_16bit(x.shape, p)
    else:
        keep = torch.rand_like(x, dtype=torch.float32) >= p
    return x * keep.to(x.dtype) * (1.0 / (1.0 - p))


def keep_mask_16bit(shape: torch.Size, p: float) -> torch.Tensor:
    """A CPU dropout mask from 16-bit draws, four from each 64-bit word of torch's generator: a quarter
    of the generator calls of one float draw per entry, and the generator is what a mask costs. An
    entry is kept with probability 1 - round(p * 2^16) / 2^16 (exactly 1 - p for p = 0.5). Used in
    bf16 only, so fp32 runs keep the original's random stream."""
    n = shape.numel()
    words = torch.empty((n + 3) // 4, dtype=torch.int64).random_(-2**63, 2**63 - 1)  # all 64 bits random
    draws = words.view(torch.int16)[:n]  # uniform over [-2^15, 2^15)
    return (draws >= round(p * 65536) - 32768).view(shape)


class EncoderLoop(nn.Module):
    """Base of every domain's GNN. Subclasses set ``CONVS`` (gnn_type -> conv class) and define
    ``build_layers`` (the input embedding, ``self.gnns`` with one conv a layer, optionally
    ``self.batch_norms``, in the original's order), ``embed_input`` and ``prepare`` (per-batch work
    shared by all layers)."""

    CONVS: dict
    # No class-level default here: a class attribute ``batch_norms = None`` would shadow the
    # ModuleList that nn.Module keeps in _modules, and the batch norms would silently never run.
    batch_norms: nn.ModuleList | None

    def __init__(self, num_layer: int, emb_dim: int, JK: str = "last", drop_ratio: float = 0.0,
                 gnn_type: str = "gin") -> None:
        super().__init__()
        if num_layer < 2:
            raise ValueError("Number of GNN layers must be greater than 1.")
        if JK not in JK_MODES:
            raise ValueError(f"unknown JK {JK!r}; one of {JK_MODES}")
        if gnn_type not in self.CONVS:
            raise ValueError(f"unknown gnn_type {gnn_type!r}; one of {sorted(self.CONVS)}")
        self.num_layer, self.emb_dim, self.JK, self.drop_ratio, self.gnn_type = num_layer, emb_dim, JK, drop_ratio, gnn_type
        self.build_layers()

    def build_layers(self) -> None:
        raise NotImplementedError

    def from_pretrained(self, model_file: str) -> None:
        """Load an encoder checkpoint (the original's GNN state_dict) with strict=True, weights_only=True."""
        load_into(self, model_file)

    def embed_input(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def prepare(self, num_nodes: int, edge_index: torch.Tensor, edge_attr: torch.Tensor):
        raise NotImplementedError

    def forward(self, *argv) -> torch.Tensor:
        x, edge_index, edge_attr = unpack_graph(argv, 3)
        h = self.embed_input(x)
        low = low_precision(h.device.type)
        if low is not None:  # under autocast the layers run in bf16: enter once, not in every layer
            h = h.to(low)
        graph = self.prepare(x.size(0), edge_index, edge_attr)
        h_list = [h]
        norms = getattr(self, "batch_norms", None)
        for layer, conv in enumerate(self.gnns):
            h = conv.forward_prepared(h, graph)
            if norms is not None:
                h = norms[layer](h)
            if layer < self.num_layer - 1:  # no ReLU after the last layer
                h = F.relu(h)
            h = dropout(h, self.drop_ratio, self.training)
            h_list.append(h)
        return jumping_knowledge(h_list, self.JK)


def make_pool(graph_pooling: str, in_dim: int) -> tuple[nn.Module | object, int]:
    """(pooling function or module, width multiplier) as the original chose them."""
    if graph_pooling == "sum":
        return global_add_pool, 1
    if graph_pooling == "mean":
        return global_mean_pool, 1
    if graph_pooling == "max":
        return global_max_pool, 1
    if graph_pooling == "attention":
        return AttentionalAggregation(gate_nn=nn.Linear(in_dim, 1)), 1
    if graph_pooling.startswith("set2set") and graph_pooling[-1].isdigit():
        return Set2Set(in_dim, int(graph_pooling[-1])), 2
    raise ValueError("Invalid graph pooling type.")


def encoder_out_dim(num_layer: int, emb_dim: int, JK: str) -> int:
    return (num_layer + 1) * emb_dim if JK == "concat" else emb_dim


class GraphPredictor(nn.Module):
    """Base of both domains' GNN_graphpred: the encoder (``gnn``), the pooling (``pool``) and a linear
    head (``graph_pred_linear``), created in the original's order so a seed draws the same weights.
    Subclasses set ``encoder_cls`` and define ``graph_representation``; ``head_width`` is the width
    of what it returns."""

    encoder_cls: type[EncoderLoop]

    def __init__(self, num_layer: int, emb_dim: int, num_tasks: int, JK: str = "last", drop_ratio: float = 0,
                 graph_pooling: str = "mean", gnn_type: str = "gin", gnn: EncoderLoop | None = None) -> None:
        super().__init__()
        self.num_layer, self.drop_ratio, self.JK, self.emb_dim, self.num_tasks = num_layer, drop_ratio, JK, emb_dim, num_tasks
        # ``gnn``: an encoder built beforehand with these sizes (pre-training builds it first, as here)
        self.gnn = gnn if gnn is not None else self.encoder_cls(num_layer, emb_dim, JK, drop_ratio, gnn_type=gnn_type)
        width = encoder_out_dim(num_layer, emb_dim, JK)
        self.pool, self.mult = make_pool(graph_pooling, width)
        self.graph_pred_linear = nn.Linear(self.head_width(width), num_tasks)

    def head_width(self, node_width: int) -> int:
        return self.mult * node_width

    def from_pretrained(self, model_file: str) -> None:
        """Load an encoder checkpoint (the original's GNN state_dict) with strict=True, weights_only=True."""
        load_into(self.gnn, model_file)

    def graph_representation(self, *argv) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, *argv) -> torch.Tensor:
        return self.graph_pred_linear(self.graph_representation(*argv))
