"""ContextPred: vectorised substructure / context extraction against a plain-Python BFS on real
molecules, the chem method's losses against a per-molecule re-statement of the original, and an
end-to-end pre-training run whose checkpoint fine-tunes."""
from __future__ import annotations

import os
from collections import deque

import pytest
import torch
from rdkit import Chem
from torch_geometric.data import Batch

from chem.loader import MoleculeDataset, mol_to_graph_data_obj_simple
from pretrain_gnns.context import extract_context_pairs, hop_distances, random_centers

K, L1, L2 = 5, 4, 7  # the defaults: num_layer 5, csize 3


@pytest.fixture(scope="module")
def bbbp(moleculenet_root) -> MoleculeDataset:
    return MoleculeDataset(os.path.join(moleculenet_root, "bbbp"), dataset="bbbp", verbose=False)


@pytest.fixture(scope="module")
def bbbp50(bbbp) -> Batch:
    return bbbp.batch(range(50))


# ---------------------------------------------------------------- brute force, one molecule at a time
def molecules(batch: Batch) -> list[tuple[int, int, dict[int, set[int]]]]:
    """(first node, node count, adjacency) of each graph, from the batch's edge list, in plain Python."""
    ptr = batch.ptr.tolist()
    adj: dict[int, set[int]] = {v: set() for v in range(ptr[-1])}
    for a, b in batch.edge_index.t().tolist():
        adj[a].add(b)
    return [(ptr[g], ptr[g + 1] - ptr[g], adj) for g in range(len(ptr) - 1)]


def bfs(adj: dict[int, set[int]], root: int) -> dict[int, int]:
    dist, queue = {root: 0}, deque([root])
    while queue:
        v = queue.popleft()
        for w in adj[v]:
            if w not in dist:
                dist[w] = dist[v] + 1
                queue.append(w)
    return dist


def radius_set(dist: dict[int, int], r: int) -> set[int]:
    # the original replaced a cutoff of 0 by -1: networkx then returns nothing
    return {v for v, d in dist.items() if d <= r} if r > 0 else set()


def expected_sets(batch: Batch, centers: list[int], k: int, l1: int, l2: int):
    """Per graph: (substructure, context, overlap) node sets as the original computed them."""
    out = []
    for (start, n, adj), c in zip(molecules(batch), centers):
        dist = bfs(adj, c)
        sub = radius_set(dist, k)
        ctx = radius_set(dist, l1) ^ radius_set(dist, l2)
        out.append((sub, ctx, sub & ctx))
    return out


def extracted_sets(batch: Batch, pairs) -> list[tuple[set, set, set] | None]:
    """Back from the vectorised result to per-graph node sets in batch numbering (None: dropped)."""
    b = batch.batch
    sub_nodes, ctx_nodes = pairs.substruct.nodes, pairs.context.nodes
    ov_nodes = ctx_nodes[pairs.overlap]
    out, rank = [], 0
    for g, kept in enumerate(pairs.kept.tolist()):
        if not kept:
            assert not (b[sub_nodes] == g).any() and not (b[ctx_nodes] == g).any()
            out.append(None)
            continue
        ov_g = ov_nodes[pairs.overlap_graph == rank]
        out.append((set(sub_nodes[b[sub_nodes] == g].tolist()), set(ctx_nodes[b[ctx_nodes] == g].tolist()),
                    set(ov_g.tolist())))
        rank += 1
    return out


def induced_edges(batch: Batch, nodes: set[int]) -> set[tuple[int, int]]:
    return {(a, b) for a, b in batch.edge_index.t().tolist() if a in nodes and b in nodes}


def check_against_bruteforce(batch: Batch, centers: torch.Tensor, k: int, l1: int, l2: int) -> int:
    pairs = extract_context_pairs(batch.edge_index, batch.batch, batch.num_graphs, centers, k, l1, l2)
    want = expected_sets(batch, centers.tolist(), k, l1, l2)
    got = extracted_sets(batch, pairs)
    for g, (w, h) in enumerate(zip(want, got)):
        if not w[1] or not w[2]:  # no context or no overlap: dropped
            assert h is None, f"graph {g} should be dropped"
            continue
        assert h == w, f"graph {g}, centre {int(centers[g])}"
    # induced subgraph edges, mapped back through the renumbering, are exactly the batch's edges
    for sg in (pairs.substruct, pairs.context):
        back = {(a, b) for a, b in sg.nodes[sg.edge_index].t().tolist()}
        assert back == induced_edges(batch, set(sg.nodes.tolist()))
        assert torch.equal(batch.edge_index[:, sg.edges], sg.nodes[sg.edge_index])
    # centres in substructure numbering point back at the centres
    kept_centers = centers[pairs.kept]
    assert torch.equal(pairs.substruct.nodes[pairs.center], kept_centers)
    assert pairs.overlap_size.tolist() == [len(w[2]) for w in want if w[1] and w[2]]
    return pairs.num_dropped


# ---------------------------------------------------------------- extraction
def test_hop_distances_match_bfs(bbbp50):
    centers = random_centers(bbbp50.ptr, torch.Generator().manual_seed(1))
    dist = hop_distances(bbbp50.edge_index, bbbp50.num_nodes, centers, 100).tolist()
    want = [-1] * bbbp50.num_nodes
    for (_, _, adj), c in zip(molecules(bbbp50), centers.tolist()):
        for v, d in bfs(adj, c).items():
            want[v] = d
    assert dist == want
    assert max(dist) >= 10  # real molecules: distances well beyond the default radii are exercised


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_extraction_matches_bruteforce_bfs(bbbp50, seed):
    centers = random_centers(bbbp50.ptr, torch.Generator().manual_seed(seed))
    check_against_bruteforce(bbbp50, centers, K, L1, L2)


@pytest.mark.parametrize("k,l1,l2", [(3, 2, 5), (2, 1, 2), (4, 0, 3), (2, 3, 6)])
def test_extraction_other_radii(bbbp50, k, l1, l2):
    # l1 = 0: the original's cutoff quirk puts the centre itself in the context;
    # l1 >= k: contexts without overlap, which are dropped
    centers = random_centers(bbbp50.ptr, torch.Generator().manual_seed(7))
    check_against_bruteforce(bbbp50, centers, k, l1, l2)


def test_every_centre_of_a_molecule(bbbp):
    batch = bbbp.batch([3] * 10)
    n = int(batch.ptr[1])
    for start in range(0, n, 10):  # every atom of molecule 3 as the centre, 10 copies at a time
        offs = torch.arange(start, start + 10).clamp(max=n - 1)
        check_against_bruteforce(batch, batch.ptr[:-1] + offs, K, L1, L2)


def test_isolated_atom_centre_is_dropped(bbbp):
    """BBBP molecule 0 has a lone Cl fragment: centred there, there is no context, the molecule is dropped."""
    batch = bbbp.batch([0, 1])
    smiles0 = bbbp.smiles_list[0]
    assert "." in smiles0
    degree = torch.bincount(batch.edge_index[0], minlength=batch.num_nodes)
    lone = [v for v in range(int(batch.ptr[1])) if degree[v] == 0]
    assert len(lone) == 1 and int(batch.x[lone[0], 0]) == 16  # atomic number 17 - 1: chlorine
    centers = torch.tensor([lone[0], int(batch.ptr[1])])
    pairs = extract_context_pairs(batch.edge_index, batch.batch, 2, centers, K, L1, L2)
    assert pairs.kept.tolist()[0] is False and pairs.num_dropped >= 1


def test_single_atom_molecule_is_dropped():
    graphs = [mol_to_graph_data_obj_simple(Chem.MolFromSmiles(s)) for s in ("C", "CCCCCCCCCC", "O")]
    batch = Batch.from_data_list(graphs)
    centers = torch.tensor([0, 1, 11])  # the methane, a terminal carbon of decane, the water
    pairs = extract_context_pairs(batch.edge_index, batch.batch, 3, centers, K, L1, L2)
    assert pairs.kept.tolist() == [False, True, False]
    assert pairs.num_dropped == 2 and pairs.num_kept == 1
    # decane from its first carbon (batch node 1, d = 0): substructure d 0..5 = nodes 1..6,
    # context d 5..7 = nodes 6..8, overlap node 6 alone
    assert pairs.substruct.nodes.tolist() == [1, 2, 3, 4, 5, 6]
    assert pairs.context.nodes.tolist() == [6, 7, 8]
    assert pairs.context.nodes[pairs.overlap].tolist() == [6]
    assert pairs.center.tolist() == [0]
    assert pairs.substruct.edge_index.shape[1] == 10 and pairs.context.edge_index.shape[1] == 4


def test_random_centers_uniform(bbbp50):
    gen = torch.Generator().manual_seed(0)
    counts = (bbbp50.ptr[1:] - bbbp50.ptr[:-1])
    draws = torch.stack([random_centers(bbbp50.ptr, gen) for _ in range(2000)])
    assert ((draws >= bbbp50.ptr[:-1]) & (draws < bbbp50.ptr[1:])).all()
    # every atom of molecule 0 is drawn, about 2000 / n times each
    hits = torch.bincount(draws[:, 0] - bbbp50.ptr[0], minlength=int(counts[0]))
    assert hits.min() > 0.5 * 2000 / int(counts[0])


# ---------------------------------------------------------------- the chem method
from chem.methods.contextpred import ContextPred, ExtractSubstructureContextPair  # noqa: E402
from chem.model import GNN  # noqa: E402
from pretrain_gnns.contextpred import pair_scores  # noqa: E402


def test_transform_cuts_the_kept_molecules(bbbp50):
    centers = random_centers(bbbp50.ptr, torch.Generator().manual_seed(5))
    out = ExtractSubstructureContextPair(K, L1, L2)(bbbp50, centers)
    pairs = extract_context_pairs(bbbp50.edge_index, bbbp50.batch, 50, centers, K, L1, L2)
    assert out.num_graphs == 50 and out.num_dropped == pairs.num_dropped > 0
    assert torch.equal(out.x_substruct, bbbp50.x[pairs.substruct.nodes])
    assert torch.equal(out.x_context, bbbp50.x[pairs.context.nodes])
    assert torch.equal(out.edge_attr_substruct, bbbp50.edge_attr[pairs.substruct.edges])
    assert torch.equal(out.edge_attr_context, bbbp50.edge_attr[pairs.context.edges])
    # the overlap atoms are exactly K hops from their centre: same atom type in both numberings
    ov_atoms = pairs.context.nodes[out.overlap_context_substruct_idx]
    assert torch.equal(out.x_context[out.overlap_context_substruct_idx], bbbp50.x[ov_atoms])
    dist = hop_distances(bbbp50.edge_index, bbbp50.num_nodes, centers, 20)
    assert (dist[ov_atoms] == K).all()
    assert int(out.overlapped_context_size.sum()) == out.batch_overlapped_context.numel()
    assert out.center_substruct_idx.numel() == 50 - out.num_dropped
    assert bbbp50.x.shape == (bbbp50.num_nodes, 2)  # the input batch is not modified


def original_scores(sub, ov, sizes, mode, pooling, neg):
    """The original's train() arithmetic, molecule by molecule (repeat / cat / cycle_index)."""
    from torch_geometric.nn import global_add_pool, global_max_pool, global_mean_pool

    def cycle(num, shift):
        arr = torch.arange(num) + shift
        arr[-shift:] = torch.arange(shift)
        return arr

    graph = torch.repeat_interleave(torch.arange(len(sizes)), sizes)
    if mode == "cbow":
        pool = {"sum": global_add_pool, "mean": global_mean_pool, "max": global_max_pool}[pooling]
        ctx = pool(ov, graph)
        neg_ctx = torch.cat([ctx[cycle(len(ctx), i + 1)] for i in range(neg)], dim=0)
        return (sub * ctx).sum(1), (sub.repeat((neg, 1)) * neg_ctx).sum(1)
    expanded = torch.cat([sub[i].repeat((int(sizes[i]), 1)) for i in range(len(sub))], dim=0)
    shifted = []
    for i in range(neg):
        s = sub[cycle(len(sub), i + 1)]
        shifted.append(torch.cat([s[j].repeat((int(sizes[j]), 1)) for j in range(len(s))], dim=0))
    return (expanded * ov).sum(1), (torch.cat(shifted, 0) * ov.repeat((neg, 1))).sum(1)


@pytest.mark.parametrize("mode,pooling,neg", [("cbow", "mean", 1), ("cbow", "sum", 2), ("cbow", "max", 3),
                                               ("skipgram", "mean", 1), ("skipgram", "mean", 2)])
def test_scores_match_the_original_arithmetic(mode, pooling, neg):
    gen = torch.Generator().manual_seed(0)
    sizes = torch.tensor([2, 1, 6, 1, 3, 4, 1])
    sub = torch.randn(len(sizes), 8, generator=gen)
    ov = torch.randn(int(sizes.sum()), 8, generator=gen)
    graph = torch.repeat_interleave(torch.arange(len(sizes)), sizes)
    pos, negs = pair_scores(sub, ov, graph, mode, pooling, neg)
    want_pos, want_neg = original_scores(sub, ov, sizes, mode, pooling, neg)
    torch.testing.assert_close(pos, want_pos)
    torch.testing.assert_close(negs, want_neg)


@pytest.mark.parametrize("mode", ["cbow", "skipgram"])
def test_forward_trains_both_gnns(bbbp, mode):
    torch.manual_seed(0)
    method = ContextPred(GNN(3, 32), csize=3, mode=mode)
    assert method.context_gnn.num_layer == 3 and (method.k, method.l1, method.l2) == (3, 2, 5)
    batch = method.transform(bbbp.batch(range(64)))
    loss, metrics = method(batch)
    assert torch.isfinite(loss) and 0 <= float(metrics["acc"]) <= 1
    # an untrained model scores about chance: BCE near log 2 on each side
    assert 0.3 < float(metrics["balanced_loss"]) / 2 < 3
    assert 0 < metrics["dropped_share"] < 0.5
    loss.backward()
    assert method.gnn.gnns[0].mlp[0].weight.grad.abs().sum() > 0
    assert method.context_gnn.gnns[0].mlp[0].weight.grad.abs().sum() > 0
    assert set(method.encoder_state_dict()) == set(method.gnn.state_dict())


def test_batch_without_context_changes_nothing():
    graphs = [mol_to_graph_data_obj_simple(Chem.MolFromSmiles(s)) for s in ("C", "O", "CC", "[Na+].[Cl-]")]
    torch.manual_seed(0)
    method = ContextPred(GNN(2, 16), csize=2)
    batch = method.transform(Batch.from_data_list(graphs))
    assert batch.num_graphs == 4 and batch.num_dropped == 4
    before = {k: v.clone() for k, v in method.state_dict().items()}
    opt = torch.optim.Adam(method.parameters(), lr=0.1)
    opt.zero_grad(set_to_none=True)
    loss, metrics = method(batch)
    loss.backward()
    opt.step()
    assert metrics["dropped_share"] == 1.0 and float(loss.detach()) == 0.0
    assert all(torch.equal(before[k], v) for k, v in method.state_dict().items())


# ---------------------------------------------------------------- end to end
def test_script_pretrains_and_finetune_loads(shared_data, moleculenet_root, tmp_path):
    from chem import finetune
    from chem.pretrain_contextpred import main

    out = str(tmp_path / "contextpred")
    report = main(["--smiles-file", os.path.join(shared_data, "zinc", "moses", "test.csv.gz"), "--max-molecules", "500",
                   "--epochs", "2", "--batch_size", "64", "--emb_dim", "64", "--output_model_file", out, "--quiet",
                   "--device", "cpu"])
    hist = report["history"]
    assert [h["epoch"] for h in hist] == [1, 2] and hist[0]["molecules"] == 500
    assert hist[1]["loss"] < hist[0]["loss"]
    # MOSES molecules are drug-sized: few centres have no context, but the share is counted
    assert 0 <= hist[0]["dropped_share"] < 0.1
    assert os.path.exists(out + ".pth") and os.path.exists(out + ".json")
    state = torch.load(out + ".pth", map_location="cpu", weights_only=True)
    assert "x_embedding1.weight" in state and not any(k.startswith("context_gnn") for k in state)
    summary = finetune.main(["--dataset", "bbbp", "--data-root", moleculenet_root, "--epochs", "1", "--emb_dim", "64",
                             "--batch_size", "128", "--input_model_file", out + ".pth",
                             "--output-dir", str(tmp_path / "ft"), "--quiet", "--device", "cpu"])
    assert summary["config"]["input_model_file"] == out + ".pth"
    assert 0.5 < summary["test_last"] <= 1.0
