"""GraphMAE on real molecules: the loss of a fixed seeded batch is pinned and equals the scaled
cosine error computed by hand; a masked atom's own representation never reaches its prediction;
2 epochs on 500 ZINC-derived molecules lower the loss, and the encoder loads strict and fine-tunes."""
from __future__ import annotations

import os

import pytest
import torch
import torch.nn.functional as F

import chem.finetune
import chem.pretrain_graphmae
from chem.methods.graphmae import GraphMAE, scaled_cosine_error
from chem.model import GNN
from chem.pretrain_data import smiles_file_dataset
from pretrain_gnns.method import methods

SMALL = ["--num_layer", "3", "--emb_dim", "64"]


@pytest.fixture(scope="module")
def zinc(shared_data, moleculenet_root):
    return smiles_file_dataset(os.path.join(shared_data, "zinc", "moses", "test.csv.gz"), 500, label_columns=())


def seeded_batch(zinc, seed: int = 0):
    torch.manual_seed(seed)
    method = GraphMAE(GNN(2, 32))
    return method, method.transform(zinc.batch(range(40)))


def test_registered_with_the_issue_defaults():
    cls = methods("chem")["graphmae"]
    assert cls is GraphMAE and cls.batch_size == 256 and cls.dropout_ratio == 0.0 and not cls.needs_labels
    method = GraphMAE(GNN(5, 300))
    assert method.mask_rate == 0.25 and method.alpha_l == 1.0
    assert method.enc_to_dec.bias is None and isinstance(method.activation, torch.nn.PReLU)
    assert method.decoder.mlp[2].out_features == 119 and method.decoder.mlp[0].in_features == 300


def test_loss_on_a_fixed_batch(zinc):
    method, batch = seeded_batch(zinc)
    assert batch.masked_atom_indices.numel() == sum(int(n * 0.25 + 1) for n in torch.diff(batch.ptr).tolist())
    assert bool((batch.x[batch.masked_atom_indices, 0] == 119).all())
    loss, metrics = method(batch)
    loss = loss.detach()
    # by hand: PReLU, linear, zero the masked rows, GIN decoder, cosine error against one-hot types
    h = method.enc_to_dec(method.activation(method.gnn(batch.x, batch.edge_index, batch.edge_attr)))
    h = h.clone()
    h[batch.masked_atom_indices] = 0
    pred = method.decoder(h, batch.edge_index, batch.edge_attr)[batch.masked_atom_indices]
    target = F.one_hot(batch.mask_node_label[:, 0], 119).double()
    by_hand = (1 - F.cosine_similarity(pred.double(), target, dim=1)).mean()
    assert float(loss) == pytest.approx(float(by_hand.detach()), rel=1e-6)
    assert float(loss) == pytest.approx(0.91648, abs=1e-4)  # pinned: seed 0, GIN 2 x 32, 40 molecules
    assert 0 <= float(metrics["acc"]) <= 1
    assert float(scaled_cosine_error(target, target)) == pytest.approx(0.0, abs=1e-12)


def test_masked_atoms_are_predicted_from_their_neighbours_only(zinc):
    method, batch = seeded_batch(zinc)
    node_rep = method.gnn(batch.x, batch.edge_index, batch.edge_attr).detach().requires_grad_(True)
    i = int(batch.masked_atom_indices[0])
    method.decode(node_rep, batch)[i].sum().backward()
    assert float(node_rep.grad[i].abs().sum()) == 0.0  # its own row was zeroed
    assert float(node_rep.grad.abs().sum()) > 0  # its neighbours' rows were not


def test_two_epochs_on_500_molecules_then_finetune(shared_data, moleculenet_root, tmp_path):
    out = tmp_path / "graphmae"
    report = chem.pretrain_graphmae.main([
        "--smiles-file", os.path.join(shared_data, "zinc", "moses", "test.csv.gz"), "--max-molecules", "500",
        "--epochs", "2", "--device", "cpu", "--quiet", "--output_model_file", str(out), *SMALL])
    losses = [h["loss"] for h in report["history"]]
    assert report["method"] == "graphmae" and report["config"]["num_molecules"] == 500
    assert report["config"]["batch_size"] == 256 and report["config"]["mask_rate"] == 0.25
    assert 0 < losses[1] < losses[0] <= 2, losses  # 1 - cos lies in [0, 2]
    state = torch.load(str(out) + ".pth", map_location="cpu", weights_only=True)
    GNN(3, 64).load_state_dict(state, strict=True)  # the encoder only, in the original's names
    summary = chem.finetune.main(["--dataset", "bbbp", "--data-root", moleculenet_root, "--input_model_file",
                                  str(out) + ".pth", "--epochs", "1", "--device", "cpu", "--quiet",
                                  "--output-dir", str(tmp_path / "ft"), *SMALL])
    assert 0 < summary["test_last"] < 1
