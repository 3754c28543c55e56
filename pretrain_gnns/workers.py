"""Worker processes that never outlive the run that started them, and a lock for shared caches.

A ``ProcessPoolExecutor``'s workers block on their task queue; when the parent is killed (kill -9,
an OOM kill) they are re-parented to PID 1 and wait forever, holding hundreds of MB each. On Linux
the kernel sends them SIGKILL when the parent dies (``PR_SET_PDEATHSIG``); a parent that died
before the worker got that far is caught by comparing the parent PID.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Callable

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def die_with_parent(parent_pid: int, then: Callable | None = None, *args) -> None:
    """A pool initializer: SIGKILL this process when its parent dies; then run ``then(*args)``."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):
            pass  # no prctl (e.g. a static libc): the parent check below still runs once
    if os.getppid() != parent_pid:
        os._exit(1)  # the parent died before the death signal was set
    if then is not None:
        then(*args)


def worker_pool(workers: int, initializer: Callable | None = None, initargs: tuple = (),
                mp_context=None) -> ProcessPoolExecutor:
    """A ProcessPoolExecutor whose workers exit when this process dies (every pool of the project is
    this one: a plain pool's worker outlives a kill -9 and keeps the parent's stdout open, so whoever
    reads that pipe waits for it). ``mp_context``: e.g. ``get_context("spawn")``."""
    return ProcessPoolExecutor(workers, mp_context=mp_context, initializer=die_with_parent,
                               initargs=(os.getpid(), initializer, *initargs))


@contextlib.contextmanager
def folder_lock(folder: str, name: str = ".lock"):
    """An exclusive lock on ``folder/name`` (fcntl.flock), held for the block: two runs building the
    same cache take turns; the second then finds the cache complete. Released when the process
    dies, so a killed run never leaves it held. A no-op where fcntl does not exist."""
    os.makedirs(folder, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # not POSIX
        yield
        return
    with open(os.path.join(folder, name), "a") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
