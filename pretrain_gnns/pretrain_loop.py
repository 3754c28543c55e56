"""The pre-training engine shared by every method of every domain: one loop, many ``PretrainMethod``s
(pretrain_gnns/method.py), configured by a ``PretrainConfig`` (pretrain_gnns/pretrain_config.py).

A method says what it does to a batch (``transform``, run as the DataLoader's collate, so the stored
dataset is never touched), how it scores a batch (``forward`` -> loss and metrics) and what the
encoder checkpoint is (``encoder_state_dict``, in the original's parameter names). The loop adds
what the original lacked: a checkpoint after every epoch (model, optimiser, RNG; ``--resume``
continues bit for bit), bf16 autocast, DistributedDataParallel under ``torchrun``, and a JSON
report with per-epoch loss and accuracy, molecules per second and the share of time spent waiting
on data.
"""
from __future__ import annotations

import contextlib
import math
import os
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from pretrain_gnns.card import KIND_PRETRAINED, architecture_of, json_beside, write_card
from pretrain_gnns.checkpoint import CheckpointReadError, atomic_save, domain_of, load_data_file, rng_state, set_rng_state
from pretrain_gnns.graphstore import GraphDataset, dataset_fingerprint, make_loader
from pretrain_gnns.method import PretrainMethod
from pretrain_gnns.pretrain_config import PretrainConfig
from pretrain_gnns.runtime import adam, autocast, hardware_record, package_versions, resolve_device

MODEL_SUFFIXES = (".pth", ".pt")
STATE_SUFFIX = ".state.pt"
# What the loop itself records per epoch; every other key of an epoch record is a method's metric.
LOOP_KEYS = ("epoch", "seconds", "data_wait_s", "data_share", "molecules_per_s", "steps", "molecules",
             "peak_gpu_memory_mb", "steps_learnt")
# Flags that must match between a training-state file and the run that resumes from it, even in a
# state file written before every flag was recorded.
RESUME_MUST_MATCH = ("method", "gnn_type", "num_layer", "emb_dim", "JK", "batch_size", "seed", "world_size")
# Every other recorded flag must match too (lr, decay, dropout, method flags, the data and its hash),
# except these, which do not change the result: where it runs, how it reports, where the data folder
# is (the data itself is checked by its hash), and --epochs, which may grow to extend a run.
RESUME_MAY_DIFFER = ("device", "quiet", "num_workers", "epochs", "resume", "output_model_file", "data_root",
                     "model_dir")


class TrainingStoppedError(ValueError):
    """An epoch that learnt nothing or ended with a non-finite loss: the run stops, nothing is written."""


def model_path(output_model_file: str) -> str:
    """The original appended '.pth' to --output_model_file; a name that already ends in .pth/.pt is kept."""
    if not output_model_file:
        return ""
    return output_model_file if output_model_file.endswith(MODEL_SUFFIXES) else output_model_file + ".pth"


def report_path(model_file: str) -> str:
    return json_beside(model_file)


def state_path(model_file: str) -> str:
    return model_file + STATE_SUFFIX


# ---------------------------------------------------------------------------------------------- distributed
@dataclass
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup_distributed(device_spec: str | int | None = None) -> DistInfo:
    """Join the process group when launched by torchrun (WORLD_SIZE > 1): nccl on CUDA, gloo on CPU.
    Idempotent; a plain run gets DistInfo(0, 1, 0)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    import torch.distributed as dist
    info = DistInfo(int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", "0")))
    if not dist.is_initialized():
        wants_cuda = torch.cuda.is_available() and (device_spec is None or "cpu" not in str(device_spec))
        if wants_cuda:
            torch.cuda.set_device(info.local_rank)
        dist.init_process_group("nccl" if wants_cuda else "gloo")
    return info


def distributed_device(device_spec: str | int | None, info: DistInfo) -> torch.device:
    device = resolve_device(device_spec)
    if info.enabled and device.type == "cuda":
        return torch.device("cuda", info.local_rank)  # one GPU per process
    return device


@contextlib.contextmanager
def main_process_first(info: DistInfo):
    """Rank 0 runs the block first (e.g. builds a dataset cache), the others then read what it wrote."""
    import torch.distributed as dist
    if info.enabled and not info.is_main:
        dist.barrier()
    yield
    if info.enabled and info.is_main:
        dist.barrier()


def _all_keys(keys: list[str], info: DistInfo) -> list[str]:
    """The union of every rank's metric keys (a rank's batches may not have reported all of them)."""
    if not info.enabled:
        return keys
    import torch.distributed as dist
    gathered: list = [None] * info.world_size
    dist.all_gather_object(gathered, keys)
    return sorted({k for ks in gathered for k in ks})


def _all_reduce_sum(values: list[float], info: DistInfo, device: torch.device) -> list[float]:
    if not info.enabled:
        return values
    import torch.distributed as dist
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return t.tolist()


# ---------------------------------------------------------------------------------------------- seeding
def epoch_seed(seed: int, epoch: int, rank: int = 0) -> int:
    """A seed per (run seed, epoch, rank) for the shuffling generator: restorable without saving it."""
    return int(np.random.SeedSequence([seed, epoch, rank]).generate_state(1, dtype=np.uint64)[0] >> 1)


# ---------------------------------------------------------------------------------------------- the loop
def run_pretraining(method: PretrainMethod, dataset: GraphDataset, args: PretrainConfig,
                    *, log=print) -> dict:
    """Train ``method`` on ``dataset`` for ``args.epochs`` epochs with Adam(lr, weight_decay=decay).

    The caller seeds torch (``seed_everything(args.seed)``) before building ``method``. Writes,
    on rank 0 and when --output_model_file is set: the training state after every epoch, then the
    encoder state_dict and the JSON report. Returns the report.
    """
    info = setup_distributed(args.device)
    device = distributed_device(args.device, info)
    if not info.is_main:
        log = _silent
    out_file = model_path(args.output_model_file)
    st_file = state_path(out_file) if out_file else ""
    method.to(device)
    # One Adam over encoder and heads: the original's separate Adams with equal settings, same maths.
    optimizer = adam(method.parameters(), lr=args.lr, weight_decay=args.decay)
    config = {**args.record(), "method": method.name, "world_size": info.world_size, "num_molecules": len(dataset),
              "data_hash": dataset_fingerprint(dataset)}

    start_epoch, history, resumed_from = 1, [], None
    if args.resume:
        if not st_file:
            raise ValueError("--resume needs --output_model_file (the training state lives beside it)")
        if os.path.exists(st_file):
            state = _load_training_state(st_file)
            _check_resumable(state["config"], config, st_file)
            method.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            set_rng_state(state["rng"])
            if info.enabled and not info.is_main:
                torch.manual_seed(epoch_seed(args.seed, state["epoch"], info.rank))
            start_epoch, history, resumed_from = state["epoch"] + 1, list(state["history"]), state["epoch"]
            log(f"[{method.name}] resuming after epoch {resumed_from} from {st_file}")
        else:
            log(f"[{method.name}] --resume: no training state at {st_file}; starting from scratch")
    elif info.enabled and not info.is_main:
        # Same initial weights everywhere (DDP also broadcasts rank 0's), different random masks per rank.
        torch.manual_seed(epoch_seed(args.seed, 0, info.rank))

    model: nn.Module = method
    if info.enabled:
        model = nn.parallel.DistributedDataParallel(
            method, device_ids=[device.index] if device.type == "cuda" else None,
            find_unused_parameters=method.find_unused_parameters)

    generator = torch.Generator()
    sampler = None
    if info.enabled:
        sampler = torch.utils.data.distributed.DistributedSampler(
            dataset, num_replicas=info.world_size, rank=info.rank, shuffle=True, seed=args.seed)
    loader = make_loader(dataset, args.batch_size, shuffle=sampler is None, transform=method.transform,
                         sampler=sampler, num_workers=args.num_workers, generator=generator)
    progress = not args.quiet and info.is_main
    t_start = time.time()
    for epoch in range(start_epoch, args.epochs + 1):
        generator.manual_seed(epoch_seed(args.seed, epoch))
        if sampler is not None:
            sampler.set_epoch(epoch)
        record = train_epoch(model, loader, optimizer, device, args.precision, info,
                             desc=f"{method.name} epoch {epoch}/{args.epochs}", progress=progress)
        record["epoch"] = epoch
        _check_learnt(record, method.name, st_file if st_file and os.path.exists(st_file) else "")
        history.append(record)
        metrics = "  ".join(f"{k} {v:.4f}" for k, v in record.items() if k not in LOOP_KEYS)
        log(f"[{method.name}] epoch {epoch:3d}  {metrics}  {record['molecules_per_s']:.0f} mol/s  "
            f"data {100 * record['data_share']:.1f}%  {record['seconds']:.1f}s")
        if st_file and info.is_main:
            atomic_save({"model": method.state_dict(), "optimizer": optimizer.state_dict(), "rng": rng_state(),
                         "epoch": epoch, "history": history, "config": _resume_config(config)}, st_file)

    report = summarise(history, config, device, info, time.time() - t_start, resumed_from)
    if out_file and info.is_main:
        atomic_save(method.encoder_state_dict(), out_file)
        report["output_model_file"] = out_file
        report["architecture"] = architecture_of(args, domain_of(method))
        write_card(out_file, {"kind": KIND_PRETRAINED, **report})  # the report is the encoder's card
        log(f"[{method.name}] encoder -> {out_file}; report -> {report_path(out_file)}")
    return report


def train_epoch(model: nn.Module, loader, optimizer: torch.optim.Optimizer, device: torch.device, precision: str,
                info: DistInfo, desc: str = "train", progress: bool = True) -> dict:
    """One pass over ``loader``. Time blocked on the next batch (cut, transform, copy to device) is
    counted as data time; the rest (forward, backward, step) as compute.

    Loss and metrics are summed on the device and read back only for the progress bar (every 10
    steps) and at the end: on CUDA the host then prepares the next batch while the GPU still works
    on this one, instead of waiting for it every step.
    """
    model.train()
    sums: dict[str, torch.Tensor] = {}
    counts: dict[str, int] = {}
    steps, learnt, graphs, wait = 0, 0, 0, 0.0
    bar = tqdm(total=len(loader), desc=desc, leave=False, disable=not progress)
    t_epoch = time.perf_counter()
    batches = iter(loader)
    while True:
        t0 = time.perf_counter()
        batch = next(batches, None)
        if batch is None:
            break
        batch = batch.to(device, non_blocking=True)
        wait += time.perf_counter() - t0
        with autocast(device, precision):
            loss, metrics = model(batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        # A loss outside the autograd graph (a batch with nothing to learn) is not a loss to average.
        reported = (("loss", loss),) if loss.grad_fn is not None else ()
        learnt += bool(reported)
        for k, v in (*reported, *metrics.items()):
            v = torch.as_tensor(v, device=device).detach().double()
            sums[k] = sums[k] + v if k in sums else v
            counts[k] = counts.get(k, 0) + 1
        steps += 1
        graphs += int(batch.num_graphs)
        bar.update(1)
        if progress and (steps % 10 == 1 or steps == len(loader)):
            bar.set_postfix({k: f"{float(s) / counts[k]:.4f}" for k, s in sums.items()}, refresh=False)
    bar.close()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - t_epoch
    # Every rank reduces the same keys in the same order, whatever its own batches reported.
    keys = sorted(set(_all_keys(sorted(sums), info)) | {"loss"})
    n = len(keys)
    totals = _all_reduce_sum([float(sums.get(k, 0.0)) for k in keys] + [counts.get(k, 0) for k in keys]
                             + [steps, learnt, graphs], info, device)
    steps_all, learnt_all, graphs_all = totals[-3], totals[-2], totals[-1]
    # Each metric is the mean over the batches that reported it; none reported it: nan.
    record = {k: totals[i] / totals[n + i] if totals[n + i] else math.nan for i, k in enumerate(keys)}
    record.update(seconds=seconds, data_wait_s=wait, data_share=wait / seconds if seconds > 0 else 0.0,
                  molecules_per_s=graphs_all / seconds if seconds > 0 else 0.0, steps=int(steps_all),
                  molecules=int(graphs_all), steps_learnt=int(learnt_all))
    if device.type == "cuda":
        record["peak_gpu_memory_mb"] = torch.cuda.max_memory_allocated(device) / 2**20
    return record


def summarise(history: list[dict], config: dict, device: torch.device, info: DistInfo, seconds: float,
              resumed_from: int | None) -> dict:
    """The JSON report: config, per-epoch records, and speed over the epochs run (median of epochs)."""
    speed = [h["molecules_per_s"] for h in history]
    share = [h["data_share"] for h in history]
    return {
        "method": config["method"], "epochs": len(history), "history": history,
        "final_loss": history[-1]["loss"] if history else math.nan,
        "molecules_per_s_median": float(np.median(speed)) if speed else math.nan,
        "data_share_median": float(np.median(share)) if share else math.nan,
        "resumed_from_epoch": resumed_from, "seconds_this_run": seconds, "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "world_size": info.world_size, "torch_threads": torch.get_num_threads(),
        "config": config, "versions": package_versions(), "hardware": hardware_record(device),
    }


def _silent(*_args, **_kwargs) -> None:
    pass


def _resume_config(config: dict) -> dict:
    # Plain values only: the state file must load with weights_only=True.
    return {k: v for k, v in config.items() if isinstance(v, (int, float, str, bool, type(None)))}


def _load_training_state(path: str) -> dict:
    """The training-state file of --resume; a damaged one is named, with how to start over."""
    start_over = f"Delete {path} to start over, or run without --resume"
    state = load_data_file(path, "training state", start_over)
    needed = ("model", "optimizer", "rng", "epoch", "history", "config")
    if not isinstance(state, dict) or any(k not in state for k in needed):
        raise CheckpointReadError(f"{path} is not a training-state file of this project (expected the keys "
                                  f"{', '.join(needed)}). {start_over}")
    return state


def _check_resumable(saved: dict, current: dict, path: str) -> None:
    """Every recorded flag but RESUME_MAY_DIFFER must match; a flag a state file does not record (one
    written before it was) cannot be compared and is let through, except RESUME_MUST_MATCH."""
    keys = [k for k in dict.fromkeys([*RESUME_MUST_MATCH, *saved, *current]) if k not in RESUME_MAY_DIFFER]
    diffs = [f"{k}: saved {saved.get(k)!r}, now {current.get(k)!r}" for k in keys
             if (k in RESUME_MUST_MATCH or (k in saved and k in _resume_config(current)))
             and saved.get(k) != current.get(k)]
    if diffs:
        raise ValueError(f"{path} was written by a different run; cannot resume (run without --resume, or with "
                         f"the same flags and data):\n  " + "\n  ".join(diffs))


def _check_learnt(record: dict, name: str, good_state: str) -> None:
    """Stop before anything is written when an epoch learnt nothing or its loss is not finite."""
    keep = f"; the last good training state, {good_state}, is kept" if good_state else ""
    if record["steps_learnt"] == 0:
        raise TrainingStoppedError(
            f"[{name}] epoch {record['epoch']}: none of its {record['steps']} batches had anything to learn (e.g. "
            f"no molecule with a context or with bonds); stopped, no model written{keep}")
    if not math.isfinite(record["loss"]):
        raise TrainingStoppedError(
            f"[{name}] epoch {record['epoch']}: the loss is {record['loss']} (not finite: e.g. molecules without "
            f"bonds for edgepred, or a too high --lr); stopped, no model written{keep}")
