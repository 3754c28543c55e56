"""``python -m pretrain_gnns``: the ``pretrain-gnns`` command (pretrain_gnns/cli.py)."""
from pretrain_gnns.cli import main

main()
