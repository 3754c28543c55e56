"""Molecules: the chem domain (importing the package makes it known to the engine)."""
from chem.domain import CHEM  # noqa: F401
