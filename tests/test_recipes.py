"""docs/ARCHITECTURE.md's "How to add" recipes, followed from another package exactly as written: a
temporary package with a toy method, a toy dataset and a toy conv, listed under the entry-point group
pretrain_gnns.plugins of its (installed) metadata; `pretrain-gnns` then pre-trains the toy method with
the toy conv and fine-tunes the result on the toy dataset, nothing in this repository edited."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

METHOD = '''
"""A toy method: each atom's type from its own representation."""
import torch.nn.functional as F
from torch import nn

from chem.model import GNN
from pretrain_gnns.encoder import encoder_out_dim
from pretrain_gnns.method import Flag, PretrainMethod, register


@register("toyatoms", domain="chem")
class ToyAtoms(PretrainMethod):
    """Toy: predict each atom's type from its representation (nothing masked)."""

    encoder_cls = GNN
    flags = (Flag("--toy_weight", float, 1.0, "loss weight"),)

    def __init__(self, gnn, toy_weight=1.0):
        super().__init__(gnn)
        self.toy_weight = toy_weight
        self.head = nn.Linear(encoder_out_dim(gnn.num_layer, gnn.emb_dim, gnn.JK), 119)

    def forward(self, batch):
        logits = self.head(self.gnn(batch.x, batch.edge_index, batch.edge_attr)).float()
        target = batch.x[:, 0]
        acc = (logits.argmax(1) == target).float().mean().detach()
        return self.toy_weight * F.cross_entropy(logits, target), {"acc": acc}
'''

CONV = '''
"""A toy conv: mean_j (W x_j + e_ij)."""
from torch import nn

from chem.model import CONVS, BondConv


class ToyConv(BondConv):
    def __init__(self, emb_dim, aggr="mean"):
        super().__init__(aggr)
        self.linear = nn.Linear(emb_dim, emb_dim)
        self._add_bond_embeddings(emb_dim)

    def forward_prepared(self, x, graph):
        return self.aggregate_linear(self.linear(x), graph, "mean")


CONVS["toyconv"] = ToyConv
'''

DATASET = '''
"""A toy dataset: <data-root>/toyset/raw/toyset.csv, one binary label."""
from chem.datasets import SPECS, DatasetSpec

SPECS["toyset"] = DatasetSpec("toyset", label_columns=("active",))
'''

ENTRY_POINTS = """
[pretrain_gnns.plugins]
toy_method = toyplug.method
toy_conv = toyplug.conv
toy_dataset = toyplug.dataset
"""


def make_plugin(root) -> None:
    """The package and the metadata pip would write for it (entry_points.txt in its dist-info)."""
    pkg = root / "toyplug"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name, text in (("method", METHOD), ("conv", CONV), ("dataset", DATASET)):
        (pkg / f"{name}.py").write_text(textwrap.dedent(text))
    info = root / "toyplug-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toyplug\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)


def make_data(root) -> str:
    """60 small molecules; active = has an oxygen."""
    rows = ["smiles,active"]
    for n in range(1, 16):
        rows += [f"{'C' * n},0", f"{'C' * n}O,1", f"c1ccccc1{'C' * n},0", f"c1ccccc1{'C' * n}O,1"]
    raw = root / "data" / "toyset" / "raw"
    raw.mkdir(parents=True)
    (raw / "toyset.csv").write_text("\n".join(rows) + "\n")
    return str(raw / "toyset.csv")


def cli(root, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), REPO]), "OMP_NUM_THREADS": "1",
           "PRETRAIN_GNNS_CACHE": str(root / "cache")}
    return subprocess.run([sys.executable, "-m", "pretrain_gnns", *args], cwd=root, env=env, capture_output=True,
                          text=True, timeout=600)


def test_toy_method_dataset_and_conv_from_another_package(tmp_path):
    make_plugin(tmp_path)
    csv = make_data(tmp_path)
    shape = ["--gnn-type", "toyconv", "--num-layer", "2", "--emb-dim", "16", "--batch-size", "16", "--epochs", "2",
             "--device", "cpu", "--quiet"]

    listed = cli(tmp_path, "pretrain", "--help")
    assert listed.returncode == 0 and "toyatoms" in listed.stdout, listed.stderr
    helped = cli(tmp_path, "pretrain", "--method", "toyatoms", "--help")
    assert "--toy-weight" in helped.stdout and "toyconv" in helped.stdout, helped.stderr

    pre = cli(tmp_path, "pretrain", "--method", "toyatoms", "--smiles-file", csv, "--toy_weight", "0.5",
              "--output-model-file", "out/toy", *shape)
    assert pre.returncode == 0, pre.stdout + pre.stderr
    card = json.loads((tmp_path / "out" / "toy.json").read_text())
    assert card["architecture"]["gnn_type"] == "toyconv" and card["config"]["toy_weight"] == 0.5
    assert [r["epoch"] for r in card["history"]] == [1, 2]

    fine = cli(tmp_path, "finetune", "--dataset", "toyset", "--data-root", "data", "--split", "random",
               "--input-model-file", "out/toy.pth", "--output-dir", "out/ft", "--filename", "toy", *shape)
    assert fine.returncode == 0, fine.stdout + fine.stderr
    summary = json.loads((tmp_path / "out" / "ft" / "toy.json").read_text())
    assert summary["config"]["dataset"] == "toyset" and summary["config"]["gnn_type"] == "toyconv"
    assert 0.0 <= summary["test_at_best_val"] <= 1.0
