"""The one command line: ``pretrain-gnns [--domain NAME] <command> [flags]`` (also ``python -m pretrain_gnns``).

Each command is its domain's (``Domain.commands``): ``pretrain-gnns finetune --domain NAME`` runs that
domain's fine-tuning command with the flags it documents (``pretrain-gnns finetune --help``). ``--domain``
may come anywhere before the command's own flags; without it, the default domain (the first listed
by ``--help``). Flags take dashes (``--batch-size``); the original's underscore spellings
(``--batch_size``) are accepted too. ``pretrain_gnns.api`` offers the same commands as functions.
"""
from __future__ import annotations

import sys
import textwrap

from pretrain_gnns.cli_args import COMMAND, run_main
from pretrain_gnns.domain import UnknownDomainError, domains, get_domain

# The commands every domain may offer, in the order --help lists them, and what each does.
COMMANDS = {
    "pretrain": "pre-train a GNN encoder with one method (--method NAME; --help lists them)",
    "finetune": "fine-tune on a named dataset or your own CSV (--data): classification (ROC-AUC) or regression (RMSE)",
    "embed": "turn inputs into vectors with a pre-trained encoder (a zoo name or a checkpoint)",
    "predict": "predict with a fine-tuned model (finetune --save-model)",
    "probe": "score a frozen encoder: a logistic regression per task on its embeddings",
    "zoo": "list, fetch or register models by name: the original's released ones and this project's",
    "download": "fetch public datasets, checksummed",
    "demo": "the main job end to end on data that ships with the installation",
}


def _pop_domain(argv: list[str]) -> tuple[str | None, list[str]]:
    """``--domain NAME`` (or ``--domain=NAME``) taken out of ``argv`` up to a ``--``."""
    rest, domain, i = [], None, 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest += argv[i:]
            break
        if arg == "--domain" and i + 1 < len(argv):
            domain, i = argv[i + 1], i + 2
            continue
        if arg.startswith("--domain="):
            domain, i = arg.split("=", 1)[1], i + 1
            continue
        rest.append(arg)
        i += 1
    return domain, rest


def _description(domain, command: str) -> str:
    if command in COMMANDS:
        return COMMANDS[command]
    if command in domain.command_help:
        return domain.command_help[command]
    import importlib
    module = importlib.import_module(domain.commands[command].partition(":")[0])
    return " ".join((module.__doc__ or "").strip().split("\n\n")[0].split())


def overview() -> str:
    """``pretrain-gnns --help``: the commands, and which domain offers which."""
    found = domains()
    names = [d.name for d in found]
    extra = [c for d in found for c in d.commands if c not in COMMANDS]
    listed = [*COMMANDS, *dict.fromkeys(extra)]
    lines = [f"usage: {COMMAND} [--domain {'|'.join(names) or 'NAME'}] <command> [flags]   "
             f"({COMMAND} <command> --help for its flags)", "",
             "Strategies for Pre-training Graph Neural Networks (Hu et al., ICLR 2020): pre-train, fine-tune and "
             "use GNNs.", "", "commands:"]
    for command in listed:
        offered = [d.name for d in found if command in d.commands or command == "zoo"]
        where = "" if command == "zoo" or offered == names else f" [{', '.join(offered)}]"
        owner = next((d for d in found if command in d.commands), None)
        text = _description(owner, command) + where if owner or command in COMMANDS else ""
        lines += textwrap.wrap(text, 100, initial_indent=f"  {command:10s}", subsequent_indent=" " * 12)
    lines += ["", f"--domain: {', '.join(names) or 'none installed'} (default: {names[0] if names else '-'}); "
              "a package adds one through the entry-point group pretrain_gnns.domains.",
              "Flags take dashes (--batch-size); the original's underscores (--batch_size) work too."]
    return "\n".join(lines) + "\n"


def resolve_command(command: str, domain_name: str | None):
    """The function behind ``command`` (it takes argv) and the argv prefix it needs."""
    if command == "zoo":  # domain-free: it lists every domain unless told one
        from pretrain_gnns.zoo import main as zoo_main
        return zoo_main, (["--domain", domain_name] if domain_name else [])
    domain = get_domain(domain_name)
    if command not in domain.commands:
        raise UnknownDomainError(f"the {domain.name} domain has no {command!r} command; its commands: "
                                 f"{', '.join([*domain.commands, 'zoo'])} (pretrain-gnns --help)")
    return domain.command(command), []


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    domain_name, rest = _pop_domain(argv)
    if not rest or rest[0] in ("-h", "--help"):
        sys.stdout.write(overview())
        sys.exit(0 if rest else 2)
    command, flags = rest[0], rest[1:]
    try:
        fn, prefix = resolve_command(command, domain_name)
    except UnknownDomainError as err:
        print(f"{COMMAND}: error: {err}", file=sys.stderr)
        sys.exit(2)
    sys.argv[0] = f"{COMMAND} {command}"  # the program name every command's --help and usage show
    run_main(fn, prefix + flags)


if __name__ == "__main__":
    main()
