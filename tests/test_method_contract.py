"""The method contract and the one source for names: every method is registered for its domain,
the commands list them, the original's script names map onto them with the original's flags
(bio supervised's --seed is the split's), --gnn_type offers the conv registry, and a checkpoint's
architecture is read from the JSON beside it before its name. Every file is written atomically."""
from __future__ import annotations

import importlib
import json
import os

import pytest

import bio.model
import chem.model
from chem.datasets import MOLECULENET, SPECS
from pretrain_gnns import pretrain_script
from pretrain_gnns.architecture import checkpoint_gnn_type, gnn_types, recorded_architecture
from pretrain_gnns.card import check_architecture
from pretrain_gnns.checkpoint import CheckpointMismatchError
from pretrain_gnns.files import atomic_write, write_json
from pretrain_gnns.method import PretrainMethod, methods

ALIASES = {"chem": {"attrmasking": "attrmasking", "masking": "attrmasking", "contextpred": "contextpred",
                    "edgepred": "edgepred", "infomax": "infomax", "deepgraphinfomax": "infomax",
                    "supervised": "supervised", "graphmae": "graphmae"},
           "bio": {"masking": "masking", "contextpred": "contextpred", "edgepred": "edgepred", "infomax": "infomax",
                   "deepgraphinfomax": "infomax", "supervised": "supervised"}}


def domain(name: str) -> pretrain_script.Domain:
    return importlib.import_module(f"{name}.pretrain").DOMAIN


def test_registry_is_complete_for_both_domains():
    assert list(methods("chem")) == ["attrmasking", "contextpred", "edgepred", "graphmae", "infomax", "supervised"]
    assert list(methods("bio")) == ["contextpred", "edgepred", "infomax", "masking", "supervised"]
    for dom in ("chem", "bio"):
        for name, cls in methods(dom).items():
            assert issubclass(cls, PretrainMethod) and cls.name == name and cls.domain == dom
            assert cls.encoder_cls is importlib.import_module(f"{dom}.model").GNN
            assert (cls.batch_size, cls.dropout_ratio) == ((32, 0.2) if cls.needs_labels else (256, 0.0))


@pytest.mark.parametrize("dom", ["chem", "bio"])
def test_original_script_names_fix_the_method(dom):
    for script, method in ALIASES[dom].items():
        main = importlib.import_module(f"{dom}.pretrain_{script}").main
        assert main.keywords == {"method": method} and main.args[0] is domain(dom)


@pytest.mark.parametrize("dom", ["chem", "bio"])
def test_help_lists_the_methods(dom, capsys):
    with pytest.raises(SystemExit) as done:
        importlib.import_module(f"{dom}.pretrain").main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert all(f"  {name} " in out for name in methods(dom))
    with pytest.raises(SystemExit) as done:
        importlib.import_module(f"{dom}.pretrain").main(["--epochs", "1"])  # no --method: a usage error
    assert done.value.code == 2


def test_flags_and_defaults_come_from_the_class():
    chem_dom = domain("chem")
    p = pretrain_script.build_parser(chem_dom, methods("chem")["contextpred"])
    a = p.parse_args([])
    assert (a.batch_size, a.dropout_ratio, a.csize, a.neg_samples, a.mode, a.dataset) == \
        (256, 0.0, 3, 1, "cbow", "zinc_standard_agent")
    s = pretrain_script.build_parser(chem_dom, methods("chem")["supervised"]).parse_args(["--threshold", "6"])
    assert (s.batch_size, s.dropout_ratio, s.dataset, s.threshold, s.graph_pooling) == \
        (32, 0.2, "chembl_filtered", 6.0, "mean")
    gnn = next(x for x in p._actions if x.dest == "gnn_type")
    assert gnn.choices == list(chem.model.GNN.CONVS) == gnn_types("chem")
    assert gnn_types("bio") == list(bio.model.GNN.CONVS)


def test_bio_supervised_seed_is_the_split_seed_as_in_the_original():
    p = pretrain_script.build_parser(domain("bio"), methods("bio")["supervised"])
    a = p.parse_args([])
    assert (a.split_seed, a.seed, a.dataset) == (42, 0, "supervised")
    a = p.parse_args(["--seed", "7", "--runseed", "3"])
    assert (a.split_seed, a.seed) == (7, 3)
    assert p.parse_args(["--split_seed", "5"]).split_seed == 5
    node = pretrain_script.build_parser(domain("bio"), methods("bio")["masking"]).parse_args(["--seed", "4"])
    assert node.seed == 4 and not hasattr(node, "split_seed")


def test_dataset_names_come_from_specs():
    assert MOLECULENET == ("bbbp", "tox21", "toxcast", "sider", "clintox", "muv", "hiv", "bace")
    assert all(SPECS[n].url for n in MOLECULENET)


def test_architecture_from_json_beside_else_name(tmp_path):
    plain = tmp_path / "gcn_contextpred.pth"
    assert checkpoint_gnn_type(str(plain)) == "gcn"
    assert checkpoint_gnn_type(str(tmp_path / "graphsage_x.pth")) == "graphsage"
    assert checkpoint_gnn_type(str(tmp_path / "model.pth")) is None
    write_json(str(tmp_path / "model.json"), {"config": {"gnn_type": "gat"}})  # a pre-training report
    assert checkpoint_gnn_type(str(tmp_path / "model.pth")) == "gat"
    write_json(str(tmp_path / "gin_y.json"), {"architecture": "graphsage"})  # the JSON wins over the name
    assert checkpoint_gnn_type(str(tmp_path / "gin_y.pth")) == "graphsage"
    # one reader for every consumer: config, then the architecture block, then top-level keys win
    write_json(str(tmp_path / "card.json"), {"config": {"gnn_type": "gcn", "num_layer": 3, "lr": 0.1},
                                             "architecture": {"gnn_type": "gin", "emb_dim": 64}, "JK": "sum"})
    assert recorded_architecture(str(tmp_path / "card.pth")) == {"gnn_type": "gin", "num_layer": 3,
                                                                 "emb_dim": 64, "JK": "sum"}
    with pytest.raises(CheckpointMismatchError, match="num_layer: checkpoint 3, now 5"):
        check_architecture(str(tmp_path / "card.pth"), {"gnn_type": "gin", "num_layer": 5, "emb_dim": 64,
                                                        "JK": "sum", "domain": "chem"})


def test_atomic_write_is_all_or_nothing(tmp_path):
    path = tmp_path / "out.json"
    write_json(str(path), {"a": float("nan"), "b": 1})
    assert json.loads(path.read_text()) == {"a": None, "b": 1}
    with pytest.raises(RuntimeError):
        with atomic_write(str(path)) as f:
            f.write("half")
            raise RuntimeError("interrupted")
    assert json.loads(path.read_text()) == {"a": None, "b": 1}  # the old file, whole
    assert os.listdir(tmp_path) == ["out.json"]  # no temporary left behind
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask
    with atomic_write(str(tmp_path / "link"), "") as tmp:
        os.symlink(str(path), tmp)
    assert os.readlink(tmp_path / "link") == str(path)
