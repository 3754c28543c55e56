"""Seeding, device choice, mixed precision, package versions and timing: the run's environment."""
from __future__ import annotations

import contextlib
import ctypes
import platform
import random
import statistics
import time
from typing import Callable

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch (CPU and CUDA), as the original seeded torch and numpy."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def resolve_device(spec: str | int | None) -> torch.device:
    """'cpu', 'cuda', 'cuda:N', or the original's integer GPU index; CUDA falls back to CPU with a note."""
    device = parse_device(spec)
    if device.type == "cuda" and not torch.cuda.is_available():
        print(f"[device] {device} requested but CUDA is not available: running on CPU", flush=True)
        return torch.device("cpu")
    return device


def parse_device(spec: str | int | None) -> torch.device:
    """The device ``spec`` names (None: cuda if available, else cpu); an unknown one is a ValueError."""
    if spec is None or spec == "":
        spec = "cuda" if torch.cuda.is_available() else "cpu"
    if isinstance(spec, int) or str(spec).isdigit():
        spec = f"cuda:{int(spec)}"
    try:
        device = torch.device(spec)
    except (RuntimeError, ValueError, TypeError):
        raise ValueError(f"unknown --device {spec!r}: use cpu, cuda, cuda:N or a GPU index") from None
    if device.type not in ("cpu", "cuda", "mps", "xpu"):
        raise ValueError(f"--device {spec!r}: {device.type} is not a device this project runs on "
                         "(cpu, cuda, cuda:N or a GPU index)")
    return device


def autocast(device: torch.device, precision: str):
    """bf16 autocast on CPU or CUDA when asked; fp32 (a no-op context) by default."""
    if precision == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    if precision != "fp32":
        raise ValueError(f"unknown precision {precision!r} (fp32 or bf16)")
    return contextlib.nullcontext()


# glibc's M_MMAP_THRESHOLD and M_TRIM_THRESHOLD (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def keep_freed_memory(mmap_threshold: int = 256 << 20, trim_threshold: int = 512 << 20) -> bool:
    """Let glibc reuse freed blocks of up to ``mmap_threshold`` bytes instead of returning them to the OS.

    By default glibc maps every allocation over 32 MB afresh and unmaps it when freed, so an
    activation of that size (an evaluation batch of 512 molecules: 14,000 atoms x 600 floats) is
    page-faulted in again on every use, and first touches rather than arithmetic set the pace. Only
    where memory comes from changes, never a number. Returns whether glibc took the settings (False
    elsewhere).
    """
    if platform.system() != "Linux":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, mmap_threshold)) and bool(libc.mallopt(_M_TRIM_THRESHOLD, trim_threshold))


def low_precision(device_type: str) -> torch.dtype | None:
    """The dtype autocast computes in on ``device_type`` right now (bf16), or None outside autocast."""
    return torch.get_autocast_dtype(device_type) if torch.is_autocast_enabled(device_type) else None


def package_versions() -> dict:
    import sklearn
    import torch_geometric
    from rdkit import __version__ as rdkit_version
    return {"python": platform.python_version(), "torch": torch.__version__, "torch_geometric": torch_geometric.__version__,
            "rdkit": rdkit_version, "numpy": np.__version__, "scikit-learn": sklearn.__version__,
            "cuda": torch.version.cuda if torch.cuda.is_available() else None}


def adam(params, lr: float, weight_decay: float = 0.0) -> torch.optim.Adam:
    """Adam as the original (same maths); the fused kernel where torch has it: one pass over all
    parameters instead of a dozen elementwise ops per tensor, a large share of a small model's CPU step."""
    try:
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)


def median_time(fn: Callable[[], object], repeats: int, warmup: int = 0) -> float:
    """Median wall time in seconds of ``fn`` over ``repeats`` calls, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)
