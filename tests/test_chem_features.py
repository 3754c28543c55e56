"""Featurisation of named molecules against tensors derived by hand, and the counted skips.

Atom row: [atomic number - 1, chirality (0 unspecified, 1 CW '@@', 2 CCW '@')]. Each bond, in RDKit's
bond order, gives the directed edges (begin, end) then (end, begin), both with
[type (0 single, 1 double, 2 triple, 3 aromatic), direction (0 none, 1 '/' ENDUPRIGHT, 2 '\\' ENDDOWNRIGHT)].
"""
from __future__ import annotations

import csv
import os

import pytest
import torch
from rdkit import Chem

from chem.loader import MoleculeDataset, mol_to_graph_data_obj_simple
from pretrain_gnns.data_root import MissingDataError

C, N, O, F, NA, CL = 5, 6, 7, 8, 10, 16  # atomic number - 1


def edges(*bonds):
    """(begin, end, type, dir) per bond -> the expected (edge_index, edge_attr)."""
    pairs = [[(i, j), (j, i)] for i, j, _, _ in bonds]
    index = [e for pair in pairs for e in pair]
    attr = [[t, d] for _, _, t, d in bonds for _ in range(2)]
    if not bonds:
        return torch.empty(2, 0, dtype=torch.long), torch.empty(0, 2, dtype=torch.long)
    return torch.tensor(index, dtype=torch.long).t(), torch.tensor(attr, dtype=torch.long)


NAMED = {
    # L-alanine: the stereocentre is written '@@' -> CHI_TETRAHEDRAL_CW (index 1); C3=O4 is the only double bond.
    "L-alanine": ("N[C@@H](C)C(=O)O", [[N, 0], [C, 1], [C, 0], [C, 0], [O, 0], [O, 0]],
                  [(0, 1, 0, 0), (1, 2, 0, 0), (1, 3, 0, 0), (3, 4, 1, 0), (3, 5, 0, 0)]),
    # D-alanine: '@' -> CHI_TETRAHEDRAL_CCW (index 2), everything else as L.
    "D-alanine": ("N[C@H](C)C(=O)O", [[N, 0], [C, 2], [C, 0], [C, 0], [O, 0], [O, 0]],
                  [(0, 1, 0, 0), (1, 2, 0, 0), (1, 3, 0, 0), (3, 4, 1, 0), (3, 5, 0, 0)]),
    # (E)-1,2-difluoroethene: both single bonds '/' -> ENDUPRIGHT (1); the double bond has no direction.
    "E-difluoroethene": ("F/C=C/F", [[F, 0], [C, 0], [C, 0], [F, 0]],
                         [(0, 1, 0, 1), (1, 2, 1, 0), (2, 3, 0, 1)]),
    # (Z)-1,2-difluoroethene: the second single bond '\' -> ENDDOWNRIGHT (2).
    "Z-difluoroethene": ("F/C=C\\F", [[F, 0], [C, 0], [C, 0], [F, 0]],
                         [(0, 1, 0, 1), (1, 2, 1, 0), (2, 3, 0, 2)]),
    # Benzene: six aromatic bonds (type 3); RDKit stores the ring closure as (5, 0).
    "benzene": ("c1ccccc1", [[C, 0]] * 6, [(0, 1, 3, 0), (1, 2, 3, 0), (2, 3, 3, 0), (3, 4, 3, 0), (4, 5, 3, 0),
                                           (5, 0, 3, 0)]),
    # Kekulé benzene reads as the same aromatic graph.
    "benzene (Kekule)": ("C1=CC=CC=C1", [[C, 0]] * 6, [(0, 1, 3, 0), (1, 2, 3, 0), (2, 3, 3, 0), (3, 4, 3, 0),
                                                      (4, 5, 3, 0), (5, 0, 3, 0)]),
    # Charges are not features: tetramethylammonium is its atoms and four single bonds.
    "tetramethylammonium": ("C[N+](C)(C)C", [[C, 0], [N, 0], [C, 0], [C, 0], [C, 0]],
                            [(0, 1, 0, 0), (1, 2, 0, 0), (1, 3, 0, 0), (1, 4, 0, 0)]),
    # Ammonium: one atom, no edges.
    "ammonium": ("[NH4+]", [[N, 0]], []),
    # Sodium acetate: both fragments kept, sodium (atom 4) has no edge to the acetate.
    "sodium acetate": ("CC(=O)[O-].[Na+]", [[C, 0], [C, 0], [O, 0], [O, 0], [NA, 0]],
                       [(0, 1, 0, 0), (1, 2, 1, 0), (1, 3, 0, 0)]),
    # Sodium chloride: two isolated atoms.
    "sodium chloride": ("[Na+].[Cl-]", [[NA, 0], [CL, 0]], []),
}


@pytest.mark.parametrize("name", list(NAMED))
def test_named_molecule_featurisation(name):
    smiles, x, bonds = NAMED[name]
    data = mol_to_graph_data_obj_simple(Chem.MolFromSmiles(smiles))
    edge_index, edge_attr = edges(*bonds)
    assert torch.equal(data.x, torch.tensor(x, dtype=torch.long))
    assert torch.equal(data.edge_index, edge_index)
    assert torch.equal(data.edge_attr, edge_attr)
    assert data.x.dtype == data.edge_index.dtype == data.edge_attr.dtype == torch.long


def test_charge_and_enantiomer_effects():
    """Ammonium and ammonia give the same graph (no charge feature); L and D alanine differ only in x[1, 1]."""
    nh4 = mol_to_graph_data_obj_simple(Chem.MolFromSmiles("[NH4+]"))
    nh3 = mol_to_graph_data_obj_simple(Chem.MolFromSmiles("N"))
    assert torch.equal(nh4.x, nh3.x)
    l_ala = mol_to_graph_data_obj_simple(Chem.MolFromSmiles(NAMED["L-alanine"][0]))
    d_ala = mol_to_graph_data_obj_simple(Chem.MolFromSmiles(NAMED["D-alanine"][0]))
    assert (l_ala.x != d_ala.x).nonzero().tolist() == [[1, 1]]


def write_csv(path, header, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def test_dataset_pipeline_gives_the_same_graphs(tmp_path):
    """The batched dataset path (flat arrays, stereo shortcut, graph store) equals the per-molecule featuriser."""
    root = tmp_path / "named"
    write_csv(str(root / "raw" / "named.csv"), ["smiles", "y"], [[NAMED[n][0], i % 2] for i, n in enumerate(NAMED)])
    ds = MoleculeDataset(str(root), dataset="csv", smiles_column="smiles", label_columns=("y",), verbose=False)
    assert len(ds) == len(NAMED)
    for i, name in enumerate(NAMED):
        smiles, x, bonds = NAMED[name]
        edge_index, edge_attr = edges(*bonds)
        assert torch.equal(ds[i].x, torch.tensor(x)), name
        assert torch.equal(ds[i].edge_index, edge_index), name
        assert torch.equal(ds[i].edge_attr, edge_attr), name
        assert ds[i].y.tolist() == [[1 if i % 2 else -1]], name
    assert ds.smiles_list == [NAMED[n][0] for n in NAMED]  # generic CSV: the SMILES as written


SKIP_ROWS = [
    ("CCO", 1),  # 0 kept
    ("C1CC(", 0),  # 1 syntax error
    ("C(C)(C)(C)(C)C", 1),  # 2 five-valent carbon
    ("*CC", 0),  # 3 dummy atom, atomic number 0
    ("[NH3]->[Cu]", 1),  # 4 dative bond
    ("", 0),  # 5 empty cell
    ("F[Pt@SP1](Cl)(Br)I", 1),  # 6 square-planar chirality, outside the 4 chirality tags
    ("c1ccccc1", 0),  # 7 kept
    ("CC(=O)[O-].[Na+]", 1),  # 8 kept, two fragments
]


def test_skipped_molecules_are_counted_and_listed(tmp_path, capsys):
    root = tmp_path / "mixed"
    write_csv(str(root / "raw" / "mixed.csv"), ["smiles", "active"], SKIP_ROWS)
    ds = MoleculeDataset(str(root), dataset="csv", smiles_column="smiles", label_columns=("active",))
    out = capsys.readouterr().out
    assert "kept 3 of 9 molecules; skipped 6" in out
    assert len(ds) == 3 and ds.smiles_list == ["CCO", "c1ccccc1", "CC(=O)[O-].[Na+]"]
    assert ds.graph_attr("id").tolist() == [0, 7, 8]  # ids are raw rows
    assert ds.graph_attr("y").reshape(-1).tolist() == [1, -1, 1]
    assert ds.meta["num_raw"] == 9 and ds.meta["num_kept"] == 3 and ds.meta["num_skipped"] == 6
    assert ds.meta["skip_reasons"] == {"RDKit cannot parse the SMILES": 2, "atom '*' (atomic number 0)": 1,
                                       "bond type DATIVE": 1, "empty SMILES": 1,
                                       "chirality CHI_SQUAREPLANAR": 1}
    with open(os.path.join(ds.processed_dir, "skipped.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(int(r["row"]), r["smiles"]) for r in rows] == [(i, SKIP_ROWS[i][0]) for i in (1, 2, 3, 4, 5, 6)]
    reasons = [r["reason"] for r in rows]
    assert reasons[0] == reasons[1] == "RDKit cannot parse the SMILES"
    assert "'*'" in reasons[2] and "DATIVE" in reasons[3] and reasons[4] == "empty SMILES"
    assert "CHI_SQUAREPLANAR" in reasons[5]
    # Cached: a second open reads the processed files without featurising (and without a summary line).
    again = MoleculeDataset(str(root), dataset="csv", smiles_column="smiles", label_columns=("active",))
    assert capsys.readouterr().out == "" and again.smiles_list == ds.smiles_list


def test_missing_dataset_folder_gives_a_helpful_error(tmp_path):
    with pytest.raises(MissingDataError) as err:
        MoleculeDataset(str(tmp_path / "bbbp"), dataset="bbbp")
    text = str(err.value)
    assert os.path.join(str(tmp_path / "bbbp"), "raw") in text
    assert "--data-root" in text and "python -m chem.download bbbp" in text


def test_finetune_on_a_missing_dataset_fails_with_the_same_error(tmp_path):
    from chem.finetune import main
    with pytest.raises(MissingDataError, match="python -m chem.download tox21"):
        main(["--dataset", "tox21", "--data-root", str(tmp_path), "--epochs", "1", "--output-dir", str(tmp_path)])


def test_dataset_path_equals_the_per_molecule_featuriser_on_bbbp(moleculenet_root):
    """Every kept BBBP molecule: the batched path (with its no-stereo shortcut) gives the per-molecule tensors."""
    from chem.datasets import get_spec, read_raw
    ds = MoleculeDataset(os.path.join(moleculenet_root, "bbbp"), dataset="bbbp", verbose=False)
    raw = read_raw(get_spec("bbbp"), ds.raw_dir).smiles
    rows = ds.graph_attr("id").tolist()
    assert len(rows) == 2039
    whole = ds.batch()  # one cut of the whole store, then per-molecule slices
    node_ptr = whole.ptr.tolist()
    edge_ptr = [0] + torch.bincount(whole.batch[whole.edge_index[0]], minlength=len(rows)).cumsum(0).tolist()
    stereo = 0
    for i, row in enumerate(rows):
        expected = mol_to_graph_data_obj_simple(Chem.MolFromSmiles(raw[row]))
        (n0, n1), (e0, e1) = node_ptr[i:i + 2], edge_ptr[i:i + 2]
        assert torch.equal(whole.x[n0:n1], expected.x), row
        assert torch.equal(whole.edge_index[:, e0:e1] - n0, expected.edge_index), row
        assert torch.equal(whole.edge_attr[e0:e1], expected.edge_attr), row
        stereo += bool(expected.x[:, 1].any() or expected.edge_attr[:, 1].any())
    assert stereo > 300  # the comparison covers many molecules with chirality or bond directions
