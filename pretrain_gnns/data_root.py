"""Where datasets live: a --data-root flag, else the PRETRAIN_GNNS_DATA environment variable, else ./dataset.

A data root is laid out like the original's dataset tree: ``<root>/<name>/raw/<file>``.
Processed files go to ``<root>/<name>/processed`` when that folder is writable, else to a cache
folder (PRETRAIN_GNNS_CACHE, default ~/.cache/pretrain_gnns), so a read-only data folder works.
"""
from __future__ import annotations

import hashlib
import os
import stat

ENV_DATA = "PRETRAIN_GNNS_DATA"
ENV_CACHE = "PRETRAIN_GNNS_CACHE"


class MissingDataError(FileNotFoundError):
    """A dataset folder that is not there; the message says where to put it and how to get it."""


def data_root(flag: str | None = None) -> str:
    return flag or os.environ.get(ENV_DATA) or "dataset"


def dataset_dir(name: str, root: str | None = None) -> str:
    """``<root>/<name>``; the molecule datasets may also sit under ``<root>/moleculenet/<name>``."""
    root = data_root(root)
    for candidate in (os.path.join(root, name), os.path.join(root, "moleculenet", name)):
        if os.path.isdir(os.path.join(candidate, "raw")):
            return candidate
    return os.path.join(root, name)


def missing_data_message(name: str, folder: str, how: str) -> str:
    return (f"dataset {name!r} not found: expected its raw file in {os.path.join(folder, 'raw')}/.\n"
            f"  Point --data-root (or ${ENV_DATA}) at a folder holding {name}/raw/, or get it:\n  {how}")


def processed_dir(folder: str) -> str:
    """A writable place for the processed files of the dataset in ``folder``."""
    wanted = os.path.join(folder, "processed")
    try:
        # Permission bits, not a write probe: root can write anywhere, but a folder marked read-only
        # (a shared data copy) must stay untouched.
        if not os.stat(folder).st_mode & stat.S_IWUSR:
            raise PermissionError(folder)
        os.makedirs(wanted, exist_ok=True)
        probe = os.path.join(wanted, ".write_probe")
        with open(probe, "w"):
            pass
        os.remove(probe)
        return wanted
    except OSError:
        cache = cache_dir()
        tag = hashlib.sha1(os.path.abspath(folder).encode()).hexdigest()[:10]
        out = os.path.join(cache, f"{os.path.basename(os.path.normpath(folder))}-{tag}", "processed")
        os.makedirs(out, exist_ok=True)
        return out


def cache_dir() -> str:
    """Where derived files go when the data folder is read-only: $PRETRAIN_GNNS_CACHE or ~/.cache/pretrain_gnns."""
    return os.environ.get(ENV_CACHE) or os.path.join(os.path.expanduser("~"), ".cache", "pretrain_gnns")


def sha256_file(path: str, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def git_blob_sha1(path: str, chunk: int = 1 << 20) -> str:
    """The file's git blob SHA-1 (what ``git hash-object FILE`` prints): sha1 of b"blob <size>\\0" + bytes."""
    h = hashlib.sha1(b"blob %d\0" % os.path.getsize(path))
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()
