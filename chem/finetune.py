"""Fine-tune a chem GNN on a MoleculeNet dataset (the original's finetune.py, same flags and defaults),
a regression set (esol, freesolv, lipophilicity) or your own file (--data; chem/csv_dataset.py).

Writes <output-dir>/<filename>.csv (one row per epoch) and <filename>.json (test ROC-AUC, or for
regression test RMSE and MAE, at the best-validation epoch and at the last epoch, config, seeds,
versions). --save-model m.pth saves the model after the last epoch (not the best-validation one) and
m.json beside it (its card: architecture, task names, dataset, split, that epoch's test score, for
regression the training split's mean and std, versions), which ``pretrain-gnns predict`` reads.
"""
from __future__ import annotations

import argparse
import os

import torch

from chem.csv_dataset import add_own_data_args, load_labelled
from chem.datasets import MOLECULENET, REGRESSION, task_type
from chem.domain import CHEM
from chem.loader import MoleculeDataset
from chem.model import GNN_graphpred
from chem.splitters import split_dataset, split_name
from pretrain_gnns.architecture import checkpoint_gnn_type
from pretrain_gnns.card import architecture_of, check_architecture, finetuned_card, write_card
from pretrain_gnns.cli_args import ArgumentParser, HelpFormatter, prog_name
from pretrain_gnns.config import add_finetune_options
from pretrain_gnns.data_root import ENV_DATA
from pretrain_gnns.finetune_loop import output_stem, per_seed_args, run_finetune, save_model
from pretrain_gnns.graphstore import make_loader
from pretrain_gnns.regression import TargetScaler
from pretrain_gnns.regression_loop import run_finetune_regression
from pretrain_gnns.runtime import adam, resolve_device, seed_everything
from pretrain_gnns.zoo import add_model_dir_arg, resolve_input_model_arg

EVAL_BATCH = 512  # evaluation runs in eval mode (no dropout, fixed batch norm): batch size does not change scores


def build_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(prog=prog_name(), description=__doc__, formatter_class=HelpFormatter)
    add_finetune_options(p, CHEM.gnn_types())
    p.add_argument("--lr_scale", type=float, default=1, help="relative learning rate of the prediction head (and attention pooling)")
    p.add_argument("--dataset", default="tox21", help=f"dataset name: {', '.join(MOLECULENET)}, mutag, chembl2321810 "
                   f"(shipped with RDKit), or the regression sets {', '.join(REGRESSION)}; or --data (below)")
    p.add_argument("--input_model_file", default="", help="pre-trained encoder to start from: a state_dict file or a "
                   "zoo name (python -m pretrain_gnns.zoo list; sets --gnn_type, --num_layer, --emb_dim, --JK from "
                   "the entry); '' = random init")
    add_model_dir_arg(p)
    p.add_argument("--filename", default="", help="output file stem (default: <dataset>_<gnn_type>_<model>_seed<runseed>)")
    p.add_argument("--seed", type=int, default=42, help="seed for the random and random_scaffold splits")
    p.add_argument("--split", default="scaffold", choices=["scaffold", "random", "random_scaffold"], help="dataset split")
    p.add_argument("--data-root", dest="data_root", default=None, help=f"folder holding <dataset>/raw/ (default: ${ENV_DATA} or ./dataset)")
    add_own_data_args(p)
    return p


def param_groups(model: GNN_graphpred, lr: float, lr_scale: float) -> list[dict]:
    """The encoder at lr; the head (and attention pooling) at lr * lr_scale, as the original."""
    groups = [{"params": model.gnn.parameters()}]
    if isinstance(model.pool, torch.nn.Module):
        groups.append({"params": model.pool.parameters(), "lr": lr * lr_scale})
    groups.append({"params": model.graph_pred_linear.parameters(), "lr": lr * lr_scale})
    return groups


def main(argv: list[str] | None = None) -> dict:
    """Fine-tune once per run seed (--runseed, or each of --runseeds); returns the last run's summary."""
    args = build_parser().parse_args(argv)
    resolve_input_model_arg(args, "chem")
    if args.data:  # a user's file: results and model card are named for it
        args.dataset = os.path.basename(args.data).split(".")[0] or "data"
    runs = per_seed_args(args)  # refuses clashing output names before any work
    device = resolve_device(args.device)
    dataset = load_labelled(args)
    if dataset.num_tasks == 0:  # e.g. --dataset csv without label columns: nothing to fine-tune on
        raise ValueError(f"--dataset {args.dataset}: the dataset has no label columns, so there is nothing to "
                         f"fine-tune on; use a dataset with labels ({', '.join(MOLECULENET)}, ...)")
    return [finetune_one(run, dataset, device) for run in runs][-1]


def finetune_one(args: argparse.Namespace, dataset: MoleculeDataset, device: torch.device) -> dict:
    """One run seed: split, loaders, model, training, result files (and --save-model)."""
    seed_everything(args.runseed)
    train, valid, test = split_dataset(dataset, args.split, args.seed, args.split_column, args.split_file)
    print(f"[{args.dataset}] {len(dataset)} molecules, {dataset.num_tasks} tasks; "
          f"split {split_name(args.split, args.split_column, args.split_file)}: "
          f"{len(train)}/{len(valid)}/{len(test)}; run seed {args.runseed}", flush=True)
    loaders = {"train": make_loader(train, args.batch_size, shuffle=True, num_workers=args.num_workers),
               "train_eval": make_loader(train, EVAL_BATCH), "valid": make_loader(valid, EVAL_BATCH),
               "test": make_loader(test, EVAL_BATCH)}
    model = GNN_graphpred(args.num_layer, args.emb_dim, dataset.num_tasks, JK=args.JK, drop_ratio=args.dropout_ratio,
                          graph_pooling=args.graph_pooling, gnn_type=args.gnn_type)
    if args.input_model_file:
        warn_architecture_mismatch(args.input_model_file, args.gnn_type)
        model.from_pretrained(args.input_model_file)
        check_architecture(args.input_model_file, architecture_of(args, "chem"))
    model.to(device)
    optimizer = adam(param_groups(model, args.lr, args.lr_scale), lr=args.lr, weight_decay=args.decay)
    stem = output_stem(args.filename, args.dataset, args.gnn_type, args.input_model_file, args.runseed)
    config = {**vars(args), "num_tasks": dataset.num_tasks, "split_sizes": [len(train), len(valid), len(test)]}
    prefix = os.path.join(args.output_dir, stem)
    scaler = None
    if task_type(dataset.spec) == "regression":
        scaler = TargetScaler.fit(train.graph_attr("y"), dataset.meta["tasks"])  # the training split's mean and std
        summary = run_finetune_regression(model, optimizer, loaders, args.epochs, device, prefix, config, scaler,
                                          eval_train=bool(args.eval_train), precision=args.precision,
                                          progress=not args.quiet)
    else:
        summary = run_finetune(model, optimizer, loaders, args.epochs, device, prefix, config=config,
                               eval_train=bool(args.eval_train), precision=args.precision, progress=not args.quiet)
    save_model(model, args.save_model)
    if args.save_model:
        # the card holds the architecture block that check_architecture and predict read back
        extra = {"task_type": "regression" if scaler is not None else "classification"}
        if args.data:
            extra.update(data=os.path.abspath(args.data), smiles_column=dataset.spec.smiles_column)
        if scaler is not None:  # outputs are standardised: predict turns them back with these
            extra["target_scaling"] = scaler.as_dict()
        write_card(args.save_model, finetuned_card(args, "chem", dataset.meta["tasks"], summary, args.dataset,
                                                   args.input_model_file, **extra))
    return summary


def warn_architecture_mismatch(path: str, gnn_type: str) -> None:
    """GCN and GraphSAGE checkpoints have identical keys and shapes, so a strict load cannot tell them
    apart; the JSON beside a checkpoint (or a released file's name) says its architecture, so a
    disagreement gets a warning."""
    named = checkpoint_gnn_type(path, "chem")
    if named and named != gnn_type:
        print(f"WARNING: {path} is named for {named!r} but --gnn_type is {gnn_type!r}", flush=True)


if __name__ == "__main__":
    from pretrain_gnns.cli_args import run_main
    run_main(main)
