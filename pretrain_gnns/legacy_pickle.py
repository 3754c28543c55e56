"""One allowlisted unpickler for every legacy file this project reads: the original's PyG 1.0.3
processed files (``geometric_data_processed.pt`` of both its domains) and the Mayr et al. ChEMBL pickles.

Those files predate weights_only loading, so they are pickles; a pickle names the classes and
functions to call while loading it, which is how a crafted file runs code. Here only the names on
``ALLOWED`` resolve: tensors and their storages, numpy arrays, scipy sparse matrices, the pandas
Series/Index pieces the Mayr files hold, RDKit molecules, and PyG 1.0.3's ``Data`` mapped to an
inert attribute holder. Anything else is refused before it is called.
"""
from __future__ import annotations

import os
import pickle
import types

import torch

# Where PyG 1.x defined Data; a pickle names the class by the module it was defined in.
LEGACY_DATA_NAMES = (("torch_geometric.data.data", "Data"), ("torch_geometric.data", "Data"),
                     ("torch_geometric.data.batch", "Batch"), ("torch_geometric.data", "Batch"))

_NUMPY = {"_reconstruct", "scalar", "_frombuffer", "ndarray", "dtype"}
_PANDAS_MANAGERS = {"BlockManager", "SingleBlockManager"}
# module -> names a legacy file may reference; old module paths of the same classes included.
ALLOWED: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in {
    "collections": {"OrderedDict"},
    "builtins": {"slice", "bytearray", "set", "frozenset", "complex", "object"},
    "__builtin__": {"slice", "bytearray", "set", "frozenset", "complex", "object"},
    "copyreg": {"_reconstructor"},  # object.__new__ of a class that must itself be allowed
    "_codecs": {"encode"},  # how protocol 2 writes bytes
    "torch._utils": {"_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_parameter"},
    "numpy": {"ndarray", "dtype"},
    "numpy.core.multiarray": _NUMPY, "numpy._core.multiarray": _NUMPY,
    "numpy.core.numeric": _NUMPY, "numpy._core.numeric": _NUMPY,
    "scipy.sparse._coo": {"coo_matrix", "coo_array"}, "scipy.sparse.coo": {"coo_matrix"},
    "scipy.sparse._csr": {"csr_matrix", "csr_array"}, "scipy.sparse.csr": {"csr_matrix"},
    "scipy.sparse._csc": {"csc_matrix", "csc_array"}, "scipy.sparse.csc": {"csc_matrix"},
    "pandas": {"Series", "DataFrame", "Index", "RangeIndex", "StringDtype"},
    "pandas.core.series": {"Series"}, "pandas.core.frame": {"DataFrame"},
    "pandas.core.indexes.base": {"_new_Index", "Index"}, "pandas.core.indexes.range": {"RangeIndex"},
    "pandas.core.indexes.numeric": {"Int64Index", "Float64Index", "UInt64Index"},
    "pandas.core.internals": _PANDAS_MANAGERS, "pandas.core.internals.managers": _PANDAS_MANAGERS,
    "pandas._libs.internals": {"_unpickle_block"},
    # pandas 3's string arrays: rebuilds an instance of the class it is given, which must itself be allowed
    "pandas._libs.arrays": {"__pyx_unpickle_NDArrayBacked"},
    "pandas.arrays": {"ArrowStringArray", "StringArray"},
    "pandas.core.arrays.string_": {"StringDtype", "StringArray"},
    "pandas.core.arrays.string_arrow": {"ArrowStringArray"},
    "pyarrow.lib": {"_restore_array", "py_buffer", "type_for_alias"},  # pandas' string columns
    "rdkit.Chem.rdchem": {"Mol"},
}.items()}


class RefusedPickleError(pickle.UnpicklingError, ValueError):
    """A legacy file that names a class or function outside ``ALLOWED``: nothing of it was run."""


class LegacyData:
    """Inert stand-in for a PyG 1.0.3 ``Data``: unpickling only fills its ``__dict__``."""

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)


class AllowlistUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in LEGACY_DATA_NAMES:
            return LegacyData
        if module == "torch" and name.endswith("Storage") and isinstance(getattr(torch, name, None), type):
            return getattr(torch, name)
        if name in ALLOWED.get(module, ()):
            return super().find_class(module, name)
        raise RefusedPickleError(f"refusing {module}.{name}: not one of the classes a legacy data file holds "
                                 "(nothing was run)")


_PICKLE_MODULE = types.SimpleNamespace(Unpickler=AllowlistUnpickler, __name__="allowlist_pickle",
                                       load=lambda f, **kw: AllowlistUnpickler(f, **kw).load())


def load_pickle_file(f, name: str = "") -> object:
    """The next object of an open plain pickle file, through the allowlist."""
    try:
        return AllowlistUnpickler(f).load()
    except RefusedPickleError as err:
        raise RefusedPickleError(f"{name or getattr(f, 'name', 'pickle')}: {err}") from None
    except (EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, IndexError) as err:
        raise ValueError(f"{name or getattr(f, 'name', 'pickle')}: not a readable pickle of the expected data "
                         f"({type(err).__name__}: {err})") from None


def load_pyg1_collated(path: str) -> tuple[dict, dict]:
    """(attributes, slices) of an InMemoryDataset file written by torch 1.x + PyG 1.0.x."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"not found: {path}")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=False, pickle_module=_PICKLE_MODULE)
    except RefusedPickleError as err:
        raise RefusedPickleError(f"{path}: {err}") from None
    except Exception as err:  # a wrong file: say what was expected instead of a deep pickle trace
        raise ValueError(f"{path}: not a PyG 1.0.x processed file (a pickled (Data, slices) pair): "
                         f"{type(err).__name__}: {err}") from None
    if not (isinstance(obj, (tuple, list)) and len(obj) == 2 and isinstance(obj[1], dict)):
        raise ValueError(f"{path}: expected a (Data, slices) pair, found {type(obj).__name__}")
    data, slices = obj
    attrs = data if isinstance(data, dict) else getattr(data, "__dict__", None) if isinstance(data, LegacyData) else None
    if attrs is None:
        raise ValueError(f"{path}: first element is a {type(data).__name__}, not a PyG Data")
    return {k: v for k, v in attrs.items() if torch.is_tensor(v)}, dict(slices)
