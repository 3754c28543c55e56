"""What every pre-training command does, whatever the domain: flags, data, seed, method, the shared loop.

A ``Domain`` (pretrain_gnns/domain.py) says where its graphs come from and adds its data flags. A
method is a registered ``PretrainMethod`` (pretrain_gnns/method.py) that declares its flags and
defaults. ``main`` is ``pretrain-gnns pretrain --method NAME``; ``script`` gives the original's
per-method script names the same command with the method fixed.
"""
from __future__ import annotations

import argparse
import contextlib
import textwrap
from functools import partial
from typing import Callable

from pretrain_gnns.cli_args import ArgumentParser, HelpFormatter, prog_name
from pretrain_gnns.domain import Domain
from pretrain_gnns.files import check_writable, output_lock
from pretrain_gnns.method import PretrainMethod, get_method, methods
from pretrain_gnns.pretrain_config import PretrainConfig, add_pretrain_args
from pretrain_gnns.pretrain_loop import (main_process_first, model_path, report_path, run_pretraining,
                                        setup_distributed, state_path)
from pretrain_gnns.runtime import parse_device, resolve_precision, seed_everything
from pretrain_gnns.zoo import add_model_dir_arg, resolve_input_model_arg

MethodClass = type[PretrainMethod]

__all__ = ["Domain", "build_parser", "main", "overview_parser", "run", "script"]


def first_paragraph(doc: str | None) -> str:
    return " ".join((doc or "").strip().split("\n\n")[0].split())


def build_parser(domain: Domain, method_cls: MethodClass, prog: str | None = None,
                 method_flag: bool = False) -> argparse.ArgumentParser:
    """The shared flags with the method's defaults, then the domain's data flags, then the method's."""
    p = ArgumentParser(prog=prog, description=first_paragraph(method_cls.__doc__),
                                formatter_class=HelpFormatter)
    if method_flag:
        p.add_argument("--method", choices=list(methods(domain.name)), required=True, help="pre-training method")
    add_pretrain_args(p, batch_size=method_cls.batch_size, dropout_ratio=method_cls.dropout_ratio,
                      dataset=domain.default_pretrain_dataset(method_cls), seed_flag=method_cls.run_seed_flag,
                      gnn_types=list(method_cls.encoder_cls.CONVS))
    domain.add_pretrain_data_args(p, method_cls)
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
            dataset = domain.load_pretrain_dataset(cfg, method_cls)
        seed_everything(cfg.seed)
        method = method_cls.from_config(cfg, dataset)
        if info.is_main:
            print(f"[{domain.log_tag}{method.name}] {domain.describe(dataset)}, "
                  f"{sum(p.numel() for p in method.parameters()):,} parameters", flush=True)
        return run_pretraining(method, dataset, cfg)


def command_prog(domain: Domain) -> str:
    """``pretrain-gnns pretrain`` under the console script, else ``python -m <the domain's pretrain module>``."""
    return prog_name(f"python -m {domain.commands['pretrain'].partition(':')[0]}")


def overview_parser(domain: Domain) -> argparse.ArgumentParser:
    """The pre-training command's ``--help`` without a method: the methods, one line each."""
    listing = "\n".join(f"  {name:12s} {textwrap.shorten(first_paragraph(cls.__doc__), 90)}"
                        for name, cls in methods(domain.name).items())
    prog = command_prog(domain)
    p = ArgumentParser(
        prog=prog, formatter_class=argparse.RawDescriptionHelpFormatter,
        description=f"Pre-train a {domain.name} GNN encoder with one of the methods below.",
        epilog=f"methods:\n{listing}\n\n{prog} --method NAME --help lists a method's flags.")
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
    prog = command_prog(domain) if method_flag else None
    args = build_parser(domain, method_cls, prog, method_flag).parse_args(argv)
    if method_flag:
        del args.method
    if "input_model_file" in vars(args):  # a zoo name: its file, and the encoder flags from its entry
        resolve_input_model_arg(args, domain.name)
    return run(domain, method_cls, config_from_args(domain, method_cls, args))


def config_from_args(domain: Domain, method_cls: MethodClass, args: argparse.Namespace) -> PretrainConfig:
    """The parsed flags as a typed configuration: shared, the domain's data, the method's own."""
    return PretrainConfig.from_namespace(args, domain.pretrain_data_config(method_cls), method_cls.config_cls())


def script(domain: Domain, method: str) -> Callable[[list[str] | None], dict]:
    """``main`` of the original's script for ``method``: the same flags, no --method."""
    return partial(main, domain, method=method)
