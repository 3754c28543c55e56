"""The contract every pre-training method follows, whatever its domain, and the registry that lists them.

A method is a ``PretrainMethod`` subclass built as ``Method(encoder, **hyperparameters)``: the
encoder is the domain's GNN (saved as the checkpoint), the hyperparameters are its own flags. The
class declares everything the front-ends need:

- ``flags``: its own command-line flags (``Flag``), each also a keyword of its constructor;
- ``batch_size``, ``dropout_ratio``: the original's defaults for its script;
- ``needs_labels``: it trains on labelled graphs (graph-level supervised pre-training);
- ``encoder_cls``: the domain's GNN class, built by ``build_encoder`` from the shared flags;
- hooks: ``hyperparameters`` (the constructor keywords from a config and the dataset, e.g. a
  number of tasks), ``transform`` (the per-batch preparation), ``forward`` (loss and metrics) and
  ``encoder_state_dict`` (what the checkpoint holds).

``@register("name")`` puts a class in the registry of its domain (the domain whose package holds
its module, or ``domain=``) and names it; ``methods(domain)`` imports every module of the domain's
``methods_package`` (pretrain_gnns/domain.py), so that a method is one file.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field, make_dataclass
from typing import Any, Callable, Sequence

import torch
from torch import nn
from torch_geometric.data import Batch

from pretrain_gnns.domain import domain_of_module, get_domain
from pretrain_gnns.encoder import EncoderLoop
from pretrain_gnns.pretrain_config import PretrainConfig

_REGISTRY: dict[str, dict[str, type["PretrainMethod"]]] = {}


@dataclass(frozen=True)
class Flag:
    """One of a method's flags; its name without the dashes is the constructor keyword it sets."""

    name: str
    type: Callable = str
    default: Any = None
    help: str = ""
    choices: Sequence | None = None

    @property
    def dest(self) -> str:
        return self.name.lstrip("-").replace("-", "_")

    def add_to(self, p: argparse.ArgumentParser) -> None:
        p.add_argument(self.name, type=self.type, default=self.default, help=self.help,
                       **({"choices": list(self.choices)} if self.choices is not None else {}))


def build_encoder(encoder_cls: type[EncoderLoop] | None, cfg: PretrainConfig, num_layer: int | None = None) -> EncoderLoop:
    """A domain's GNN from the shared flags (num_layer, emb_dim, JK, dropout_ratio, gnn_type)."""
    if encoder_cls is None:
        raise TypeError("this method has no encoder_cls: use a domain's subclass, or pass a GNN to its constructor")
    return encoder_cls(cfg.num_layer if num_layer is None else num_layer, cfg.emb_dim, JK=cfg.JK,
                       drop_ratio=cfg.dropout_ratio, gnn_type=cfg.gnn_type)


class PretrainMethod(nn.Module):
    """One pre-training method: the encoder (``self.gnn``) plus whatever heads the method trains beside it.

    ``transform`` must be vectorised over the batch and must not modify tensors it did not create:
    it works on a freshly cut Batch and replaces, never edits, fields. Its randomness comes from
    torch's global RNG, which the loop seeds, saves and restores.
    """

    name: str = "method"  # set by @register
    domain: str = ""  # set by @register
    flags: tuple[Flag, ...] = ()
    batch_size: int = PretrainConfig.batch_size  # the original's node-level defaults
    dropout_ratio: float = PretrainConfig.dropout_ratio
    needs_labels: bool = False
    encoder_cls: type[EncoderLoop] | None = None
    # The flag that seeds the run; a domain's supervised script may keep --seed for its split, as one original did.
    run_seed_flag: str = "--seed"
    # Set True in a method whose forward leaves some parameters without gradient on some batches.
    find_unused_parameters: bool = False

    def __init__(self, gnn: EncoderLoop) -> None:
        super().__init__()
        self.gnn = gnn

    @classmethod
    def add_args(cls, p: argparse.ArgumentParser) -> None:
        for flag in cls.flags:
            flag.add_to(p)

    @classmethod
    def config_cls(cls) -> type:
        """The method's own flags as a dataclass (``cfg.hparams``), made once from ``flags``."""
        if "_config_cls" not in cls.__dict__:
            cls._config_cls = make_dataclass(f"{cls.__name__}Config",
                                             [(f.dest, f.type, field(default=f.default)) for f in cls.flags])
        return cls._config_cls

    @classmethod
    def hyperparameters(cls, cfg: PretrainConfig, dataset=None) -> dict:
        """The constructor's keywords beside the encoder: the method's flags (their defaults when unset)."""
        hparams = cfg.hparams if cfg.hparams is not None else cls.config_cls()()
        return {f.dest: getattr(hparams, f.dest) for f in cls.flags}

    @classmethod
    def from_config(cls, cfg: PretrainConfig, dataset=None) -> "PretrainMethod":
        """Encoder first, then the heads: a seed draws the original's weights in the original's order."""
        return cls(build_encoder(cls.encoder_cls, cfg), **cls.hyperparameters(cfg, dataset))

    @classmethod
    def from_args(cls, args: argparse.Namespace, dataset=None) -> "PretrainMethod":
        """From parsed flags holding the shared ones and the method's (no domain data flags)."""
        return cls.from_config(PretrainConfig.from_namespace(args, hparams_cls=cls.config_cls()), dataset)

    def transform(self, batch: Batch) -> Batch:
        return batch

    def forward(self, batch: Batch) -> tuple[torch.Tensor, dict]:
        raise NotImplementedError

    def encoder_state_dict(self) -> dict:
        """What --output_model_file holds: the encoder's state_dict, loadable by finetune.py."""
        return self.gnn.state_dict()


def register(name: str, domain: str | None = None) -> Callable[[type[PretrainMethod]], type[PretrainMethod]]:
    """Class decorator: ``@register("attrmasking")`` names the class and lists it under its domain."""
    def add(cls: type[PretrainMethod]) -> type[PretrainMethod]:
        dom = domain or domain_of_module(cls.__module__) or cls.__module__.split(".")[0]
        known = _REGISTRY.setdefault(dom, {})
        if name in known and known[name] is not cls:
            raise ValueError(f"{dom} method {name!r} registered twice: {known[name].__qualname__} and {cls.__qualname__}")
        cls.name, cls.domain = name, dom
        known[name] = cls
        return cls
    return add


def methods(domain: str) -> dict[str, type[PretrainMethod]]:
    """Every registered method of ``domain`` (a name), by name."""
    get_domain(domain).load_methods()
    return dict(sorted(_REGISTRY.get(domain, {}).items()))


def get_method(domain: str, name: str) -> type[PretrainMethod]:
    known = methods(domain)
    if name not in known:
        raise ValueError(f"unknown {domain} method {name!r}; one of {', '.join(known)}")
    return known[name]
