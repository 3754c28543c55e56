"""The pre-training configuration the engine reads, typed, and the shared flags generated from it.

``PretrainConfig`` holds the flags every pre-training command shares (``TrainConfig`` plus data,
output and run flags), the domain's data flags (``data``, a dataclass the domain declares) and the
method's own flags (``hparams``, a dataclass generated from the method's ``flags``), so that
``record()`` is the whole command line, as the JSON report and the training state keep it.
"""
from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass, fields
from typing import Any

from pretrain_gnns.cli_args import positive_int
from pretrain_gnns.config import PRECISION_HELP, TrainConfig, add_options, field_values, option, state
from pretrain_gnns.data_root import ENV_DATA
from pretrain_gnns.runtime import PRECISIONS

__all__ = ["PretrainConfig", "add_pretrain_args"]


@dataclass
class PretrainConfig(TrainConfig):
    batch_size: int = option(256, "graphs per batch (per process under torchrun)", type=positive_int)
    lr: float = option(0.001, "learning rate (Adam)", type=float)
    dataset: str = option("", "dataset name, read from <data-root>/<dataset>/raw/")
    output_model_file: str = option(
        "", "where the pre-trained encoder's state_dict goes; '.pth' is appended when the name has no .pth/.pt "
        "suffix, as in the original. Beside it: <stem>.json (its card: config, per-epoch loss and accuracy, "
        "speed) and <file>.state.pt (the per-epoch training state for --resume). Empty: nothing is written")
    num_workers: int = option(0, "DataLoader worker processes (batches are cut and transformed in one vectorised "
                              "step; 0: in this process, which keeps --resume bit-exact)", type=int)
    seed: int = option(0, "seed for weights, batch order and the per-batch random choices", type=int)
    data_root: str | None = option(None, f"folder holding <dataset>/raw/ (default: ${ENV_DATA} or ./dataset)",
                                   flag="--data-root")
    max_molecules: int | None = option(None, "train on the first N graphs only (a SMILES file is read only up to "
                                       "row N)", flag="--max-molecules", type=int)
    resume: bool = option(False, "continue from <output_model_file>.state.pt if it exists (same flags needed); the "
                          "result equals an uninterrupted run", action="store_true")
    precision: str = option("fp32", PRECISION_HELP, choices=PRECISIONS)
    quiet: bool = option(False, "no progress bars", action="store_true")
    model_dir: str | None = state(None)  # a flag only where a zoo name may be given (--input_model_file)
    data: Any = state(None)  # the domain's data flags (Domain.pretrain_data_config)
    hparams: Any = state(None)  # the method's own flags (PretrainMethod.config_cls)

    @classmethod
    def from_namespace(cls, args: argparse.Namespace, data_cls: type | None = None,
                       hparams_cls: type | None = None) -> "PretrainConfig":
        """Parsed flags into their typed homes: the shared fields, the domain's data, the method's own;
        a flag with no home is a programming error."""
        values = dict(vars(args))
        parts = {"data": data_cls, "hparams": hparams_cls}
        typed = {name: part(**field_values(part, values)) for name, part in parts.items() if part is not None}
        shared = field_values(cls, {k: v for k, v in values.items() if k not in parts})
        homeless = set(values) - set(shared) - {f.name for part in parts.values() if part for f in fields(part)}
        if homeless:
            raise TypeError(f"flags with no field in the configuration: {sorted(homeless)}")
        return cls(**shared, **typed)

    def record(self) -> dict:
        """Every flag by name: the shared ones, then the domain's and the method's."""
        shared = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("data", "hparams")}
        parts = [asdict(part) for part in (self.data, self.hparams) if part is not None]
        return {**shared, **{k: v for part in parts for k, v in part.items()}}


def add_pretrain_args(parser: argparse.ArgumentParser, *, batch_size: int, dropout_ratio: float, dataset: str,
                      seed_flag: str = "--seed", gnn_types: list[str]) -> argparse.ArgumentParser:
    """The flags every pre-training command shares, with the original's names; the method's defaults
    for batch size and dropout, the domain's dataset and architectures."""
    add_options(parser, PretrainConfig, defaults={"batch_size": batch_size, "dropout_ratio": dropout_ratio,
                                                  "dataset": dataset},
                choices={"gnn_type": gnn_types}, flags={"seed": seed_flag})
    return parser

