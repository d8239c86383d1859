"""Plots of ensemble results: state trajectories with uncertainty bands, and option shares.

Input is the long result table of ``model.run_ensemble`` — or, for ensembles whose table
is never gathered, their per-month statistics merged across chunks
(``model.ensemble.streaming.MonthlyStatistics``): one row per (run, month) with
integer ``run`` and ``month`` (month 0 = the scenario's start), the state columns and one
``actor.dimension`` column per action holding the chosen option's name (string or
Categorical). Unknown extra columns are ignored; a missing state or action column leaves
its series or panel empty (with a note) rather than failing.

Computing and drawing are apart: ``model.output.monthly_stats.monthly_stats`` reduces a
table to the per-month statistics the figures show (``MonthlyStats``: quantiles, means,
shares of runs; the panels and which statistic each draws are declared there), and
the plot functions draw a ``MonthlyStats`` (or compute one first), so the same figures
come from a table (exact order statistics) or from streamed per-month statistics
(quantiles within one histogram bin, means and shares exact).
Every figure is finished by ``model.output.figures.finish``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from os import PathLike

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..core.actions import DIMENSIONS
from ..core.state import STATE_BY_NAME
from ..ensemble.streaming import MonthlyStatistics
from .figures import (
    ACTOR_COLORMAPS,
    KEY_PANEL,
    finish,
    format_time_axis,
    legend_right,
    new_figure,
    no_data,
    set_panel_title,
    title_lines,
)
from .monthly_stats import (
    ALL_DIMENSIONS,
    ESCALATION_PANEL,
    LEVEL_COLUMN,
    TRAJECTORY_PANELS,
    MonthlyStats,
    mean_band,
    monthly_stats,
    option_shares,
    quantile_bands,
)

__all__ = ["plot_trajectories", "plot_option_shares", "monthly_stats", "MonthlyStats",
           "quantile_bands", "mean_band", "option_shares"]

#: What a mean of each flow is: aid is given or not, so its mean is a share of runs.
_MEAN_LABELS = {"aid_flow": "Food and energy aid (share of runs giving it)",
                "treaty_in_force": "Treaty in force (share of runs)",
                "tech_flow": "Technology transfer (mean index)",
                "munitions_flow": "Munitions delivered (mean index)"}

_BAND_ALPHA_50 = 0.30
_BAND_ALPHA_90 = 0.10


def _stats(data: pd.DataFrame | MonthlyStatistics | MonthlyStats) -> MonthlyStats:
    return data if isinstance(data, MonthlyStats) else monthly_stats(data)


# ---------------------------------------------------------------- drawing


def _label(column: str) -> str:
    return STATE_BY_NAME[column].label if column in STATE_BY_NAME else column


def _stack(ax: Axes, shares: pd.DataFrame, colors: Sequence) -> None:
    """Stacked area of share columns over months (stacked bars when there is one month)."""
    x = shares.index.to_numpy()
    labels = [str(c) for c in shares.columns]
    if len(x) > 1:
        ax.stackplot(x, shares.to_numpy().T, labels=labels, colors=colors, alpha=0.9,
                     edgecolor="white", linewidth=0.3)
    else:
        bottom = 0.0
        for label, color, value in zip(labels, colors, shares.iloc[0].to_numpy(), strict=True):
            ax.bar(x, value, bottom=bottom, width=0.6, color=color, label=label)
            bottom += value
    ax.set_ylim(0, 1)


def _band_panel(ax: Axes, stats: MonthlyStats, series: Sequence[tuple[str, str]]) -> None:
    shown = [(c, color) for c, color in series if c in stats.bands]
    for column, color in shown:
        bands = stats.bands[column]
        x = bands.index.to_numpy()
        ax.fill_between(x, bands["q05"], bands["q95"], color=color, alpha=_BAND_ALPHA_90, lw=0)
        for edge in ("q05", "q95"):  # thin edges keep overlapping 90% bands traceable
            ax.plot(x, bands[edge], color=color, lw=0.6, alpha=0.6)
        ax.fill_between(x, bands["q25"], bands["q75"], color=color, alpha=_BAND_ALPHA_50, lw=0)
        ax.plot(x, bands["median"], color=color, lw=2, label=_label(column),
                marker="o" if len(x) == 1 else None)
        if len(x) == 1:  # bands have no width in time: show them as error bars
            ax.errorbar(x, bands["median"], color=color, capsize=4,
                        yerr=[bands["median"] - bands["q05"], bands["q95"] - bands["median"]])
    if not shown:
        no_data(ax, ", ".join(c for c, _ in series))
    elif len(series) > 1:
        legend_right(ax, reverse=False)  # beside the panel, never over its data
    ax.set_ylim(-0.02, 1.02)


def _mean_panel(ax: Axes, stats: MonthlyStats, series: Sequence[tuple[str, str]]) -> None:
    """Mean across runs per month, with the 95% interval of the mean as a band."""
    shown = [(c, color) for c, color in series if c in stats.means]
    for column, color in shown:
        band = stats.means[column]
        x = band.index.to_numpy()
        ax.fill_between(x, band["low"], band["high"], color=color, alpha=0.2, lw=0)
        ax.plot(x, band["mean"].to_numpy(), color=color, lw=2,
                label=_MEAN_LABELS.get(column, _label(column)),
                marker="o" if len(x) == 1 else None)
    if not shown:
        no_data(ax, ", ".join(c for c, _ in series))
    elif len(series) > 1:
        legend_right(ax, reverse=False)
    ax.set_ylim(-0.02, 1.02)


def _threshold_axis(ax: Axes, thresholds: Mapping[str, float]) -> None:
    """The alliance levels' strength thresholds: dashed lines, named on a right axis."""
    if not thresholds:
        return
    for value in thresholds.values():
        ax.axhline(value, color="0.45", lw=0.8, ls=(0, (4, 3)), zorder=1.5)
    right = ax.secondary_yaxis("right")
    right.set_yticks(list(thresholds.values()),
                     [f"{name} ≥ {value:g}" for name, value in thresholds.items()])
    right.tick_params(labelsize=8, colors="0.3", length=3)


def _level_panel(ax: Axes, stats: MonthlyStats) -> None:
    if LEVEL_COLUMN not in stats.shares:
        no_data(ax, LEVEL_COLUMN)
        return
    shares = stats.shares[LEVEL_COLUMN]
    _stack(ax, shares, colormaps["RdPu"](np.linspace(0.15, 0.95, shares.shape[1])))
    legend_right(ax, title="level", title_fontsize=8)


def _band_key(fig: Figure) -> None:
    key = [
        Line2D([], [], color="0.2", lw=2, label="median across runs"),
        Patch(facecolor="0.2", alpha=_BAND_ALPHA_50, label="50% band (25th–75th pct.)"),
        Patch(facecolor=(0.2, 0.2, 0.2, _BAND_ALPHA_90), edgecolor=(0.2, 0.2, 0.2, 0.6),
              lw=0.6, label="90% band (5th–95th pct.)"),
    ]
    fig.legend(handles=key, loc="outside lower center", ncol=3, fontsize=9, frameon=False)


def _runs_text(runs: int) -> str:
    return f"{runs} run{'s' * (runs != 1)}"


def _finish_key_panel(key_ax: Axes) -> None:
    """The spare panel shows the overlay's key; without one it is hidden."""
    key_ax.set_axis_off()
    if not (key_ax.texts or key_ax.get_legend() is not None):
        key_ax.set_visible(False)


def plot_trajectories(
    table: pd.DataFrame | MonthlyStatistics | MonthlyStats, title: str,
    path: str | PathLike | None = None, *,
    start: str, subtitle: str | None = None,
    overlay: Callable[[dict[str, Axes]], None] | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> Figure:
    """Seven (eight) panels of state trajectories over months, across the ensemble's runs.

    Each line is the median across runs at each month; the dark shading is the 50% band
    (25th–75th percentile) and the light shading the 90% band (5th–95th). Panels:
    alliance strength (with ``thresholds``, level name -> strength, on a right axis);
    the share of runs at each alliance level (stacked); munitions delivered; aid (the
    share of runs giving it) and technology transfer; sanctions integrity and Russian
    circumvention; North Korea's food gap and tech level; isolation of Russia and North
    Korea and Russia's reputation; with the escalation module's columns, an eighth: North
    Korean troops (in Russia, in combat), Russian military technology and the treaty in
    force. The flow panels show the mean across runs with the 95%
    interval of the mean (a month's flow is all or nothing, so quantiles only jump).
    ``table`` is a result table, a streamed run's ``MonthlyStatistics`` or their
    :class:`MonthlyStats`. ``start`` is the scenario's
    month 0 (``YYYY-MM``) for the calendar axis; ``subtitle`` (seed, overrides) goes under
    the title. ``overlay`` (e.g. ``model.output.record_overlay.record_overlay``) is called with the
    axes by the column they show, plus the spare panel after them under ``KEY_PANEL`` for its
    key. Returns the Figure; saves it as well when ``path`` is given.
    """
    stats = _stats(table)
    panels = TRAJECTORY_PANELS
    if any(c in stats.means for c, _ in ESCALATION_PANEL[3]):  # the escalation module's
        panels = (*panels, ESCALATION_PANEL)
    rows = -(-(len(panels) + 1) // 2)
    fig, axes = new_figure(rows, 2, (14, 3.65 * rows))
    by_column: dict[str, Axes] = {}
    for i, (ax, (panel_title, unit, kind, series)) in enumerate(zip(axes, panels)):
        if kind == "means":
            _mean_panel(ax, stats, series)
        elif kind == "bands":
            _band_panel(ax, stats, series)
        else:
            _level_panel(ax, stats)
        if series and series[0][0] == "alliance_strength":
            _threshold_axis(ax, thresholds or {})
        set_panel_title(ax, panel_title)
        ax.set_ylabel(unit)
        format_time_axis(ax, stats.months, show_xlabel=i >= len(panels) - 2, start=start)
        by_column.update({c: ax for c in ([c for c, _ in series] or [LEVEL_COLUMN])})
    key_ax = axes[len(panels)]
    for ax in axes[len(panels) + 1:]:
        ax.remove()
    if overlay is not None:
        overlay({**by_column, KEY_PANEL: key_ax})
    _finish_key_panel(key_ax)
    _band_key(fig)
    fig.suptitle(title_lines(f"{title} — state trajectories, {_runs_text(stats.runs)}",
                             subtitle), fontsize=14)
    return finish(fig, path)


def plot_option_shares(
    table: pd.DataFrame | MonthlyStatistics | MonthlyStats, title: str,
    path: str | PathLike | None = None, *,
    start: str, subtitle: str | None = None,
    overlay: Callable[[dict[str, Axes]], None] | None = None,
) -> Figure:
    """One panel per actor and dimension: the share of runs playing each option by month.

    Stacked areas (stacked bars for a single month) with options ordered from least to
    most escalatory, darker = more escalatory, colour family by actor. ``overlay`` as in
    :func:`plot_trajectories` (axes by ``actor.dimension``, the spare panel under
    ``KEY_PANEL``). Returns the Figure; saves it as well when ``path`` is given.
    """
    stats = _stats(table)
    dims = tuple(d for d in ALL_DIMENSIONS if d in DIMENSIONS or d.key in stats.shares)
    rows = -(-(len(dims) + 1) // 2)
    fig, axes = new_figure(rows, 2, (13, 3.2 * rows))
    for i, (ax, dim) in enumerate(zip(axes, dims)):
        if dim.key in stats.shares:
            shares = stats.shares[dim.key]
            cmap = colormaps[ACTOR_COLORMAPS[dim.actor]]
            _stack(ax, shares, cmap(np.linspace(0.3, 0.9, shares.shape[1])))
            legend_right(ax)
        else:
            no_data(ax, dim.key)
        set_panel_title(ax, dim.label)
        ax.set_ylabel("share of runs")
        format_time_axis(ax, stats.months, show_xlabel=i >= len(dims) - 2, start=start)
    key_ax = axes[len(dims)]
    if overlay is not None:
        overlay({**{dim.key: ax for ax, dim in zip(axes, dims)}, KEY_PANEL: key_ax})
    _finish_key_panel(key_ax)
    for ax in axes[len(dims) + 1:]:
        ax.set_visible(False)
    fig.suptitle(title_lines(f"{title} — options chosen, {_runs_text(stats.runs)}",
                             subtitle), fontsize=14)
    return finish(fig, path)
