"""Seeding, device choice, mixed precision, package versions and timing: the run's environment."""
from __future__ import annotations

import contextlib
import ctypes
import functools
import os
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


# ---------------------------------------------------------------------------------------------- precision
PRECISIONS = ("fp32", "bf16", "auto")
ENV_CPU_FLAGS = "PRETRAIN_GNNS_CPU_FLAGS"  # replaces /proc/cpuinfo's flags: tests, and a user who knows better
ENV_FORCE_BF16 = "PRETRAIN_GNNS_FORCE_BF16"  # 1: run --precision bf16 even where it is emulated (slow)
# A CPU computes bf16 natively with either: AVX512-BF16 (dot products of bf16 pairs) or AMX (tile matmuls).
# Without them oneDNN emulates bf16 in fp32 and converts on every op: 10-20x slower than fp32 (issue 25).
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")
# On CUDA bf16 is native from Ampere on, but steps are launch-bound at this model's size: bf16 did not
# help on an H100 (docs/results/gpu_check_h100.md), so ``auto`` keeps fp32 there.
AUTO_BF16_ON_CUDA = False


def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags: $PRETRAIN_GNNS_CPU_FLAGS (space separated) if set, else /proc/cpuinfo's
    (empty where there is none, e.g. macOS: then no native bf16 is assumed)."""
    forced = os.environ.get(ENV_CPU_FLAGS)
    if forced is not None:
        return frozenset(forced.split())
    return _proc_cpu_flags()


@functools.lru_cache(maxsize=1)
def _proc_cpu_flags() -> frozenset[str]:
    try:
        with open("/proc/cpuinfo") as f:
            line = next((line for line in f if line.startswith("flags")), "")
    except OSError:
        return frozenset()
    return frozenset(line.partition(":")[2].split())


def cpu_model_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            line = next((line for line in f if line.startswith("model name")), "")
    except OSError:
        line = ""
    return line.partition(":")[2].strip() or platform.processor() or platform.machine()


def native_bf16(device: torch.device | str, flags: frozenset[str] | None = None) -> bool:
    """Whether ``device`` computes bf16 natively: a CUDA GPU that supports it, or a CPU with
    AVX512-BF16 or AMX (``flags``: the CPU's, default ``cpu_flags()``)."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device.type != "cpu":
        return False
    flags = cpu_flags() if flags is None else flags
    return any(f in flags for f in NATIVE_BF16_FLAGS)


def hardware_record(device: torch.device | str = "cpu") -> dict:
    """What a speed figure or a result depends on, for result JSONs, model cards and benchmarks: the
    CPU's model name, torch's CPU kernel level (AVX2, AVX512, ...), its vector and bf16 flags, and
    whether bf16 is native on ``device``."""
    flags = cpu_flags()
    device = torch.device(device)
    return {"cpu": cpu_model_name(), "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "cpu_flags": sorted(f for f in flags if f.startswith(("avx", "amx")) or f == "fma"),
            "cpu_count": os.cpu_count(), "device": str(device), "native_bf16": native_bf16(device, flags),
            "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" and torch.cuda.is_available() else None}


def resolve_precision(precision: str, device: torch.device | str | None, flags: frozenset[str] | None = None) -> str:
    """The precision a run computes in: ``fp32`` as asked; ``bf16`` only where it is native (elsewhere a
    ValueError says why and what to use, unless $PRETRAIN_GNNS_FORCE_BF16=1); ``auto`` bf16 on a CPU
    with native bf16 (measured 1.5-2.6x faster), fp32 elsewhere (emulated bf16 is 10-20x slower; a
    GPU's steps are launch-bound at these sizes)."""
    dev = parse_device(device) if not isinstance(device, torch.device) else device
    if dev.type == "cuda" and not torch.cuda.is_available():
        dev = torch.device("cpu")  # where resolve_device sends the run
    if precision == "fp32":
        return "fp32"
    native = native_bf16(dev, flags)
    if precision == "auto":
        return "bf16" if native and (dev.type == "cpu" or AUTO_BF16_ON_CUDA) else "fp32"
    if precision != "bf16":
        raise ValueError(f"unknown --precision {precision!r}: use {', '.join(PRECISIONS)}")
    if native or os.environ.get(ENV_FORCE_BF16) == "1":
        return "bf16"
    where = ("this GPU does not support bf16" if dev.type == "cuda" else
             f"this CPU ({torch.backends.cpu.get_cpu_capability()}, no AVX512-BF16 or AMX) has no native bf16")
    raise ValueError(f"--precision bf16: {where}, so bf16 would be emulated and run 10-20x slower than fp32; "
                     f"use --precision fp32 (or auto, which picks bf16 only where it is native; "
                     f"{ENV_FORCE_BF16}=1 runs bf16 anyway)")


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
