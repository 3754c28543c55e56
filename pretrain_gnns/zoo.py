"""The model zoo: every model the original released, by name, checksummed; and this project's own.

    pretrain-gnns zoo list [--domain NAME] [--model-dir DIR]
    pretrain-gnns zoo fetch gin_supervised_contextpred

Names are ``<gnn_type>_<method>`` within a domain (``gin_supervised_contextpred``, ``gcn_masking``);
names prefixed with the domain (``<domain>_gin_masking``) work too. Each entry carries its
architecture, so a zoo name is all a user passes. The released models are each domain's
(``Domain.released``). A file is looked for, in order, in ``--model-dir`` / ``$PRETRAIN_GNNS_MODEL_DIR``
(a folder of released files, as named in the original repository, or its ``<domain>/``
subfolder), then in the cache ``$PRETRAIN_GNNS_CACHE/models/<domain>/``; otherwise it is downloaded
from the original repository (commit 8b20528) through a temporary file, checked against its git blob
SHA-1 (and sha256 where known), and renamed into the cache. A cached file that fails its check is
deleted and fetched again; a file in a model folder that fails it is refused (never deleted).

This project's own models are listed from ``models/<domain>/*.json`` in the repository, each beside
its ``.pth``: the JSON is the pre-training report (``config`` holds gnn_type, num_layer, emb_dim,
JK), with an optional ``"name"`` (default ``ours_<file stem>``) and ``"sha256"`` of the ``.pth``
(checked on every load when present). Dropping the two files in is all it takes;
``pretrain-gnns zoo register models/<domain>/gin_masking.pth`` records the sha256 in the JSON.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys
from dataclasses import dataclass, field

import torch

from pretrain_gnns.architecture import architecture_from_name
from pretrain_gnns.card import architecture_in, recorded_architecture
from pretrain_gnns.cli_args import ArgumentParser, prog_name
from pretrain_gnns.data_root import cache_dir, git_blob_sha1, sha256_file
from pretrain_gnns.domain import UnknownDomainError, domain_names, domain_of_state, domains, get_domain

ENV_MODEL_DIR = "PRETRAIN_GNNS_MODEL_DIR"
RELEASE_COMMIT = "8b20528a83b8869ce16451305b32c827258d19a3"
RELEASE_BASE = f"https://raw.githubusercontent.com/snap-stanford/pretrain-gnns/{RELEASE_COMMIT}/"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OWN_MODELS_DIR = os.path.join(REPO_ROOT, "models")

class ZooError(ValueError):
    """A model that cannot be named, found or used; the message says what to do instead."""


class UnknownModelError(ZooError):
    """A name that is not in the zoo; the message lists the known ones."""


class ModelDownloadError(ZooError):
    """A download that failed or did not match its checksum (the temporary file is deleted)."""


class WrongDomainError(ZooError):
    """A model of another domain than the command's."""


@dataclass(frozen=True)
class ZooEntry:
    name: str  # within its domain, e.g. gin_supervised_contextpred
    domain: str
    gnn_type: str
    method: str
    num_layer: int = 5
    emb_dim: int = 300
    JK: str = "last"
    graph_pooling: str = "mean"
    file_name: str = ""  # the file's name in a model folder
    url: str | None = None
    git_blob_sha1: str | None = None
    sha256: str | None = None
    size_bytes: int | None = None
    source: str = "released"  # released (the original's) or ours (this project's models/ folder)
    path: str | None = None  # for our own models: the file in the repository
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def architecture(self) -> dict:
        return {"gnn_type": self.gnn_type, "num_layer": self.num_layer, "emb_dim": self.emb_dim, "JK": self.JK,
                "domain": self.domain}

    @property
    def cache_path(self) -> str:
        return os.path.join(cache_dir(), "models", self.domain, self.file_name)


def _released() -> dict[str, dict[str, ZooEntry]]:
    """Every domain's released models (``Domain.released``), by domain and name."""
    table: dict[str, dict[str, ZooEntry]] = {d.name: {} for d in domains()}
    for domain, gnn_type, method, repo_path, blob, size, sha in (
            (d.name, *row) for d in domains() for row in d.released):
        name = f"{gnn_type}_{method}"
        base = os.path.basename(repo_path)
        # GIN files are <method>.pth in the original's model_gin/: prefix gin_ so one folder holds all.
        file_name = base if base.startswith(gnn_type + "_") else f"{gnn_type}_{base}"
        table[domain][name] = ZooEntry(name, domain, gnn_type, method, file_name=file_name,
                                       url=RELEASE_BASE + repo_path, git_blob_sha1=blob, sha256=sha,
                                       size_bytes=size, extra={"repo_path": repo_path})
    return table


def own_models(folder: str = OWN_MODELS_DIR) -> dict[str, dict[str, ZooEntry]]:
    """This project's models: ``<folder>/<domain>/<stem>.json`` beside ``<stem>.pth``."""
    table: dict[str, dict[str, ZooEntry]] = {d: {} for d in domain_names()}
    for domain in table:
        for meta_path in sorted(glob.glob(os.path.join(folder, domain, "*.json"))):
            pth = os.path.splitext(meta_path)[0] + ".pth"
            if not os.path.exists(pth):
                continue
            with open(meta_path) as f:
                meta = json.load(f)  # a damaged card of a shipped model is an error, not an empty card
            cfg = architecture_in(meta)  # the card just read, not read again
            stem = os.path.splitext(os.path.basename(pth))[0]
            name = meta.get("name") or f"ours_{stem}"
            method = meta.get("method") or meta.get("config", {}).get("method") or stem.split("_", 1)[-1]
            table[domain][name] = ZooEntry(
                name, domain, cfg.get("gnn_type", "gin"), method, num_layer=int(cfg.get("num_layer", 5)),
                emb_dim=int(cfg.get("emb_dim", 300)), JK=cfg.get("JK", "last"), file_name=os.path.basename(pth),
                sha256=meta.get("sha256"), source="ours", path=pth,
                extra={"description": meta.get("description", "")})
    return table


def register_own_model(pth: str) -> str:
    """Record the sha256 of one of this project's model files in the JSON beside it (its pre-training
    report), so that every later load checks it; returns the zoo name it will be listed under."""
    from pretrain_gnns.checkpoint import load_state_dict_file
    from pretrain_gnns.files import write_json
    meta_path = os.path.splitext(pth)[0] + ".json"
    if not os.path.isfile(pth) or not os.path.isfile(meta_path):
        raise FileNotFoundError(f"register needs {pth} and {meta_path}")
    # Only files that `list` and a load will find: a model listed under a name it never appears under
    # would be a registration that did nothing.
    folder = os.path.dirname(os.path.abspath(pth))
    if os.path.basename(folder) not in domain_names() or os.path.basename(os.path.dirname(folder)) != "models":
        raise ZooError(f"{pth}: register records models kept in a models/<domain>/ folder (zoo list shows "
                       f"those of {os.path.join(OWN_MODELS_DIR, '<domain>')}); copy the .pth and its .json into "
                       f"{os.path.join(OWN_MODELS_DIR, domain_names()[0])} (or another domain's folder) and register "
                       "that copy")
    load_state_dict_file(pth)  # a text file named .pth, a damaged or pickled one: refused, named
    try:
        with open(meta_path) as f:
            meta = json.load(f)
    except ValueError as err:
        raise ZooError(f"{meta_path}: not a JSON report ({err})") from None
    if not isinstance(meta, dict):
        raise ZooError(f"{meta_path}: not a JSON report (a {type(meta).__name__}, not an object)")
    meta["sha256"] = sha256_file(pth)
    meta.setdefault("name", "ours_" + os.path.splitext(os.path.basename(pth))[0])
    write_json(meta_path, meta)
    return f"{meta['name']}: {pth} sha256 {meta['sha256']} -> {meta_path}"


def entries(domain: str | None = None) -> dict[str, ZooEntry]:
    """Every model of ``domain`` (None: the default one): the original's released ones, then this project's own."""
    domain = check_domain(domain)
    return {**_released()[domain], **own_models()[domain]}


def check_domain(domain: str | None) -> str:
    """The name of ``domain`` (None: the default domain); an unknown one is a ZooError."""
    try:
        return get_domain(domain).name
    except UnknownDomainError as err:
        raise ZooError(str(err)) from None


def get_entry(name: str, domain: str | None = None) -> ZooEntry:
    """The zoo entry named ``name`` (``gin_masking`` or ``<domain>_gin_masking``) in ``domain``."""
    domain = check_domain(domain)
    for d in domain_names():
        if name.startswith(d + "_") and name[len(d) + 1:] in entries(d):
            if d != domain:
                raise WrongDomainError(f"{name!r} is a {d} model; this needs a {domain} model")
            name = name[len(d) + 1:]
    table = entries(domain)
    if name in table:
        return table[name]
    other = [d for d in domain_names() if d != domain and name in entries(d)]
    if other:
        raise WrongDomainError(f"{name!r} is a {other[0]} model, not a {domain} one; {domain} models: "
                               f"{', '.join(table)}")
    raise UnknownModelError(f"unknown model {name!r} (not a file, not a {domain} zoo name); known {domain} "
                            f"models: {', '.join(table)}")


def is_zoo_name(name: str, domain: str | None = None) -> bool:
    """True for a name of the zoo (of any domain) that is not an existing file."""
    if not name or os.path.exists(name) or os.path.exists(name + ".pth"):
        return False
    try:
        get_entry(name, domain)
        return True
    except WrongDomainError:
        return True
    except UnknownModelError:
        return False


def model_dirs(model_dir: str | None = None) -> list[str]:
    """The folder of released files (--model-dir, else $PRETRAIN_GNNS_MODEL_DIR); a named folder that does
    not exist is refused (a typo would otherwise silently mean "download everything")."""
    folder = model_dir or os.environ.get(ENV_MODEL_DIR)
    if folder and not os.path.isdir(folder):
        source = "--model-dir" if model_dir else f"${ENV_MODEL_DIR}"
        raise ZooError(f"{source} {folder}: no such folder")
    return [folder] if folder else []


def verify(entry: ZooEntry, path: str) -> str | None:
    """None if ``path`` is the entry's file, else what differs."""
    if entry.size_bytes and os.path.getsize(path) != entry.size_bytes:
        return f"size {os.path.getsize(path)} is not the known {entry.size_bytes} bytes"
    if entry.git_blob_sha1:
        got = git_blob_sha1(path)
        if got != entry.git_blob_sha1:
            return f"git blob SHA-1 {got} is not the known {entry.git_blob_sha1}"
    if entry.sha256:
        got = sha256_file(path)
        if got != entry.sha256:
            return f"sha256 {got} is not the known {entry.sha256}"
    return None


def local_file(entry: ZooEntry, model_dir: str | None = None) -> str | None:
    """The entry's file in a model folder (checked), or None; a file that fails its check is refused."""
    if entry.source == "ours":
        problem = verify(entry, entry.path)
        if problem:
            raise ZooError(f"{entry.path}: {problem}; the file is not the model its JSON describes")
        return entry.path
    # our file name (gin_<method>.pth) or the original's (model_gin/<method>.pth, gcn_<method>.pth)
    names = dict.fromkeys((entry.file_name, os.path.basename(entry.extra.get("repo_path", entry.file_name))))
    for folder in model_dirs(model_dir):
        for sub in ("", entry.domain):
            for fname in names:
                path = os.path.join(folder, sub, fname)
                if os.path.isfile(path):
                    problem = verify(entry, path)
                    if problem:
                        raise ZooError(f"{path}: {problem}; it is not the released {entry.domain} {entry.name} "
                                       "(replace it with the original file)")
                    return path
    return None


def fetch_model(entry: ZooEntry, url: str | None = None, progress: bool = True) -> str:
    """The entry's file in the cache, downloaded (and verified) when missing or corrupt."""
    from pretrain_gnns.download import DownloadError, fetch
    dest = entry.cache_path
    if os.path.isfile(dest):
        problem = verify(entry, dest)
        if problem is None:
            return dest
        print(f"[zoo] cached {dest} is corrupt ({problem}): deleting it and downloading again", file=sys.stderr,
              flush=True)
        os.remove(dest)
    url = url or entry.url
    if not url:
        raise ZooError(f"{entry.name} has no download location")
    hint = (f"or put the file (named {entry.file_name}) in a folder and pass --model-dir DIR "
            f"(or set ${ENV_MODEL_DIR}=DIR)")
    try:
        fetch(url, dest, sha256=entry.sha256, progress=progress, git_blob_sha1=entry.git_blob_sha1,
              offline_hint=hint)
    except DownloadError as err:
        raise ModelDownloadError(str(err)) from err
    return dest


def resolve(name_or_path: str, domain: str | None = None, model_dir: str | None = None, download: bool = True,
            progress: bool = True) -> tuple[str, dict]:
    """(checkpoint path, architecture) for a zoo name or a file. The architecture of a file comes from
    a JSON beside it (a fine-tuned or pre-trained model's report), else from its keys and shapes."""
    domain = check_domain(domain)
    if os.path.isfile(name_or_path):
        return name_or_path, architecture_of_file(name_or_path, domain)
    entry = get_entry(name_or_path, domain)
    path = local_file(entry, model_dir)
    if path is None:
        if not download:
            raise ZooError(f"{entry.name} is not available locally; expected {entry.cache_path} or "
                           f"{entry.file_name} in --model-dir")
        path = fetch_model(entry, progress=progress)
    return path, {**entry.architecture, "name": entry.name, "graph_pooling": entry.graph_pooling}


def state_domain(state: dict) -> str | None:
    """Which domain's encoder a state_dict holds (each domain knows its parameter names)."""
    return domain_of_state(state)


def encoder_state(state: dict) -> dict:
    """The encoder part of a state_dict: itself, or the ``gnn.*`` entries of a whole GNN_graphpred."""
    if any(k.startswith("gnn.") for k in state):
        return {k[4:]: v for k, v in state.items() if k.startswith("gnn.")}
    return state


def architecture_of_file(path: str, domain: str | None = None) -> dict:
    """gnn_type, num_layer, emb_dim, JK of an encoder (or GNN_graphpred) checkpoint."""
    from pretrain_gnns.checkpoint import load_state_dict_file
    domain = check_domain(domain)
    state = encoder_state(load_state_dict_file(path))
    found = state_domain(state)
    if found and found != domain:
        raise WrongDomainError(f"{path} holds a {found} model; this needs a {domain} model")
    meta = recorded_architecture(path)
    layers = sorted({int(k.split(".")[1]) for k in state if k.startswith("gnns.")})
    if not layers:
        raise ZooError(f"{path} holds no GNN layers (keys: {list(state)[:5]}...)")
    if any(k.endswith(".att") for k in state):
        inferred = "gat"
    elif any(".mlp." in k for k in state):
        inferred = "gin"
    else:
        # GCN and GraphSAGE have the same keys and shapes: the JSON or the file name's prefix (the rule
        # fine-tuning applies) tells them apart.
        inferred = architecture_from_name(path, ["gcn", "graphsage"]) or "gcn"
    emb_dim = int(meta.get("emb_dim") or get_domain(domain).emb_dim_of(state) or 300)
    arch = {"gnn_type": meta.get("gnn_type") or inferred, "num_layer": int(meta.get("num_layer") or len(layers)),
            "emb_dim": emb_dim, "JK": meta.get("JK") or "last", "domain": domain,
            "name": os.path.basename(path)}
    if meta.get("graph_pooling"):
        arch["graph_pooling"] = meta["graph_pooling"]
    return arch


def load_pretrained(name_or_path: str, domain: str | None = None, head: int | None = None,
                    model_dir: str | None = None, graph_pooling: str | None = None, drop_ratio: float = 0.0,
                    progress: bool = True) -> torch.nn.Module:
    """The encoder of a zoo model or checkpoint file, loaded strictly, in eval mode; with ``head=N``, a
    ``GNN_graphpred`` around it with a fresh N-task head. ``model.arch`` holds the architecture."""
    domain = check_domain(domain)
    path, arch = resolve(name_or_path, domain, model_dir, progress=progress)
    GNN, GNN_graphpred = get_domain(domain).encoder_cls, get_domain(domain).graphpred_cls  # noqa: N806
    from pretrain_gnns.checkpoint import CheckpointMismatchError, describe_mismatch, load_state_dict_file
    state = encoder_state(load_state_dict_file(path))
    found = state_domain(state)
    if found and found != domain:
        raise WrongDomainError(f"{path} holds a {found} model; this needs a {domain} model")
    pooling = graph_pooling or arch.get("graph_pooling", "mean")
    if head is None:
        model = gnn = GNN(arch["num_layer"], arch["emb_dim"], JK=arch["JK"], drop_ratio=drop_ratio,
                          gnn_type=arch["gnn_type"])
    else:  # built whole first, as finetune.py does: one seed draws the same fresh head
        model = GNN_graphpred(arch["num_layer"], arch["emb_dim"], head, JK=arch["JK"], drop_ratio=drop_ratio,
                              graph_pooling=pooling, gnn_type=arch["gnn_type"])
        gnn = model.gnn
    problems = describe_mismatch(gnn, state)
    if problems:
        raise CheckpointMismatchError(f"{path} does not fit a {arch['gnn_type']} encoder of {arch['num_layer']} "
                                      f"layers x {arch['emb_dim']} ({len(problems)} differences):\n  "
                                      + "\n  ".join(problems[:20]))
    gnn.load_state_dict(state, strict=True)
    model.arch = {**arch, "path": path, "graph_pooling": pooling}
    return model.eval()


ENCODER_FLAGS = ("gnn_type", "num_layer", "emb_dim", "JK")  # what a zoo entry sets for the user


def zoo_model_file(value: str, domain: str | None = None, model_dir: str | None = None,
                   progress: bool = True) -> tuple[str, dict] | None:
    """For a --input_model_file value: (its file, its encoder flags) when it is a zoo name, else None
    (a file, or nothing: the loader reports what is wrong with it)."""
    # a bare word that is no file is meant as a zoo name: resolve it, so a typo lists the known names
    bare = value and os.sep not in value and not value.endswith((".pth", ".pt")) and not os.path.exists(value) \
        and not os.path.exists(value + ".pth")
    if not value or not (bare or is_zoo_name(value, domain)):
        return None
    path, arch = resolve(value, domain, model_dir, progress=progress)
    return path, {k: arch[k] for k in ENCODER_FLAGS}


def resolve_input_model_arg(args: argparse.Namespace, domain: str | None = None, attr: str = "input_model_file") -> None:
    """For a command's --input_model_file (``attr``): a zoo name becomes its file, and the encoder flags
    (gnn_type, num_layer, emb_dim, JK) are set from the entry, so no one passes --gnn_type by hand."""
    given = vars(args)  # the flags this command has (--model-dir and --quiet are not everywhere)
    value = given[attr]
    found = zoo_model_file(value, domain, given.get("model_dir"), progress=not given.get("quiet", False))
    if found is None:
        return
    path, flags = found
    changed = [f"--{k} {v}" for k, v in flags.items() if given.get(k) != v]
    given.update(flags, **{attr: path})
    print(f"[zoo] {value} -> {path}" + (f" (set {' '.join(changed)})" if changed else ""), flush=True)


def add_model_dir_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model-dir", dest="model_dir", default=None,
                   help=f"folder of released model files to use instead of downloading (default: ${ENV_MODEL_DIR})")


def availability(entry: ZooEntry, model_dir: str | None = None) -> str:
    try:
        path = local_file(entry, model_dir)
    except ZooError as err:
        return f"corrupt ({err})"
    if path:
        return f"local: {path}"
    if os.path.isfile(entry.cache_path):
        return "cached" if verify(entry, entry.cache_path) is None else "cached, corrupt (refetched on use)"
    return "download"


def format_table(domain: str | None = None, model_dir: str | None = None) -> str:
    model_dirs(model_dir)  # a missing --model-dir is said once, not as every entry's availability
    rows = [("name", "domain", "gnn_type", "layers", "emb_dim", "JK", "source", "available")]
    for d in [check_domain(domain)] if domain else domain_names():
        for e in entries(d).values():
            rows.append((e.name, d, e.gnn_type, str(e.num_layer), str(e.emb_dim), e.JK, e.source,
                         availability(e, model_dir)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r[:-1], widths)) + "  " + r[-1] for r in rows)


def build_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(prog=prog_name("python -m pretrain_gnns.zoo"), description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=["list", "fetch", "register"],
                   help="list: print the table; fetch: get models into the cache; register: record the sha256 "
                   "of models/<domain>/<stem>.pth files in their JSON (this project's own models)")
    p.add_argument("names", nargs="*", help="for fetch: zoo names; for register: .pth files beside their JSON")
    p.add_argument("--domain", default=None, help=f"only this domain, one of {', '.join(domain_names())} (fetch: "
                   "default the first)")
    add_model_dir_arg(p)
    return p


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.command == "list":
        print(format_table(args.domain, args.model_dir))
        return
    if not args.names:
        raise ZooError(f"{args.command} needs at least one model name or file")
    if args.command == "register":
        for pth in args.names:
            print(f"{register_own_model(pth)}")
        return
    for name in args.names:
        path, _ = resolve(name, args.domain, args.model_dir)
        print(f"{name}: {path}")


if __name__ == "__main__":
    from pretrain_gnns.cli_args import run_main
    run_main(main)
