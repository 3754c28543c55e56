"""This project's own pre-trained GIN models: the campaign script re-creates a model bit for bit,
and every shipped model matches its JSON and loads strict into the chem GNN."""
from __future__ import annotations

import glob
import importlib.util
import json
import os
import subprocess

import pytest
import torch

from conftest import REPO
from pretrain_gnns.checkpoint import load_state_dict_file

MODELS = os.path.join(REPO, "models", "chem")
SHIPPED = sorted(glob.glob(os.path.join(MODELS, "*.json")))


def _ship_module():
    spec = importlib.util.spec_from_file_location("ship_models", os.path.join(REPO, "scripts", "ship_models.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _campaign(out, shared_data, env_extra: dict) -> str:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PRETRAIN_GNNS_SHARED": shared_data, "EXTRA_ARGS": "--quiet",
           "MOLECULES": "120", "SUP_MOLECULES": "64", "NODE_EPOCHS": "1", "SUP_EPOCHS": "1",
           "METHODS": "attrmasking", "SUPERVISED": "supervised_attrmasking", **env_extra}
    done = subprocess.run(["bash", os.path.join(REPO, "scripts", "pretrain_zoo.sh"), str(out), "cpu"], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow
def test_campaign_recreates_models_bit_for_bit_and_skips_finished(tmp_path, shared_data):
    first = _campaign(tmp_path / "a", shared_data, {})
    assert "== gin_attrmasking" in first and "== gin_supervised_attrmasking" in first
    _campaign(tmp_path / "b", shared_data, {})
    for stem in ("gin_attrmasking", "gin_supervised_attrmasking"):
        a = load_state_dict_file(str(tmp_path / "a" / f"{stem}.pth"))
        b = load_state_dict_file(str(tmp_path / "b" / f"{stem}.pth"))
        assert a.keys() == b.keys()
        assert all(torch.equal(a[k], b[k]) for k in a), stem
    report = json.loads((tmp_path / "a" / "gin_supervised_attrmasking.json").read_text())
    assert report["config"]["num_molecules"] == 64 and report["config"]["input_model_file"].endswith(
        "gin_attrmasking.pth")
    # a finished model is skipped, not trained again
    again = _campaign(tmp_path / "a", shared_data, {})
    assert "skip:" in again and "== gin" not in again

    # shipped copies: float16, the JSON's sha256, and the command that re-creates the float32 original
    ship = _ship_module()
    assert ship.ship(str(tmp_path / "a"), str(tmp_path / "shipped")) == ["gin_attrmasking", "gin_supervised_attrmasking"]
    manifest = json.loads((tmp_path / "shipped" / "gin_attrmasking.json").read_text())
    assert manifest["name"] == "ours_gin_attrmasking" and manifest["molecules"] == 120
    assert manifest["sha256"] == ship.sha256_of(str(tmp_path / "shipped" / "gin_attrmasking.pth"))
    assert manifest["float32_sha256"] == ship.sha256_of(str(tmp_path / "b" / "gin_attrmasking.pth"))
    assert manifest["recreate"].startswith("SEED=0 PRECISION=fp32 MOLECULES=120 NODE_EPOCHS=1 METHODS=attrmasking")
    half = load_state_dict_file(str(tmp_path / "shipped" / "gin_attrmasking.pth"))
    assert half["x_embedding1.weight"].dtype == torch.float16
    full = load_state_dict_file(str(tmp_path / "a" / "gin_attrmasking.pth"))
    assert torch.allclose(half["x_embedding1.weight"].float(), full["x_embedding1.weight"], rtol=1e-3, atol=1e-4)


def test_campaign_refuses_a_stacked_run_without_its_base(tmp_path, shared_data):
    env = {**os.environ, "PRETRAIN_GNNS_SHARED": shared_data, "METHODS": "", "SUPERVISED": "supervised_contextpred"}
    done = subprocess.run(["bash", os.path.join(REPO, "scripts", "pretrain_zoo.sh"), str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "needs" in done.stderr and "gin_contextpred" in done.stderr
    assert not list(tmp_path.glob("*.pth"))


@pytest.mark.skipif(not SHIPPED, reason="no shipped model in models/chem")
@pytest.mark.parametrize("manifest_file", SHIPPED, ids=os.path.basename)
def test_shipped_model_matches_its_json_and_loads_strict(manifest_file):
    from chem.loader import mol_to_graph_data_obj_simple
    from chem.model import GNN
    from rdkit import Chem
    ship = _ship_module()
    manifest = json.loads(open(manifest_file).read())
    path = os.path.join(MODELS, manifest["file"])
    assert manifest["name"] == "ours_" + os.path.splitext(manifest["file"])[0]
    assert ship.sha256_of(path) == manifest["sha256"]
    arch = manifest["architecture"]
    gnn = GNN(arch["num_layer"], arch["emb_dim"], JK=arch["JK"], gnn_type=arch["gnn_type"])
    gnn.load_state_dict(load_state_dict_file(path), strict=True)
    assert next(gnn.parameters()).dtype == torch.float32
    gnn.eval()
    data = mol_to_graph_data_obj_simple(Chem.MolFromSmiles("CC(=O)Oc1ccccc1C(=O)O"))  # aspirin, 13 atoms
    out = gnn(data.x, data.edge_index, data.edge_attr)
    assert out.shape == (13, arch["emb_dim"]) and torch.isfinite(out).all()
    assert manifest["molecules"] > 0 and manifest["epochs"] >= 1 and manifest["seconds"] > 0
