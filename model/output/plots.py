"""Plots of ensemble results: state trajectories with uncertainty bands, and option shares.

Input is the long result table of ``model.run_ensemble`` — or, for ensembles whose table
is never gathered, their per-month statistics (``model.ensemble.streaming``; the figures
read both through ``model.output.per_month.PerMonth``): one row per (run, month) with
integer ``run`` and ``month`` (month 0 = the scenario's start), the state columns and one
``actor.dimension`` column per action holding the chosen option's name (string or
Categorical). Unknown extra columns are ignored; a missing state or action column leaves
its series or panel empty (with a note) rather than failing.

Figures are built as ``matplotlib.figure.Figure`` objects, never through pyplot, so no
global state or interactive backend is touched; ``Figure.savefig`` renders with Agg.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from os import PathLike

import numpy as np
import pandas as pd
from matplotlib import colormaps, font_manager, rcParams
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator

from ..core.actions import DIMENSIONS
from ..core.calendar import axis_label, calendar_month, year_month
from ..core.state import STATE_BY_NAME, UNIT_INDEX, AllianceLevel
from .per_month import PerMonth, from_statistics
from .style import ACTOR_COLORMAPS, DPI

FLOW_COLUMNS = ("munitions_flow", "aid_flow", "tech_flow")
#: Flows are all or nothing month to month (an option is played or not), so medians and
#: quantiles across runs jump between a few values. The flows panel shows what a reader
#: wants instead: the mean flow across runs each month (the expected flow; for aid, the
#: share of runs giving aid) with the 95% interval of that mean as its band.


# Panels of plot_trajectories: (title, unit, [(column, colour), ...]).
_TRAJECTORY_PANELS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("Alliance strength", UNIT_INDEX, (("alliance_strength", "tab:red"),)),
    ("Alliance level (share of runs at each level)", "share of runs", ()),
    (
        "Flows (mean across runs; band: 95% interval of the mean)",
        UNIT_INDEX,
        (("munitions_flow", "tab:red"), ("aid_flow", "tab:green"), ("tech_flow", "tab:blue")),
    ),
    (
        "Sanctions regime",
        UNIT_INDEX,
        (("sanctions_integrity", "tab:blue"), ("russia_circumvention", "tab:red")),
    ),
    (
        "North Korea's gains",
        UNIT_INDEX,
        (("nk_food_gap", "tab:orange"), ("nk_tech_level", "tab:purple")),
    ),
    (
        "Isolation and reputation",
        UNIT_INDEX,
        (
            ("isolation_russia", "tab:red"),
            ("isolation_north_korea", "tab:purple"),
            ("russia_reputation", "tab:gray"),
        ),
    ),
)

_QUANTILES = {"q05": 0.05, "q25": 0.25, "median": 0.5, "q75": 0.75, "q95": 0.95}
_BAND_ALPHA_50 = 0.30
_BAND_ALPHA_90 = 0.10


def quantile_bands(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per-month quantiles of ``column`` across runs.

    Returns a DataFrame indexed by month (sorted) with columns ``median``, ``q05``,
    ``q25``, ``q75``, ``q95``: the median, the 50% band (q25–q75) and the 90% band
    (q05–q95), computed with linear interpolation between order statistics (numpy's
    default), so q05 <= q25 <= median <= q75 <= q95. Missing values are skipped; a month
    whose values are all missing gives NaN.
    """
    values = pd.to_numeric(table[column], errors="coerce").astype(float)
    grouped = values.groupby(table["month"].to_numpy(), sort=True)
    bands = grouped.quantile(list(_QUANTILES.values())).unstack()
    bands.columns = list(_QUANTILES.keys())
    bands.index.name = "month"
    return bands[["median", "q05", "q25", "q75", "q95"]]


def option_shares(
    table: pd.DataFrame, actor_dimension: str, options: Sequence[str]
) -> pd.DataFrame:
    """Per-month share of runs playing each option of ``actor_dimension``.

    Returns a DataFrame indexed by month (sorted), one column per option in the order of
    ``options``; each row sums to 1 over the runs with a recorded choice that month.
    Options seen in the data but not listed in ``options`` get extra columns after the
    listed ones, so rows still sum to 1. A month with no recorded choice is all zeros.
    """
    values = table[actor_dimension]
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    months = table["month"].to_numpy()
    observed = values.notna().to_numpy()
    counts = pd.crosstab(months[observed], values[observed].astype(str).to_numpy())
    listed = [str(o) for o in options]
    extra = sorted(c for c in counts.columns if c not in listed)
    all_months = np.sort(pd.unique(months))
    counts = counts.reindex(index=all_months, columns=listed + extra, fill_value=0)
    totals = counts.sum(axis=1).replace(0, 1)
    shares = counts.div(totals, axis=0).astype(float)
    shares.index.name = "month"
    shares.columns.name = None
    return shares


def _new_figure(nrows: int, ncols: int, figsize: tuple[float, float]) -> tuple[Figure, list]:
    fig = Figure(figsize=figsize, dpi=DPI, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True)
    return fig, [ax for row in axes for ax in row]


#: Calendar-tick spacings tried, in months: monthly up to decades.
_CALENDAR_STEPS = (1, 2, 3, 6, 12, 24, 60, 120, 240)
#: At most this many calendar labels on one panel (they never collide at ~4 inches).
MAX_CALENDAR_LABELS = 6


def calendar_ticks(start: str, lo: int, hi: int) -> list[tuple[int, str]]:
    """Calendar ticks for months ``lo..hi``: ``[(month, label), ...]``, at most
    ``MAX_CALENDAR_LABELS``: every 1, 2, 3 or 6 months (label ``Jan 2024``) over short
    spans, else Januaries of every 1, 2, 5, 10 or 20 years (label ``2025``), so a run to
    2028 or of 200 months stays readable."""
    marks: list[int] = []
    step = 1
    for step in _CALENDAR_STEPS:
        if step >= 12:
            years = step // 12
            marks = [m for m in range(lo, hi + 1) if year_month(start, m)[1] == 1
                     and year_month(start, m)[0] % years == 0]
        else:
            marks = [m for m in range(lo, hi + 1) if (year_month(start, m)[1] - 1) % step == 0]
        if len(marks) <= MAX_CALENDAR_LABELS:
            break
    if not marks:  # inside one step: label the ends
        marks = sorted({lo, hi})
    years_only = step >= 12 and len(marks) > 1
    return [(m, str(year_month(start, m)[0]) if years_only else calendar_month(start, m))
            for m in marks]


#: Points between a panel's top edge and its title: the calendar axis above the panel
#: (ticks 3 + tick pad 3.5 + 8-pt labels ≈ 10) and the usual title pad 6.
TITLE_PAD = 23


def set_panel_title(ax: Axes, title: str) -> None:
    """A panel's title above its calendar axis, at a fixed offset. (Matplotlib's automatic
    placement measures every tick label of the calendar axis at each draw: over half the
    time a six-panel figure takes to render.)"""
    ax.set_title(title, fontsize=11, y=1.0, pad=TITLE_PAD)


def format_time_axis(ax: Axes, months: np.ndarray, show_xlabel: bool, start: str) -> None:
    """Model months below, calendar dates above; both adapt to the span, so labels never
    run into each other (at most ``MAX_CALENDAR_LABELS`` calendar labels)."""
    lo, hi = (int(months.min()), int(months.max())) if months.size else (0, 1)
    if lo == hi:
        ax.set_xlim(lo - 0.5, hi + 0.5)
        ax.set_xticks([lo])
    else:
        ax.set_xlim(lo, hi)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=7, integer=True,
                                               steps=[1, 2, 2.5, 3, 5, 6, 10]))
    ax.tick_params(labelbottom=True)
    if show_xlabel:
        ax.set_xlabel(axis_label(start))
    ticks = calendar_ticks(start, lo, hi)
    top = ax.secondary_xaxis("top")
    top.set_xticks([m for m, _ in ticks], [label for _, label in ticks])
    top.tick_params(labelsize=8, colors="0.4", length=3)
    for m, _ in ticks:
        ax.axvline(m, color="0.85", lw=0.8, zorder=0)
    ax.grid(axis="y", color="0.9", lw=0.8)


def _stack(ax: Axes, x: np.ndarray, shares: pd.DataFrame, colors: Sequence) -> None:
    """Stacked area of share columns over x (stacked bars when there is one month)."""
    labels = [str(c) for c in shares.columns]
    if len(x) > 1:
        ax.stackplot(
            x,
            shares.to_numpy().T,
            labels=labels,
            colors=colors,
            alpha=0.9,
            edgecolor="white",
            linewidth=0.3,
        )
    else:
        bottom = 0.0
        for label, color, value in zip(labels, colors, shares.iloc[0].to_numpy(), strict=True):
            ax.bar(x, value, bottom=bottom, width=0.6, color=color, label=label)
            bottom += value
    ax.set_ylim(0, 1)


def _legend_right(ax: Axes, reverse: bool = True, **options) -> None:
    """Legend outside the panel's right edge (off the data); for a stack, top layer first."""
    handles, labels = ax.get_legend_handles_labels()
    if reverse:
        handles, labels = handles[::-1], labels[::-1]
    ax.legend(handles, labels, loc="center left", bbox_to_anchor=(1.01, 0.5),
              fontsize=8, **options)


def _no_data(ax: Axes, what: str) -> None:
    ax.text(
        0.5, 0.5, f"no data: {what}", transform=ax.transAxes, ha="center", va="center", color="0.4"
    )


def _band_panel(ax: Axes, table: PerMonth, series: Sequence[tuple[str, str]]) -> None:
    shown = []
    for column, color in series:
        if column not in table:
            continue
        bands = table.bands(column)
        x = bands.index.to_numpy()
        label = STATE_BY_NAME[column].label if column in STATE_BY_NAME else column
        ax.fill_between(x, bands["q05"], bands["q95"], color=color, alpha=_BAND_ALPHA_90, lw=0)
        for edge in ("q05", "q95"):  # thin edges keep overlapping 90% bands traceable
            ax.plot(x, bands[edge], color=color, lw=0.6, alpha=0.6)
        ax.fill_between(x, bands["q25"], bands["q75"], color=color, alpha=_BAND_ALPHA_50, lw=0)
        marker = "o" if len(x) == 1 else None
        ax.plot(x, bands["median"], color=color, lw=2, marker=marker, label=label)
        if len(x) == 1:  # bands have no width in time: show them as error bars
            ax.errorbar(
                x,
                bands["median"],
                yerr=[bands["median"] - bands["q05"], bands["q95"] - bands["median"]],
                color=color,
                capsize=4,
            )
        shown.append(column)
    if not shown:
        _no_data(ax, ", ".join(c for c, _ in series))
    elif len(series) > 1:
        _legend_right(ax, reverse=False)  # beside the panel, never over its data
    ax.set_ylim(-0.02, 1.02)


def _mean_panel(ax: Axes, table: PerMonth, series: Sequence[tuple[str, str]]) -> None:
    """Mean across runs per month, with the 95% interval of the mean as a band."""
    shown = []
    for column, color in series:
        if column not in table:
            continue
        mean, sem = table.mean_sem(column)
        x = mean.index.to_numpy()
        label = STATE_BY_NAME[column].label if column in STATE_BY_NAME else column
        ax.fill_between(x, mean - 1.96 * sem, mean + 1.96 * sem, color=color, alpha=0.2, lw=0)
        ax.plot(x, mean.to_numpy(), color=color, lw=2, label=label,
                marker="o" if len(x) == 1 else None)
        shown.append(column)
    if not shown:
        _no_data(ax, ", ".join(c for c, _ in series))
    else:
        _legend_right(ax, reverse=False)
    ax.set_ylim(-0.02, 1.02)


@functools.lru_cache(maxsize=1)
def _fonts() -> tuple:
    """The fonts text is drawn with: the default family, then installed fonts that cover
    scripts it lacks (e.g. Noto Sans CJK), registered as matplotlib fallbacks."""
    from matplotlib.ft2font import FT2Font

    family = list(rcParams["font.family"])
    default = font_manager.findfont(font_manager.FontProperties(family=family))
    fonts = [(family[0], FT2Font(default))]
    for entry in font_manager.fontManager.ttflist:
        if any(k in entry.name for k in ("CJK", "Noto Sans SC", "WenQuanYi", "Droid Sans")):
            try:
                fonts.append((entry.name, FT2Font(entry.fname)))
            except (OSError, RuntimeError):
                continue
    extra = [name for name, _ in fonts[1:] if name not in family]
    if extra:
        rcParams["font.family"] = [*family, *extra]  # matplotlib falls back along this list
    return tuple(font for _, font in fonts)


def displayable(text: str) -> str:
    """``text`` with the characters no available font can draw replaced by ``?``, so a
    scenario named in another script never draws empty boxes ("Glyph missing")."""
    if text.isascii():
        return text
    fonts = _fonts()
    return "".join(c if c.isspace() or any(f.get_char_index(ord(c)) for f in fonts) else "?"
                   for c in text)


def finish(fig: Figure, path: str | PathLike | None) -> Figure:
    """Make every text of ``fig`` drawable (see ``displayable``), then save it to ``path``
    (when given) at the shared resolution."""
    for text in fig.findobj(Text):
        content = text.get_text()
        if content and not content.isascii():
            text.set_text(displayable(content))
    if path is not None:
        fig.savefig(path, dpi=DPI)
    return fig


def _save(fig: Figure, path: str | PathLike | None) -> None:
    finish(fig, path)


def _table_mean_sem(table: pd.DataFrame, column: str) -> tuple[pd.Series, pd.Series]:
    values = pd.to_numeric(table[column], errors="coerce").astype(float)
    grouped = values.groupby(table["month"].to_numpy(), sort=True)
    return grouped.mean(), grouped.sem().fillna(0.0)


def _table_shares(table: pd.DataFrame, column: str, options: Sequence[str]) -> pd.DataFrame:
    if column == "alliance_level":  # levels by name
        names = table["alliance_level"].round().map(
            {float(level): level.label for level in AllianceLevel})
        return option_shares(table.assign(alliance_level=names), column, options)
    return option_shares(table, column, options)


def per_month(data: pd.DataFrame | PerMonth | object) -> PerMonth:
    """What the figures draw (:class:`PerMonth`) from a result table, from merged
    per-month statistics (``MonthlyStatistics``), or as given."""
    if isinstance(data, PerMonth):
        return data
    if not isinstance(data, pd.DataFrame):
        return from_statistics(data)
    months = np.sort(pd.unique(data["month"].to_numpy()))
    return PerMonth(months, int(data["run"].nunique()), frozenset(data.columns),
                    lambda column: quantile_bands(data, column),
                    lambda column: _table_mean_sem(data, column),
                    lambda column, options: _table_shares(data, column, options))


def _title(title: str, subtitle: str | None) -> str:
    """A figure title with the configuration (runs, seed, overrides) on a second line."""
    return f"{title}\n{subtitle}" if subtitle else title


def plot_trajectories(
    table: pd.DataFrame | PerMonth | object, title: str,
    path: str | PathLike | None = None, *, start: str,
    subtitle: str | None = None,
    overlay: Callable[[dict[str, Axes]], None] | None = None,
) -> Figure:
    """Six panels of state trajectories over months, across the ensemble's runs.

    Each line is the median across runs at each month; the dark shading is the 50% band
    (25th–75th percentile) and the light shading the 90% band (5th–95th). Panels:
    alliance strength; the share of runs at each alliance level (stacked, by level name);
    munitions/aid/technology flows; sanctions integrity and Russian circumvention; North
    Korea's food gap and tech level; isolation of Russia and North Korea and Russia's
    reputation. The flows panel shows the mean across runs with the 95% interval of the
    mean instead (a month's flow is all or nothing, so quantiles only jump). Legends sit
    beside the panels, off the data. ``start`` is the scenario's month 0 (``YYYY-MM``)
    for the calendar axis; ``subtitle`` (seed, overrides) goes under the title.
    ``overlay`` (e.g. ``model.output.record_overlay.record_overlay``) is called with the axes by
    the column they show, to mark the record on them. ``table`` may also be per-month
    statistics (see :func:`per_month`).
    Returns the Figure; saves it as well when ``path`` is given.
    """
    table = per_month(table)
    months, n_runs = table.months, table.runs
    rows = -(-len(_TRAJECTORY_PANELS) // 2)
    fig, axes = _new_figure(rows, 2, (14, 11 * rows / 3))
    for i, (ax, (panel_title, unit, series)) in enumerate(
        zip(axes, _TRAJECTORY_PANELS, strict=True)
    ):
        if series and series[0][0] in FLOW_COLUMNS:
            _mean_panel(ax, table, series)
        elif series:
            _band_panel(ax, table, series)
        elif "alliance_level" in table:
            shares = table.shares("alliance_level", [level.label for level in AllianceLevel])
            colors = colormaps["RdPu"](np.linspace(0.15, 0.95, shares.shape[1]))
            _stack(ax, shares.index.to_numpy(), shares, colors)
            _legend_right(ax, title="level", title_fontsize=8)
        else:
            _no_data(ax, "alliance_level")
        set_panel_title(ax, panel_title)
        ax.set_ylabel(unit)
        format_time_axis(ax, months, show_xlabel=i >= len(axes) - 2, start=start)
    for ax in axes[len(_TRAJECTORY_PANELS):]:
        ax.set_visible(False)
    if overlay is not None:
        overlay({column: ax for ax, (_, _, series) in zip(axes, _TRAJECTORY_PANELS)
                 for column in ([c for c, _ in series] or ["alliance_level"])})

    band_key = [
        Line2D([], [], color="0.2", lw=2, label="median across runs"),
        Patch(facecolor="0.2", alpha=_BAND_ALPHA_50, label="50% band (25th–75th pct.)"),
        Patch(
            facecolor=(0.2, 0.2, 0.2, _BAND_ALPHA_90),
            edgecolor=(0.2, 0.2, 0.2, 0.6),
            lw=0.6,
            label="90% band (5th–95th pct.)",
        ),
    ]
    fig.legend(handles=band_key, loc="outside lower center", ncol=3, fontsize=9, frameon=False)
    fig.suptitle(_title(f"{title} — state trajectories, {n_runs} run{'s' * (n_runs != 1)}",
                        subtitle), fontsize=14)
    _save(fig, path)
    return fig


def plot_option_shares(
    table: pd.DataFrame | PerMonth | object, title: str,
    path: str | PathLike | None = None, *, start: str,
    subtitle: str | None = None,
) -> Figure:
    """One panel per actor and dimension: the share of runs playing each option by month.

    Stacked areas (stacked bars for a single month) with options ordered from least to
    most escalatory, darker = more escalatory, colour family by actor. ``table`` may
    also be per-month statistics (see :func:`per_month`). Returns the Figure; saves it
    as well when ``path`` is given.
    """
    table = per_month(table)
    months, n_runs = table.months, table.runs
    rows = -(-len(DIMENSIONS) // 2)
    fig, axes = _new_figure(rows, 2, (13, 3 * rows))
    for i, (ax, dim) in enumerate(zip(axes, DIMENSIONS)):
        column, panel_title = dim.key, dim.label
        if column in table:
            shares = table.shares(column, dim.options)
            cmap = colormaps[ACTOR_COLORMAPS[dim.actor]]
            colors = cmap(np.linspace(0.3, 0.9, shares.shape[1]))
            _stack(ax, shares.index.to_numpy(), shares, colors)
            _legend_right(ax)
        else:
            _no_data(ax, column)
        set_panel_title(ax, panel_title)
        ax.set_ylabel("share of runs")
        format_time_axis(ax, months, show_xlabel=i >= len(DIMENSIONS) - 2, start=start)
    for ax in axes[len(DIMENSIONS) :]:
        ax.set_visible(False)
    fig.suptitle(_title(f"{title} — options chosen, {n_runs} run{'s' * (n_runs != 1)}",
                        subtitle), fontsize=14)
    _save(fig, path)
    return fig
