"""Typed configurations, and the command-line flags generated from them.

A flag is a dataclass field made with ``option(default, help, ...)``: its default and help are written
once, there, and ``add_options`` turns the fields of a configuration class into argparse flags in
field order (the original's spellings; ``cli_args.ArgumentParser`` accepts the dashed ones too). A
field made with ``state`` is recorded with the configuration but set by the code, not by a flag.

``TrainConfig`` holds what every training command shares (device, optimiser, the encoder's shape);
``FinetuneConfig`` and ``PretrainConfig`` (pretrain_gnns/pretrain_config.py) extend it.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Sequence

from pretrain_gnns.cli_args import PRECISION_HELP, fraction, positive_int, seed_list
from pretrain_gnns.runtime import PRECISIONS


def option(default: Any, help: str = "", *, flag: str | None = None, aliases: Sequence[str] = (),
           type: Callable | None = None, choices: Sequence | None = None, action: str | None = None) -> Any:
    """A dataclass field that is also a flag (``flag``, default ``--<field name>``)."""
    return field(default=default, metadata={"flag": flag, "help": help, "aliases": tuple(aliases), "type": type,
                                            "choices": choices, "action": action})


def state(default: Any = None) -> Any:
    """A field recorded with the configuration that no flag sets (the code does)."""
    return field(default=default, metadata={"flag": False})


def is_flag(f) -> bool:
    return "flag" in f.metadata and f.metadata["flag"] is not False


def add_options(parser: argparse.ArgumentParser, cls: type, *, defaults: dict | None = None,
                helps: dict | None = None, choices: dict | None = None, flags: dict | None = None) -> None:
    """One flag per ``option`` field of ``cls``, in field order; ``defaults``, ``helps``, ``choices`` and
    ``flags`` (the flag's name) override a field's by field name."""
    defaults, helps, choices, flags = defaults or {}, helps or {}, choices or {}, flags or {}
    for f in fields(cls):
        if not is_flag(f):
            continue
        meta = f.metadata
        kwargs: dict[str, Any] = {"dest": f.name, "default": defaults.get(f.name, f.default),
                                  "help": helps.get(f.name, meta["help"])}
        if meta["action"]:
            kwargs["action"] = meta["action"]
        if meta["type"]:
            kwargs["type"] = meta["type"]
        allowed = choices.get(f.name, meta["choices"])
        if allowed is not None:
            kwargs["choices"] = list(allowed)
        parser.add_argument(flags.get(f.name) or meta["flag"] or f"--{f.name}", *meta["aliases"], **kwargs)


def field_values(cls: type, values: dict) -> dict:
    """The entries of ``values`` that are fields of ``cls``."""
    return {f.name: values[f.name] for f in fields(cls) if f.name in values}


@dataclass
class TrainConfig:
    """What every training command shares: where it runs, the optimiser, the encoder's shape."""

    device: str | None = option(None, "cpu, cuda, cuda:N, or a GPU index as in the original; default: cuda if "
                                "available")
    batch_size: int = option(32, "graphs per batch", type=positive_int)
    epochs: int = option(100, "number of epochs to train", type=positive_int)
    lr: float = option(0.001, "learning rate", type=float)
    decay: float = option(0, "weight decay", type=float)
    num_layer: int = option(5, "number of GNN message passing layers", type=positive_int)
    emb_dim: int = option(300, "embedding dimensions", type=positive_int)
    dropout_ratio: float = option(0.0, "dropout ratio, in [0, 1)", type=fraction)
    JK: str = option("last", "how node features across layers are combined: last, sum, max or concat")
    gnn_type: str = option("gin", "GNN architecture (the domain's conv registry)")


@dataclass
class FinetuneConfig(TrainConfig):
    """The fine-tuning flags every domain's fine-tuning command shares (the original's defaults)."""

    batch_size: int = option(32, "training batch size", type=positive_int)
    dropout_ratio: float = option(0.5, "dropout ratio, in [0, 1)", type=fraction)
    graph_pooling: str = option("mean", "graph pooling: sum, mean, max, attention, set2setN")
    runseed: int = option(0, "seed for weights, dropout and batch order", type=int)
    runseeds: list | None = option(None, "several run seeds one after another in this process (e.g. 0-9 or 0,2,5): "
                                   "the data is loaded and split once; each seed writes the files and numbers a "
                                   "--runseed run would. With --filename, put {seed} in it", type=seed_list)
    eval_train: int = option(0, "1: also score the training set each epoch", type=int)
    num_workers: int = option(0, "DataLoader worker processes (0: batches are cut in this process)", type=int)
    output_dir: str = option("runs/finetune", "where the CSV and JSON go", flag="--output-dir")
    save_model: str = option("", "also save the fine-tuned model's state_dict here", flag="--save-model")
    precision: str = option("fp32", PRECISION_HELP, choices=PRECISIONS)
    quiet: bool = option(False, "no progress bars", action="store_true")


def add_finetune_options(p: argparse.ArgumentParser, gnn_types: list[str], **overrides: dict) -> None:
    """FinetuneConfig's flags with the domain's architectures; ``overrides``: add_options' keywords."""
    choices = {"gnn_type": gnn_types, **overrides.pop("choices", {})}
    add_options(p, FinetuneConfig, choices=choices, **overrides)
