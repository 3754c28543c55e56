"""Ship the encoders of a scripts/pretrain_zoo.sh campaign into models/chem: float16 storage (half the
bytes; finetune.py loads them into float32 parameters), each with a JSON saying how it was made.

    python scripts/ship_models.py runs/zoo/models [--out models/chem] [--only gin_attrmasking,...]

A model is shipped as models/chem/<stem>.pth + <stem>.json; the JSON holds its zoo name
(ours_<stem>), architecture, data, budget, final loss and accuracy, speed, package versions, the
sha256 of the shipped file and of the float32 original (what pretrain_zoo.sh re-creates bit for bit).
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import sys


sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from pretrain_gnns.checkpoint import atomic_save, load_state_dict_file  # noqa: E402
from pretrain_gnns.card import KIND_SHIPPED, write_card  # noqa: E402
from pretrain_gnns.pretrain_loop import LOOP_KEYS  # noqa: E402

ZOO_PREFIX = "ours_"
# pretrain_zoo.sh's budget variables, recorded so that the JSON says how to re-create the model
BUDGET_KEYS = {"max_molecules": "MOLECULES", "epochs": None, "precision": "PRECISION", "seed": "SEED"}


def sha256_of(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def to_half(state: dict) -> dict:
    """Floating tensors to float16 (integer buffers such as num_batches_tracked stay as they are)."""
    return {k: v.half() if v.is_floating_point() else v for k, v in state.items()}


def _node_budget(config: dict) -> list[str]:
    molecules = config.get("max_molecules") or "all"
    return [f"MOLECULES={molecules}", f"NODE_EPOCHS={config['epochs']}"]


def recreate_command(stem: str, config: dict, base_config: dict | None = None) -> str:
    """The scripts/pretrain_zoo.sh call that re-creates the model; a stacked model's call also names
    its base's budget (``base_config``: the base's report config), which the same call trains first."""
    supervised = config["method"] == "supervised"
    env = [f"SEED={config['seed']}"]
    if supervised:
        env += [f"PRECISION={(base_config or config)['precision']}", f"SUP_PRECISION={config['precision']}",
                f"SUP_EPOCHS={config['epochs']}"]
        if config.get("max_molecules"):
            env.append(f"SUP_MOLECULES={config['max_molecules']}")
        env.append(f"SUPERVISED={stem[len('gin_'):]}")
        if base_config is not None:
            env += _node_budget(base_config) + [f"METHODS={base_config['method']}"]
        else:
            env.append(f"METHODS={chr(34) * 2}")
    else:
        env += [f"PRECISION={config['precision']}", *_node_budget(config), f"METHODS={config['method']}",
                'SUPERVISED=""']
    return " ".join(env) + " scripts/pretrain_zoo.sh OUT"


def base_stem(input_model_file: str) -> str | None:
    """The base model a stacked run started from: gin_<method> (a campaign's per-epoch snapshot
    gin_<method>.epoch<E> is that model after E epochs)."""
    stem = os.path.splitext(os.path.basename(input_model_file or ""))[0]
    return stem.split(".epoch")[0] or None


def cpu_of(campaign_dir: str) -> str | None:
    """What the campaign recorded of its CPU (scripts/budget_campaign.sh writes cpu.txt)."""
    path = os.path.join(campaign_dir, "cpu.txt")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return "; ".join(line.strip().replace("model name\t: ", "") for line in f if line.strip())


def manifest(stem: str, report: dict, shipped: str, source: str, base_report: dict | None = None,
             cpu: str | None = None) -> dict:
    config = report["config"]
    final = {k: v for k, v in report["history"][-1].items() if k not in LOOP_KEYS}
    base_config = base_report["config"] if base_report else None
    return {
        "name": ZOO_PREFIX + stem, "file": os.path.basename(shipped), "sha256": sha256_of(shipped),
        "storage": "float16 (loaded into float32 parameters)",
        "architecture": {"gnn_type": config["gnn_type"], "num_layer": config["num_layer"],
                         "emb_dim": config["emb_dim"], "JK": config["JK"], "domain": "chem"},
        "method": config["method"], "stacked_on": base_stem(config.get("input_model_file") or ""),
        "data": os.path.basename(config.get("smiles_file") or config.get("dataset") or ""),
        "threshold": config.get("threshold"), "molecules": config["num_molecules"], "epochs": report["epochs"],
        "steps": sum(h["steps"] for h in report["history"]),
        "batch_size": config["batch_size"], "lr": config["lr"], "dropout_ratio": config["dropout_ratio"],
        "precision": config["precision"], "seed": config["seed"],
        "final": final, "loss_per_epoch": [h["loss"] for h in report["history"]],
        "seconds": sum(h["seconds"] for h in report["history"]),
        "molecules_per_s_median": report["molecules_per_s_median"], "torch_threads": report["torch_threads"],
        "device": report["device"], "cpu": cpu, "versions": report["versions"],
        "float32_sha256": sha256_of(source), "recreate": recreate_command(stem, config, base_config),
    }


def ship(campaign_dir: str, out_dir: str, only: list[str] | None = None, snapshots: bool = False) -> list[str]:
    """Ship every finished model of ``campaign_dir`` (its JSON report exists); returns the stems shipped."""
    os.makedirs(out_dir, exist_ok=True)
    shipped = []
    for report_file in sorted(glob.glob(os.path.join(campaign_dir, "gin_*.json"))):
        stem = os.path.splitext(os.path.basename(report_file))[0]
        if (".epoch" in stem) != snapshots:  # per-epoch snapshots (budget_campaign.sh) only when asked for
            continue
        if only and stem not in only:
            continue
        source = os.path.join(campaign_dir, stem + ".pth")
        with open(report_file) as f:
            report = json.load(f)
        base = base_stem(report["config"].get("input_model_file") or "")
        base_file = os.path.join(campaign_dir, base + ".json") if base else ""
        base_report = None
        if base_file and os.path.exists(base_file):
            with open(base_file) as f:
                base_report = json.load(f)
        target = os.path.join(out_dir, stem + ".pth")
        atomic_save(to_half(load_state_dict_file(source)), target)
        write_card(target, {"kind": KIND_SHIPPED,
                            **manifest(stem, report, target, source, base_report, cpu_of(campaign_dir))})
        shipped.append(stem)
        print(f"{stem}: {os.path.getsize(target) / 2**20:.1f} MB -> {target}")
    return shipped


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("campaign_dir", help="OUT of scripts/pretrain_zoo.sh (gin_<method>.pth + .json)")
    p.add_argument("--out", default="models/chem", help="where the shipped models go")
    p.add_argument("--snapshots", action="store_true",
                   help="ship the per-epoch snapshots gin_<method>.epoch<E> of scripts/budget_campaign.sh instead "
                        "(the points of the budget curve, in the shipped float16 format)")
    p.add_argument("--only", default="", help="comma-separated stems to ship (default: every finished model)")
    args = p.parse_args(argv)
    if not os.path.isdir(args.campaign_dir):
        raise FileNotFoundError(f"campaign folder not found: {args.campaign_dir}")
    stems = ship(args.campaign_dir, args.out, [s for s in args.only.split(",") if s] or None,
                  args.snapshots)
    if not stems:
        raise FileNotFoundError(f"no finished model (gin_*.json) in {args.campaign_dir}")
    total = sum(os.path.getsize(f) for f in glob.glob(os.path.join(args.out, "*")))
    print(f"{len(stems)} shipped; {args.out} holds {total / 2**20:.1f} MB")


if __name__ == "__main__":
    from pretrain_gnns.cli_args import run_main
    run_main(main)
