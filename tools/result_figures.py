"""Figures of a sweep (matplotlib, the 'plot' extra): pre-training gain per dataset with negative transfer
marked, and validation/test ROC-AUC (or RMSE) per epoch with the spread over seeds. A gain is what
``Summary.gain`` says: a higher ROC-AUC, or a lower RMSE."""
from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from pretrain_gnns.files import atomic_write
from pretrain_gnns.task_types import METRICS, Metric
from tools.results import RULE_LABELS, RunResult, Summary
from tools.result_tables import name

POSITIVE, NEGATIVE = "#3b75af", "#d62728"  # blue: pre-training helps; red: negative transfer


def _pyplot():
    try:
        import matplotlib
    except ImportError as err:
        raise ImportError("plots need matplotlib: pip install -e '.[plot]'") from err
    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt
    return plt


def gain_figure(s: Summary, rule: str, path: str) -> bool:
    """One panel per pre-trained configuration: bars = mean ROC-AUC gain over the same architecture's
    no-pre-training run, per dataset and on the average; red bars are negative transfer. Error bars: one
    standard error of the difference of the two means. Returns False (no file) when nothing to compare.
    RMSE (lower is better): the bars are RMSE reductions, and there is no average (each dataset's RMSE
    is in its target's units)."""
    configs = [c for c in s.configs if s.pretrained[c] and s.scratch_of(s.architecture[c])]
    if not configs:
        return False
    plt = _pyplot()
    average = s.metric.higher_is_better
    labels = [name(d) for d in s.datasets] + (["Average"] if average else [])
    ncols = min(2, len(configs))
    nrows = math.ceil(len(configs) / ncols)
    width = max(8.0, 1.1 * len(labels) * ncols + 1.5)  # room for the two-line title and the legend
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, 3.6 * nrows + 1.2), squeeze=False, sharey=True)
    for ax, config in zip(axes.flat, configs):
        gains = [s.gain(config, d, rule) for d in s.datasets] + ([s.gain(config, None, rule)] if average else [])
        x = np.arange(len(labels))
        heights = [g if g is not None else 0.0 for g, _ in gains]
        colours = [NEGATIVE if g is not None and g < 0 else POSITIVE for g, _ in gains]
        ax.bar(x, heights, color=colours)
        with_err = [(xi, g, e) for xi, (g, e) in zip(x, gains) if g is not None and e is not None]
        if with_err:  # none on the average, or where a side has a single seed
            ex, eg, ee = zip(*with_err)
            ax.errorbar(ex, eg, yerr=ee, fmt="none", ecolor="black", elinewidth=1, capsize=3)
        for xi, (g, e) in zip(x, gains):
            if g is None:  # a missing run is not a zero gain: say so on the plot
                ax.text(xi, 0, "missing", ha="center", va="bottom", rotation=90, fontsize=8, color="grey")
            else:  # the value just beyond the bar's end (or its error bar's), on the side it points to
                end = g + (e or 0.0) if g >= 0 else g - (e or 0.0)
                ax.annotate(f"{g:+.{s.metric.digits}f}", (xi, end), xytext=(0, 3 if g >= 0 else -3), textcoords="offset points",
                            ha="center", va="bottom" if g >= 0 else "top", fontsize=8)
        ax.axhline(0, color="black", linewidth=0.8)
        if average:
            ax.axvline(len(labels) - 1.5, color="grey", linewidth=0.6, linestyle=":")
        ax.set_xticks(x, labels, rotation=30, ha="right")
        ax.set_title(f"{config}\nvs {s.scratch_of(s.architecture[config])}", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        ax.margins(y=0.2)
    for ax in axes[:, 0]:
        ax.set_ylabel("ROC-AUC gain (× 100, percentage points)" if s.metric.higher_is_better
                      else "RMSE reduction (target's units)")
    for ax in list(axes.flat)[len(configs):]:
        ax.set_visible(False)
    from matplotlib.patches import Patch
    fig.legend(handles=[Patch(color=POSITIVE, label="gain (pre-training helps)"),
                        Patch(color=NEGATIVE, label="negative transfer (pre-training hurts)")],
               loc="lower center", ncol=2, frameon=False, bbox_to_anchor=(0.5, 0.0))
    lower = "" if s.metric.higher_is_better else "\nRMSE: lower is better, so a reduction is a gain"
    fig.suptitle(f"Gain of pre-training over no pre-training, {RULE_LABELS[rule]}\n"
                 f"(mean over seeds; error bar = 1 standard error of the difference, per dataset){lower}", fontsize=11)
    fig.tight_layout(rect=(0, 0.6 / fig.get_figheight(), 1, 1))
    _save(fig, path)
    return True


def curves_figure(runs: list[RunResult], dataset: str, path: str, metric: Metric = METRICS["roc_auc"]) -> bool:
    """Validation (left) and test (right) ROC-AUC per epoch on one dataset: a line per configuration =
    mean over seeds, band = +-1 sample standard deviation (ddof=1) over seeds."""
    per_config: dict[str, list[RunResult]] = defaultdict(list)
    for r in runs:
        if r.dataset == dataset and r.history:
            per_config[r.config].append(r)
    if not per_config:
        return False
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))  # own y ranges: validation often sits far above test
    colours = plt.get_cmap("tab10" if len(per_config) <= 10 else "tab20")
    for i, (config, group) in enumerate(sorted(per_config.items())):
        for ax, column in zip(axes, (1, 2)):
            epochs, mean, std = _epoch_stats([r.history for r in group], column)
            ax.plot(epochs, mean, color=colours(i), label=f"{config} (n={len(group)})", linewidth=1.4,
                    marker="o" if len(epochs) <= 10 else None, markersize=3)
            ax.fill_between(epochs, mean - std, mean + std, color=colours(i), alpha=0.2, linewidth=0)
    for ax, what in zip(axes, ("Validation", "Test")):
        ax.set_title(f"{what} {metric.label.split(' ')[0]} on {name(dataset)}")
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(metric.label + ("" if metric.higher_is_better else " (lower is better)"))
    ncol = min(3, len(per_config))
    legend_rows = math.ceil(len(per_config) / ncol)
    fig.set_figheight(4.2 + 0.25 * legend_rows)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=ncol, fontsize=8, frameon=False,
               title="configuration (number of seeds)", title_fontsize=8)
    fig.suptitle("line = mean over seeds; band = ±1 standard deviation over seeds", fontsize=9)
    fig.tight_layout(rect=(0, (0.45 + 0.22 * legend_rows) / fig.get_figheight(), 1, 1))
    _save(fig, path)
    return True


def _epoch_stats(histories: list[tuple], column: int):
    """Per epoch: mean and std (ddof=1; 0 with one seed) over the seeds that scored that epoch."""
    by_epoch: dict[int, list[float]] = defaultdict(list)
    for hist in histories:
        for row in hist:
            if row[column] is not None:
                by_epoch[row[0]].append(row[column])
    epochs = np.array(sorted(by_epoch))
    vals = [np.asarray(by_epoch[e]) for e in epochs]
    mean = np.array([v.mean() for v in vals])
    std = np.array([v.std(ddof=1) if len(v) > 1 else 0.0 for v in vals])
    return epochs, mean, std


def _save(fig, path: str) -> None:
    with atomic_write(path, "") as tmp:  # ends in .png: matplotlib picks the format from the suffix
        fig.savefig(tmp, dpi=120)
    fig.clf()
    import matplotlib.pyplot as plt
    plt.close(fig)
