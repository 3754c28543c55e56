"""The pre-training configuration the engine reads (a dataclass), and the shared flags that fill it.

Fields are the flags every pre-training script shares, in the order the parser adds them; ``extra``
holds the rest (a domain's data flags, a method's own flags), so that ``record()`` is the whole
command line, as the JSON report and the training state keep it.
"""
from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass, field

from pretrain_gnns.cli_args import add_training_args
from pretrain_gnns.data_root import ENV_DATA


@dataclass
class PretrainConfig:
    device: str | None = None
    batch_size: int = 256
    epochs: int = 100
    lr: float = 0.001
    decay: float = 0
    num_layer: int = 5
    emb_dim: int = 300
    dropout_ratio: float = 0.0
    JK: str = "last"
    gnn_type: str = "gin"
    dataset: str = ""
    output_model_file: str = ""
    num_workers: int = 0
    seed: int = 0
    data_root: str | None = None
    max_molecules: int | None = None
    resume: bool = False
    precision: str = "fp32"
    quiet: bool = False
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_namespace(cls, args: argparse.Namespace) -> "PretrainConfig":
        """Known flags into their fields (defaults for those absent), every other flag into ``extra``."""
        values = dict(vars(args))
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        typed = {k: values.pop(k) for k in list(values) if k in names}
        return cls(**typed, extra=values)

    def record(self) -> dict:
        """Every flag by name: the shared ones, then the domain's and the method's."""
        shared = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        return {**shared, **self.extra}


def add_pretrain_args(parser: argparse.ArgumentParser, *, batch_size: int = 256, dropout_ratio: float = 0.0,
                      dataset: str = "zinc_standard_agent", seed_flag: str = "--seed",
                      gnn_types: list[str]) -> argparse.ArgumentParser:
    """The flags every pre-training script shares, with the original's names and defaults."""
    p = parser
    add_training_args(p, batch_size=batch_size, batch_help="molecules per batch (per process under torchrun)",
                      epochs=100, dropout_ratio=dropout_ratio, gnn_types=gnn_types, lr_help="learning rate (Adam)")
    p.add_argument("--dataset", default=dataset, help="dataset name, read from <data-root>/<dataset>/raw/")
    p.add_argument("--output_model_file", default="", help="where the pre-trained encoder's state_dict goes; '.pth' is "
                   "appended when the name has no .pth/.pt suffix, as in the original. Beside it: <stem>.json (config, "
                   "per-epoch loss and accuracy, speed) and <file>.state.pt (the per-epoch training state for --resume). "
                   "Empty: nothing is written")
    p.add_argument("--num_workers", type=int, default=0, help="DataLoader worker processes (batches are cut and transformed "
                   "in one vectorised step; 0: in this process, which keeps --resume bit-exact)")
    p.add_argument(seed_flag, dest="seed", type=int, default=0,
                   help="seed for weights, batch order and the per-batch random choices")
    p.add_argument("--data-root", dest="data_root", default=None, help=f"folder holding <dataset>/raw/ (default: ${ENV_DATA} or ./dataset)")
    p.add_argument("--max-molecules", dest="max_molecules", type=int, default=None,
                   help="train on the first N molecules only (a SMILES file is read only up to row N)")
    p.add_argument("--resume", action="store_true", help="continue from <output_model_file>.state.pt if it exists "
                   "(same flags needed); the result equals an uninterrupted run")
    p.add_argument("--precision", default="fp32", choices=["fp32", "bf16"], help="bf16 autocast on CPU or CUDA (opt-in; fp32 is the paper's)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return p
