"""Every file this project writes goes through ``atomic_write``: a reader (another process, a rerun
after a crash) sees the old file or the whole new one, never half of one."""
from __future__ import annotations

import contextlib
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
    finally:
        if os.path.lexists(tmp):
            os.remove(tmp)


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

