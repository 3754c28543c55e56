"""Reliability 3 (issue 25): the newer commands under bad input and faults, and no option that silently
makes a run slower. Each case ends with exit code 2 and one line naming the file or flag (no
traceback), before the work, writing nothing and overwriting nothing; or is the documented behaviour.
Read-only folders and full disks are injected (root ignores chmod; a tmpfs needs a mount), so the
tests are deterministic on any machine."""
from __future__ import annotations

import builtins
import csv
import errno
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

import chem.demo
import chem.embed
import chem.finetune
import chem.predict
import chem.pretrain_attrmasking
import pretrain_gnns.zoo as zoo
from test_bad_inputs import TINY, _alive, cli
from test_bad_inputs import refused as refused_once

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHIPPED = os.path.join(REPO, "models", "chem", "gin_attrmasking.pth")  # a pre-trained encoder, no task head
AVX2 = "fpu sse sse2 avx avx2 fma"  # the reporter's CPU: no AVX-512, no native bf16
AMX = AVX2 + " avx512f avx512_bf16 amx_tile amx_bf16"


def refused(code: int, err: str, *words: str) -> None:
    """Refused as test_bad_inputs.refused asks (exit 2, no traceback, the words), in at most one error line."""
    refused_once(code, err, *words)
    assert len([line for line in err.splitlines() if line.startswith("error:")]) <= 1, err


def snapshot(folder) -> dict:
    """{relative path: file bytes} of every file under ``folder``."""
    out = {}
    for root, _, files in os.walk(folder):
        for f in files:
            p = os.path.join(root, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, folder)] = fh.read()
    return out


@pytest.fixture
def read_only(monkeypatch):
    """``read_only(folder)``: creating or writing a file or folder under ``folder`` fails with EROFS, as
    on a read-only mount (chmod does not stop root, and mounting needs root)."""
    folders: list[str] = []
    real_os_open, real_mkdir, real_open = os.open, os.mkdir, builtins.open

    def inside(path) -> bool:
        p = os.path.abspath(os.fsdecode(path)) if isinstance(path, (str, bytes, os.PathLike)) else ""
        return any(p == f or p.startswith(f + os.sep) for f in folders)

    def fake_os_open(path, flags, *a, **k):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and inside(path):
            raise OSError(errno.EROFS, "Read-only file system", os.fsdecode(path))
        return real_os_open(path, flags, *a, **k)

    def fake_mkdir(path, *a, **k):
        if inside(path):
            raise OSError(errno.EROFS, "Read-only file system", os.fsdecode(path))
        return real_mkdir(path, *a, **k)

    def fake_open(file, mode="r", *a, **k):
        if any(c in mode for c in "wax+") and inside(file):
            raise OSError(errno.EROFS, "Read-only file system", os.fsdecode(file))
        return real_open(file, mode, *a, **k)

    monkeypatch.setattr(os, "open", fake_os_open)
    monkeypatch.setattr(os, "mkdir", fake_mkdir)
    monkeypatch.setattr(builtins, "open", fake_open)
    return lambda folder: folders.append(os.path.abspath(str(folder)))


@pytest.fixture(scope="module")
def small_root(tmp_path_factory) -> str:
    """A data root with bbbp/raw/BBBP.csv cut to its first 150 molecules (seconds per epoch)."""
    root = tmp_path_factory.mktemp("root")
    src = os.path.join(os.environ.get("PRETRAIN_GNNS_SHARED") or os.path.join(os.path.dirname(REPO), "shared", "data"),
                       "moleculenet", "bbbp", "raw", "BBBP.csv")
    (root / "bbbp" / "raw").mkdir(parents=True)
    with open(src) as f:
        lines = f.readlines()[:151]
    (root / "bbbp" / "raw" / "BBBP.csv").write_text("".join(lines))
    return str(root)


def ft_argv(root: str, out, *extra) -> list:
    return ["--dataset", "bbbp", "--data-root", root, "--epochs", "1", "--output-dir", out, "--filename", "run",
            *TINY, *extra]


# ---------------------------------------------------------------------------------------------- precision
def test_precision_by_capability_both_branches(monkeypatch):
    """The capability is injectable: bf16 is refused without native support and auto picks fp32 there;
    with AVX512-BF16/AMX bf16 runs and auto picks it; fp32 is never changed."""
    monkeypatch.delenv("PRETRAIN_GNNS_FORCE_BF16", raising=False)
    from pretrain_gnns.runtime import native_bf16, resolve_precision
    avx2, amx = frozenset(AVX2.split()), frozenset(AMX.split())
    assert not native_bf16("cpu", avx2) and native_bf16("cpu", amx)
    assert resolve_precision("auto", "cpu", avx2) == "fp32"
    assert resolve_precision("auto", "cpu", amx) == "bf16"
    assert resolve_precision("bf16", "cpu", amx) == "bf16"
    assert resolve_precision("fp32", "cpu", avx2) == resolve_precision("fp32", "cpu", amx) == "fp32"
    with pytest.raises(ValueError, match="--precision bf16: .*no native bf16.*use --precision fp32"):
        resolve_precision("bf16", "cpu", avx2)


def test_bf16_refused_on_a_cpu_without_it_and_auto_runs_fp32(small_root, tmp_path, monkeypatch, capsys):
    """The reporter's case: fine-tuning in bf16 on an AVX2 CPU ran 11.7x slower without a word."""
    monkeypatch.setenv("PRETRAIN_GNNS_CPU_FLAGS", AVX2)
    monkeypatch.delenv("PRETRAIN_GNNS_FORCE_BF16", raising=False)
    code, _, err = cli(chem.finetune.main, ft_argv(small_root, tmp_path, "--precision", "bf16"), capsys)
    refused(code, err, "--precision bf16", "no native bf16", "fp32")
    assert not os.path.exists(tmp_path / "run.csv.partial") and not os.path.exists(tmp_path / "run.json")
    code, _, err = cli(chem.finetune.main, ft_argv(small_root, tmp_path, "--precision", "auto"), capsys)
    assert code == 0, err
    result = json.loads((tmp_path / "run.json").read_text())
    assert result["config"]["precision"] == "fp32"
    assert result["hardware"]["native_bf16"] is False and "cpu_capability" in result["hardware"]


def test_auto_picks_bf16_where_native(small_root, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PRETRAIN_GNNS_CPU_FLAGS", AMX)
    code, _, err = cli(chem.finetune.main, ft_argv(small_root, tmp_path, "--precision", "auto"), capsys)
    assert code == 0, err
    result = json.loads((tmp_path / "run.json").read_text())
    assert result["config"]["precision"] == "bf16" and result["hardware"]["native_bf16"] is True


def test_hardware_is_recorded_in_reports_and_cards(tmp_path):
    from pretrain_gnns.runtime import hardware_record
    rec = hardware_record("cpu")
    assert {"cpu", "cpu_capability", "cpu_flags", "native_bf16"} <= set(rec)


# ---------------------------------------------------------------------------------------------- the runner
@pytest.mark.parametrize("err, words", [
    (PermissionError(errno.EACCES, "Permission denied", "/x/out.csv"), ["Permission denied", "/x/out.csv"]),
    (IsADirectoryError(errno.EISDIR, "Is a directory", "/x/out"), ["Is a directory", "/x/out"]),
    (OSError(errno.ENOSPC, "No space left on device"), ["No space left", "disk is full"]),
    (EOFError("Compressed file ended before the end-of-stream marker was reached"), ["truncated"]),
])
def test_runner_turns_every_os_error_into_one_line(err, words, capsys):
    def main(_argv):
        raise err
    code, _, text = cli(main, [], capsys)
    refused(code, text, *words)


def test_full_disk_while_writing_names_the_file_and_keeps_the_old_one(tmp_path, capsys):
    from pretrain_gnns.files import atomic_write
    target = tmp_path / "report.json"
    target.write_text("earlier")

    def main(_argv):
        with atomic_write(str(target)) as f:
            f.write("half")
            raise OSError(errno.ENOSPC, "No space left on device")
    code, _, err = cli(main, [], capsys)
    refused(code, err, "No space left", str(target))
    assert target.read_text() == "earlier" and os.listdir(tmp_path) == ["report.json"]


# ---------------------------------------------------------------------------------------------- embed
@pytest.fixture(scope="module")
def nci() -> str:
    from rdkit import RDConfig
    return os.path.join(RDConfig.RDDataDir, "NCI", "first_5K.smi")


def embed_argv(smiles_file, out, *extra) -> list:
    return ["--model", SHIPPED, "--smiles-file", smiles_file, "--out", out, "--quiet", "--workers", "0", *extra]


def test_embed_out_is_a_directory(nci, tmp_path, capsys):
    (tmp_path / "e.npy").mkdir()
    code, _, err = cli(chem.embed.main, embed_argv(nci, tmp_path / "e.npy"), capsys)
    refused(code, err, "--out", "e.npy", "directory")


def test_embed_out_in_a_read_only_folder(nci, tmp_path, read_only, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    read_only(ro)
    code, _, err = cli(chem.embed.main, embed_argv(nci, ro / "e.npy"), capsys)
    refused(code, err, "--out", "read-only", str(ro))


def test_embed_truncated_gzip(nci, tmp_path, capsys):
    with open(nci, "rb") as f:
        data = gzip.compress(f.read())
    (tmp_path / "m.smi.gz").write_bytes(data[: len(data) // 2])
    code, _, err = cli(chem.embed.main, embed_argv(tmp_path / "m.smi.gz", tmp_path / "e.npy"), capsys)
    refused(code, err, "m.smi.gz", "truncated")
    assert not [f for f in os.listdir(tmp_path) if f != "m.smi.gz"]  # nothing half-written


@pytest.mark.parametrize("name, content", [("h.csv", "smiles,id\n"), ("z.smi", ""), ("z.csv", ""), ("b.smi", "\n\n")])
def test_embed_input_without_molecules(name, content, tmp_path, capsys):
    """A header-only file once failed with "cannot reshape array of size 0"; a 0-byte .smi gave 0 rows,
    exit 0, while a 0-byte .csv was refused: now every format is refused alike."""
    (tmp_path / name).write_text(content)
    code, _, err = cli(chem.embed.main, embed_argv(tmp_path / name, tmp_path / "e.npy"), capsys)
    refused(code, err, name)
    assert "empty" in err or "no molecules" in err
    assert not os.path.exists(tmp_path / "e.npy")


def test_embed_graph_level_run_replaces_an_earlier_per_atom_run(tmp_path, capsys):
    (tmp_path / "m.smi").write_text("CCO\nc1ccccc1\n")
    out = tmp_path / "e.npy"
    assert cli(chem.embed.main, embed_argv(tmp_path / "m.smi", out, "--per-atom"), capsys)[0] == 0
    assert os.path.exists(tmp_path / "e.atoms.npy")
    assert cli(chem.embed.main, embed_argv(tmp_path / "m.smi", out), capsys)[0] == 0
    assert not os.path.exists(tmp_path / "e.atoms.npy")  # it described the per-atom rows, not these
    assert np.load(out).shape == (2, 300)


# ---------------------------------------------------------------------------------------------- predict
def test_predict_with_a_pretrained_encoder(tmp_path, capsys):
    (tmp_path / "m.smi").write_text("CCO\n")
    code, _, err = cli(chem.predict.main, ["--model", SHIPPED, "--smiles-file", tmp_path / "m.smi",
                                           "--out", tmp_path / "p.csv"], capsys)
    refused(code, err, "gin_attrmasking.pth", "task head", "chem.embed")


# ---------------------------------------------------------------------------------------------- finetune
def test_finetune_save_model_in_a_read_only_folder(small_root, tmp_path, read_only, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    read_only(ro)
    code, _, err = cli(chem.finetune.main, ft_argv(small_root, tmp_path / "ft", "--save-model", ro / "m.pth"), capsys)
    refused(code, err, "--save-model", "read-only")
    assert not os.path.exists(tmp_path / "ft" / "run.json")  # refused before training


def test_finetune_output_dir_is_a_file(small_root, tmp_path, capsys):
    (tmp_path / "ft").write_text("a file")
    code, _, err = cli(chem.finetune.main, ft_argv(small_root, tmp_path / "ft"), capsys)
    refused(code, err, "--output-dir", "not a folder")


def test_finetune_dataset_without_labels(tmp_path, capsys):
    """--dataset csv, which the unknown-dataset message suggests, failed with KeyError: 'y'."""
    (tmp_path / "root" / "csv" / "raw").mkdir(parents=True)
    (tmp_path / "root" / "csv" / "raw" / "m.csv").write_text("smiles\nCCO\nc1ccccc1\nCCN\n")
    code, _, err = cli(chem.finetune.main, ["--dataset", "csv", "--data-root", tmp_path / "root", "--epochs", "1",
                                            "--output-dir", tmp_path / "ft", *TINY], capsys)
    refused(code, err, "--dataset csv", "no label")


def test_continuous_values_in_a_classification_label_column(small_root, tmp_path, capsys):
    """They were cut at 0 and the run reported test ROC-AUC 0.0000 with exit 0."""
    root = tmp_path / "root"
    shutil.copytree(small_root, root, ignore=shutil.ignore_patterns("processed"))
    path = root / "bbbp" / "raw" / "BBBP.csv"
    rows = list(csv.reader(open(path)))
    for i, row in enumerate(rows[1:]):
        row[2] = f"{(i % 7) * 0.37 - 1:.2f}"
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows(rows)
    code, _, err = cli(chem.finetune.main, ft_argv(str(root), tmp_path / "ft"), capsys)
    refused(code, err, "BBBP.csv", "p_np", "classification")
    assert not os.path.exists(tmp_path / "ft" / "run.json")


def test_two_runs_on_one_output_name(small_root, tmp_path, capsys):
    """The second run is refused while the first holds the name (the CSV interleaved both before)."""
    from pretrain_gnns.files import output_lock
    with output_lock(str(tmp_path / "run")):
        code, _, err = cli(chem.finetune.main, ft_argv(small_root, tmp_path), capsys)
    refused(code, err, "another run", "run")
    assert not os.path.exists(tmp_path / "run.csv") and not os.path.exists(tmp_path / "run.csv.partial")
    code, _, err = cli(chem.finetune.main, ft_argv(small_root, tmp_path), capsys)  # the lock is gone with its holder
    assert code == 0, err
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".lock")]


@pytest.mark.parametrize("ratio", ["-0.5", "1", "50"])
def test_dropout_ratio_out_of_range(ratio, small_root, tmp_path, capsys):
    code, _, err = cli(chem.finetune.main, ft_argv(small_root, tmp_path, "--dropout_ratio", ratio), capsys)
    refused(code, err, "--dropout_ratio")


def test_a_refused_or_failed_run_keeps_the_earlier_csv(small_root, tmp_path, monkeypatch, capsys):
    assert cli(chem.finetune.main, ft_argv(small_root, tmp_path), capsys)[0] == 0
    before = snapshot(tmp_path)
    code, _, err = cli(chem.finetune.main, ft_argv(small_root, tmp_path, "--dropout_ratio", "50"), capsys)
    assert code == 2
    assert snapshot(tmp_path) == before  # refused at start: nothing truncated

    import pretrain_gnns.finetune_loop as loop

    def fails(*_a, **_k):
        raise ValueError("stopped in epoch 1")
    monkeypatch.setattr(loop, "train_epoch", fails)
    code, _, err = cli(chem.finetune.main, ft_argv(small_root, tmp_path), capsys)
    refused(code, err, "stopped in epoch 1")
    after = {k: v for k, v in snapshot(tmp_path).items() if not k.endswith(".partial")}
    assert after == before  # the earlier CSV and JSON, as they were


# ---------------------------------------------------------------------------------------------- pretrain
@pytest.fixture(scope="module")
def zinc_file() -> str:
    shared = os.environ.get("PRETRAIN_GNNS_SHARED") or os.path.join(os.path.dirname(REPO), "shared", "data")
    return os.path.join(shared, "zinc", "moses", "test.csv.gz")


def pretrain_argv(zinc_file, out) -> list:
    return ["--smiles-file", zinc_file, "--max-molecules", "60", "--epochs", "1", "--batch_size", "32",
            "--output_model_file", out, *TINY]


def test_pretrain_output_folder_read_only(zinc_file, tmp_path, read_only, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    read_only(ro)
    code, out, err = cli(chem.pretrain_attrmasking.main, pretrain_argv(zinc_file, ro / "enc"), capsys)
    refused(code, err, "--output_model_file", "read-only")
    assert "epoch" not in out  # refused before the first epoch, not after it


def test_pretrain_full_disk(zinc_file, tmp_path, monkeypatch, capsys):
    """torch's zip writer said "RuntimeError: [enforce fail at inline_container.cc:672]" after an epoch."""
    import pretrain_gnns.checkpoint as checkpoint
    real_save = torch.save

    def full(obj, f, *a, **k):
        f.write(b"PK\x03\x04 partial")
        raise RuntimeError("[enforce fail at inline_container.cc:672] . PytorchStreamWriter failed writing file "
                           "data/0: file write failed")
    monkeypatch.setattr(checkpoint.torch, "save", full)
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: shutil._ntuple_diskusage(2 << 20, 2 << 20, 0))
    code, _, err = cli(chem.pretrain_attrmasking.main, pretrain_argv(zinc_file, tmp_path / "enc"), capsys)
    monkeypatch.setattr(checkpoint.torch, "save", real_save)
    refused(code, err, "No space left", "enc.pth")
    assert os.listdir(tmp_path) == []  # nothing half-written, no temporary file left


# ---------------------------------------------------------------------------------------------- demo, zoo
def test_demo_seed_named_twice(capsys):
    code, _, err = cli(chem.demo.main, ["--seeds", "0,0"], capsys)
    refused(code, err, "--seeds", "twice")


@pytest.mark.parametrize("flag", ["--threads", "--jobs", "--pretrain-epochs"])
def test_demo_counts_below_one(flag, capsys):
    """--threads 0 failed inside each worker with a RuntimeError traceback."""
    code, _, err = cli(chem.demo.main, [flag, "0"], capsys)
    refused(code, err, flag)


def test_demo_table_keeps_its_columns_with_long_names(capsys):
    s = {"best_val_mean": 0.857, "best_val_std": 0.003, "last_mean": 0.861, "last_std": 0.002}
    chem.demo.print_table({"no pre-training": s, "pre-trained (gin_supervised_attrmasking_long_name)": s}, 3, 20)
    rows = capsys.readouterr().out.splitlines()[-2:]
    assert len({row.index("±") for row in rows}) == 1 and len({len(row) for row in rows}) == 1


def test_zoo_register_text_file_named_pth(tmp_path, capsys):
    folder = tmp_path / "models" / "chem"
    folder.mkdir(parents=True)
    (folder / "x.pth").write_text("not a model\n")
    (folder / "x.json").write_text("{}")
    code, _, err = cli(zoo.main, ["register", folder / "x.pth"], capsys)
    refused(code, err, "x.pth")
    assert json.loads((folder / "x.json").read_text()) == {}


def test_zoo_register_outside_a_models_folder(tmp_path, capsys):
    from chem.model import GNN
    torch.save(GNN(2, 16).state_dict(), tmp_path / "x.pth")
    (tmp_path / "x.json").write_text("{}")
    code, _, err = cli(zoo.main, ["register", tmp_path / "x.pth"], capsys)
    refused(code, err, "x.pth", "models/")
    assert json.loads((tmp_path / "x.json").read_text()) == {}


def test_zoo_list_missing_model_dir(tmp_path, capsys):
    code, _, err = cli(zoo.main, ["list", "--model-dir", tmp_path / "nope"], capsys)
    refused(code, err, "--model-dir", "nope", "no such folder")


# ---------------------------------------------------------------------------------------------- left running
def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    kids = [int(c) for c in f.read().split()]
                out += kids
                todo += kids
        except FileNotFoundError:
            pass
    return out




def _kill9_leaves_nothing(argv: list[str], min_children: int, timeout: float = 120) -> None:
    env = {**os.environ, "PYTHONPATH": REPO, "OMP_NUM_THREADS": "1"}
    parent = subprocess.Popen([sys.executable, *argv], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              cwd=REPO)
    kids: list[int] = []
    try:
        deadline = time.time() + timeout
        while time.time() < deadline and len(kids) < min_children and parent.poll() is None:
            time.sleep(0.2)
            kids = _descendants(parent.pid)
        assert len(kids) >= min_children, "the workers never started"
        time.sleep(0.5)
        kids = _descendants(parent.pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        # EOF only once no process holds the pipe: a leftover worker would block a caller reading it
        import threading
        reader = threading.Thread(target=parent.stdout.read, daemon=True)
        reader.start()
        reader.join(15)
        assert not reader.is_alive(), "the command's stdout stays open after kill -9: a worker holds it"
        deadline = time.time() + 10
        while time.time() < deadline and any(_alive(k) for k in kids):
            time.sleep(0.1)
        assert not any(_alive(k) for k in kids), "a process outlived the command that started it"
    finally:
        if parent.poll() is None:
            parent.kill()
        for k in set(kids) | set(_descendants(parent.pid)):  # what a failing run left behind
            if _alive(k):
                os.kill(k, signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and PR_SET_PDEATHSIG are Linux's")
def test_kill9_of_embed_leaves_no_worker(nci, tmp_path):
    big = tmp_path / "m.smi"
    with open(nci) as f:
        text = f.read()
    big.write_text(text * 6)  # ~30,000 molecules: the featurising worker is busy when the parent dies
    _kill9_leaves_nothing(["-m", "chem.embed", "--model", SHIPPED, "--smiles-file", str(big), "--out",
                           str(tmp_path / "e.npy"), "--quiet", "--workers", "1"], 1)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and PR_SET_PDEATHSIG are Linux's")
def test_kill9_of_the_demo_leaves_no_fine_tuning_run(tmp_path):
    _kill9_leaves_nothing(["-m", "chem.demo", "--finetune-epochs", "100", "--seeds", "0", "--jobs", "2",
                           "--output-dir", str(tmp_path / "demo")], 2, timeout=240)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and PR_SET_PDEATHSIG are Linux's")
def test_sigterm_of_embed_leaves_nothing_half_written(nci, tmp_path):
    """SIGTERM used to end the process mid-write, leaving its hidden temporary folder beside --out."""
    big = tmp_path / "in" / "m.smi"
    big.parent.mkdir()
    with open(nci) as f:
        big.write_text(f.read() * 12)  # ~60,000 molecules: still embedding when the signal comes
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    env = {**os.environ, "PYTHONPATH": REPO, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "chem.embed", "--model", SHIPPED, "--smiles-file", str(big),
                             "--out", str(out_dir / "e.npy"), "--quiet", "--workers", "1"], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        def writing() -> bool:
            return any(f.startswith(".embed_") for f in os.listdir(out_dir))
        while time.time() < deadline and not writing() and proc.poll() is None:
            time.sleep(0.1)
        assert writing(), "the run never started writing"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 128 + signal.SIGTERM
        assert os.listdir(out_dir) == []  # no temporary folder, no lock, no half of e.npy
    finally:
        if proc.poll() is None:
            proc.kill()


def test_download_into_a_data_root_that_is_a_file(tmp_path, capsys):
    import chem.download
    (tmp_path / "root").write_text("a file")
    code, _, err = cli(chem.download.main, ["bbbp", "--data-root", tmp_path / "root", "--quiet"], capsys)
    refused(code, err, "Not a directory", "root")


def test_two_pretraining_runs_on_one_output_name(zinc_file, tmp_path, capsys):
    from pretrain_gnns.files import output_lock
    with output_lock(str(tmp_path / "enc.pth")):
        code, out, err = cli(chem.pretrain_attrmasking.main, pretrain_argv(zinc_file, tmp_path / "enc"), capsys)
    refused(code, err, "--output_model_file", "another run")
    assert "epoch" not in out and not os.path.exists(tmp_path / "enc.pth")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals as on Linux")
def test_sigterm_of_pretraining_then_resume_is_bit_exact(zinc_file, tmp_path):
    """SIGTERM now unwinds (exit 143, no temporary file left); --resume then gives the uninterrupted run's
    encoder bit for bit."""
    argv = ["--smiles-file", zinc_file, "--max-molecules", "1500", "--epochs", "3", "--batch_size", "32",
            "--seed", "0", *TINY]
    env = {**os.environ, "PYTHONPATH": REPO, "OMP_NUM_THREADS": "1"}  # both runs alike: one thread
    script = [sys.executable, os.path.join(REPO, "chem", "pretrain_attrmasking.py"), *argv]
    ref = tmp_path / "ref"
    assert subprocess.run(script + ["--output_model_file", str(ref)], env=env, cwd=REPO,
                          stdout=subprocess.DEVNULL).returncode == 0
    (tmp_path / "run").mkdir()
    out = tmp_path / "run" / "enc"
    cmd = script + ["--output_model_file", str(out)]
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 180
        while time.time() < deadline and not os.path.exists(str(out) + ".pth.state.pt") and proc.poll() is None:
            time.sleep(0.05)
        assert proc.poll() is None, "finished before the signal: make the run longer"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 128 + signal.SIGTERM
    finally:
        if proc.poll() is None:
            proc.kill()
    assert sorted(os.listdir(tmp_path / "run")) == ["enc.pth.state.pt"]  # no model, no temporary file, no lock
    assert subprocess.run(cmd + ["--resume"], env=env, cwd=REPO, stdout=subprocess.DEVNULL).returncode == 0
    a, b = torch.load(str(ref) + ".pth"), torch.load(str(out) + ".pth")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_probe_out_checked_before_the_probes(tmp_path, capsys):
    import chem.probe
    (tmp_path / "p.csv").mkdir()
    code, out, err = cli(chem.probe.main, ["--model", "random", "--dataset", "bace", "--out", tmp_path / "p.csv"], capsys)
    refused(code, err, "--out", "p.csv", "directory")
    assert "ROC-AUC" not in out
