"""Download the molecule datasets into ``<data-root>/<name>/raw/``.

    python -m chem.download bbbp tox21 --data-root dataset
    python -m chem.download moleculenet            # the eight MoleculeNet datasets
    python -m chem.download regression             # esol, freesolv, lipophilicity
    python -m chem.download chem_dataset           # the original's chem_dataset.zip (adds zinc_standard_agent, mutag)

The MoleculeNet CSVs come from DeepChem's public bucket (the files MoleculeNet and DeepChem's loaders
use); ``chem_dataset`` is the zip the original README points to: its ``<name>/raw/`` files are
unpacked to ``<data-root>/<name>/raw/`` and the original's processed outputs to
``<data-root>/<name>/reference_processed/`` (what ``scripts/check_parity.py`` compares against).
Each file is checked against its sha256 where the canonical bytes are known (of the content after
gunzip, so a ``.csv`` and its ``.csv.gz`` check alike), written to a temporary file and renamed into
place: an interrupted or corrupt download never leaves a file the loader would read.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import urllib.parse
import zipfile
from pathlib import PurePosixPath

from chem.datasets import CHEM_DATASET_ZIP, MOLECULENET, REGRESSION, SPECS, find_raw_files
from pretrain_gnns.data_root import ENV_DATA, data_root
# the one download helper (temporary file, checksums, rename), re-exported for this module's users
from pretrain_gnns.cli_args import ArgumentParser, prog_name
from pretrain_gnns.download import CHUNK, ChecksumError, DownloadError, content_sha256, fetch, publish

__all__ = ["ChecksumError", "DownloadError", "content_sha256", "download_chem_dataset", "download_dataset",
           "extract_chem_dataset", "fetch", "main"]

ZIP_NAME = "chem_dataset"


def download_dataset(name: str, root: str | None = None, url: str | None = None, verify: bool = True,
                     force: bool = False, progress: bool = True) -> str:
    """Put the raw file of dataset ``name`` into ``<root>/<name>/raw/``; returns its path.

    ``url`` replaces the public location (a mirror or a local ``file://`` copy); the known sha256 is
    checked whatever the source, unless ``verify`` is False.
    """
    if name not in SPECS:
        raise DownloadError(f"unknown dataset {name!r}; one of {', '.join(MOLECULENET)}, or {ZIP_NAME}")
    spec = SPECS[name]
    url = url or spec.url
    if not url:
        raise DownloadError(f"{name!r} has no public file of its own; it is in the original's zip: "
                            f"python -m chem.download {ZIP_NAME}")
    raw_dir = os.path.join(data_root(root), name, "raw")
    dest = os.path.join(raw_dir, _file_name(url))
    expected = spec.sha256 if verify else None
    if os.path.exists(dest) and not force:
        if expected and content_sha256(dest) != expected:
            raise ChecksumError(f"{dest} exists but is not the known file (sha256 differs); --force replaces it")
        _say(progress, f"[{name}] already there: {dest}")
        return dest
    others = [f for f in find_raw_files(raw_dir) if f not in (os.path.basename(dest), spec.labels_file)]
    if others:
        raise DownloadError(f"{raw_dir} already holds {others}; the loader reads exactly one raw file there: "
                            "remove it or choose another --data-root")
    new_dirs = [d for d in (raw_dir, os.path.dirname(raw_dir)) if not os.path.isdir(d)]
    try:
        fetch(url, dest, expected, progress)
    except DownloadError:
        for d in new_dirs:  # leave no empty <name>/raw/ behind: it would read as a dataset with no file
            if os.path.isdir(d) and not os.listdir(d):
                os.rmdir(d)
        raise
    note = "sha256 verified" if expected else f"no known sha256 to check; got {content_sha256(dest)}"
    _say(progress, f"[{name}] {dest} ({note})")
    return dest


def download_chem_dataset(root: str | None = None, url: str = CHEM_DATASET_ZIP, force: bool = False,
                          keep_zip: bool = True, progress: bool = True) -> dict[str, int]:
    """The original's chem_dataset.zip, unpacked into ``<root>/<name>/{raw,reference_processed}``."""
    root = data_root(root)
    zip_path = os.path.join(root, _file_name(url))
    if force or not os.path.exists(zip_path):
        fetch(url, zip_path, None, progress)
    unpacked = extract_chem_dataset(zip_path, root, force=force)
    if not keep_zip:
        os.remove(zip_path)
    _say(progress, f"[{ZIP_NAME}] unpacked {sum(unpacked.values())} files of {len(unpacked)} datasets into {root}")
    return unpacked


def extract_chem_dataset(zip_path: str, root: str, force: bool = False) -> dict[str, int]:
    """Unpack ``.../<name>/raw/<file>`` and ``.../<name>/processed/<file>`` members; others are ignored.

    Member names are checked, not trusted: nothing is written outside ``root``.
    """
    counts: dict[str, int] = {}
    with zipfile.ZipFile(zip_path) as archive:
        for member in archive.infolist():
            target = _member_target(member, root)
            if target is None:
                continue
            if os.path.exists(target) and not force:
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".part_", dir=os.path.dirname(target))
            try:
                with os.fdopen(fd, "wb") as out, archive.open(member) as src:
                    shutil.copyfileobj(src, out, CHUNK)
                publish(tmp, target)
            finally:
                if os.path.exists(tmp):
                    os.remove(tmp)
            name = PurePosixPath(member.filename).parts[-3]
            counts[name] = counts.get(name, 0) + 1
    return counts


def _member_target(member: zipfile.ZipInfo, root: str) -> str | None:
    parts = PurePosixPath(member.filename.replace("\\", "/")).parts
    if member.is_dir() or len(parts) < 3 or parts[-2] not in ("raw", "processed"):
        return None
    if any(p in ("", ".", "..") or p.startswith("/") for p in parts) or parts[-1].startswith("."):
        return None
    name, kind, file = parts[-3], parts[-2], parts[-1]
    return os.path.join(root, name, "raw" if kind == "raw" else "reference_processed", file)


def _file_name(url: str) -> str:
    name = os.path.basename(urllib.parse.unquote(urllib.parse.urlparse(url).path))
    if not name:
        raise DownloadError(f"cannot tell a file name from the URL {url!r}")
    return name


def _say(enabled: bool, text: str) -> None:
    if enabled:
        print(text, flush=True)


def build_parser() -> argparse.ArgumentParser:
    p = ArgumentParser(prog=prog_name("python -m chem.download"), description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("names", nargs="+", metavar="NAME",
                   help=f"datasets ({', '.join(MOLECULENET)}; {', '.join(REGRESSION)}), 'moleculenet' for all eight, "
                        f"'regression' for the three regression sets, or '{ZIP_NAME}' for the original's zip")
    p.add_argument("--data-root", dest="data_root", default=None,
                   help=f"folder that receives <name>/raw/ (default: ${ENV_DATA} or ./dataset)")
    p.add_argument("--url", default=None, help="download from this URL instead (a mirror, or file:///path); "
                                               "only with a single NAME")
    p.add_argument("--force", action="store_true", help="download again and replace files already there")
    p.add_argument("--no-verify", dest="verify", action="store_false",
                   help="do not check the known sha256 (for a deliberately different file)")
    p.add_argument("--quiet", action="store_true", help="no progress bars or messages")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    groups = {"moleculenet": MOLECULENET, "regression": REGRESSION}
    names = [n for name in args.names for n in groups.get(name, (name,))]
    if args.url and len(names) != 1:
        print("error: --url needs exactly one NAME", file=sys.stderr)
        return 2
    try:
        for name in names:
            if name == ZIP_NAME:
                download_chem_dataset(args.data_root, args.url or CHEM_DATASET_ZIP, args.force, progress=not args.quiet)
            else:
                download_dataset(name, args.data_root, args.url, args.verify, args.force, progress=not args.quiet)
    except DownloadError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    from pretrain_gnns.cli_args import run_main
    run_main(main)  # the one runner: an OSError (a file where a folder should be, read-only) is one line too
