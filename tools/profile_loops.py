"""Where a training or evaluation step's time goes, per loop and precision, from ``torch.profiler``.

Each loop runs its real pieces (the method's transform and forward, ``masked_bce_loss``, fused Adam)
in four marked phases: data (cut, transform, copy), forward, backward and optimizer. Time inside
forward and backward is split by aten op into kinds (dense matmul, sparse aggregation, batch norm,
casts, dropout, the rest), by each op's self time; the sparse products are told from dense ones by
their first operand being the batch's (N, N) adjacency.
"""
from __future__ import annotations

import collections
import contextlib
import time
from dataclasses import dataclass
from typing import Callable, Iterable

import torch
from torch.profiler import ProfilerActivity, profile, record_function

from pretrain_gnns.metrics import masked_bce_loss
from pretrain_gnns.runtime import adam, autocast

PHASES = ("data", "forward", "backward", "optimizer")
KINDS = ("matmul", "sparse aggregation", "batch norm", "casts", "dropout", "other ops", "optimizer", "data")
# First matching substring of an aten op's name decides its kind (after the sparse test).
_NAME_KINDS = (
    ("batch_norm", "batch norm"),
    ("_to_copy", "casts"), ("aten::copy_", "casts"), ("aten::to", "casts"),
    ("rand", "dropout"), ("uniform", "dropout"), ("bernoulli", "dropout"), ("dropout", "dropout"),
    ("sparse", "sparse aggregation"), ("csr", "sparse aggregation"), ("coalesce", "sparse aggregation"),
    ("index_add", "sparse aggregation"), ("scatter", "sparse aggregation"), ("segment", "sparse aggregation"),
    ("aten::mm", "matmul"), ("addmm", "matmul"), ("bmm", "matmul"), ("mkldnn", "matmul"), ("linear", "matmul"),
    ("matmul", "matmul"),
)


@dataclass
class Loop:
    """One loop to profile: ``batches`` yields ready batches (data work included), ``step`` runs one."""
    name: str
    batches: Callable[[], Iterable]
    step: Callable[[object, str], None]  # (batch, precision)
    molecules_per_batch: float


def op_kind(name: str, input_shapes: list) -> str:
    """The kind of one aten op (by self time) inside forward or backward."""
    first = input_shapes[0] if input_shapes else []
    if name in ("aten::mm", "aten::addmm", "aten::matmul") and _is_square_adjacency(first, input_shapes):
        return "sparse aggregation"
    for part, kind in _NAME_KINDS:
        if part in name:
            return kind
    return "other ops"


def _is_square_adjacency(first: list, shapes: list) -> bool:
    # adj_t @ x: (N, N) @ (N, D); a dense square weight (D, D) has D = emb_dim and a first operand
    # of another shape, so ask for the second operand's rows to match too.
    if len(first) != 2 or first[0] != first[1]:
        return False
    second = next((s for s in shapes[1:] if isinstance(s, list) and len(s) == 2), None)
    return second is not None and second[0] == first[0] and first[0] not in (second[1],)


def _phase_of(event) -> str | None:
    node = event
    while node is not None:
        if node.name in PHASES:
            return node.name
        node = node.cpu_parent
    return None


def breakdown(events) -> dict[str, float]:
    """Self CPU seconds per kind over the profiled steps."""
    out = collections.Counter()
    for e in events:
        if e.name in PHASES:
            continue
        phase = _phase_of(e)
        if phase is None:
            continue
        if phase in ("data", "optimizer"):
            kind = phase
        else:
            kind = op_kind(e.name, getattr(e, "input_shapes", None) or [])
        out[kind] += e.self_cpu_time_total / 1e6
    return dict(out)


def profile_loop(loop: Loop, precision: str, steps: int, warmup: int = 2) -> dict:
    """Profile ``steps`` steps after ``warmup`` unprofiled ones; also time them unprofiled."""
    def run(n: int, marked: bool):
        done = 0
        t0 = time.perf_counter()
        while done < n:
            it = iter(loop.batches())
            while done < n:
                with _marked("data", marked):
                    batch = next(it, None)
                if batch is None:
                    break
                loop.step(batch, precision, marked)
                done += 1
        return time.perf_counter() - t0

    run(warmup, False)
    wall = run(steps, False)
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        run(steps, True)
    kinds = breakdown(prof.events())
    total = sum(kinds.values())
    return {"loop": loop.name, "precision": precision, "steps": steps,
            "ms_per_step": 1000 * wall / steps, "molecules_per_s": steps * loop.molecules_per_batch / wall,
            "profiled_ms_per_step": 1000 * total / steps,
            "ms_per_step_by_kind": {k: 1000 * kinds.get(k, 0.0) / steps for k in KINDS},
            "share_by_kind": {k: kinds.get(k, 0.0) / total if total else 0.0 for k in KINDS}}


def _marked(name: str, marked: bool):
    return record_function(name) if marked else contextlib.nullcontext()


def training_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                  loss_of: Callable[[torch.nn.Module, object], torch.Tensor]) -> Callable:
    """A step as the training loops run it: forward under autocast, backward, zero_grad and Adam."""
    def step(batch, precision: str, marked: bool = False) -> None:
        model.train()
        with _marked("forward", marked), autocast(torch.device("cpu"), precision):
            loss = loss_of(model, batch)
        with _marked("backward", marked):
            loss.backward()
        with _marked("optimizer", marked):
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
    return step


def eval_step(model: torch.nn.Module) -> Callable:
    def step(batch, precision: str, marked: bool = False) -> None:
        model.eval()
        with _marked("forward", marked), torch.no_grad(), autocast(torch.device("cpu"), precision):
            model(batch)
    return step


def build_method(name: str, dataset, emb_dim: int = 300, num_layer: int = 5):
    """(chem method ``name`` with its script's defaults and the given sizes, its config), seeded 0;
    also what scripts/benchmark_pretrain.py times."""
    from chem.pretrain import DOMAIN
    from pretrain_gnns.method import get_method
    from pretrain_gnns.pretrain_script import build_parser, config_from_args
    from pretrain_gnns.runtime import seed_everything
    cls = get_method("chem", name)
    cfg = config_from_args(DOMAIN, cls, build_parser(DOMAIN, cls).parse_args(
        ["--emb_dim", str(emb_dim), "--num_layer", str(num_layer)]))
    seed_everything(0)
    return cls.from_config(cfg, dataset), cfg


def pretrain_loop(name: str, dataset, batch_size: int | None = None, emb_dim: int = 300, num_layer: int = 5) -> Loop:
    """A chem pre-training method with its script's defaults, batches cut and transformed from ``dataset``."""
    from pretrain_gnns.graphstore import make_loader
    method, cfg = build_method(name, dataset, emb_dim, num_layer)
    bs = batch_size or cfg.batch_size
    loader = make_loader(dataset, bs, shuffle=True, transform=method.transform)
    step = training_step(method, adam(method.parameters(), lr=cfg.lr), lambda m, b: m(b)[0])
    return Loop(f"{name} (batch {bs})", lambda: loader, step, bs)


def finetune_loops(dataset, batch_size: int = 32, eval_batch: int = 512) -> list[Loop]:
    """Fine-tuning (batch 32, dropout 0.5) and evaluation of a GIN graph predictor on ``dataset``."""
    from chem.model import GNN_graphpred
    from pretrain_gnns.graphstore import make_loader
    torch.manual_seed(0)
    model = GNN_graphpred(5, 300, dataset.num_tasks, drop_ratio=0.5, gnn_type="gin")
    train = make_loader(dataset, batch_size, shuffle=True)
    evaluate = make_loader(dataset, eval_batch)
    step = training_step(model, adam(model.parameters(), lr=1e-3), lambda m, b: masked_bce_loss(m(b).float(), b.y))
    return [Loop(f"fine-tune (batch {batch_size})", lambda: train, step, batch_size),
            Loop(f"evaluation (batch {eval_batch})", lambda: evaluate, eval_step(model), eval_batch)]


def markdown(results: list[dict]) -> str:
    """One table per loop: ms per step by kind and its share, fp32 beside bf16."""
    lines = []
    by_loop = collections.defaultdict(dict)
    for r in results:
        by_loop[r["loop"]][r["precision"]] = r
    for loop, runs in by_loop.items():
        precs = [p for p in ("fp32", "bf16") if p in runs]
        head = " | ".join(f"{p} ms/step | {p} share" for p in precs)
        lines += [f"### {loop}", "",
                  " ".join(f"{p}: {runs[p]['molecules_per_s']:.0f} mol/s ({runs[p]['ms_per_step']:.1f} ms/step unprofiled)."
                           for p in precs)
                  + (f" bf16 / fp32: {runs['bf16']['molecules_per_s'] / runs['fp32']['molecules_per_s']:.2f}x."
                     if len(precs) == 2 else ""), "",
                  f"| where | {head} |", "|---|" + "---|" * (2 * len(precs))]
        for kind in KINDS:
            cells = " | ".join(f"{runs[p]['ms_per_step_by_kind'][kind]:.2f} | {100 * runs[p]['share_by_kind'][kind]:.0f}%"
                               for p in precs)
            lines.append(f"| {kind} | {cells} |")
        lines.append("| total (profiled) | " + " | ".join(f"{runs[p]['profiled_ms_per_step']:.2f} | 100%" for p in precs) + " |")
        lines.append("")
    return "\n".join(lines)


def compile_trial(dataset, precision: str, steps: int = 30, batch_size: int = 32) -> dict:
    """Fine-tuning steps of a GIN through ``torch.compile(dynamic=True)`` against eager, same batches:
    compile time (first step, then the recompiles of the next few), graph breaks and steps/s."""
    import torch._dynamo
    from chem.model import GNN_graphpred
    from pretrain_gnns.graphstore import make_loader
    torch.manual_seed(0)
    model = GNN_graphpred(5, 300, dataset.num_tasks, drop_ratio=0.5, gnn_type="gin")
    step = training_step(model, adam(model.parameters(), lr=1e-3), lambda m, b: masked_bce_loss(m(b).float(), b.y))
    batches = list(make_loader(dataset, batch_size, shuffle=True))[:steps + 10]
    explained = torch._dynamo.explain(model)(batches[0])

    def seconds(run, bs) -> float:
        t0 = time.perf_counter()
        for b in bs:
            run(b, precision)
        return time.perf_counter() - t0

    seconds(step, batches[:10])
    eager = seconds(step, batches[10:])
    compiled = torch.compile(model, dynamic=True)
    cstep = training_step(compiled, adam(model.parameters(), lr=1e-3), lambda m, b: masked_bce_loss(m(b).float(), b.y))
    first = seconds(cstep, batches[:1])
    warm = seconds(cstep, batches[1:10])
    timed = seconds(cstep, batches[10:])
    torch._dynamo.reset()
    return {"precision": precision, "eager_mol_s": steps * batch_size / eager, "compiled_mol_s": steps * batch_size / timed,
            "first_step_s": first, "next_9_steps_s": warm, "graph_breaks": explained.graph_break_count,
            "graphs": explained.graph_count,
            "break_reasons": sorted({str(r.reason).splitlines()[0][:120] for r in explained.break_reasons})}


def compile_markdown(trials: list[dict]) -> str:
    lines = ["### torch.compile(dynamic=True) on fine-tuning (batch 32)", "",
             "| precision | eager mol/s | compiled mol/s | first step (compile) | next 9 steps | graphs | graph breaks |",
             "|---|---|---|---|---|---|---|"]
    for t in trials:
        lines.append(f"| {t['precision']} | {t['eager_mol_s']:.0f} | {t['compiled_mol_s']:.0f} | {t['first_step_s']:.1f} s | "
                     f"{t['next_9_steps_s']:.1f} s | {t['graphs']} | {t['graph_breaks']} |")
    reasons = sorted({r for t in trials for r in t["break_reasons"]})
    lines += ["", "Graph breaks: " + "; ".join(reasons), ""]
    return "\n".join(lines)
