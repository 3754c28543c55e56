"""The model zoo: the table against the original's release list and the 15 local files, loading by
name, downloads through a temporary file with checksums (file:// URLs), and the error cases."""
from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
import shutil

import pytest
import torch

from pretrain_gnns import zoo
from pretrain_gnns.data_root import git_blob_sha1, sha256_file

CHEM = ({f"gin_{m}" for m in ("infomax", "edgepred", "masking", "contextpred", "supervised", "supervised_infomax",
                              "supervised_edgepred", "supervised_masking", "supervised_contextpred")}
        | {f"{g}_{m}" for g in ("gcn", "graphsage", "gat") for m in ("contextpred", "supervised", "supervised_contextpred")})
BIO = ({f"gin_{m}" for m in ("infomax", "edgepred", "masking", "contextpred", "supervised", "supervised_infomax",
                             "supervised_edgepred", "supervised_masking", "supervised_contextpred")}
       | {f"{g}_{m}" for g in ("gcn", "graphsage", "gat") for m in ("masking", "supervised_masking")})


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PRETRAIN_GNNS_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv(zoo.ENV_MODEL_DIR, raising=False)
    return tmp_path / "cache"


def released_entries():
    return [e for d in zoo.domain_names() for e in zoo.entries(d).values() if e.source == "released"]


def test_table_is_the_original_release(checkpoints):
    assert set(zoo._released()["chem"]) == CHEM and set(zoo._released()["bio"]) == BIO
    with open(os.path.join(checkpoints, "released.csv"), newline="") as f:
        listed = {r["name"]: r for r in csv.DictReader(f)}
    assert len(listed) == 33 == len(released_entries())
    for e in released_entries():
        row = listed[f"{e.domain}_{e.name}"]
        assert (e.url, e.git_blob_sha1, e.gnn_type, e.method) == (row["url"], row["git_blob_sha1"], row["gnn_type"],
                                                                   row["method"])
        assert e.sha256 == (row["sha256"] or None) and e.size_bytes == (int(row["size_bytes"]) if row["size_bytes"] else None)
        assert e.url.startswith(zoo.RELEASE_BASE) and e.architecture == {
            "gnn_type": e.gnn_type, "num_layer": 5, "emb_dim": 300, "JK": "last", "domain": e.domain}


def test_every_local_file_matches_its_entry(checkpoints):
    found = {}
    for e in released_entries():
        path = zoo.local_file(e, checkpoints)
        if path:
            found[(e.domain, e.name)] = path
            assert git_blob_sha1(path) == e.git_blob_sha1 and sha256_file(path) == e.sha256
    # the 15 files at hand: 9 chem and 6 bio GCN/GraphSAGE/GAT; no GIN file is local
    assert len(found) == 15 and sum(d == "chem" for d, _ in found) == 9
    assert not any(name.startswith("gin_") for _, name in found)
    assert len(os.listdir(os.path.join(checkpoints, "chem"))) + len(os.listdir(os.path.join(checkpoints, "bio"))) == 15


def test_load_by_name_strict(checkpoints, cache):
    from chem.model import GNN, GNN_graphpred
    enc = zoo.load_pretrained("gcn_supervised_contextpred", model_dir=os.path.join(checkpoints, "chem"))
    assert isinstance(enc, GNN) and enc.gnn_type == "gcn" and not enc.training
    ref = torch.load(os.path.join(checkpoints, "chem", "gcn_supervised_contextpred.pth"), map_location="cpu",
                     weights_only=True)
    assert all(torch.equal(enc.state_dict()[k], v) for k, v in ref.items())
    full = zoo.load_pretrained("chem_gat_contextpred", head=3, model_dir=checkpoints)
    assert isinstance(full, GNN_graphpred) and full.graph_pred_linear.out_features == 3
    assert full.arch["gnn_type"] == "gat" and full.arch["name"] == "gat_contextpred"
    bio = zoo.load_pretrained("gcn_masking", domain="bio", model_dir=checkpoints)
    assert type(bio).__module__ == "bio.model"


def test_download_verifies_and_refetches_corrupt_cache(checkpoints, cache, tmp_path):
    entry = zoo.get_entry("gcn_contextpred")
    src = os.path.join(checkpoints, "chem", "gcn_contextpred.pth")
    path = zoo.fetch_model(entry, url="file://" + src, progress=False)
    assert path == str(cache / "models" / "chem" / "gcn_contextpred.pth") and git_blob_sha1(path) == entry.git_blob_sha1
    with open(path, "r+b") as f:  # the cached copy goes bad
        f.seek(1000)
        f.write(b"\0\0\0\0")
    assert "corrupt" in zoo.availability(entry)
    path = zoo.fetch_model(entry, url="file://" + src, progress=False)
    assert sha256_file(path) == entry.sha256


@pytest.mark.parametrize("name", ["gcn_contextpred", "gin_supervised_contextpred"])
def test_tampered_download_is_rejected_and_deleted(checkpoints, cache, tmp_path, name):
    tampered = tmp_path / "tampered.pth"
    shutil.copy(os.path.join(checkpoints, "chem", "gcn_contextpred.pth"), tampered)
    with open(tampered, "r+b") as f:
        f.seek(5000)
        f.write(b"tampered")
    entry = zoo.get_entry(name)  # GIN entries have no sha256: the git blob SHA-1 catches it
    with pytest.raises(zoo.ModelDownloadError, match="(sha256|git blob SHA-1) .* is not the known .* deleted"):
        zoo.fetch_model(entry, url=tampered.as_uri(), progress=False)
    folder = cache / "models" / "chem"
    assert os.listdir(folder) == []  # no model, no temporary file


def test_offline_message_names_url_and_folder(cache):
    entry = dataclasses.replace(zoo.get_entry("gin_masking"), url="http://127.0.0.1:9/chem/model_gin/masking.pth")
    with pytest.raises(zoo.ModelDownloadError) as err:
        zoo.fetch_model(entry, progress=False)
    text = str(err.value)
    assert "http://127.0.0.1:9/chem/model_gin/masking.pth" in text and str(cache / "models" / "chem") in text
    assert "--model-dir" in text and zoo.ENV_MODEL_DIR in text


def test_model_dir_file_that_fails_its_check_is_refused(checkpoints, tmp_path, cache):
    bad = tmp_path / "chem"
    bad.mkdir()
    shutil.copy(os.path.join(checkpoints, "chem", "gcn_supervised.pth"), bad / "gcn_contextpred.pth")
    with pytest.raises(zoo.ZooError, match="is not the released chem gcn_contextpred"):
        zoo.resolve("gcn_contextpred", model_dir=str(tmp_path))
    assert (bad / "gcn_contextpred.pth").exists()  # a user's file is never deleted


def test_unknown_name_and_wrong_domain(checkpoints, cache):
    with pytest.raises(zoo.UnknownModelError, match="known chem models: .*gin_supervised_contextpred"):
        zoo.load_pretrained("gin_supervised_contextpredd")
    with pytest.raises(zoo.WrongDomainError, match="'gcn_masking' is a bio model"):
        zoo.load_pretrained("gcn_masking", model_dir=checkpoints)
    with pytest.raises(zoo.WrongDomainError, match="bio_gin_masking' is a bio model"):
        zoo.get_entry("bio_gin_masking", "chem")
    with pytest.raises(zoo.WrongDomainError, match="holds a bio model; this needs a chem model"):
        zoo.load_pretrained(os.path.join(checkpoints, "bio", "gcn_masking.pth"))
    with pytest.raises(zoo.WrongDomainError, match="holds a chem model"):
        zoo.load_pretrained(os.path.join(checkpoints, "chem", "gcn_contextpred.pth"), domain="bio")


def test_list_command(checkpoints, cache, capsys):
    zoo.main(["list", "--model-dir", checkpoints])
    out = capsys.readouterr().out.splitlines()
    own = sum(len(v) for v in zoo.own_models().values())  # this project's shipped models, listed after
    assert len(out) == 1 + 33 + own and out[0].split()[:3] == ["name", "domain", "gnn_type"]
    assert sum(" ours " in line for line in out) == own
    assert sum("local:" in line for line in out) == 15 + own  # the 15 released files here, and ours
    gin = next(line for line in out if line.startswith("gin_supervised_contextpred") and " chem " in line)
    assert gin.split()[2:6] == ["gin", "5", "300", "last"] and gin.endswith("download")


def test_own_models_are_listed_from_json(checkpoints, tmp_path):
    folder = tmp_path / "models" / "chem"
    folder.mkdir(parents=True)
    pth = folder / "gin_masking.pth"
    from chem.model import GNN
    torch.save(GNN(2, 16, gnn_type="gin").state_dict(), pth)
    report = {"method": "attrmasking", "config": {"gnn_type": "gin", "num_layer": 2, "emb_dim": 16, "JK": "last"}}
    (folder / "gin_masking.json").write_text(json.dumps(report))  # a pre-training report, as written
    zoo.main(["register", str(pth)])  # records the sha256 (and the name) in it
    assert json.loads((folder / "gin_masking.json").read_text())["sha256"] == sha256_file(str(pth))
    table = zoo.own_models(str(tmp_path / "models"))["chem"]
    entry = table["ours_gin_masking"]
    assert entry.source == "ours" and entry.architecture["num_layer"] == 2 and entry.emb_dim == 16
    assert zoo.local_file(entry) == str(pth)
    with open(pth, "ab") as f:
        f.write(b"x")
    with pytest.raises(zoo.ZooError, match="not the model its JSON describes"):
        zoo.local_file(entry)


def test_script_flag_resolves_name_and_architecture(checkpoints, cache):
    args = argparse.Namespace(input_model_file="graphsage_supervised", gnn_type="gin", num_layer=5, emb_dim=300,
                              JK="last", model_dir=os.path.join(checkpoints, "chem"), quiet=True)
    zoo.resolve_input_model_arg(args)
    assert args.gnn_type == "graphsage" and args.input_model_file.endswith("chem/graphsage_supervised.pth")
    typo = argparse.Namespace(input_model_file="gcn_supervised_contextpre", gnn_type="gin", model_dir=None)
    with pytest.raises(zoo.UnknownModelError, match="known chem models: .*gcn_supervised_contextpred"):
        zoo.resolve_input_model_arg(typo)
    plain = argparse.Namespace(input_model_file="runs/x.pth", gnn_type="gin")
    zoo.resolve_input_model_arg(plain)  # not a zoo name: left alone for the loader to report
    assert plain.input_model_file == "runs/x.pth" and plain.gnn_type == "gin"


def test_cli_unknown_model_is_one_line(capsys):
    from pretrain_gnns.cli_args import run_main
    with pytest.raises(SystemExit) as exit_:
        run_main(zoo.main, ["fetch", "gcn_nope"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "unknown model 'gcn_nope'" in err and "Traceback" not in err


def test_pretrain_supervised_accepts_a_zoo_name(checkpoints, shared_data, tmp_path, cache):
    import chem.pretrain_supervised
    report = chem.pretrain_supervised.main([
        "--smiles-file", os.path.join(shared_data, "chembl", "chembl_5thresh.csv.gz"), "--threshold", "6",
        "--max-molecules", "20", "--epochs", "1", "--quiet", "--input_model_file", "gcn_contextpred",
        "--model-dir", os.path.join(checkpoints, "chem"), "--output_model_file", str(tmp_path / "sup")])
    cfg = report["config"]
    assert cfg["gnn_type"] == "gcn" and cfg["input_model_file"].endswith("chem/gcn_contextpred.pth")
    saved = torch.load(tmp_path / "sup.pth", map_location="cpu", weights_only=True)
    assert "gnns.0.linear.weight" in saved  # a GCN encoder: the released weights were loaded into it


def test_gcn_and_graphsage_files_without_json_are_told_apart_by_the_name_prefix(checkpoints, tmp_path):
    # Same keys and shapes: only the name can say, by the rule fine-tuning applies (the prefix).
    released = os.path.join(checkpoints, "chem", "graphsage_supervised.pth")
    for name, expected in [("graphsage_mine.pth", "graphsage"), ("usage_test.pth", "gcn"), ("mine.pth", "gcn")]:
        shutil.copy(released, tmp_path / name)
        arch = zoo.architecture_of_file(str(tmp_path / name))
        assert (arch["gnn_type"], arch["num_layer"], arch["emb_dim"]) == (expected, 5, 300)
