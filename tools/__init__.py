"""Project tooling, not part of the installed packages: the parity report against the original's
processed data (parity.py) and the result tables and figures of the fine-tuning sweeps (results.py,
result_tables.py, result_figures.py). scripts/check_parity.py, summarize.py and plot.py call them."""
