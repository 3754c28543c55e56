"""Downloads through a temporary file, checked before they are renamed into place: an interrupted or
corrupt download never leaves a file a loader would read. Checksums are of the content after gunzip
(so a ``.csv`` and its ``.csv.gz`` check alike) and, for files of a git repository, its blob SHA-1."""
from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.error
import urllib.request

from tqdm.auto import tqdm

from pretrain_gnns.data_root import git_blob_sha1 as git_blob_sha1_of

CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """A download that could not be done; the message says what to do instead."""


class ChecksumError(DownloadError):
    """Downloaded bytes that are not the known file."""


def content_sha256(path: str) -> str:
    """sha256 of the file's bytes, after gunzip when the file is gzip-compressed."""
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    h = hashlib.sha256()
    with (gzip.open(path, "rb") if gz else open(path, "rb")) as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def fetch(url: str, dest: str, sha256: str | None = None, progress: bool = True,
          git_blob_sha1: str | None = None, offline_hint: str | None = None) -> str:
    """Download ``url`` to ``dest`` through a temporary file; verify ``sha256`` (and the git blob SHA-1,
    when given) before renaming. A mismatch deletes the temporary file and raises ChecksumError."""
    folder = os.path.dirname(os.path.abspath(dest))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".part_", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=60) as response:
                    total = int(response.headers.get("Content-Length") or 0) or None
                    with tqdm(total=total, unit="B", unit_scale=True, desc=os.path.basename(dest),
                              disable=not progress) as bar:
                        for block in iter(lambda: response.read(CHUNK), b""):
                            out.write(block)
                            bar.update(len(block))
            except (urllib.error.URLError, OSError, ValueError) as err:
                reason = getattr(err, "reason", err)
                raise DownloadError(
                    f"could not download {url}: {reason}.\n  Without network access, fetch the file elsewhere and "
                    f"copy it to {dest}" + (f"\n  {offline_hint}" if offline_hint else "")) from err
        if sha256:
            got = content_sha256(tmp)
            if got != sha256:
                raise ChecksumError(f"{url}: sha256 {got} is not the known file's {sha256}; the download was "
                                    f"deleted and nothing was written to {dest}")
        if git_blob_sha1:
            got = git_blob_sha1_of(tmp)
            if got != git_blob_sha1:
                raise ChecksumError(f"{url}: git blob SHA-1 {got} is not the known file's {git_blob_sha1}; the "
                                    f"download was deleted and nothing was written to {dest}")
        publish(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return dest


def publish(tmp: str, dest: str) -> None:
    """Rename a finished temporary file into place, with the permissions a plain new file would get."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, dest)
