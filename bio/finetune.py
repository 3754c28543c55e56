"""Fine-tune a bio GNN on the 40 downstream GO tasks (the original's bio/finetune.py: same flags,
defaults and protocol).

Species split: train and valid (85/15 at random, --seed) from the species 3702, 6239, 511145, 7227,
10090, 4932, 7955; test on human (9606), cut at random (--seed) into the original's two halves:
"easy" (test_dataset_broad, whose coarse GO labels supervised pre-training saw) and "hard"
(test_dataset_none, never seen; the number the paper reports). Loss: BCE over all 40 labels, where
0 means "not annotated" (unlike chem, there are no missing labels). 50 epochs.

Writes <output-dir>/<filename>.csv (one row per epoch: test_auc = hard half, test_easy_auc) and
<filename>.json (test_at_best_val / test_last = hard half; test_easy_at_best_val / test_easy_last;
per task; config, versions).
"""
from __future__ import annotations

import argparse
import os

import torch

from bio.domain import BIO
from bio.loader import BioDataset
from bio.model import GNN_graphpred
from bio.splitters import random_split, species_split
from pretrain_gnns.card import architecture_of, check_architecture, finetuned_card, write_card
from pretrain_gnns.cli_args import ArgumentParser, HelpFormatter, prog_name
from pretrain_gnns.config import add_finetune_options
from pretrain_gnns.data_root import ENV_DATA, data_root
from pretrain_gnns.finetune_loop import output_stem, per_seed_args, run_finetune, save_model
from pretrain_gnns.graphstore import make_loader
from pretrain_gnns.runtime import adam, resolve_device, seed_everything
from pretrain_gnns.zoo import add_model_dir_arg, resolve_input_model_arg

TARGET = "go_target_downstream"


def build_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(prog=prog_name(), description=__doc__, formatter_class=HelpFormatter)
    add_finetune_options(p, BIO.gnn_types(), defaults={"epochs": 50},  # the original bio/finetune.py's
                         helps={"batch_size": "training batch size (evaluation uses 10x)"})
    p.add_argument("--model_file", "--input_model_file", dest="model_file", default="",
                   help="pre-trained encoder to start from: a state_dict file or a zoo name (pretrain-gnns zoo list "
                   "--domain bio; sets --gnn_type, --num_layer, --emb_dim, --JK from the entry); '' = random init")
    add_model_dir_arg(p)
    p.add_argument("--filename", default="", help="output file stem (default: bio_<gnn_type>_<model>_seed<runseed>)")
    p.add_argument("--seed", type=int, default=42, help="seed for splitting the dataset")
    p.add_argument("--split", default="species", choices=["species", "random"], help="species (the paper's) or random 80/10/10")
    p.add_argument("--data-root", dest="data_root", default=None,
                   help=f"folder holding supervised/ (default: ${ENV_DATA} or ./dataset); see python -m bio.loader --help")
    return p


def signed_labels(batch):
    """GO labels 1/0 -> +1/-1 for the shared masked loss and ROC-AUC, which read 0 as 'missing':
    the result is the original's plain BCE over all labels (batches are fresh copies, so in place is safe)."""
    y = batch[TARGET]
    batch[TARGET] = y.to(torch.int8) * 2 - 1
    return batch


def split_dataset(dataset: BioDataset, split: str, seed: int) -> dict:
    """{'train', 'valid', 'test'[, 'test_easy']} views, as the original cut them."""
    if split == "random":
        train, valid, test = random_split(dataset, frac_train=0.8, frac_valid=0.1, frac_test=0.1, seed=seed)
        return {"train": train, "valid": valid, "test": test}
    train_valid, test = species_split(dataset)
    train, valid, _ = random_split(train_valid, frac_train=0.85, frac_valid=0.15, frac_test=0.0, seed=seed)
    easy, hard, _ = random_split(test, frac_train=0.5, frac_valid=0.5, frac_test=0.0, seed=seed)
    return {"train": train, "valid": valid, "test": hard, "test_easy": easy}


def main(argv: list[str] | None = None) -> dict:
    """Fine-tune once per run seed (--runseed, or each of --runseeds); returns the last run's summary."""
    args = build_parser().parse_args(argv)
    resolve_input_model_arg(args, "bio", attr="model_file")
    runs = per_seed_args(args)  # refuses clashing output names before any work
    device = resolve_device(args.device)
    dataset = BioDataset(os.path.join(data_root(args.data_root), "supervised"), data_type="supervised")
    return [finetune_one(run, dataset, device) for run in runs][-1]


def finetune_one(args: argparse.Namespace, dataset: BioDataset, device: torch.device) -> dict:
    """One run seed: split, loaders, model, training, result files (and --save-model)."""
    seed_everything(args.runseed)
    name = "bio_synthetic" if dataset.synthetic else "bio"
    parts = split_dataset(dataset, args.split, args.seed)
    sizes = {k: len(v) for k, v in parts.items()}
    unused = len(dataset) - sum(sizes.values())  # the original's int() rounding of the 85/15 and 50/50 cuts
    print(f"[{name}] {len(dataset)} ego-networks{' (SYNTHETIC)' if dataset.synthetic else ''}, {dataset.num_tasks} "
          f"GO tasks; split {args.split}: {sizes}" + (f", {unused} unused by rounding (as the original)" if unused else "")
          + f"; run seed {args.runseed}", flush=True)
    eval_batch = 10 * args.batch_size

    def loader(part, shuffle=False, batch_size=eval_batch):
        return make_loader(part, batch_size, shuffle=shuffle, transform=signed_labels,
                           num_workers=args.num_workers if shuffle else 0)

    loaders = {"train": loader(parts["train"], True, args.batch_size), "train_eval": loader(parts["train"]),
               "valid": loader(parts["valid"]), "test": loader(parts["test"])}
    extra = {"test_easy": loader(parts["test_easy"])} if "test_easy" in parts else {}
    model = GNN_graphpred(args.num_layer, args.emb_dim, dataset.num_tasks, JK=args.JK, drop_ratio=args.dropout_ratio,
                          graph_pooling=args.graph_pooling, gnn_type=args.gnn_type)
    if args.model_file:
        model.from_pretrained(args.model_file)
        check_architecture(args.model_file, architecture_of(args, "bio"))
    model.to(device)
    optimizer = adam(model.parameters(), lr=args.lr, weight_decay=args.decay)
    stem = output_stem(args.filename, name, args.gnn_type, args.model_file, args.runseed)
    config = {**vars(args), "dataset": name, "input_model_file": args.model_file, "num_tasks": dataset.num_tasks,
              "split_sizes": sizes, "synthetic": dataset.synthetic,
              "test_halves": "test = hard half (the paper's number), test_easy = easy half" if extra else None}
    summary = run_finetune(model, optimizer, loaders, args.epochs, device, os.path.join(args.output_dir, stem),
                           config=config, target=TARGET, eval_train=bool(args.eval_train),
                           precision=args.precision, progress=not args.quiet, extra_tests=extra)
    save_model(model, args.save_model)
    if args.save_model:
        # the GO terms when the dataset was built here; the original's files do not name them
        tasks = dataset.meta.get("downstream_terms") or [f"go_downstream_{i}" for i in range(dataset.num_tasks)]
        write_card(args.save_model, finetuned_card(args, "bio", tasks, summary, name, args.model_file))
    return summary


if __name__ == "__main__":
    from pretrain_gnns.cli_args import run_main
    run_main(main)
