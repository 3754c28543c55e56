"""Protein ego-networks: the bio domain (importing the package makes it known to the engine)."""
from bio.domain import BIO  # noqa: F401
