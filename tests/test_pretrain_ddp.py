"""Scale-out: two CPU processes under torchrun (gloo, DistributedSampler) train a few steps and end
with identical weights; only rank 0 writes the output files."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import torch

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_ddp_worker.py")
REPO = os.path.dirname(os.path.dirname(WORKER))


def test_two_process_ddp_ranks_end_identical(shared_data, moleculenet_root, tmp_path):
    zinc = os.path.join(shared_data, "zinc", "moses", "test.csv.gz")
    out = tmp_path / "model"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", WORKER,
           str(tmp_path), "--smiles-file", zinc, "--max-molecules", "200", "--epochs", "2", "--batch_size", "25",
           "--emb_dim", "16", "--num_layer", "2", "--mask_edge", "1", "--device", "cpu", "--quiet",
           "--output_model_file", str(out)]
    # the worker runs as a script: put this checkout first, before any installed copy of the project
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rank0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    rank1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert rank0.keys() == rank1.keys()
    for name in rank0:
        assert torch.equal(rank0[name], rank1[name]), name
    # The weights moved, and both ranks' batches counted: 200 molecules an epoch in all (100 each).
    start = torch.load(str(out) + ".pth.state.pt", weights_only=True)
    assert start["epoch"] == 2 and start["config"]["world_size"] == 2
    with open(tmp_path / "rank0.json") as f:
        history = json.load(f)["history"]
    assert [h["molecules"] for h in history] == [200, 200] and [h["steps"] for h in history] == [8, 8]
    # Rank 0 alone wrote the encoder and the report.
    saved = torch.load(str(out) + ".pth", map_location="cpu", weights_only=True)
    assert torch.equal(saved["x_embedding1.weight"], rank0["gnn.x_embedding1.weight"])
    assert sorted(os.listdir(tmp_path)).count("model.json") == 1
