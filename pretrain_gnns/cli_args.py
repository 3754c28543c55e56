"""Command-line plumbing every command shares: the parser that takes both spellings of a flag, the
help format, argparse types, the program name under ``pretrain-gnns`` and the runner that turns a
user error into one line. The shared flags themselves are declared in pretrain_gnns/config.py."""
from __future__ import annotations

import argparse


COMMAND = "pretrain-gnns"  # the console script (pretrain_gnns/cli.py)


def prog_name(default: str | None = None) -> str | None:
    """A parser's program name: ``pretrain-gnns <command>`` when run by the console script (which
    puts it in sys.argv[0]), else ``default`` (None: argparse's own, the script's file name)."""
    import sys
    return sys.argv[0] if sys.argv and sys.argv[0].startswith(COMMAND + " ") else default


def other_spelling(option: str) -> str | None:
    """``--batch_size`` <-> ``--batch-size``; None for a short option or a name without either."""
    if not option.startswith("--"):
        return None
    name = option[2:]
    if "_" in name:
        return "--" + name.replace("_", "-")
    if "-" in name:
        return "--" + name.replace("-", "_")
    return None


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser, accepting every long flag in both spellings (``--batch-size`` and the
    original's ``--batch_size``). Help shows the dashed spelling under the ``pretrain-gnns`` command
    and the spelling the flag was declared with (the original's) under the original's script names."""

    def _add_spellings(self) -> None:
        dashed = (self.prog or "").startswith(COMMAND)
        for action in self._actions:
            for option in list(action.option_strings):
                alias = other_spelling(option)
                if alias is None or alias in self._option_string_actions:
                    continue
                self._option_string_actions[alias] = action  # accepted, not listed
                if dashed and "_" in option:  # list the dashed spelling instead of the underscored one
                    action.option_strings[action.option_strings.index(option)] = alias

    def parse_known_args(self, args=None, namespace=None):
        self._add_spellings()
        return super().parse_known_args(args, namespace)

    def format_help(self) -> str:
        self._add_spellings()
        return super().format_help()

    def format_usage(self) -> str:
        self._add_spellings()
        return super().format_usage()

    def _get_option_tuples(self, option_string):
        # an abbreviation matching both spellings of one flag is not ambiguous
        seen, unique = set(), []
        for option_tuple in super()._get_option_tuples(option_string):
            if id(option_tuple[0]) not in seen:
                seen.add(id(option_tuple[0]))
                unique.append(option_tuple)
        return unique


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


PRECISION_HELP = ("fp32 (the paper's); bf16: autocast, only where the device computes bf16 natively (a CPU with "
                  "AVX512-BF16 or AMX, a GPU), refused elsewhere, where it would run many times slower; auto: bf16 on "
                  "a CPU with native bf16, else fp32")


def add_precision_arg(p: argparse.ArgumentParser, default: str = "fp32") -> None:
    """--precision, the same for every command: resolved by ``runtime.resolve_precision`` before any work."""
    from pretrain_gnns.runtime import PRECISIONS
    p.add_argument("--precision", default=default, choices=list(PRECISIONS), help=PRECISION_HELP)


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
        sys.exit(result)  # a main that returns its exit code (a download command)


UNWIND_S = 20.0  # after SIGTERM, the longest a command spends removing its temporary files


def exit_cleanly_on_sigterm() -> None:
    """SIGTERM (a scheduler's stop, ``kill``, a timeout) unwinds like an exception, exit code 143:
    temporary files of unfinished writes are removed and the last complete outputs stay, instead of
    the process vanishing mid-write. (kill -9 cannot be caught: the next run cleans up after it.)"""
    import os
    import signal
    import sys
    import sysconfig
    import threading
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread
    stdlib = sysconfig.get_paths()["stdlib"]
    raised = []

    def stop(signum, frame):
        if raised:
            return  # already unwinding: let the cleanup finish
        where = frame.f_code.co_filename if frame is not None else ""
        if where.startswith(stdlib) and "site-packages" not in where:
            # Inside the standard library (a pool's lock or queue, a logging fork hook that ignores
            # exceptions): raising there can be swallowed or leave a lock held. Ask again shortly,
            # once the interrupted code is back in the project's or a library's.
            retry = threading.Timer(0.05, os.kill, (os.getpid(), signum))
            retry.daemon = True
            retry.start()
            return
        raised.append(signum)
        # Unwinding may still wait on something the signal interrupted: never longer than UNWIND_S,
        # then leave without cleanup, as the default action would have at once.
        timer = threading.Timer(UNWIND_S, os._exit, (128 + signum,))
        timer.daemon = True
        timer.start()
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
