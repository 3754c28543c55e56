"""Command-line flags that the pre-training and fine-tuning scripts of both domains share, with the
original's names and defaults (a script adds its own dataset, model-file and split flags)."""
from __future__ import annotations

import argparse


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows a flag's default unless its help already says it, or there is none worth showing
    (an empty string, None, False), instead of "(default: ...) (default: )"."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if "(default" in text or default is None or default is False or default is argparse.SUPPRESS or default == "":
            return text
        return super()._get_help_string(action)


def positive_int(text: str) -> int:
    """An argparse type: an integer of at least 1 (e.g. --epochs: 0 would write an untrained model)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def fraction(text: str) -> float:
    """An argparse type: a number in [0, 1) (e.g. --dropout_ratio: a negative one scales activations
    up, 1 drops everything, more is an error deep inside the first epoch)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be at least 0 and below 1, got {text}")
    return value


def add_precision_arg(p: argparse.ArgumentParser, default: str = "fp32") -> None:
    """--precision, the same for every command: resolved by ``runtime.resolve_precision`` before any work."""
    from pretrain_gnns.runtime import PRECISIONS
    p.add_argument("--precision", default=default, choices=list(PRECISIONS),
                   help="fp32 (the paper's); bf16: autocast, only where the device computes bf16 natively (a CPU "
                        "with AVX512-BF16 or AMX, a GPU), refused elsewhere, where it would run 10-20x slower; "
                        "auto: bf16 on a CPU with native bf16, else fp32")


def seed_list(text: str) -> list[int]:
    """An argparse type: seeds as '0-9', '0,2,5' or '0-2,7' (each non-negative, none twice)."""
    seeds: list[int] = []
    for part in text.split(","):
        lo, sep, hi = part.strip().partition("-")
        try:
            first, last = int(lo), int(hi) if sep else int(lo)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: use seeds like 0-9, 0,2,5 or 0-2,7") from None
        if first < 0 or last < first:
            raise argparse.ArgumentTypeError(f"{text!r}: {part!r} is not a range of non-negative seeds")
        seeds += range(first, last + 1)
    if len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"{text!r} names a seed twice")
    return seeds


def add_training_args(p: argparse.ArgumentParser, *, batch_size: int, batch_help: str, epochs: int,
                      dropout_ratio: float, gnn_types: list[str], lr_help: str = "learning rate") -> None:
    """Device, batch size, epochs, optimiser and the encoder's shape; ``gnn_types``: the keys of the
    domain's conv registry (``GNN.CONVS``)."""
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:N, or a GPU index as in the original; default: cuda if available")
    p.add_argument("--batch_size", type=positive_int, default=batch_size, help=batch_help)
    p.add_argument("--epochs", type=positive_int, default=epochs, help="number of epochs to train")
    p.add_argument("--lr", type=float, default=0.001, help=lr_help)
    p.add_argument("--decay", type=float, default=0, help="weight decay")
    p.add_argument("--num_layer", type=positive_int, default=5, help="number of GNN message passing layers")
    p.add_argument("--emb_dim", type=positive_int, default=300, help="embedding dimensions")
    p.add_argument("--dropout_ratio", type=fraction, default=dropout_ratio, help="dropout ratio, in [0, 1)")
    p.add_argument("--JK", default="last", help="how node features across layers are combined: last, sum, max or concat")
    p.add_argument("--gnn_type", default="gin", choices=list(gnn_types), help="GNN architecture")


def add_finetune_args(p: argparse.ArgumentParser, *, epochs: int, batch_help: str, workers_help: str,
                      gnn_types: list[str]) -> None:
    """The fine-tuning flags common to chem/finetune.py and bio/finetune.py."""
    add_training_args(p, batch_size=32, batch_help=batch_help, epochs=epochs, dropout_ratio=0.5, gnn_types=gnn_types)
    p.add_argument("--graph_pooling", default="mean", help="graph pooling: sum, mean, max, attention, set2setN")
    p.add_argument("--runseed", type=int, default=0, help="seed for weights, dropout and batch order")
    p.add_argument("--runseeds", type=seed_list, default=None,
                   help="several run seeds one after another in this process (e.g. 0-9 or 0,2,5): the data is "
                        "loaded and split once; each seed writes the files and numbers a --runseed run would. "
                        "With --filename, put {seed} in it")
    p.add_argument("--eval_train", type=int, default=0, help="1: also score the training set each epoch")
    p.add_argument("--num_workers", type=int, default=0, help=workers_help)
    p.add_argument("--output-dir", dest="output_dir", default="runs/finetune", help="where the CSV and JSON go")
    p.add_argument("--save-model", dest="save_model", default="", help="also save the fine-tuned model's state_dict here")
    add_precision_arg(p)
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def run_main(main, argv: list[str] | None = None) -> None:
    """Run a command's ``main``; a user error or a fault of the machine ends with one line on stderr and
    exit code 2 instead of a traceback: missing data, a checkpoint of the wrong shape, a bad value, and
    every OSError (a file missing, unreadable, a directory, a read-only folder, a full disk), named.
    PRETRAIN_GNNS_TRACEBACK=1 shows the traceback."""
    import os
    import sys

    from pretrain_gnns.checkpoint import CheckpointMismatchError
    from pretrain_gnns.data_root import MissingDataError
    from pretrain_gnns.runtime import keep_freed_memory
    keep_freed_memory()
    exit_cleanly_on_sigterm()
    try:
        result = main(sys.argv[1:] if argv is None else argv)
    except (MissingDataError, CheckpointMismatchError, ValueError, OSError, EOFError) as err:
        if os.environ.get("PRETRAIN_GNNS_TRACEBACK"):
            raise
        print(f"error: {error_line(err)}\n(set PRETRAIN_GNNS_TRACEBACK=1 for the traceback)", file=sys.stderr)
        sys.exit(2)
    if isinstance(result, int) and not isinstance(result, bool):
        sys.exit(result)  # a main that returns its exit code (chem.download)


def exit_cleanly_on_sigterm() -> None:
    """SIGTERM (a scheduler's stop, ``kill``, a timeout) unwinds like an exception, exit code 143:
    temporary files of unfinished writes are removed and the last complete outputs stay, instead of
    the process vanishing mid-write. (kill -9 cannot be caught: the next run cleans up after it.)"""
    import signal
    import sys
    import threading
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread

    def stop(signum, _frame):
        sys.exit(128 + signum)
    signal.signal(signal.SIGTERM, stop)


def error_line(err: BaseException) -> str:
    """What went wrong, for a user: an OSError as its cause and the file it concerns (its bare str
    is "[Errno 28] No space left on device" or "[Errno 21] Is a directory: 'x'")."""
    if isinstance(err, OSError) and err.errno is not None and err.strerror:
        import errno as errno_
        where = f": {err.filename}" if err.filename else ""
        hint = {errno_.ENOSPC: " (the disk is full: free space or write elsewhere)",
                errno_.EROFS: " (a read-only file system: write elsewhere)",
                errno_.EACCES: " (no permission: write elsewhere or change the folder's permissions)",
                errno_.EISDIR: " (a directory where a file was expected: name a file)"}.get(err.errno, "")
        return f"{err.strerror}{where}{hint}"
    if isinstance(err, EOFError):
        return f"unexpected end of a file (truncated or still being written?): {err}"
    return str(err)
