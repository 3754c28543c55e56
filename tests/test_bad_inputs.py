"""Bad inputs and faults, as a new user meets them: each ends with exit code 2 and one line that
names the problem (no traceback), writes no model and overwrites nothing; or is a counted skip.
Numbered as in the reliability report they reproduce."""
from __future__ import annotations

import csv
import json
import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

import bio.finetune
import bio.pretrain_masking
import chem.finetune
import chem.pretrain_attrmasking
import chem.pretrain_contextpred
import chem.pretrain_edgepred
import chem.pretrain_supervised
from pretrain_gnns.cli_args import run_main
from pretrain_gnns.graphstore import make_loader
from pretrain_gnns.pretrain_loop import DistInfo, train_epoch

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ["--emb_dim", "16", "--num_layer", "2", "--device", "cpu", "--quiet"]


def cli(main, argv, capsys) -> tuple[int, str, str]:
    """Run a script's main as its __main__ does; (exit code, stdout, stderr)."""
    os.environ.pop("PRETRAIN_GNNS_TRACEBACK", None)
    code = 0
    try:
        run_main(main, [str(a) for a in argv])
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def refused(code: int, err: str, *words: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    for w in words:
        assert w.lower() in err.lower(), (w, err)


def snapshot(folder) -> dict:
    """{relative path: (size, mtime_ns)} of every file under ``folder``."""
    out = {}
    for root, _, files in os.walk(folder):
        for f in files:
            p = os.path.join(root, f)
            st = os.stat(p)
            out[os.path.relpath(p, folder)] = (st.st_size, st.st_mtime_ns)
    return out


class Payload:
    """A pickled object whose unpickling would run a shell command."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture(scope="module")
def zinc_file(shared_data, moleculenet_root) -> str:
    return os.path.join(shared_data, "zinc", "moses", "test.csv.gz")


@pytest.fixture(scope="module")
def trained(zinc_file, tmp_path_factory) -> str:
    """A finished 1-epoch attribute-masking run: enc.pth, enc.json, enc.pth.state.pt."""
    out = tmp_path_factory.mktemp("trained") / "enc"
    chem.pretrain_attrmasking.main(["--smiles-file", zinc_file, "--max-molecules", "60", "--epochs", "1",
                                    "--output_model_file", str(out), "--batch_size", "32", *TINY])
    return str(out) + ".pth"


def copy_run(trained: str, folder) -> str:
    for suffix in ("", ".state.pt"):
        shutil.copy(trained + suffix, os.path.join(folder, os.path.basename(trained) + suffix))
    shutil.copy(os.path.splitext(trained)[0] + ".json", os.path.join(folder, "enc.json"))
    return os.path.join(folder, os.path.basename(trained))


def finetune_argv(model_file: str, moleculenet_root: str, tmp_path, *extra) -> list:
    return ["--dataset", "bbbp", "--data-root", moleculenet_root, "--input_model_file", model_file, "--epochs", "1",
            "--output-dir", tmp_path / "ft", *TINY, *extra]


def write_csv(path, header: list[str], rows: list[list]) -> str:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return str(path)


# ---------------------------------------------------------------------------------------------- crashes
def test_01_truncated_gzip_smiles_file(shared_data, moleculenet_root, tmp_path, capsys):
    with open(os.path.join(shared_data, "zinc", "moses", "train.csv.gz"), "rb") as f:
        (tmp_path / "t.csv.gz").write_bytes(f.read(200_000))
    out = tmp_path / "model"
    code, _, err = cli(chem.pretrain_attrmasking.main, ["--smiles-file", tmp_path / "t.csv.gz", "--epochs", "1",
                                                        "--output_model_file", out, *TINY], capsys)
    refused(code, err, "t.csv.gz", "truncated")
    assert not os.path.exists(str(out) + ".pth")


@pytest.mark.parametrize("kind", ["truncated", "text"])
def test_02_damaged_checkpoint(kind, checkpoints, moleculenet_root, tmp_path, capsys):
    bad = tmp_path / "bad.pth"
    if kind == "truncated":
        with open(os.path.join(checkpoints, "chem", "gcn_contextpred.pth"), "rb") as f:
            bad.write_bytes(f.read(1000))
    else:
        bad.write_text("these are not the weights you are looking for\n")
    code, _, err = cli(chem.finetune.main, finetune_argv(bad, moleculenet_root, tmp_path), capsys)
    refused(code, err, str(bad), "damaged")
    assert not (tmp_path / "ft").exists()


def test_03_checkpoint_with_a_pickled_payload(moleculenet_root, tmp_path, capsys):
    marker = tmp_path / "payload-ran"
    bad = tmp_path / "payload.pth"
    torch.save({"x_embedding1.weight": torch.zeros(3, 16), "extra": Payload(str(marker))}, str(bad))
    code, _, err = cli(chem.finetune.main, finetune_argv(bad, moleculenet_root, tmp_path), capsys)
    refused(code, err, str(bad), "not a plain state_dict", "will not be loaded")
    assert "weights_only=False" not in err
    assert not marker.exists() and not (tmp_path / "ft").exists()


@pytest.mark.parametrize("epochs", ["0", "-3"])
def test_04_non_positive_epochs(epochs, zinc_file, moleculenet_root, tmp_path, capsys):
    code, _, err = cli(chem.finetune.main, finetune_argv("", moleculenet_root, tmp_path, "--epochs", epochs), capsys)
    refused(code, err, "--epochs", "at least 1")
    out = tmp_path / "model"
    code, _, err = cli(chem.pretrain_attrmasking.main, ["--smiles-file", zinc_file, "--epochs", epochs,
                                                        "--output_model_file", out, *TINY], capsys)
    refused(code, err, "--epochs", "at least 1")
    assert not (tmp_path / "ft").exists() and not os.path.exists(str(out) + ".pth")


def test_05_unknown_device(zinc_file, moleculenet_root, tmp_path, capsys):
    out = tmp_path / "model"
    code, _, err = cli(chem.pretrain_attrmasking.main, ["--smiles-file", zinc_file, "--max-molecules", "50",
                                                        "--output_model_file", out, *TINY, "--device", "tpu"], capsys)
    refused(code, err, "'tpu'", "--device")
    code, _, err = cli(chem.finetune.main, finetune_argv("", moleculenet_root, tmp_path, "--device", "tpu"), capsys)
    refused(code, err, "'tpu'")
    assert not os.path.exists(str(out) + ".pth") and not (tmp_path / "ft").exists()


def test_06_resume_from_a_truncated_state_file(trained, zinc_file, tmp_path, capsys):
    model = copy_run(trained, tmp_path)
    state = model + ".state.pt"
    with open(state, "r+b") as f:
        f.truncate(os.path.getsize(state) // 2)
    before = snapshot(tmp_path)
    code, _, err = cli(chem.pretrain_attrmasking.main, ["--smiles-file", zinc_file, "--max-molecules", "60",
                                                        "--epochs", "2", "--batch_size", "32", "--output_model_file",
                                                        model, "--resume", *TINY], capsys)
    refused(code, err, state, "damaged", "start over")
    assert snapshot(tmp_path) == before


def test_07_two_processes_featurise_into_one_empty_cache(zinc_file, tmp_path):
    cache = tmp_path / "cache"
    script = ("import sys; from chem.pretrain_data import smiles_file_dataset\n"
              "ds = smiles_file_dataset(sys.argv[1], max_rows=1500, label_columns=())\n"
              "b = ds.batch(); print(len(ds), int(b.x.sum()), int(b.edge_index.sum()), len(ds.smiles_list))\n")
    env = {**os.environ, "PRETRAIN_GNNS_CACHE": str(cache), "PYTHONPATH": REPO, "OMP_NUM_THREADS": "1"}
    procs = [subprocess.Popen([sys.executable, "-c", script, zinc_file], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [r[1][-2000:] for r in results]
    lines = [r[0].strip().splitlines()[-1] for r in results]
    assert lines[0] == lines[1] and lines[0].split()[0] == "1500"
    leftovers = [f for _, _, fs in os.walk(cache) for f in fs if f.endswith(".tmp")]
    assert leftovers == []


# ---------------------------------------------------------------------------------------------- silent
def test_08_supervised_without_any_label(zinc_file, shared_data, tmp_path, capsys):
    import pandas as pd
    smiles = pd.read_csv(zinc_file, nrows=40)["SMILES"].tolist()
    data = write_csv(tmp_path / "nolabels.csv", ["smiles", "a", "b"], [[s, "", ""] for s in smiles])
    out = tmp_path / "sup"
    code, _, err = cli(chem.pretrain_supervised.main, ["--smiles-file", data, "--epochs", "1",
                                                       "--output_model_file", out, *TINY], capsys)
    refused(code, err, "nolabels.csv", "missing", "nothing to learn")
    assert not os.path.exists(str(out) + ".pth")
    # one column without values: trained on the other, the empty one named
    rows = [[s, i % 2, ""] for i, s in enumerate(smiles)]
    data = write_csv(tmp_path / "halflabels.csv", ["smiles", "active", "never_measured"], rows)
    code, stdout, err = cli(chem.pretrain_supervised.main, ["--smiles-file", data, "--epochs", "1",
                                                            "--output_model_file", out, *TINY], capsys)
    assert code == 0, err
    assert "1 of 2 label columns have no values" in stdout and "never_measured" in stdout


@pytest.fixture
def bondless_file(tmp_path) -> str:
    """Real molecules without a single bond: ions and noble gases."""
    ions = ["[Na+]", "[Cl-]", "[K+]", "[Ca+2]", "[Mg+2]", "[Br-]", "[Li+]", "[I-]", "[Ar]", "[Ne]", "[F-]", "[Zn+2]"]
    return write_csv(tmp_path / "ions.csv", ["smiles"], [[s] for s in ions * 3])


def test_09_edgepred_on_molecules_without_bonds(bondless_file, trained, tmp_path, capsys):
    model = copy_run(trained, tmp_path)  # a good checkpoint already there: must survive
    before = snapshot(tmp_path)
    code, _, err = cli(chem.pretrain_edgepred.main, ["--smiles-file", bondless_file, "--epochs", "2",
                                                     "--output_model_file", model, *TINY], capsys)
    refused(code, err, "epoch 1", "not finite", "no model written")
    assert snapshot(tmp_path) == before


def test_09_contextpred_where_every_molecule_is_dropped(bondless_file, tmp_path, capsys):
    out = tmp_path / "cp"
    code, _, err = cli(chem.pretrain_contextpred.main, ["--smiles-file", bondless_file, "--epochs", "1",
                                                        "--output_model_file", out, *TINY], capsys)
    refused(code, err, "epoch 1", "had anything to learn", "no model written")
    assert not os.path.exists(str(out) + ".pth") and not os.path.exists(str(out) + ".pth.state.pt")


@pytest.mark.parametrize("change", [["--lr", "0.01"], ["--mask_rate", "0.3"], ["--max-molecules", "50"],
                                    ["--smiles-file", "OTHER"]])
def test_10_resume_with_different_flags_or_data(change, trained, zinc_file, shared_data, tmp_path, capsys):
    model = copy_run(trained, tmp_path)
    flags = {"--smiles-file": zinc_file, "--max-molecules": "60", "--epochs": "2", "--batch_size": "32"}
    key, value = change
    flags[key] = os.path.join(shared_data, "zinc", "moses", "train.csv.gz") if value == "OTHER" else value
    before = snapshot(tmp_path)
    code, _, err = cli(chem.pretrain_attrmasking.main, [*sum(([k, v] for k, v in flags.items()), []),
                                                        "--output_model_file", model, "--resume", *TINY], capsys)
    refused(code, err, "cannot resume")
    expected = {"--lr": "lr: saved 0.001, now 0.01", "--mask_rate": "mask_rate: saved 0.15, now 0.3",
                "--max-molecules": "data_hash", "--smiles-file": "data_hash"}[key]
    assert expected in err
    assert snapshot(tmp_path) == before


def test_11_architecture_recorded_and_checked(zinc_file, moleculenet_root, tmp_path, capsys):
    out = str(tmp_path / "encoder")  # a neutral name: nothing in it says GCN
    chem.pretrain_attrmasking.main(["--smiles-file", zinc_file, "--max-molecules", "40", "--epochs", "1",
                                    "--gnn_type", "gcn", "--output_model_file", out, *TINY])
    with open(tmp_path / "encoder.json") as f:
        assert json.load(f)["architecture"] == {"gnn_type": "gcn", "num_layer": 2, "emb_dim": 16, "JK": "last",
                                                "domain": "chem"}
    capsys.readouterr()
    code, _, err = cli(chem.finetune.main, finetune_argv(str(out) + ".pth", moleculenet_root, tmp_path,
                                                         "--gnn_type", "graphsage"), capsys)
    refused(code, err, "different architecture", "gnn_type: checkpoint 'gcn', now 'graphsage'")
    assert not (tmp_path / "ft").exists()
    # a bare state_dict (no JSON beside it) loads, with a note that nothing could be checked
    bare = tmp_path / "bare.pth"
    shutil.copy(str(out) + ".pth", bare)
    code, stdout, err = cli(chem.finetune.main, finetune_argv(bare, moleculenet_root, tmp_path, "--gnn_type", "gcn",
                                                              "--save-model", tmp_path / "tuned.pt"), capsys)
    assert code == 0, err
    assert "architecture could not be checked" in stdout
    with open(tmp_path / "tuned.json") as f:
        assert json.load(f)["architecture"]["gnn_type"] == "gcn"


def test_12_tasks_left_out_are_on_the_console(shared_data, moleculenet_root, tmp_path, capsys):
    import pandas as pd

    from chem.pretrain_data import smiles_file_dataset
    from chem.model import GNN_graphpred
    from pretrain_gnns.finetune_loop import run_finetune
    df = pd.read_csv(os.path.join(shared_data, "moleculenet", "bbbp", "raw", "BBBP.csv"), nrows=120)
    rows = [[s, int(y), 1] for s, y in zip(df["smiles"], df["p_np"])]  # task 'always' has one class only
    ds = smiles_file_dataset(write_csv(tmp_path / "two.csv", ["smiles", "p_np", "always"], rows), label_columns=None)
    torch.manual_seed(0)
    model = GNN_graphpred(2, 16, 2)
    loaders = {k: make_loader(ds[np.arange(i, len(ds), 3)], 32) for i, k in enumerate(["train", "valid", "test"])}
    lines = []
    run_finetune(model, torch.optim.Adam(model.parameters()), loaders, 1, torch.device("cpu"), None, {},
                 progress=False, log=lines.append)
    assert "valid 1 of 2 scored (1 left out); test 1 of 2 scored (1 left out)" in lines[-1]


# ---------------------------------------------------------------------------------------------- left running
def _children(pid: int) -> list[int]:
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            out += [int(c) for c in f.read().split()]
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and PR_SET_PDEATHSIG are Linux's")
def test_13_featurisation_workers_die_with_their_parent(shared_data):
    script = ("import gzip, itertools, sys; from chem.loader import featurise_parallel\n"
              "smiles = [l.strip() for l in itertools.islice(gzip.open(sys.argv[1], 'rt'), 1, 40001)]\n"
              "featurise_parallel(smiles, False, workers=2)\n")
    env = {**os.environ, "PYTHONPATH": REPO, "OMP_NUM_THREADS": "1"}
    parent = subprocess.Popen([sys.executable, "-c", script, os.path.join(shared_data, "zinc", "moses", "train.csv.gz")],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        workers = []
        while time.time() < deadline and len(workers) < 2 and parent.poll() is None:
            time.sleep(0.2)
            workers = _children(parent.pid)
        assert len(workers) >= 2, "the workers never started"
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.time() + 10
        while time.time() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.1)
        assert not any(_alive(w) for w in workers), "workers outlived their parent"
    finally:
        if parent.poll() is None:
            parent.kill()


# ---------------------------------------------------------------------------------------------- from the code
def test_14_mayr_pickles_with_a_payload_are_refused(moleculenet_root, tmp_path, capsys):
    from chem.chembl import MAYR_FILES
    marker = tmp_path / "payload-ran"
    folder = tmp_path / "mayr"
    folder.mkdir()
    for name in MAYR_FILES:
        with open(folder / name, "wb") as f:
            pickle.dump([np.arange(3), Payload(str(marker))], f)
    out = tmp_path / "sup"
    code, _, err = cli(chem.pretrain_supervised.main, ["--dataset", "chembl_filtered", "--chembl-dir", folder,
                                                       "--data-root", moleculenet_root, "--epochs", "1",
                                                       "--output_model_file", out, *TINY], capsys)
    refused(code, err, "folds0.pckl", "refusing posix.system")
    assert not marker.exists() and not os.path.exists(str(out) + ".pth")


def test_14_legacy_pyg_file_with_a_payload_is_refused(tmp_path):
    from bio.legacy import load_pyg1_collated
    from pretrain_gnns.legacy_pickle import RefusedPickleError
    marker = tmp_path / "payload-ran"
    path = tmp_path / "geometric_data_processed.pt"
    torch.save(({"x": torch.zeros(2)}, {"x": Payload(str(marker))}), str(path), _use_new_zipfile_serialization=False)
    with pytest.raises(RefusedPickleError, match="refusing posix.system"):
        load_pyg1_collated(str(path))
    assert not marker.exists()


class _Batch:
    def __init__(self, i: int) -> None:
        self.i, self.num_graphs = i, 10

    def to(self, *_a, **_k):
        return self


class _Reporter(torch.nn.Module):
    """Batch i: loss i + 1 with metric 'even' on even i only; every third batch has nothing to learn."""

    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(()))

    def forward(self, batch):
        if batch.i % 3 == 2:
            return torch.zeros((), requires_grad=True), {"dropped": 1.0}
        metrics = {"dropped": 0.0, **({"even": float(batch.i)} if batch.i % 2 == 0 else {})}
        return self.w * (batch.i + 1), metrics


def test_15_metrics_are_averaged_over_the_batches_that_reported_them():
    model = _Reporter()
    loader = [_Batch(i) for i in range(6)]  # learnt: 0, 1, 3, 4; 'even' reported by 0 and 4
    record = train_epoch(model, loader, torch.optim.SGD(model.parameters(), lr=0.0), torch.device("cpu"), "fp32",
                         DistInfo(), progress=False)
    assert record["loss"] == pytest.approx((1 + 2 + 4 + 5) / 4)
    assert record["even"] == pytest.approx((0 + 4) / 2)
    assert record["dropped"] == pytest.approx(2 / 6)
    assert record["steps"] == 6 and record["steps_learnt"] == 4 and record["molecules"] == 60


@pytest.mark.parametrize("content", ["empty", "checkpoint", "latin-1"])
def test_16_empty_and_binary_files_are_named(content, checkpoints, tmp_path, capsys):
    bad = tmp_path / "molecules.csv"
    if content == "checkpoint":  # a model file passed where molecules were meant
        shutil.copy(os.path.join(checkpoints, "chem", "gcn_contextpred.pth"), bad)
    else:
        bad.write_bytes(b"" if content == "empty" else "smiles,name\nCCO,\xe9thanol\n".encode("latin-1"))
    out = tmp_path / "model"
    code, _, err = cli(chem.pretrain_attrmasking.main, ["--smiles-file", bad, "--epochs", "1",
                                                        "--output_model_file", out, *TINY], capsys)
    refused(code, err, str(bad), "empty" if content == "empty" else "not a text file")
    assert not os.path.exists(str(out) + ".pth")


@pytest.mark.parametrize("main", [chem.finetune.main, chem.pretrain_supervised.main, chem.pretrain_contextpred.main,
                                  bio.finetune.main, bio.pretrain_masking.main])
def test_16_help_shows_each_default_once(main, capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: )" not in text and "(default: None)" not in text
    assert not re.search(r"\(default:[^()]*(\([^()]*\)[^()]*)*\) \(default:", text)
    assert "(default: 100)" in text or "(default: 10)" in text or "(default: 50)" in text
