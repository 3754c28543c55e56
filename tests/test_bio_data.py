"""Bio data: the converter from the original's PyG 1.0.3 pickles, the raw PPI preprocessing with its
malformed-row report, the species split, and the synthetic generator's format."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch
import torch_geometric.data.data as pyg_data_module
from bio_helpers import one_thread, tiny_bio_root  # noqa: F401  (fixtures)

from bio.legacy import load_pyg1_collated
from bio.loader import BioDataset, build_parser, combine_dataset, convert_original, main as loader_main
from pretrain_gnns.data_root import MissingDataError
from bio.splitters import random_split, species_split

pytestmark = pytest.mark.usefixtures("one_thread")


# ------------------------------------------------------------------ the original's processed file
class Data:
    """Laid out as PyG 1.0.3's Data: a plain object whose tensors sit in its __dict__."""

    def __init__(self, **kwargs):
        self.x, self.edge_index, self.edge_attr, self.y, self.pos = None, None, None, None, None
        self.__dict__.update(kwargs)


Data.__module__, Data.__qualname__ = "torch_geometric.data.data", "Data"


def _original_graphs(paired: bool = True) -> list[dict]:
    """Three ego-networks as the original's nx_to_graph_data_obj wrote them."""
    rng = np.random.default_rng(0)
    graphs = []
    for g, (n, pairs, species, centre) in enumerate([(4, [(0, 1), (1, 2), (2, 3), (0, 2)], 9606, 2),
                                                     (3, [(0, 1), (0, 2)], 10090, 0),
                                                     (2, [(1, 0)], 4932, 1)]):
        ei, ea = [], []
        for i, j in pairs:
            feat = np.r_[(rng.random(7) < 0.5).astype(float), 0, 0]
            feat[g % 7] = 1
            ei += [(i, j), (j, i)] if paired else [(i, j)]
            ea += [feat, feat] if paired else [feat]
        if not paired:  # the reverse directions after all the forward ones
            ei += [(j, i) for i, j in pairs]
            ea += ea[:]
        graphs.append(dict(
            x=torch.ones(n, 1), edge_index=torch.tensor(ei).t().contiguous(), edge_attr=torch.tensor(np.array(ea), dtype=torch.float),
            species_id=torch.tensor([species]), center_node_idx=torch.tensor([centre]),
            go_target_downstream=torch.tensor(rng.integers(0, 2, 5)), go_target_pretrain=torch.tensor(rng.integers(0, 2, 7))))
    return graphs


def _collate_pyg103(graphs: list[dict]) -> tuple[Data, dict]:
    """PyG 1.0.3 InMemoryDataset.collate: concatenate (edge_index along -1, local node numbers kept)."""
    data, slices = {}, {}
    for key in graphs[0]:
        dim = -1 if "index" in key else 0
        items = [g[key] for g in graphs]
        data[key] = torch.cat(items, dim=dim)
        slices[key] = torch.tensor(np.r_[0, np.cumsum([t.size(dim) for t in items])])
    return Data(**data), slices


def _write_original(path, graphs, monkeypatch) -> None:
    monkeypatch.setattr(pyg_data_module, "Data", Data)  # so pickle names the class as PyG 1.0.3 did
    torch.save(_collate_pyg103(graphs), str(path), _use_new_zipfile_serialization=False)
    monkeypatch.undo()


@pytest.mark.parametrize("paired", [True, False])
def test_converter_reads_pyg103_pickle(tmp_path, monkeypatch, paired):
    graphs = _original_graphs(paired)
    src = tmp_path / "geometric_data_processed.pt"
    _write_original(src, graphs, monkeypatch)
    stale, _ = torch.load(str(src), map_location="cpu", weights_only=True)
    with pytest.raises(Exception, match="older version of PyG"):
        stale.x  # what users of PyG 2.x hit (the original's issues #59, #67)

    convert_original(str(src), str(tmp_path / "supervised"), "supervised", verbose=False)
    ds = BioDataset(str(tmp_path / "supervised"))
    assert len(ds) == 3 and ds.num_tasks == 5 and ds.num_pretrain_tasks == 7
    assert ds.store.undirected is paired
    for i, g in enumerate(graphs):
        d = ds[i]
        assert torch.equal(d.x.float(), g["x"])
        ours = {tuple(e) for e in d.edge_index.t().tolist()}
        assert ours == {tuple(e) for e in g["edge_index"].t().tolist()}
        by_edge = {tuple(e): a for e, a in zip(g["edge_index"].t().tolist(), g["edge_attr"])}
        for e, a in zip(d.edge_index.t().tolist(), d.edge_attr):
            assert a.dtype == torch.float32 and torch.equal(a, by_edge[tuple(e)])
        assert int(d.species_id) == int(g["species_id"]) and int(d.center_node_idx) == int(g["center_node_idx"])
        assert torch.equal(d.go_target_downstream.view(-1), g["go_target_downstream"])
        assert torch.equal(d.go_target_pretrain.view(-1), g["go_target_pretrain"])
    if paired:  # both directions consecutively, as the original
        ei = ds[0].edge_index
        assert torch.equal(ei[:, 0::2], ei.flip(0)[:, 1::2])
    batch = ds.batch([1, 2])
    assert batch.center_node_idx.tolist() == [0, 3 + 1]  # centre indices shifted by the node offsets


def test_converter_cli_says_it_unpickles_and_finds_the_original_layout(tmp_path, monkeypatch, capsys):
    help_text = build_parser()._subparsers._group_actions[0].choices["convert"].format_help()
    assert "UNPICKLES" in help_text
    root = tmp_path / "dataset"
    (root / "unsupervised" / "processed").mkdir(parents=True)
    graphs = [{k: v for k, v in g.items() if not k.startswith("go_")} for g in _original_graphs()]
    _write_original(root / "unsupervised" / "processed" / "geometric_data_processed.pt", graphs, monkeypatch)
    with pytest.raises(MissingDataError, match="python -m bio.loader convert"):
        BioDataset(str(root / "unsupervised"), data_type="unsupervised")
    loader_main(["convert", "--data-root", str(root)])
    ds = BioDataset(str(root / "unsupervised"), data_type="unsupervised")
    assert len(ds) == 3 and "go_target_downstream" not in ds.store.graph_attrs
    with pytest.raises(ValueError, match="unsupervised"):
        BioDataset(str(root / "unsupervised"), data_type="supervised")


def test_legacy_loader_reads_a_real_pyg103_file(shared_data):
    """A file the original pipeline really wrote (chem layout; same pickle machinery as bio's)."""
    attrs, slices = load_pyg1_collated(os.path.join(shared_data, "moleculenet", "mutag", "reference_processed",
                                                    "geometric_data_processed.pt"))
    assert attrs["x"].shape == (3339, 2) and attrs["edge_index"].shape == (2, 7370)
    assert slices["x"].numel() == 187 and int(slices["edge_index"][-1]) == 7370


def test_converter_rejects_what_is_not_a_bio_file(tmp_path):
    bad = tmp_path / "x.pt"
    torch.save({"a": torch.zeros(2)}, str(bad))
    with pytest.raises(ValueError, match="expected a \\(Data, slices\\) pair"):
        convert_original(str(bad), str(tmp_path / "out"), "supervised", verbose=False)


# ------------------------------------------------------------------ raw PPI tables
EDGES = """protein1\tprotein2\tneighborhood\tfusion\tcooccurence\tcoexpression\texperimental\tdatabase\ttextmining\tcombined_score
9606.A\t9606.B\t0\t0\t0\t500\t0\t0\t0\t500
9606.B\t9606.C\t1\t0\t0\t0\t0\t0\t0\t100
9606.C\t9606.D\t0\t0\t0\t0\t300\t0\t0\t300
9606.A\t9606.C\t0\t0\t0\t0\t0\t900\t0\t900
9606.B\t9606.A\t0\t0\t0\t0\t0\t0\t200\t200
10090.X\t10090.Y\t0\t0\t0\t0\t300\t0\t0\t300
10090.Y\t10090.Z\t0\t0\t0\t0\t300\t0\t0\t300
4932.P\t4932.Q\t0\t10\t0\t0\t0\t0\t0\t10
4932.P\t4932.P\t0\t10\t0\t0\t0\t0\t0\t10
4932.P\t10090.X\t0\t10\t0\t0\t0\t0\t0\t10
4932.Q\t4932.R\tabc\t0\t0\t0\t0\t0\t0\t10
4932.Q\t4932.R\t0\t0\t0\t0\t0\t0\t0\t0
4932.Q
4932.Q\t4932.R\t0\t0\t0\t0\t0\t0\t0\t1\t5\t6

"""
GO = "protein\tgo\n9606.A\tGO:1;GO:2\n9606.C\tGO:2\n10090.Y\tGO:3\n4932.Q\tGO:1\n4932.Zzz\tGO:1\n9606.B\t\n"


@pytest.fixture
def raw_tables(tmp_path):
    (tmp_path / "edges.tsv").write_text(EDGES)
    (tmp_path / "go.tsv").write_text(GO)
    (tmp_path / "pre.txt").write_text("GO:1\nGO:2\n")
    (tmp_path / "down.txt").write_text("GO:3\nGO:2\n")
    return tmp_path


def _edges_of(d) -> dict:
    return {tuple(e): tuple(int(v) for v in a[:7]) for e, a in zip(d.edge_index.t().tolist(), d.edge_attr)}


def test_raw_preprocessing_three_species(raw_tables, capsys):
    t = raw_tables
    loader_main(["build", "--edges", str(t / "edges.tsv"), "--go", str(t / "go.tsv"), "--root", str(t / "sup"),
                 "--pretrain-terms", str(t / "pre.txt"), "--downstream-terms", str(t / "down.txt")])
    report = capsys.readouterr().out
    ds = BioDataset(str(t / "sup"))
    counts = ds.meta["report"]
    # every malformed row counted once, by reason; nothing crashed
    assert counts["edge rows read"] == 14
    assert counts["edge rows skipped: too many fields"] == 1
    assert counts["edge rows skipped: missing protein id"] == 1
    assert counts["edge rows skipped: missing or non-numeric evidence"] == 1
    assert counts["edge rows skipped: proteins of two species"] == 1
    assert counts["edge rows skipped: self-interaction"] == 1
    assert counts["edge rows skipped: no evidence channel above threshold"] == 1
    assert counts["edge rows merged: duplicate interaction (evidence OR-ed)"] == 1
    assert counts["GO rows skipped: missing protein or term"] == 1
    assert counts["GO annotations skipped: protein not in the edge table"] == 1
    assert "proteins of two species: 1" in report

    # one graph per annotated protein: A, C (human), Y (mouse), Q (yeast)
    assert len(ds) == 4 and ds.graph_attr("species_id").tolist() == [9606, 9606, 10090, 4932]
    a = ds[0]  # centre A: A, B, C within 1 hop, D at 2 hops; every interaction among them
    assert a.x.tolist() == [[1]] * 4 and int(a.center_node_idx) == 0
    assert _edges_of(a) == {(0, 1): (0, 0, 0, 1, 0, 0, 1), (1, 0): (0, 0, 0, 1, 0, 0, 1),  # A-B, merged evidence
                            (0, 2): (0, 0, 0, 0, 0, 1, 0), (2, 0): (0, 0, 0, 0, 0, 1, 0),
                            (1, 2): (1, 0, 0, 0, 0, 0, 0), (2, 1): (1, 0, 0, 0, 0, 0, 0),
                            (2, 3): (0, 0, 0, 0, 1, 0, 0), (3, 2): (0, 0, 0, 0, 1, 0, 0)}
    assert a.edge_attr[:, 7:].abs().sum() == 0  # self-loop and mask columns are 0 in the data
    assert a.go_target_pretrain.tolist() == [[1, 1]] and a.go_target_downstream.tolist() == [[0, 1]]
    assert ds[2].go_target_downstream.tolist() == [[1, 0]] and ds[3].go_target_pretrain.tolist() == [[1, 0]]
    assert ds[3].num_nodes == 2  # yeast Q-P only: the Q-R rows were all malformed

    # radius 1 and the unsupervised variant (every protein, no labels)
    loader_main(["build", "--edges", str(t / "edges.tsv"), "--root", str(t / "uns"), "--data-type", "unsupervised",
                 "--radius", "1"])
    uns = BioDataset(str(t / "uns"), data_type="unsupervised")
    assert len(uns) == 9 and uns[0].num_nodes == 3  # A's 1-hop network: A, B, C


def test_neighbour_sampling_bounds_ego_networks(tmp_path):
    rows = ["protein1\tprotein2\tspecies\tc1\tc2\tc3\tc4\tc5\tc6\tc7"]
    rows += [f"hub\tp{i}\t7\t1\t0\t0\t0\t0\t0\t0" for i in range(30)]  # a species column instead of id prefixes
    (tmp_path / "e.tsv").write_text("\n".join(rows) + "\n")
    from bio.loader import build_from_raw
    build_from_raw(str(tmp_path / "e.tsv"), str(tmp_path / "u"), "unsupervised", max_neighbors=5, verbose=False)
    ds = BioDataset(str(tmp_path / "u"), data_type="unsupervised")
    sizes = np.diff(ds.store.node_ptr)
    assert sizes[0] == 6  # the hub and 5 sampled partners
    # a leaf, the hub, and 5 of the hub's partners drawn at 2 hops, minus the leaf itself if drawn
    assert set(sizes[1:].tolist()) <= {6, 7} and (sizes[1:] == 7).any()
    assert set(ds.graph_attr("species_id").tolist()) == {7}


def test_missing_dataset_says_where_to_get_it(tmp_path):
    with pytest.raises(MissingDataError, match="bio_dataset.zip"):
        BioDataset(str(tmp_path / "nothing"))


# ------------------------------------------------------------------ species split
def test_species_split_disjoint_and_complete(tiny_bio_root):
    ds = BioDataset(os.path.join(tiny_bio_root, "supervised"))
    train_valid, test = species_split(ds)
    assert set(test.graph_attr("species_id").tolist()) == {9606}
    assert 9606 not in set(train_valid.graph_attr("species_id").tolist())
    assert set(train_valid.graph_attr("species_id").tolist()) == {3702, 6239, 511145, 7227, 10090, 4932, 7955}
    assert not set(train_valid.indices) & set(test.indices) and len(train_valid) + len(test) == len(ds)
    train, valid, rest1 = random_split(train_valid, frac_train=0.85, frac_valid=0.15, frac_test=0.0, seed=42)
    easy, hard, rest2 = random_split(test, frac_train=0.5, frac_valid=0.5, frac_test=0.0, seed=42)
    parts = [set(p.indices.tolist()) for p in (train, valid, easy, hard, rest1, rest2)]
    assert sum(map(len, parts)) == len(ds) and len(set().union(*parts)) == len(ds)
    # int() rounding leaves up to one graph per cut unused, as in the original (its third part was None)
    assert len(rest1) <= 1 and len(rest2) <= 1
    assert len(train) == int(0.85 * len(train_valid)) and len(easy) == int(0.5 * len(test))
    combined = combine_dataset(train_valid, easy)
    assert len(combined) == len(train_valid) + len(easy) and not set(combined.indices) & parts[3]


def test_species_split_refuses_unknown_species(tiny_bio_root):
    ds = BioDataset(os.path.join(tiny_bio_root, "supervised"))
    with pytest.raises(ValueError, match="neither species list: 10090"):
        species_split(ds, train_valid_species_id_list=[3702, 6239, 511145, 7227, 4932, 7955])


# ------------------------------------------------------------------ synthetic generator
def test_synthetic_data_is_marked_and_in_the_real_format(tiny_bio_root):
    sup = BioDataset(os.path.join(tiny_bio_root, "supervised"))
    uns = BioDataset(os.path.join(tiny_bio_root, "unsupervised"), data_type="unsupervised")
    assert sup.synthetic and uns.synthetic
    meta = json.load(open(os.path.join(sup.processed_dir, "bio_meta.json")))
    assert meta["synthetic"] and meta["pretrain_terms"][0].startswith("SYNTH:")
    # one ego-network per protein that has an interaction (a protein without any is not in the edge table)
    assert 0.95 * 12 * 40 < len(uns) <= 12 * 40 and len(sup) < len(uns)
    b = sup.batch(np.arange(8))
    assert b.x.shape[1] == 1 and b.edge_attr.shape[1] == 9 and b.edge_attr.dtype == torch.float32
    assert b.go_target_downstream.shape == (8, 12) and b.go_target_pretrain.shape == (8, 24)
    assert torch.equal(b.edge_index[:, 0::2], b.edge_index.flip(0)[:, 1::2])
    # the planted structure: each fine term is one hidden class, so about 1/12 of proteins carry it
    rate = sup.graph_attr("go_target_downstream").mean()
    assert 0.04 < rate < 0.14
