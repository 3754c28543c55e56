"""What every pre-training command does, chem or bio: flags, data, seed, method, the shared loop.

A domain (chem/pretrain.py, bio/pretrain.py) is a ``Domain``: where its graphs come from and its
data flags. A method is a registered ``PretrainMethod`` (pretrain_gnns/method.py) that declares its
flags and defaults. ``main`` is ``python -m <domain>.pretrain --method NAME``; ``script`` gives the
original's per-method script names the same command with the method fixed.
"""
from __future__ import annotations

import argparse
import contextlib
import textwrap
from dataclasses import dataclass
from functools import partial
from typing import Callable

from pretrain_gnns.cli_args import HelpFormatter
from pretrain_gnns.graphstore import GraphDataset
from pretrain_gnns.method import PretrainMethod, get_method, methods
from pretrain_gnns.pretrain_config import PretrainConfig, add_pretrain_args
from pretrain_gnns.files import check_writable, output_lock
from pretrain_gnns.pretrain_loop import (main_process_first, model_path, report_path, run_pretraining,
                                        setup_distributed, state_path)
from pretrain_gnns.runtime import parse_device, resolve_precision, seed_everything
from pretrain_gnns.zoo import add_model_dir_arg, resolve_input_model_arg

MethodClass = type[PretrainMethod]


@dataclass(frozen=True)
class Domain:
    """What a domain adds to the shared steps.

    name: the registry's domain ('chem' or 'bio'); default_dataset(method): the --dataset default;
    add_data_args(parser, method): the domain's data flags; load_dataset(config, method): the graphs
    to train on; describe(dataset): a few words for the log line.
    """

    name: str
    default_dataset: Callable[[MethodClass], str]
    add_data_args: Callable[[argparse.ArgumentParser, MethodClass], None]
    load_dataset: Callable[[PretrainConfig, MethodClass], GraphDataset]
    describe: Callable[[GraphDataset], str]


def first_paragraph(doc: str | None) -> str:
    return " ".join((doc or "").strip().split("\n\n")[0].split())


def build_parser(domain: Domain, method_cls: MethodClass, prog: str | None = None,
                 method_flag: bool = False) -> argparse.ArgumentParser:
    """The shared flags with the method's defaults, then the domain's data flags, then the method's."""
    p = argparse.ArgumentParser(prog=prog, description=first_paragraph(method_cls.__doc__),
                                formatter_class=HelpFormatter)
    if method_flag:
        p.add_argument("--method", choices=list(methods(domain.name)), required=True, help="pre-training method")
    add_pretrain_args(p, batch_size=method_cls.batch_size, dropout_ratio=method_cls.dropout_ratio,
                      dataset=domain.default_dataset(method_cls), seed_flag=method_cls.run_seed_flag,
                      gnn_types=list(method_cls.encoder_cls.CONVS))
    domain.add_data_args(p, method_cls)
    method_cls.add_args(p)
    if "input_model_file" in {a.dest for a in p._actions}:
        add_model_dir_arg(p)  # the encoder to start from may be a zoo name
    return p


def run(domain: Domain, method_cls: MethodClass, cfg: PretrainConfig) -> dict:
    """Load the data (rank 0 first under torchrun), seed, build the method, train; returns the report."""
    parse_device(cfg.device)  # an unknown --device is refused before the data is read
    cfg.precision = resolve_precision(cfg.precision, cfg.device)  # auto -> fp32/bf16; emulated bf16 refused
    out_file = model_path(cfg.output_model_file)
    for path in (out_file, report_path(out_file), state_path(out_file)) if out_file else ():
        check_writable(path, "--output_model_file")  # not after an epoch
    info = setup_distributed(cfg.device)
    # One run at a time per output name (rank 0 writes; the other ranks of a torchrun share its name).
    with output_lock(out_file, "--output_model_file") if out_file and info.is_main else contextlib.nullcontext():
        with main_process_first(info):
            dataset = domain.load_dataset(cfg, method_cls)
        seed_everything(cfg.seed)
        method = method_cls.from_config(cfg, dataset)
        if info.is_main:
            tag = "" if domain.name == "chem" else f"{domain.name} "
            print(f"[{tag}{method.name}] {domain.describe(dataset)}, {sum(p.numel() for p in method.parameters()):,} "
                  "parameters", flush=True)
        return run_pretraining(method, dataset, cfg)


def overview_parser(domain: Domain) -> argparse.ArgumentParser:
    """``python -m <domain>.pretrain --help`` without a method: the methods, one line each."""
    listing = "\n".join(f"  {name:12s} {textwrap.shorten(first_paragraph(cls.__doc__), 90)}"
                        for name, cls in methods(domain.name).items())
    p = argparse.ArgumentParser(
        prog=f"python -m {domain.name}.pretrain", formatter_class=argparse.RawDescriptionHelpFormatter,
        description=f"Pre-train a {domain.name} GNN encoder with one of the methods below.",
        epilog=f"methods:\n{listing}\n\npython -m {domain.name}.pretrain --method NAME --help lists a method's flags.")
    p.add_argument("--method", choices=list(methods(domain.name)), required=True, help="pre-training method")
    return p


def main(domain: Domain, argv: list[str] | None, method: str | None = None) -> dict:
    """Parse ``argv`` (with --method unless ``method`` is given) and pre-train; returns the report."""
    method_flag = method is None
    if method_flag:
        pre = argparse.ArgumentParser(add_help=False)
        pre.add_argument("--method")
        method = pre.parse_known_args(argv)[0].method
        if method not in methods(domain.name):
            overview_parser(domain).parse_args(argv)  # the overview's --help, or a usage error: exits
    method_cls = get_method(domain.name, method)
    prog = f"python -m {domain.name}.pretrain" if method_flag else None
    args = build_parser(domain, method_cls, prog, method_flag).parse_args(argv)
    if method_flag:
        del args.method
    resolve_input_model_arg(args, domain.name)  # a zoo name: its file, and the encoder flags from its entry
    return run(domain, method_cls, PretrainConfig.from_namespace(args))


def script(domain: Domain, method: str) -> Callable[[list[str] | None], dict]:
    """``main`` of the original's script for ``method``: the same flags, no --method."""
    return partial(main, domain, method=method)
