"""Released checkpoints load strict; from_pretrained changes the outputs; the four convs compute the
original's formulas (re-implemented below in plain torch from the original's model.py, PyG 1.0.3 semantics)."""
from __future__ import annotations

import glob
import os

import pytest
import torch
import torch.nn.functional as F

from chem.loader import MoleculeDataset
from chem.model import GNN, GNN_graphpred
from pretrain_gnns.checkpoint import CheckpointMismatchError, describe_mismatch

EMB, LAYERS = 300, 5  # the released models' shapes


@pytest.fixture(scope="module")
def batch(moleculenet_root):
    """The first 64 BBBP molecules as one batch (molecule 0 has an isolated Cl: a node with only its self-loop)."""
    ds = MoleculeDataset(os.path.join(moleculenet_root, "bbbp"), dataset="bbbp", verbose=False)
    return ds.batch(range(64))


def chem_checkpoints(checkpoints) -> list[str]:
    paths = sorted(glob.glob(os.path.join(checkpoints, "chem", "*.pth")))
    assert len(paths) == 9, paths
    return paths


def state_of(path):
    return torch.load(path, map_location="cpu", weights_only=True)


def test_every_chem_checkpoint_loads_strict(checkpoints):
    for path in chem_checkpoints(checkpoints):
        gnn_type = os.path.basename(path).split("_")[0]
        model = GNN(LAYERS, EMB, gnn_type=gnn_type)
        model.from_pretrained(path)
        state = state_of(path)
        own = model.state_dict()
        assert own.keys() == state.keys(), path
        assert all(torch.equal(own[k], state[k]) for k in state), path


def test_wrong_architecture_names_keys_and_shapes(checkpoints):
    path = os.path.join(checkpoints, "chem", "gat_supervised_contextpred.pth")
    with pytest.raises(CheckpointMismatchError) as err:
        GNN(LAYERS, EMB, gnn_type="gcn").from_pretrained(path)
    text = str(err.value)
    assert "40 differences" in text and "--gnn_type" in text
    assert "unexpected in checkpoint: gnns.0.weight_linear.weight (600, 300)" in text
    assert "missing from checkpoint: gnns.0.linear.weight (300, 300)" in text
    problems = describe_mismatch(GNN(LAYERS, EMB, gnn_type="gcn"), state_of(path))  # the full list
    assert len(problems) == 40
    assert "shape mismatch: gnns.0.edge_embedding1.weight: checkpoint (6, 600) vs model (6, 300)" in problems
    # a width mismatch is caught too, before load_state_dict can fail with torch's own message
    wider = r"x_embedding1.weight: checkpoint \(120, 300\) vs model \(120, 64\)"
    with pytest.raises(CheckpointMismatchError, match=wider):
        GNN(LAYERS, 64, gnn_type="gcn").from_pretrained(os.path.join(checkpoints, "chem", "gcn_supervised.pth"))
    with pytest.raises(CheckpointMismatchError, match="missing from checkpoint: gnns.4.mlp"):
        GNN(LAYERS, EMB, gnn_type="gin").from_pretrained(os.path.join(checkpoints, "chem", "gcn_supervised.pth"))


def test_from_pretrained_changes_the_outputs(checkpoints, batch):
    torch.manual_seed(0)
    model = GNN_graphpred(LAYERS, EMB, num_tasks=1, gnn_type="gcn").eval()
    head = model.graph_pred_linear.weight.detach().clone()
    with torch.no_grad():
        before = model(batch)
    path = os.path.join(checkpoints, "chem", "gcn_supervised_contextpred.pth")
    model.from_pretrained(path)
    with torch.no_grad():
        after = model(batch)
    assert before.shape == after.shape == (64, 1)
    assert (after - before).abs().max() > 1e-2
    assert torch.equal(model.graph_pred_linear.weight, head)  # only the encoder is loaded
    state = state_of(path)
    assert torch.equal(model.gnn.gnns[2].linear.weight, state["gnns.2.linear.weight"])


# ------------------------------------------------------------------ the original's layer maths
def with_self_loops(x, edge_index, edge_attr):
    """Self-loops appended after the real edges, attribute [4, 0]."""
    n = x.size(0)
    loop = torch.arange(n)
    loop_attr = torch.zeros(n, 2, dtype=torch.long)
    loop_attr[:, 0] = 4
    return torch.cat([edge_index, torch.stack([loop, loop])], 1), torch.cat([edge_attr, loop_attr], 0)


def bond_embedding(conv, edge_attr):
    return conv.edge_embedding1.weight[edge_attr[:, 0]] + conv.edge_embedding2.weight[edge_attr[:, 1]]


def sum_at(index, values, n):
    """scatter-add at edge_index[0] (where PyG 1.0.3 aggregated)."""
    return torch.zeros((n,) + values.shape[1:], dtype=values.dtype).index_add_(0, index, values)


def ref_gin(conv, x, edge_index, edge_attr):
    ei, ea = with_self_loops(x, edge_index, edge_attr)
    return conv.mlp(sum_at(ei[0], x[ei[1]] + bond_embedding(conv, ea), x.size(0)))


def ref_gcn(conv, x, edge_index, edge_attr):
    ei, ea = with_self_loops(x, edge_index, edge_attr)
    n = x.size(0)
    deg = sum_at(ei[0], torch.ones(ei.size(1)), n)  # degree over edge_index[0], the loop included
    inv = deg.pow(-0.5)
    inv[torch.isinf(inv)] = 0
    norm = inv[ei[0]] * inv[ei[1]]
    h = conv.linear(x)
    return sum_at(ei[0], norm.view(-1, 1) * (h[ei[1]] + bond_embedding(conv, ea)), n)


def ref_graphsage(conv, x, edge_index, edge_attr):
    ei, ea = with_self_loops(x, edge_index, edge_attr)
    n = x.size(0)
    h = conv.linear(x)
    total = sum_at(ei[0], h[ei[1]] + bond_embedding(conv, ea), n)
    count = sum_at(ei[0], torch.ones(ei.size(1)), n).clamp(min=1)
    mean = total / count.view(-1, 1)
    return mean / mean.norm(p=2, dim=-1, keepdim=True).clamp(min=1e-12)


def ref_gat(conv, x, edge_index, edge_attr):
    ei, ea = with_self_loops(x, edge_index, edge_attr)
    n, heads, dim = x.size(0), conv.heads, conv.emb_dim
    h = conv.weight_linear(x).view(n, heads, dim)
    x_j = h[ei[1]] + bond_embedding(conv, ea).view(-1, heads, dim)
    x_i = h[ei[0]]
    alpha = F.leaky_relu((torch.cat([x_i, x_j], dim=-1) * conv.att).sum(dim=-1), conv.negative_slope)  # (E, heads)
    peak = torch.full((n, heads), float("-inf")).scatter_reduce(0, ei[0].view(-1, 1).expand(-1, heads), alpha, "amax")
    w = (alpha - peak[ei[0]]).exp()
    alpha = w / sum_at(ei[0], w, n)[ei[0]]  # softmax over the edges that share edge_index[0]
    out = sum_at(ei[0], x_j * alpha.unsqueeze(-1), n)
    return out.mean(dim=1) + conv.bias


REFERENCE = {"gin": ref_gin, "gcn": ref_gcn, "graphsage": ref_graphsage, "gat": ref_gat}
WEIGHTS = {"gin": None, "gcn": "gcn_supervised_contextpred.pth", "graphsage": "graphsage_supervised_contextpred.pth",
           "gat": "gat_supervised_contextpred.pth"}  # no GIN checkpoint is staged: GIN uses a seeded init


@pytest.mark.parametrize("gnn_type", list(REFERENCE))
def test_layer_maths_match_the_original_formulas(gnn_type, batch, checkpoints):
    torch.manual_seed(0)
    model = GNN(LAYERS, EMB, gnn_type=gnn_type).eval()
    if WEIGHTS[gnn_type]:
        model.from_pretrained(os.path.join(checkpoints, "chem", WEIGHTS[gnn_type]))
    x, ei, ea = batch.x, batch.edge_index, batch.edge_attr
    ref = REFERENCE[gnn_type]
    with torch.no_grad():
        h = model.x_embedding1.weight[x[:, 0]] + model.x_embedding2.weight[x[:, 1]]
        for layer, conv in enumerate(model.gnns):
            expected = ref(conv, h, ei, ea)
            torch.testing.assert_close(conv(h, ei, ea), expected, atol=1e-5, rtol=1e-5,
                                       msg=lambda m: f"{gnn_type} layer {layer}: {m}")
            h = model.batch_norms[layer](expected)  # eval mode: the checkpoint's running statistics
            if layer < LAYERS - 1:
                h = F.relu(h)
        # the whole encoder (embedding, conv, batch norm, ReLU except last) as the original composed it
        torch.testing.assert_close(model(x, ei, ea), h, atol=1e-5, rtol=1e-5)
    assert h.shape == (x.size(0), EMB)
    assert expected.abs().max() > 1e-2  # the comparison is not between zeros


@pytest.mark.parametrize("gnn_type", list(REFERENCE))
def test_convs_aggregate_at_edge_index_0(gnn_type, batch):
    """Molecules store every bond in both directions with one attribute, so on them the side a conv
    aggregates at cannot show. Keeping one direction per bond makes it observable: ours must aggregate
    at edge_index[0] (PyG 1.0.3), and the flipped graph must give a different answer."""
    torch.manual_seed(1)
    conv = GNN(2, EMB, gnn_type=gnn_type).gnns[0]
    x = torch.randn(batch.num_nodes, EMB)
    ei, ea = batch.edge_index[:, 0::2], batch.edge_attr[0::2]  # one directed edge per bond
    with torch.no_grad():
        expected = REFERENCE[gnn_type](conv, x, ei, ea)
        torch.testing.assert_close(conv(x, ei, ea), expected, atol=1e-5, rtol=1e-5)
        assert (REFERENCE[gnn_type](conv, x, ei.flip(0), ea) - expected).abs().max() > 1e-2
