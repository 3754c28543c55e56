"""Every file this project writes goes through ``atomic_write``: a reader (another process, a rerun
after a crash) sees the old file or the whole new one, never half of one. Before the work, a command
checks its destinations with ``check_writable`` (a directory, a file where a folder should be, a
read-only folder: refused in one line, not after an epoch) and takes ``output_lock`` so that two
runs never write one output name at once."""
from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import tempfile
from typing import Iterator

import numpy as np


@contextlib.contextmanager
def atomic_write(path: str, mode: str = "w", newline: str | None = None) -> Iterator:
    """Write ``path`` all or nothing: a temporary file in its folder, renamed over it on success and
    removed on an error. ``mode`` "w" (text) or "wb" yields the open file; mode "" yields the
    temporary file's path, for writers that open files themselves (pandas, matplotlib, a symbolic
    link): it ends with ``path``'s suffix, so a writer that picks the format from the name still
    does. The file gets the permissions a plain new file would."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    # Hidden, so that a glob of the folder never picks up a file being written.
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp" + os.path.splitext(path)[1],
                               dir=folder)
    os.close(fd)
    try:
        if mode:
            with open(tmp, mode, newline=newline) as f:
                yield f
        else:
            os.remove(tmp)  # the writer creates it (a link cannot be made over an existing file)
            yield tmp
        if not os.path.islink(tmp):
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except OSError as err:
        if err.errno is not None and err.filename is None:  # a failed write (ENOSPC, EIO) names no file: name it
            raise OSError(err.errno, f"{err.strerror}; nothing written", path) from err
        raise
    finally:
        if os.path.lexists(tmp):
            os.remove(tmp)


def check_writable(path: str, flag: str = "") -> None:
    """Refuse, before any work, an output ``path`` that cannot be written: a directory, a path under a
    file, a folder that is read-only or not ours. Creates nothing (a probe file is made and removed in
    the nearest existing folder). ``flag``: the command-line flag that named it, for the message."""
    name = f"{flag} {path}" if flag else path
    if os.path.isdir(path):
        raise ValueError(f"{name}: is a directory; name a file")
    folder = os.path.dirname(os.path.abspath(path))
    existing = folder
    while not os.path.lexists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise ValueError(f"{name}: {existing} is a file, not a folder")
    probe = os.path.join(existing, f".write-probe-{os.getpid()}")
    try:
        fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return  # a probe of this process's, e.g. another thread's: the folder takes files
    except OSError as err:
        raise OSError(err.errno, f"cannot write {name}: {err.strerror}", existing) from None
    os.close(fd)
    os.remove(probe)


def check_folder_writable(folder: str, flag: str = "") -> None:
    """``check_writable`` for a folder that files will be written into (it may not exist yet)."""
    name = f"{flag} {folder}" if flag else folder
    if os.path.lexists(folder) and not os.path.isdir(folder):
        raise ValueError(f"{name}: is a file, not a folder")
    check_writable(os.path.join(folder, ".probe"), flag)


@contextlib.contextmanager
def output_lock(path: str, flag: str = "") -> Iterator[None]:
    """Held while a run writes ``path`` (and the files named after it): a second run on the same output
    name is refused at once, instead of interleaving its rows with the first's. An flock on a hidden
    ``.<name>.lock`` beside it, released when the process dies (kill -9 included), removed after use.
    A no-op where fcntl does not exist."""
    try:
        import fcntl
    except ImportError:  # not POSIX
        yield
        return
    lock = os.path.join(os.path.dirname(os.path.abspath(path)), f".{os.path.basename(path)}.lock")
    os.makedirs(os.path.dirname(lock), exist_ok=True)
    while True:
        f = open(lock, "a+")
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip()
            f.close()
            name = f"{flag} {path}" if flag else path
            raise ValueError(f"{name}: another run (pid {holder or '?'}) is writing this output now; wait for it "
                             "or choose another name") from None
        # The holder before us may have removed the file after we opened it: then lock the new one.
        try:
            same = os.stat(lock).st_ino == os.fstat(f.fileno()).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        f.close()
    try:
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        yield
    finally:
        with contextlib.suppress(OSError):
            os.remove(lock)
        f.close()


def write_text(path: str, text: str) -> None:
    with atomic_write(path) as f:
        f.write(text)


def write_json(path: str, obj, *, indent: int = 1) -> None:
    """JSON with NaN and infinities written as null and numpy scalars as numbers (anything else as
    its str), written atomically."""
    with atomic_write(path) as f:
        json.dump(_no_nan(obj), f, indent=indent, default=_json_default, allow_nan=False)


def _no_nan(o):
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if isinstance(o, dict):
        return {k: _no_nan(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_no_nan(v) for v in o]
    return o


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    return str(o)

