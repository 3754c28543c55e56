"""Bio layer maths against a literal per-edge transcription of the original, and the six released
bio checkpoints: strict load with weights_only=True, then a few fine-tuning steps on synthetic data."""
from __future__ import annotations

import glob
import os

import pytest
import torch
import torch.nn.functional as F
from torch_geometric.utils import softmax

from bio_helpers import one_thread, tiny_bio_root  # noqa: F401  (fixtures)

from bio.finetune import signed_labels
from bio.model import CONVS, GNN, GNN_graphpred
from pretrain_gnns.graphstore import make_loader
from pretrain_gnns.metrics import masked_bce_loss

pytestmark = pytest.mark.usefixtures("one_thread")


# ------------------------------------------------------------------ the original's maths, edge by edge
def _with_loops(n, edge_index, edge_attr):
    loops = torch.arange(n).repeat(2, 1)
    loop_attr = torch.zeros(n, 9)
    loop_attr[:, 7] = 1
    return torch.cat([edge_index, loops], 1), torch.cat([edge_attr.float(), loop_attr])


def _sum_at(row, msg, n):
    return torch.zeros((n,) + msg.shape[1:], dtype=msg.dtype).index_add(0, row, msg)


def reference_conv(conv, kind, x, edge_index, edge_attr):
    """PyG 1.0.3 semantics: x_i = x[edge_index[0]], x_j = x[edge_index[1]], aggregate at edge_index[0]."""
    if conv.input_layer:
        x = conv.input_node_embeddings(x.long().view(-1))
    n = x.size(0)
    ei, ea = _with_loops(n, edge_index, edge_attr)
    row, col = ei
    e = conv.edge_encoder(ea)
    if kind == "gin":
        return conv.mlp(_sum_at(row, torch.cat([x[col], e], 1), n))
    if kind == "gcn":
        deg = _sum_at(row, torch.ones(row.numel()), n)
        inv = deg.pow(-0.5)
        inv[torch.isinf(inv)] = 0
        return _sum_at(row, (inv[row] * inv[col]).view(-1, 1) * (conv.linear(x)[col] + e), n)
    if kind == "graphsage":
        total = _sum_at(row, conv.linear(x)[col] + e, n)
        count = _sum_at(row, torch.ones(row.numel()), n)
        return F.normalize(total / count.view(-1, 1), p=2, dim=-1)
    H, D = conv.heads, conv.emb_dim
    h = conv.weight_linear(x).view(-1, H, D)
    x_j = h[col] + e.view(-1, H, D)
    alpha = (torch.cat([h[row], x_j], -1) * conv.att).sum(-1)
    alpha = softmax(F.leaky_relu(alpha, conv.negative_slope), row, num_nodes=n)
    return _sum_at(row, x_j * alpha.view(-1, H, 1), n).mean(1) + conv.bias


def _toy_graph(n=13, m=31, seed=0):
    g = torch.Generator().manual_seed(seed)
    a, b = torch.randint(0, n, (2, m), generator=g)
    edge_index = torch.stack([torch.stack([a, b], 1).view(-1), torch.stack([b, a], 1).view(-1)])
    attr = (torch.rand(m, 9, generator=g) < 0.4).float()
    attr[:, 7] = 0
    return edge_index, attr.repeat_interleave(2, 0)


@pytest.mark.parametrize("kind", sorted(CONVS))
@pytest.mark.parametrize("input_layer", [True, False])
def test_conv_matches_per_edge_original(kind, input_layer):
    torch.manual_seed(1)
    conv = CONVS[kind](16, input_layer=input_layer)
    if kind == "gat":
        torch.nn.init.normal_(conv.bias)
    edge_index, edge_attr = _toy_graph()
    x = torch.ones(13, 1) if input_layer else torch.randn(13, 16, requires_grad=True)
    ours, ref = conv(x, edge_index, edge_attr), reference_conv(conv, kind, x, edge_index, edge_attr)
    assert ours.shape == (13, 16)
    torch.testing.assert_close(ours, ref, atol=2e-6, rtol=1e-5)
    params = list(conv.parameters())
    for g1, g2 in zip(torch.autograd.grad(ours.square().sum(), params), torch.autograd.grad(ref.square().sum(), params)):
        torch.testing.assert_close(g1, g2, atol=5e-5, rtol=1e-4)


def test_encoder_has_no_batch_norm_between_layers_and_embeds_ones():
    torch.manual_seed(0)
    gnn = GNN(3, 8, gnn_type="gcn").eval()
    assert not any(isinstance(m, torch.nn.BatchNorm1d) for m in gnn.modules())
    assert hasattr(gnn.gnns[0], "input_node_embeddings") and not hasattr(gnn.gnns[1], "input_node_embeddings")
    edge_index, edge_attr = _toy_graph()
    x = torch.ones(13, 1)
    h = x
    for layer, conv in enumerate(gnn.gnns):  # conv -> ReLU except the last; dropout 0
        h = conv(h, edge_index, edge_attr)
        h = F.relu(h) if layer < 2 else h
    torch.testing.assert_close(gnn(x, edge_index, edge_attr), h)


def test_graphpred_reads_pooled_graph_and_centre_node():
    torch.manual_seed(0)
    model = GNN_graphpred(2, 8, num_tasks=3).eval()
    assert model.graph_pred_linear.in_features == 16  # cat[pooled, centre]
    edge_index, edge_attr = _toy_graph()
    x, batch = torch.ones(13, 1), torch.zeros(13, dtype=torch.long)
    h = model.gnn(x, edge_index, edge_attr)
    for centre in (0, 5):
        out = model(x, edge_index, edge_attr, batch, torch.tensor([centre]))
        expected = model.graph_pred_linear(torch.cat([h.mean(0, keepdim=True), h[centre:centre + 1]], 1))
        torch.testing.assert_close(out, expected)


CHECKPOINTS = ("gat_masking", "gat_supervised_masking", "gcn_masking", "gcn_supervised_masking",
               "graphsage_masking", "graphsage_supervised_masking")


def test_all_six_bio_checkpoints_load_strict_and_fine_tune(checkpoints, tiny_bio_root):
    from bio.loader import BioDataset

    paths = sorted(glob.glob(os.path.join(checkpoints, "bio", "*.pth")))
    assert [os.path.basename(p)[:-4] for p in paths] == list(CHECKPOINTS)
    dataset = BioDataset(os.path.join(tiny_bio_root, "supervised"))
    batch = next(iter(make_loader(dataset, 16, shuffle=False, transform=signed_labels)))
    for path in paths:
        state = torch.load(path, map_location="cpu", weights_only=True)
        torch.manual_seed(0)
        model = GNN_graphpred(5, 300, dataset.num_tasks, drop_ratio=0.5, gnn_type=os.path.basename(path).split("_")[0])
        model.from_pretrained(path)  # strict; raises on any missing/unexpected key or shape
        for k, v in model.gnn.state_dict().items():
            assert torch.equal(v, state[k]), k
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        losses = []
        for _ in range(3):
            loss = masked_bce_loss(model(batch), batch.go_target_downstream)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
        assert all(torch.isfinite(torch.tensor(losses))) and losses[-1] < losses[0], (path, losses)


def test_wrong_architecture_is_a_readable_error(checkpoints):
    from pretrain_gnns.checkpoint import CheckpointMismatchError
    with pytest.raises(CheckpointMismatchError, match="gnns.0.att"):
        GNN(5, 300, gnn_type="gcn").from_pretrained(os.path.join(checkpoints, "bio", "gat_masking.pth"))
