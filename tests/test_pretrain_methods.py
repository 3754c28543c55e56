"""The chem pre-training methods' per-batch work and maths, on real molecules, against plain-Python
re-statements of the original (MaskAtom, NegativeEdge, cycle_index, Discriminator)."""
from __future__ import annotations

import argparse
import os

import numpy as np
import pytest
import torch

from chem.model import GNN
from chem.pretrain_data import smiles_file_dataset
from chem.methods.attrmasking import AttrMasking
from chem.methods.edgepred import EdgePred
from chem.methods.infomax import Infomax
from pretrain_gnns.graph_ops import (count_from_rate, cycle_index, first_valid_pairs, graph_sizes,
                                     sample_nodes_per_graph)
from pretrain_gnns.graphstore import make_loader
from pretrain_gnns.pretrain_methods import Discriminator


@pytest.fixture(scope="module")
def zinc(shared_data, moleculenet_root):
    # moleculenet_root points the cache at a temporary folder for the session
    return smiles_file_dataset(os.path.join(shared_data, "zinc", "moses", "test.csv.gz"), max_rows=500)


def small_gnn() -> GNN:
    return GNN(2, 16)


def test_mask_counts_and_labels(zinc):
    torch.manual_seed(1)
    method = AttrMasking(small_gnn(), mask_rate=0.15, mask_edge=True)
    original = zinc.batch(range(200))
    batch = method.transform(zinc.batch(range(200)))
    sizes = graph_sizes(original.ptr).tolist()
    idx = batch.masked_atom_indices
    owner = original.batch[idx]
    per_graph = torch.bincount(owner, minlength=len(sizes)).tolist()
    assert per_graph == [int(n * 0.15 + 1) for n in sizes]  # the original's count, molecule by molecule
    assert len(set(idx.tolist())) == len(idx)  # distinct atoms
    assert torch.equal(batch.mask_node_label, original.x[idx])  # labels are the true atom features
    assert (batch.x[idx] == torch.tensor([119, 0])).all()
    untouched = torch.ones(len(original.x), dtype=torch.bool)
    untouched[idx] = False
    assert torch.equal(batch.x[untouched], original.x[untouched])
    # Bonds: every bond touching a masked atom, once (its first direction), labelled with its real type.
    masked = set(idx.tolist())
    ei = original.edge_index.t().tolist()
    expected = [e for e in range(0, len(ei), 2) if ei[e][0] in masked or ei[e][1] in masked]
    assert batch.connected_edge_indices.tolist() == expected
    assert torch.equal(batch.mask_edge_label, original.edge_attr[expected])
    touching = [e for e in range(len(ei)) if ei[e][0] in masked or ei[e][1] in masked]
    assert (batch.edge_attr[touching] == torch.tensor([5, 0])).all()
    rest = sorted(set(range(len(ei))) - set(touching))
    assert torch.equal(batch.edge_attr[rest], original.edge_attr[rest])


def test_mask_count_rule_matches_python_int():
    sizes = torch.arange(1, 200)
    for rate in (0.15, 0.25, 0.3, 0.1):
        assert count_from_rate(sizes, rate).tolist() == [min(int(n * rate + 1), n) for n in range(1, 200)]


def test_node_sampling_is_uniform():
    """Each of a graph's nodes is drawn with probability k / n."""
    ptr = torch.tensor([0, 3, 10])
    k = torch.tensor([1, 3])
    torch.manual_seed(0)
    hits = torch.zeros(10)
    trials = 3000
    for _ in range(trials):
        hits[sample_nodes_per_graph(ptr, k)] += 1
    np.testing.assert_allclose(hits[:3] / trials, 1 / 3, atol=0.04)
    np.testing.assert_allclose(hits[3:] / trials, 3 / 7, atol=0.04)


def test_dataset_unchanged_after_masking_epoch(zinc):
    before_x = np.array(zinc.store.node_feat)
    before_e = np.array(zinc.store.edge_feat)
    method = AttrMasking(small_gnn(), mask_rate=0.15, mask_edge=True)
    n_masked = 0
    for batch in make_loader(zinc, 64, shuffle=True, transform=method.transform):
        n_masked += int((batch.x[:, 0] == 119).sum())
        method(batch)[0].backward()
    assert n_masked >= len(zinc)  # at least one atom per molecule was masked in the batches...
    assert np.array_equal(np.array(zinc.store.node_feat), before_x)  # ...and none in the store
    assert np.array_equal(np.array(zinc.store.edge_feat), before_e)
    assert (zinc.batch().x[:, 0] != 119).all()


def sequential_negatives(src, dst, owner, tries, edges, quota):
    """The original NegativeEdge loop over the draws, one graph at a time."""
    kept, pos = [], 0
    for g, t in enumerate(tries):
        seen, count = set(), 0
        for i in range(pos, pos + t):
            pair = (src[i], dst[i])
            if count == quota[g]:
                break
            if pair not in edges and pair not in seen and pair[0] != pair[1]:
                seen.add(pair)
                kept.append(pair)
                count += 1
        pos += t
    return kept


def test_negative_selection_matches_sequential_rule(zinc):
    batch = zinc.batch(range(40))
    g = torch.Generator().manual_seed(3)
    sizes = graph_sizes(batch.ptr)
    directed = torch.bincount(batch.batch[batch.edge_index[0]], minlength=40)
    tries = 5 * directed
    owner = torch.repeat_interleave(torch.arange(40), tries)
    # Few distinct nodes per graph so that repeats, self-loops and real edges all occur.
    src = batch.ptr[owner] + torch.randint(0, 4, (len(owner),), generator=g) % sizes[owner]
    dst = batch.ptr[owner] + torch.randint(0, 4, (len(owner),), generator=g) % sizes[owner]
    got = first_valid_pairs(src, dst, owner, tries, batch.edge_index, int(batch.ptr[-1]), directed // 2)
    edges = set(map(tuple, batch.edge_index.t().tolist()))
    want = sequential_negatives(src.tolist(), dst.tolist(), owner, tries.tolist(), edges, (directed // 2).tolist())
    assert list(map(tuple, got.t().tolist())) == want
    assert len(want) > 40  # the case is not trivial


def test_negative_edges_are_not_edges(zinc):
    torch.manual_seed(0)
    batch = EdgePred(small_gnn()).transform(zinc.batch(range(256)))
    neg = batch.negative_edge_index
    edges = set(map(tuple, batch.edge_index.t().tolist()))
    pairs = list(map(tuple, neg.t().tolist()))
    assert not any(p in edges for p in pairs)
    assert all(a != b for a, b in pairs)
    assert len(set(pairs)) == len(pairs)
    assert torch.equal(batch.batch[neg[0]], batch.batch[neg[1]])  # within one molecule
    bonds = torch.bincount(batch.batch[batch.edge_index[0, 0::2]], minlength=256)
    per_graph = torch.bincount(batch.batch[neg[0]], minlength=256)
    assert (per_graph <= bonds).all()
    assert per_graph.sum() >= 0.99 * bonds.sum()  # 5 * num_edges tries nearly always fill the quota


def test_cycle_index_matches_original():
    def original(num, shift):
        arr = torch.arange(num) + shift
        arr[-shift:] = torch.arange(shift)
        return arr
    for num in (1, 2, 5, 256):
        assert torch.equal(cycle_index(num, 1), original(num, 1))


def test_infomax_scores_equal_original_formula(zinc):
    torch.manual_seed(0)
    method = Infomax(small_gnn())
    batch = zinc.batch(range(30))
    loss, metrics = method(batch)
    h = method.gnn(batch.x, batch.edge_index, batch.edge_attr)
    summary = torch.sigmoid(torch.stack([h[batch.batch == g].mean(0) for g in range(30)]))
    disc = method.discriminator
    pos = disc(h, summary[batch.batch])
    neg = disc(h, summary[cycle_index(30, 1)][batch.batch])
    bce = torch.nn.BCEWithLogitsLoss()
    want = bce(pos, torch.ones_like(pos)) + bce(neg, torch.zeros_like(neg))
    assert loss.item() == pytest.approx(want.item(), rel=1e-5)
    acc = float(((pos > 0).sum() + (neg < 0).sum()) / (2 * len(pos)))
    assert float(metrics["acc"]) == pytest.approx(acc)


def test_discriminator_init_bound():
    d = Discriminator(300)
    bound = 1 / np.sqrt(300)
    assert float(d.weight.abs().max()) <= bound
    assert float(d.weight.abs().max()) > 0.9 * bound


def test_edgepred_loss_equals_original_formula(zinc):
    torch.manual_seed(0)
    method = EdgePred(small_gnn())
    batch = method.transform(zinc.batch(range(30)))
    loss, metrics = method(batch)
    h = method.gnn(batch.x, batch.edge_index, batch.edge_attr)
    pos = (h[batch.edge_index[0, ::2]] * h[batch.edge_index[1, ::2]]).sum(1)
    neg = (h[batch.negative_edge_index[0]] * h[batch.negative_edge_index[1]]).sum(1)
    bce = torch.nn.BCEWithLogitsLoss()
    want = bce(pos, torch.ones_like(pos)) + bce(neg, torch.zeros_like(neg))
    assert float(loss) == pytest.approx(float(want), rel=1e-5)


def test_attrmasking_loss_is_cross_entropy_of_masked_atoms(zinc):
    torch.manual_seed(0)
    method = AttrMasking(small_gnn(), mask_rate=0.15, mask_edge=True)
    batch = method.transform(zinc.batch(range(30)))
    loss, _ = method(batch)
    h = method.gnn(batch.x, batch.edge_index, batch.edge_attr)
    ce = torch.nn.CrossEntropyLoss()
    atoms = ce(method.linear_pred_atoms(h[batch.masked_atom_indices]).double(), batch.mask_node_label[:, 0])
    ends = batch.edge_index[:, batch.connected_edge_indices]
    bonds = ce(method.linear_pred_bonds(h[ends[0]] + h[ends[1]]).double(), batch.mask_edge_label[:, 0])
    assert float(loss) == pytest.approx(float(atoms + bonds), rel=1e-5)
    assert method.linear_pred_atoms.out_features == 119 and method.linear_pred_bonds.out_features == 4


def test_attrmasking_without_mask_edge_has_no_bond_head():
    args = argparse.Namespace(num_layer=2, emb_dim=8, JK="last", dropout_ratio=0.0, gnn_type="gin", mask_rate=0.15,
                              mask_edge=0)
    method = AttrMasking.from_args(args)
    assert method.linear_pred_bonds is None
    assert set(method.encoder_state_dict()) == set(GNN(2, 8).state_dict())
