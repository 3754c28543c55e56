"""chembl_filtered from the original's files: the PyG 1.0.3 processed file (checked on the original's
MUTAG output) and the Mayr et al. pickles (on a tiny set built here from real molecules), with the
original's filters and removal of downstream validation/test molecules; then supervised pre-training."""
from __future__ import annotations

import os
import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from rdkit import Chem

import chem.pretrain_supervised
from chem.chembl import convert_legacy, load_chembl_filtered, standardized_mol_id
from chem.loader import MoleculeDataset
from chem.splitters import scaffold_split_indices


def test_legacy_processed_file_matches_our_featurisation(shared_data, moleculenet_root):
    path = os.path.join(shared_data, "moleculenet", "mutag", "reference_processed", "geometric_data_processed.pt")
    store, _, meta = convert_legacy(path)
    ours = MoleculeDataset(os.path.join(moleculenet_root, "mutag"), dataset="mutag", verbose=False)
    assert len(store) == len(ours) == 186 and meta["num_tasks"] == 1
    theirs = store.batch(range(186))
    mine = ours.batch()
    assert torch.equal(theirs.x, mine.x)
    assert torch.equal(theirs.edge_index, mine.edge_index)
    assert torch.equal(theirs.edge_attr, mine.edge_attr)
    assert torch.equal(theirs.y.view(-1), mine.y.view(-1))


@pytest.fixture(scope="module")
def downstream_root(shared_data, tmp_path_factory) -> str:
    """A data root holding only BBBP (all 11 downstream sets would take minutes to featurise here)."""
    root = tmp_path_factory.mktemp("downstream")
    os.makedirs(root / "bbbp")
    os.symlink(os.path.join(shared_data, "moleculenet", "bbbp", "raw"), root / "bbbp" / "raw")
    return str(root)


@pytest.fixture(scope="module")
def mayr_folder(downstream_root, moleculenet_root, tmp_path_factory):
    """folds0.pckl, labelsHard.pckl, chembl20LSTM.pckl in the Mayr et al. layout, 12 molecules."""
    bbbp = MoleculeDataset(os.path.join(downstream_root, "bbbp"), dataset="bbbp", verbose=False)
    smiles = bbbp.smiles_list
    train, valid, test = scaffold_split_indices(smiles)
    keep_a, keep_b = smiles[train[0]], smiles[train[1]]  # training molecules of BBBP: kept
    gone_a, gone_b = smiles[test[0]], smiles[valid[0]]  # validation/test molecules: removed
    raw = [keep_a, gone_a, "CCCCO.[Na+].[Cl-]", "CC", keep_b, gone_b, None, "c1ccccc1O",
           "C" * 80, "CC(=O)Oc1ccccc1C(=O)O", "[Na+].CC(=O)[O-]", "OCC(O)CO"]
    mols = np.array([Chem.MolFromSmiles(s) if s else None for s in raw], dtype=object)
    n, tasks = len(raw), 5
    rng = np.random.default_rng(0)
    dense = rng.choice([-1, 0, 0, 1], size=(n, tasks)).astype(np.float32)
    folder = tmp_path_factory.mktemp("mayr")
    with open(folder / "folds0.pckl", "wb") as f:
        pickle.dump([np.arange(0, 4), np.arange(4, 8), np.arange(8, 12)], f)
    with open(folder / "labelsHard.pckl", "wb") as f:
        pickle.dump(sp.coo_matrix(dense), f)
        pickle.dump(pd.Series(np.arange(n), index=np.arange(n)), f)
        pickle.dump(pd.Series(np.arange(tasks) + 100, index=[f"T{t}" for t in range(tasks)]), f)
    with open(folder / "chembl20LSTM.pckl", "wb") as f:
        pickle.dump(mols, f)
    return {"folder": str(folder), "raw": raw, "labels": dense, "keep": [keep_a, keep_b], "gone": [gone_a, gone_b]}


def test_mayr_pickles_filtered_as_the_original(mayr_folder, downstream_root):
    ds = load_chembl_filtered(mayr_folder["folder"], data_root=downstream_root, workers=1, verbose=False)
    # dropped: 2 downstream valid/test molecules, 'CC' (2 atoms), None, C80 (weight > 900)
    kept_ids = ds.graph_attr("id").tolist()
    assert kept_ids == [0, 2, 4, 7, 9, 10, 11]
    assert ds.num_tasks == 5 and ds.meta["downstream_used"] == ["bbbp"]
    assert ds.meta["dropped"]["downstream valid/test molecule"] == 2
    assert ds.graph_attr("fold").tolist() == [0, 0, 1, 1, 2, 2, 2]
    np.testing.assert_array_equal(ds.graph_attr("y"), mayr_folder["labels"][kept_ids].astype(np.int8))
    smiles = ds.smiles_list
    assert smiles[1] == "CCCCO" and smiles[5] == "CC(=O)[O-]"  # largest species of the salts
    assert {standardized_mol_id(s) for s in mayr_folder["keep"]} <= {standardized_mol_id(s) for s in smiles}
    batch = ds.batch()
    assert batch.x.size(0) == sum(Chem.MolFromSmiles(s).GetNumAtoms() for s in smiles)


def test_supervised_pretraining_on_chembl_filtered(mayr_folder, downstream_root, tmp_path):
    report = chem.pretrain_supervised.main(
        ["--dataset", "chembl_filtered", "--chembl-dir", mayr_folder["folder"], "--data-root", downstream_root,
         "--epochs", "2", "--emb_dim", "16", "--num_layer", "2", "--batch_size", "4", "--device", "cpu", "--quiet",
         "--output_model_file", str(tmp_path / "sup")])
    assert report["config"]["num_molecules"] == 7 and report["epochs"] == 2
    state = torch.load(str(tmp_path / "sup.pth"), map_location="cpu", weights_only=True)
    assert "gnns.0.mlp.0.weight" in state
