"""Checkpoint I/O: state_dicts in the original's parameter names, loaded as data (weights_only=True),
saved atomically; training state (model, optimiser, RNG, epoch) for --resume. The JSON beside a
checkpoint is pretrain_gnns/card.py's."""
from __future__ import annotations

import os
import re
import pickle
import random

import numpy as np
import torch

from pretrain_gnns.domain import domain_of_module
from pretrain_gnns.files import atomic_write


class CheckpointMismatchError(RuntimeError):
    """A checkpoint whose keys or shapes do not fit the model; the message lists every difference."""


class CheckpointReadError(ValueError):
    """A checkpoint or training-state file that cannot be read as plain data: damaged, not a torch
    file at all, or holding pickled objects that weights_only loading refuses to build."""


def load_data_file(path: str, what: str = "checkpoint", start_over: str = "") -> object:
    """``torch.load(path, weights_only=True)``; a file that is damaged or holds anything but tensors
    and plain containers ends in one CheckpointReadError naming the file (``start_over``: what to do)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"{what} not found: {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        # torch's own text advises weights_only=False, i.e. running the file's code: not repeated here.
        named = re.search(r"GLOBAL ([\w.]+)", str(err))
        if named or "global" in str(err).lower():
            what_it_names = f" ({named.group(1)})" if named else ""
            raise CheckpointReadError(
                f"{path} is not a plain state_dict: it holds pickled Python objects{what_it_names}, which could run "
                f"code, and will not be loaded; use a {what} written by torch.save(model.state_dict(), ...)"
                + (f". {start_over}" if start_over else "")) from None
        raise CheckpointReadError(_damaged(path, what, start_over, err)) from None
    except Exception as err:  # whatever a damaged archive or pickle stream makes torch raise
        raise CheckpointReadError(_damaged(path, what, start_over, err)) from None


def _damaged(path: str, what: str, start_over: str, err: Exception | None = None) -> str:
    size = os.path.getsize(path)
    why = f" ({type(err).__name__})" if err is not None else ""
    return (f"{path} is not a readable {what}: the file is damaged, truncated or not a torch file "
            f"({size} bytes){why}" + (f". {start_over}" if start_over else ""))


def load_state_dict_file(path: str) -> dict:
    """A state_dict from disk, without running any code. Handles the original's legacy CUDA files."""
    obj = load_data_file(path, "checkpoint")
    if isinstance(obj, dict) and "model" in obj and isinstance(obj["model"], dict):
        obj = obj["model"]  # a training-state file of ours
    if not isinstance(obj, dict):
        raise CheckpointMismatchError(f"{path} holds a {type(obj).__name__}, not a state_dict")
    return obj


def describe_mismatch(model: torch.nn.Module, state: dict) -> list[str]:
    own = model.state_dict()
    # shape mismatches first: they say most about which architecture the file was saved from
    problems = [f"shape mismatch: {k}: checkpoint {tuple(state[k].shape)} vs model {tuple(v.shape)}"
                for k, v in own.items() if k in state and tuple(state[k].shape) != tuple(v.shape)]
    problems += [f"missing from checkpoint: {k} {tuple(v.shape)}" for k, v in own.items() if k not in state]
    problems += [f"unexpected in checkpoint: {k} {tuple(v.shape)}" for k, v in state.items() if k not in own]
    return problems


def load_into(model: torch.nn.Module, path: str) -> None:
    """Load ``path`` into ``model`` with strict=True; a wrong architecture gets a readable error."""
    state = load_state_dict_file(path)
    problems = describe_mismatch(model, state)
    if problems:
        shown = "\n  ".join(problems[:60]) + (f"\n  ... and {len(problems) - 60} more" if len(problems) > 60 else "")
        raise CheckpointMismatchError(
            f"{path} does not fit {type(model).__name__} ({len(problems)} differences; check --gnn_type, "
            f"--num_layer, --emb_dim):\n  {shown}")
    model.load_state_dict(state, strict=True)


def domain_of(model: torch.nn.Module) -> str:
    """The name of the domain whose package defines the first module (the model itself, then its
    parts, e.g. the encoder) that belongs to a domain; "unknown" if none does."""
    for m in model.modules():
        name = domain_of_module(type(m).__module__)
        if name:
            return name
    return "unknown"


def atomic_save(obj, path: str) -> None:
    """torch.save, atomically: never a half-written file."""
    # Through a file object: torch names the zip archive after a path's stem, and the hidden
    # temporary name (leading '.') has none, which torch.save rejects.
    try:
        with atomic_write(path, "wb") as f:
            torch.save(obj, f)
    except RuntimeError as err:
        # torch's zip writer reports a failed write (a full disk, an I/O error) as a RuntimeError
        # ("[enforce fail at inline_container.cc] ... file write failed"): an OSError of the file.
        if "write" not in str(err).lower():
            raise
        import errno
        import shutil
        folder = os.path.dirname(os.path.abspath(path))
        full = shutil.disk_usage(folder).free < (64 << 20)
        raise OSError(errno.ENOSPC if full else errno.EIO,
                      "No space left on device; nothing written" if full else "Write failed; nothing written",
                      path) from None


def rng_state() -> dict:
    return {"torch": torch.get_rng_state(), "numpy": _np_state_to_tensors(np.random.get_state()),
            "python": _py_state_to_tensor(random.getstate()),
            **({"cuda": torch.cuda.get_rng_state_all()} if torch.cuda.is_available() else {})}


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(_np_state_from_tensors(state["numpy"]))
    random.setstate(_py_state_from_tensor(state["python"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


# RNG states are kept as tensors and ints so that the training-state file loads with weights_only=True.
def _np_state_to_tensors(st):
    return {"keys": torch.from_numpy(st[1].astype(np.int64)), "pos": int(st[2]), "has_gauss": int(st[3]),
            "gauss": float(st[4])}


def _np_state_from_tensors(d):
    return ("MT19937", d["keys"].numpy().astype(np.uint32), d["pos"], d["has_gauss"], d["gauss"])


def _py_state_to_tensor(st):
    return {"version": st[0], "state": torch.tensor(st[1], dtype=torch.int64), "gauss": st[2]}


def _py_state_from_tensor(d):
    return (d["version"], tuple(int(v) for v in d["state"].tolist()), d["gauss"])
