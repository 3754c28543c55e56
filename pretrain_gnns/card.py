"""The checkpoint card: the JSON beside every checkpoint (``<stem>.json`` beside ``<stem>.pth``), read and
written here only, the same for every domain and for pre-trained, fine-tuned and shipped models.

A card holds ``format``, ``kind`` (what the checkpoint is), ``architecture`` (gnn_type, num_layer,
emb_dim, JK, domain; a fine-tuned model adds graph_pooling and num_tasks) and the record of how it
was made: a pre-training report (config, per-epoch loss, versions), a fine-tuning record (tasks,
dataset, split, scores) or a shipped model's name and sha256. GCN and GraphSAGE encoders (and any
two JK settings) have identical keys and shapes, so a strict load alone cannot tell them apart: the
card can. The original's released files have no card.
"""
from __future__ import annotations

import json
import os
import time
from typing import Any, Callable

from pretrain_gnns.checkpoint import CheckpointMismatchError
from pretrain_gnns.files import write_json

CARD_FORMAT = 1
KIND_PRETRAINED = "pre-trained encoder"
KIND_FINETUNED = "GNN_graphpred (fine-tuned)"
KIND_SHIPPED = "shipped encoder (float16)"
# what a card may record of its architecture
RECORDED_KEYS = ("gnn_type", "num_layer", "emb_dim", "JK", "domain", "graph_pooling")
ARCHITECTURE_KEYS = ("gnn_type", "num_layer", "emb_dim", "JK", "domain")
# A different JK on load is a legitimate choice (it changes how the layers are read out, not the weights).
ARCHITECTURE_MUST_MATCH = ("gnn_type", "num_layer", "emb_dim", "domain")


def json_beside(model_file: str) -> str:
    """``<stem>.json`` beside ``<stem>.pth`` / ``<stem>.pt``."""
    return os.path.splitext(model_file)[0] + ".json"


def read_card(model_file: str) -> dict:
    """The card beside ``model_file``; {} when there is none or it is not a JSON object."""
    try:
        with open(json_beside(model_file)) as f:
            card = json.load(f)
    except (OSError, ValueError):
        return {}
    return card if isinstance(card, dict) else {}


def write_card(model_file: str, card: dict) -> str:
    """Write ``card`` beside ``model_file`` (atomically), stamped with the card format; returns its path."""
    path = json_beside(model_file)
    write_json(path, {"format": CARD_FORMAT, **card})
    return path


def architecture_in(info: Any) -> dict:
    """What a loaded card says of its architecture: the run's ``config``, overridden by its
    ``architecture`` block (a dict, or just the gnn_type), overridden by top-level keys."""
    if not isinstance(info, dict):
        return {}
    arch = info.get("architecture")
    blocks = (info.get("config"), {"gnn_type": arch} if isinstance(arch, str) else arch, info)
    return {k: block[k] for block in blocks if isinstance(block, dict) for k in RECORDED_KEYS if k in block}


def recorded_architecture(model_file: str) -> dict:
    """architecture_in of the card beside ``model_file``; {} without one (the original's released files)."""
    return architecture_in(read_card(model_file))


def architecture_of(args: Any, domain: str) -> dict:
    """The architecture block of a run's flags (or of an encoder's attributes) and its domain."""
    return {"gnn_type": args.gnn_type, "num_layer": int(args.num_layer), "emb_dim": int(args.emb_dim),
            "JK": args.JK, "domain": domain}


def write_architecture(model_file: str, architecture: dict) -> None:
    """Set the ``architecture`` of the card beside ``model_file`` (created if absent, other keys kept)."""
    write_json(json_beside(model_file), {**read_card(model_file), "architecture": dict(architecture)})


def check_architecture(model_file: str, expected: dict, log: Callable[[str], Any] = print) -> bool:
    """Compare the architecture recorded beside ``model_file`` with ``expected``; a difference raises
    CheckpointMismatchError. Returns False (and says so) when nothing is recorded, e.g. a released file."""
    path = json_beside(model_file)
    recorded = recorded_architecture(model_file)
    if not recorded:
        log(f"note: {model_file} has no architecture record ({path}); its architecture could not be checked "
            f"against --gnn_type {expected.get('gnn_type')} --num_layer {expected.get('num_layer')} "
            f"--emb_dim {expected.get('emb_dim')}")
        return False
    diffs = [f"{k}: checkpoint {recorded[k]!r}, now {expected.get(k)!r}" for k in ARCHITECTURE_MUST_MATCH
             if k in recorded and recorded[k] != expected.get(k)]
    if diffs:
        raise CheckpointMismatchError(f"{model_file} was saved from a different architecture ({path}); pass "
                                      "matching flags:\n  " + "\n  ".join(diffs))
    if "JK" in recorded and recorded["JK"] != expected.get("JK"):
        log(f"note: {model_file} was pre-trained with --JK {recorded['JK']}; now --JK {expected.get('JK')}")
    return True


def card_scores(summary: dict) -> dict:
    """The saved epoch's scores under the metric's name: test_roc_auc ..., or test_rmse (and MAE) ..."""
    metric = summary.get("metric", "roc_auc")
    scores = {f"test_{metric}": summary["test_last"], f"valid_{metric}": summary["val_last"],
              f"test_{metric}_at_best_val_epoch": summary["test_at_best_val"]}
    if metric == "rmse":
        scores.update(test_mae=summary["test_mae_last"], test_mae_at_best_val_epoch=summary["test_mae_at_best_val"])
    return scores


def finetuned_card(args: Any, domain: str, tasks: list[str], summary: dict, dataset: str,
                   input_model_file: str | None, **extra: Any) -> dict:
    """The card of a fine-tuned model (``finetune --save-model``): what predict needs to rebuild it
    (architecture, task names) and how it was made, where; ``extra``: what the domain adds (e.g. how
    to turn regression outputs back into the target's units)."""
    from pretrain_gnns.runtime import hardware_record, package_versions, resolve_device
    return {
        "kind": f"{domain} {KIND_FINETUNED}",
        "architecture": {**architecture_of(args, domain), "graph_pooling": args.graph_pooling,
                         "num_tasks": len(tasks)},
        "tasks": list(tasks), "dataset": dataset, "split": args.split, "split_seed": args.seed,
        "runseed": args.runseed, "input_model_file": input_model_file or None,
        "saved_epoch": summary["epochs"], "selection": "last epoch (the weights after the final epoch)",
        **card_scores(summary), "best_val_epoch": summary["best_epoch"],
        "precision": args.precision, "versions": package_versions(),
        "hardware": hardware_record(resolve_device(args.device)),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **extra,
    }


def read_finetuned_card(model_file: str, domain: str, needed_by: str = "predict") -> dict:
    """The card of a fine-tuned model of ``domain``; a missing card or another domain's is refused."""
    path = json_beside(model_file)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} not found: {needed_by} needs the JSON that finetune --save-model writes "
                                "beside the model (architecture and task names)")
    card = read_card(model_file)
    arch = card.get("architecture")
    if not isinstance(arch, dict) or arch.get("domain", domain) != domain:
        raise ValueError(f"{path} does not describe a {domain} fine-tuned model (no {domain} 'architecture')")
    return card
