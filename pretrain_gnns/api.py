"""The ``pretrain-gnns`` commands as Python functions, for notebooks and scripts.

Each function runs the same code as the command of that name, with the same flags given as keyword
arguments (``batch_size=64`` is ``--batch-size 64``; ``True`` is a bare flag, ``False``/``None``
leave it out; a list gives several values) and returns what the command returns (pre-training: its
report; fine-tuning: the last run's summary). Errors are raised, not turned into an exit code.

    from pretrain_gnns import api
    api.pretrain("attrmasking", smiles_file="mols.csv", epochs=1, output_model_file="runs/am")
    api.finetune(dataset="bbbp", input_model_file="gin_supervised_contextpred", epochs=5)
    api.finetune(domain=NAME, ...)                 # another domain's fine-tuning command

For single models in memory: ``pretrain_gnns.zoo.load_pretrained`` (an encoder, or one with a
fresh head) and a domain's own helpers (e.g. its ``embed`` module's ``embed_smiles``).
"""
from __future__ import annotations

from typing import Any

from pretrain_gnns.cli import resolve_command


def to_argv(*positional: Any, **flags: Any) -> list[str]:
    """Keyword arguments as command-line flags, in the dashed spelling."""
    argv = [str(p) for p in positional]
    for key, value in flags.items():
        flag = "--" + key.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            argv.append(flag)
        elif isinstance(value, (list, tuple)):
            argv += [flag, *map(str, value)]
        else:
            argv += [flag, str(value)]
    return argv


def run(command: str, *positional: Any, domain: str | None = None, **flags: Any) -> Any:
    """Run ``pretrain-gnns <command>`` of ``domain`` (None: the default domain) in this process."""
    fn, prefix = resolve_command(command, domain)
    return fn(prefix + to_argv(*positional, **flags))


def pretrain(method: str, *, domain: str | None = None, **flags: Any) -> dict:
    """``pretrain-gnns pretrain --method METHOD``: returns the report (per-epoch loss, config, ...)."""
    return run("pretrain", domain=domain, method=method, **flags)


def finetune(*, domain: str | None = None, **flags: Any) -> dict:
    """``pretrain-gnns finetune``: returns the (last run seed's) summary."""
    return run("finetune", domain=domain, **flags)


def embed(*, domain: str | None = None, **flags: Any) -> Any:
    """``pretrain-gnns embed``."""
    return run("embed", domain=domain, **flags)


def predict(*, domain: str | None = None, **flags: Any) -> Any:
    """``pretrain-gnns predict``."""
    return run("predict", domain=domain, **flags)


def probe(*, domain: str | None = None, **flags: Any) -> Any:
    """``pretrain-gnns probe``."""
    return run("probe", domain=domain, **flags)


def download(*names: str, domain: str | None = None, **flags: Any) -> Any:
    """``pretrain-gnns download NAME ...``."""
    return run("download", *names, domain=domain, **flags)


def demo(*, domain: str | None = None, **flags: Any) -> Any:
    """``pretrain-gnns demo``."""
    return run("demo", domain=domain, **flags)


def zoo(action: str = "list", *names: str, domain: str | None = None, **flags: Any) -> Any:
    """``pretrain-gnns zoo list|fetch|register [NAME ...]``."""
    return run("zoo", action, *names, domain=domain, **flags)
