"""Launched by test_pretrain_ddp.py under torchrun: trains AttrMasking with DistributedDataParallel
and saves this rank's final parameters to <out_dir>/rank<R>.pt, so the test can compare the ranks."""
from __future__ import annotations

import json
import os
import sys

import torch

from chem.pretrain import DOMAIN
from chem.pretrain_data import load_pretrain_dataset
from chem.methods.attrmasking import AttrMasking
from pretrain_gnns.pretrain_loop import main_process_first, run_pretraining, setup_distributed
from pretrain_gnns.pretrain_script import build_parser, config_from_args
from pretrain_gnns.runtime import seed_everything


def main(out_dir: str, argv: list[str]) -> None:
    cfg = config_from_args(DOMAIN, AttrMasking, build_parser(DOMAIN, AttrMasking).parse_args(argv))
    info = setup_distributed(cfg.device)
    with main_process_first(info):
        dataset = load_pretrain_dataset(cfg)
    seed_everything(cfg.seed)
    method = AttrMasking.from_config(cfg, dataset)
    report = run_pretraining(method, dataset, cfg)
    params = {k: v.detach().clone() for k, v in method.named_parameters()}
    torch.save(params, os.path.join(out_dir, f"rank{info.rank}.pt"))
    with open(os.path.join(out_dir, f"rank{info.rank}.json"), "w") as f:
        json.dump({"history": report["history"], "world_size": report["world_size"]}, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
