"""Metrics over time with their 95 % bands across runs, as one PNG (matplotlib, Agg backend; no Django).

The command line and the page draw through this one function, so a scenario looks the same in both.
matplotlib is imported only when a figure is drawn: importing it (and scanning the fonts) costs every
process that loads the URLs a second or more, and most never draw.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from grassroots.governance import metrics

COLUMNS = 4
_CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "SimHei")


@functools.cache
def cjk_font() -> str | None:
    """A font with Chinese glyphs, when the machine has one (Debian: fonts-noto-cjk); plots fall back to it."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((family for family in _CJK_FAMILIES if family in names), None)


@functools.cache
def _setup() -> None:
    """Once per process, at the first figure: fall back to the Chinese font for glyphs DejaVu lacks."""
    import matplotlib

    family = cjk_font()
    matplotlib.rcParams["font.family"] = ["DejaVu Sans", family] if family else ["DejaVu Sans"]


def metrics_figure(
    series: Mapping[str, Mapping[str, Sequence[Mapping[str, Any]]]],
    label: Callable[[metrics.Metric], str] = lambda m: m.label,
    year_label: str = "year",
) -> bytes:
    """One panel per metric; one line per series (a scenario or a sweep point) with its band.

    `series` maps a series' name to `runner.per_year` output: {metric: [{year, mean, low, high, n}]}.
    `label` gives a panel's title (the page passes a translating one).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    _setup()
    rows = math.ceil(len(metrics.METRICS) / COLUMNS)
    # A Figure of its own with the Agg canvas, never pyplot's global state: pages draw from many threads.
    figure = Figure(figsize=(4.0 * COLUMNS, 2.6 * rows))
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, COLUMNS, squeeze=False)
    for i, metric in enumerate(metrics.METRICS):
        ax = axes[i // COLUMNS][i % COLUMNS]
        for j, (name, per_metric) in enumerate(series.items()):
            points = [p for p in per_metric.get(metric.name, []) if p["n"]]
            if not points:
                continue
            years = [p["year"] for p in points]
            colour = f"C{j % 10}"
            ax.plot(years, [p["mean"] for p in points], color=colour, linewidth=1.6, label=name or None)
            # every governance metric is a share, count, index or score: never below 0, whatever the t-band
            lows = [max(0.0, p["low"]) for p in points]
            ax.fill_between(years, lows, [p["high"] for p in points], color=colour, alpha=0.2, linewidth=0)
        ax.set_title(label(metric), fontsize=9)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        if i // COLUMNS == rows - 1 or i + COLUMNS >= len(metrics.METRICS):
            ax.set_xlabel(year_label, fontsize=8)
    for k in range(len(metrics.METRICS), rows * COLUMNS):
        axes[k // COLUMNS][k % COLUMNS].axis("off")
    handles, names = axes[0][0].get_legend_handles_labels()
    if len([n for n in names if n]) > 1 or (len(series) > 1 and names):
        spare = axes[(rows * COLUMNS - 1) // COLUMNS][(rows * COLUMNS - 1) % COLUMNS]
        spare.legend(handles, names, loc="center", fontsize=8, frameon=False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()
