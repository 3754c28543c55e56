"""A domain: one kind of graph (molecules, protein ego-networks, ...) and everything specific to it.

The engine (this package) never names a domain. A domain is a ``Domain`` subclass in its own
package that declares its featuriser and data, its models (``GNN``, ``GNN_graphpred``, whose
``CONVS`` are the architectures), its methods (one module each in ``methods_package``), its
released models and how to recognise its checkpoints, and the modules behind each command.

Domains are found three ways, so that an installed package, a checkout run from its folder
without installation (``PYTHONPATH=$REPO python <pkg>/script.py``) and a checkout beside a stale
install of another folder all find theirs:

- the entry-point group ``pretrain_gnns.domains`` (``name = package.module:OBJECT``) of the installed
  distributions: a third-party package adds a domain with one line in its packaging metadata;
- the same group in the ``setup.cfg`` of the checkout this package is imported from (read too, so
  that a checkout that is not installed finds its own domains);
- a domain registers itself (``register_domain``) when its package is imported, and a name not
  found otherwise is imported as a package of that name.

A plugin adds to an existing domain (a method, a dataset, a conv) from another package: the modules
of the entry-point group ``pretrain_gnns.plugins`` are imported when domains are looked up, and
register what they hold as they are imported (docs/ARCHITECTURE.md, "How to add").
"""
from __future__ import annotations

import argparse
import configparser
import importlib
import os
import pkgutil
import sys
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Callable, ClassVar, Mapping, Sequence

ENTRY_POINT_GROUP = "pretrain_gnns.domains"
PLUGIN_GROUP = "pretrain_gnns.plugins"
# setup.cfg of the checkout holding this package (present only when it is run from a checkout)
CHECKOUT_SETUP_CFG = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "setup.cfg")

_DOMAINS: dict[str, "Domain"] = {}
_ENTRY_POINT_ERRORS: dict[str, str] = {}
_PLUGINS_LOADED: set[str] = set()
_SCANNED_FOR: list[tuple] = []  # the sys.path the entry points were last read for


class UnknownDomainError(ValueError):
    """A domain name that no installed or importable package provides."""


class Domain:
    """What one domain brings. Subclasses set the class attributes and override the hooks; heavy
    imports go inside the hooks, so that finding a domain costs nothing."""

    name: ClassVar[str] = ""
    package: ClassVar[str] = ""  # the top-level package whose modules belong to it (default: name)
    order: ClassVar[int] = 100  # the default domain is the available one of lowest order
    units: ClassVar[str] = "graphs"  # what its graphs are called in log lines
    methods_package: ClassVar[str] = ""  # every module in it registers methods
    model_module: ClassVar[str] = ""  # defines GNN (the encoder) and GNN_graphpred
    # command name -> "module:function"; the function takes argv (a list of strings)
    commands: ClassVar[Mapping[str, str]] = {}
    # one line of --help for a command of the domain's own (the shared ones are described by the CLI)
    command_help: ClassVar[Mapping[str, str]] = {}
    # (gnn_type, method, path in the release, git blob SHA-1, size in bytes or None, sha256 or None)
    released: ClassVar[Sequence[tuple]] = ()

    # ------------------------------------------------------------------------------------ models
    @property
    def encoder_cls(self) -> type:
        return importlib.import_module(self.model_module).GNN

    @property
    def graphpred_cls(self) -> type:
        return importlib.import_module(self.model_module).GNN_graphpred

    def gnn_types(self) -> list[str]:
        """The architectures, in the conv registry's order (plugins loaded first: one may add a conv)."""
        _load_entry_points()
        return list(self.encoder_cls.CONVS)

    def owns_state(self, state: Mapping[str, Any]) -> bool:
        """True if the encoder state_dict ``state`` is one of this domain's (its parameter names)."""
        return False

    def emb_dim_of(self, state: Mapping[str, Any]) -> int | None:
        """The embedding width of the encoder state_dict ``state``, when its parameters say it."""
        return None

    # ---------------------------------------------------------------------------------- methods
    def load_methods(self) -> None:
        """Import every module of ``methods_package``: each registers its method."""
        if not self.methods_package:
            return
        package = importlib.import_module(self.methods_package)
        for info in pkgutil.iter_modules(package.__path__):
            if not info.name.startswith("_"):
                importlib.import_module(f"{self.methods_package}.{info.name}")

    # ---------------------------------------------------------------------- pre-training data
    def default_pretrain_dataset(self, method_cls: type) -> str:
        return ""

    def pretrain_data_config(self, method_cls: type) -> type | None:
        """The dataclass of the domain's data flags for pre-training ``method_cls`` (``cfg.data``), whose
        ``option`` fields become flags (pretrain_gnns/config.py); None: no data flags."""
        return None

    def add_pretrain_data_args(self, parser: argparse.ArgumentParser, method_cls: type) -> None:
        """The domain's data flags for pre-training: those of ``pretrain_data_config``."""
        data_cls = self.pretrain_data_config(method_cls)
        if data_cls is not None:
            from pretrain_gnns.config import add_options
            add_options(parser, data_cls)

    def load_pretrain_dataset(self, cfg, method_cls: type):
        raise NotImplementedError(f"the {self.name} domain has no pre-training data")

    def describe(self, dataset) -> str:
        """A few words on the dataset for the log line."""
        return f"{len(dataset)} {self.units}"

    @property
    def log_tag(self) -> str:
        """What prefixes the method's name in log lines."""
        return f"{self.name} "

    # ---------------------------------------------------------------------------------- commands
    def command(self, name: str) -> Callable[[list[str] | None], Any]:
        """The function behind ``pretrain-gnns <name> --domain <this>``."""
        if name not in self.commands:
            raise UnknownDomainError(f"the {self.name} domain has no {name!r} command; it has: "
                                     f"{', '.join(self.commands)}")
        module, _, attr = self.commands[name].partition(":")
        return getattr(importlib.import_module(module), attr or "main")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def register_domain(domain: Domain) -> Domain:
    """Make ``domain`` known by its name (a domain's package calls this when imported)."""
    known = _DOMAINS.setdefault(domain.name, domain)
    # the same class imported twice (e.g. its module run as __main__) is the same domain
    if type(known).__qualname__ != type(domain).__qualname__:
        raise ValueError(f"domain {domain.name!r} registered twice: {known!r} and {domain!r}")
    return known


def _checkout_entry_points() -> list[EntryPoint]:
    """The group's entry points declared in the checkout's setup.cfg ([options.entry_points])."""
    cfg = configparser.ConfigParser()
    try:
        cfg.read(CHECKOUT_SETUP_CFG)
        lines = cfg.get("options.entry_points", ENTRY_POINT_GROUP, fallback="")
    except configparser.Error:
        return []
    pairs = [line.split("=", 1) for line in lines.splitlines() if "=" in line]
    return [EntryPoint(name.strip(), value.strip(), ENTRY_POINT_GROUP) for name, value in pairs]


def _load_entry_points() -> None:
    """Load the domains and plugins of the entry-point groups not loaded yet; read again only when
    sys.path has changed (a broken domain is remembered, a broken plugin raises)."""
    if _SCANNED_FOR and _SCANNED_FOR[0] == tuple(sys.path):
        return
    _SCANNED_FOR[:] = [tuple(sys.path)]
    _load_domains()
    for ep in entry_points(group=PLUGIN_GROUP):
        if ep.value not in _PLUGINS_LOADED:
            _PLUGINS_LOADED.add(ep.value)
            ep.load()


def _load_domains() -> None:
    for ep in [*entry_points(group=ENTRY_POINT_GROUP), *_checkout_entry_points()]:
        if ep.name in _DOMAINS:
            continue
        try:
            obj = ep.load()
        except (ImportError, AttributeError) as err:  # e.g. a stale install naming a module this checkout lacks
            _ENTRY_POINT_ERRORS[ep.name] = f"{ep.value}: {err}"
            continue
        register_domain(obj() if isinstance(obj, type) else obj)


def domain_names() -> list[str]:
    """Every available domain, the default first, then by order and name."""
    _load_entry_points()
    return [d.name for d in sorted(_DOMAINS.values(), key=lambda d: (d.order, d.name))]


def domains() -> list[Domain]:
    return [_DOMAINS[n] for n in domain_names()]


def get_domain(name: "str | Domain | None" = None) -> Domain:
    """The domain named ``name`` (None: the default one); a Domain is returned as it is."""
    _load_entry_points()
    if isinstance(name, Domain):
        return name
    if name is None:
        names = domain_names()
        if not names:
            raise UnknownDomainError("no domain is installed: pip install the project (its entry points "
                                     f"{ENTRY_POINT_GROUP}), or pass --domain NAME")
        return _DOMAINS[names[0]]
    if name not in _DOMAINS and name.isidentifier():
        try:  # a package of that name that registers its domain when imported
            importlib.import_module(name)
        except ImportError:
            pass
    if name not in _DOMAINS:
        broken = f" ({_ENTRY_POINT_ERRORS[name]})" if name in _ENTRY_POINT_ERRORS else ""
        raise UnknownDomainError(f"unknown domain {name!r}{broken}; known: {', '.join(domain_names()) or 'none'}")
    return _DOMAINS[name]


def domain_of_module(module_name: str) -> str | None:
    """The name of the domain whose package holds ``module_name``, or None."""
    top = module_name.split(".")[0]
    for d in list(_DOMAINS.values()):
        if (d.package or d.name) == top:
            return d.name
    return None


def domain_of_state(state: Mapping[str, Any]) -> str | None:
    """The name of the domain whose encoder parameter names ``state`` has, or None."""
    for d in domains():
        if d.owns_state(state):
            return d.name
    return None
