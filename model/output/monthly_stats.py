"""The per-month statistics the ensemble figures show (``model.output.plots``): quantile
bands of the state, means of the flows with their 95% intervals, and shares of runs at
each alliance level and option; from a long result table (exact order statistics) or
from per-month statistics merged across chunks (``model.ensemble.streaming``: quantiles
within one histogram bin, means and shares exact). No drawing here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.actions import DIMENSIONS, ESCALATION_DIMENSIONS
from ..core.state import UNIT_INDEX, AllianceLevel
from ..ensemble.streaming import MonthlyStatistics

FLOW_COLUMNS = ("munitions_flow", "aid_flow", "tech_flow")
#: The escalation module's panel (drawn when the runs carry its columns): means across
#: runs, as the flows.
ESCALATION_PANEL = (
    "Troops, military technology, treaty in force (mean across runs, 95% interval)",
    "mean, index 0–1 (troops: 1 = about 10,000)", "means",
    (("troops_deployed", "tab:brown"), ("troops_in_combat", "tab:red"),
     ("mil_tech_flow", "tab:blue"), ("treaty_in_force", "tab:gray")))
ESCALATION_MEANS = tuple(c for c, _ in ESCALATION_PANEL[3])
#: Every option dimension a figure may draw (the escalation module's where present).
ALL_DIMENSIONS = (*DIMENSIONS, *ESCALATION_DIMENSIONS)
LEVEL_COLUMN = "alliance_level"

#: Panels of plot_trajectories: (title, y label, kind, [(column, colour), ...]). Kinds:
#: ``bands`` (median, 50% and 90% bands across runs), ``means`` (mean across runs with the
#: 95% interval of the mean: a month's flow is all or nothing, so quantiles only jump),
#: ``levels`` (share of runs at each alliance level, stacked).
TRAJECTORY_PANELS: tuple[tuple[str, str, str, tuple[tuple[str, str], ...]], ...] = (
    ("Alliance strength (right: level thresholds)", UNIT_INDEX, "bands",
     (("alliance_strength", "tab:red"),)),
    ("Alliance level (share of runs at each level)", "share of runs", "levels", ()),
    ("Munitions delivered to Russia (mean across runs, 95% interval)",
     "mean, index 0–1 (1 = large)", "means", (("munitions_flow", "tab:red"),)),
    ("Aid and technology (mean across runs, 95% interval)", "share of runs / index 0–1",
     "means", (("aid_flow", "tab:green"), ("tech_flow", "tab:blue"))),
    ("Sanctions regime", UNIT_INDEX, "bands",
     (("sanctions_integrity", "tab:blue"), ("russia_circumvention", "tab:red"))),
    ("North Korea's gains", UNIT_INDEX, "bands",
     (("nk_food_gap", "tab:orange"), ("nk_tech_level", "tab:purple"))),
    ("Isolation and reputation", UNIT_INDEX, "bands",
     (("isolation_russia", "tab:red"), ("isolation_north_korea", "tab:purple"),
      ("russia_reputation", "tab:gray"))),
)

_QUANTILES = {"q05": 0.05, "q25": 0.25, "median": 0.5, "q75": 0.75, "q95": 0.95}


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


def mean_band(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per-month mean of ``column`` across runs with the normal 95% interval of that mean:
    columns ``mean``, ``low``, ``high`` (mean ∓ 1.96 standard errors; the interval is the
    mean itself when a month has one run), indexed by month (sorted)."""
    values = pd.to_numeric(table[column], errors="coerce").astype(float)
    grouped = values.groupby(table["month"].to_numpy(), sort=True)
    mean, sem = grouped.mean(), grouped.sem().fillna(0.0)
    out = pd.DataFrame({"mean": mean, "low": mean - 1.96 * sem, "high": mean + 1.96 * sem})
    out.index.name = "month"
    return out


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


@dataclass(frozen=True)
class MonthlyStats:
    """What the ensemble figures draw, per month across runs.

    ``months``: the months shown (sorted); ``runs``: the number of runs; ``bands``: state
    column -> :func:`quantile_bands` frame; ``means``: flow column -> :func:`mean_band`
    frame; ``shares``: ``alliance_level`` (by level name) and each ``actor.dimension`` ->
    :func:`option_shares` frame. A column absent from these maps is drawn as "no data".
    """

    months: np.ndarray
    runs: int
    bands: Mapping[str, pd.DataFrame]
    means: Mapping[str, pd.DataFrame]
    shares: Mapping[str, pd.DataFrame]


#: The state columns drawn as quantile bands.
BANDED = tuple(c for _, _, kind, series in TRAJECTORY_PANELS if kind == "bands"
                for c, _ in series)


def monthly_stats(table: pd.DataFrame | MonthlyStatistics) -> MonthlyStats:
    """The :class:`MonthlyStats` of a long result table (every column the figures use),
    or of per-month statistics merged across chunks (a streamed run's
    ``MonthlyStatistics``)."""
    if isinstance(table, MonthlyStatistics):
        return _streamed_stats(table)
    banded = BANDED
    shares = {dim.key: option_shares(table, dim.key, dim.options)
              for dim in ALL_DIMENSIONS if dim.key in table}
    if LEVEL_COLUMN in table:
        names = table[LEVEL_COLUMN].round().map(
            {float(level): level.label for level in AllianceLevel})
        shares[LEVEL_COLUMN] = option_shares(table.assign(**{LEVEL_COLUMN: names}),
                                             LEVEL_COLUMN, [lv.label for lv in AllianceLevel])
    return MonthlyStats(
        months=np.sort(pd.unique(table["month"].to_numpy())),
        runs=int(table["run"].nunique()),
        bands={c: quantile_bands(table, c) for c in banded if c in table},
        means={c: mean_band(table, c) for c in (*FLOW_COLUMNS, *ESCALATION_MEANS)
               if c in table},
        shares=shares)


def _streamed_stats(stats: MonthlyStatistics) -> MonthlyStats:
    """:class:`MonthlyStats` read off merged per-month statistics: quantiles within one
    histogram bin, means, standard errors and shares exact."""
    index = pd.Index(np.arange(stats.months + 1), name="month")
    available = set(stats.state_columns)

    def bands(column: str) -> pd.DataFrame:
        values = stats.quantiles(column, _QUANTILES.values())
        frame = pd.DataFrame(values, index=index, columns=list(_QUANTILES))
        return frame[["median", "q05", "q25", "q75", "q95"]]

    def means(column: str) -> pd.DataFrame:
        mean = np.asarray(stats.mean(column), float)
        sem = np.nan_to_num(np.asarray(stats.sem(column), float))
        return pd.DataFrame({"mean": mean, "low": mean - 1.96 * sem,
                             "high": mean + 1.96 * sem}, index=index)

    def shares(counts: np.ndarray, options: Sequence[str]) -> pd.DataFrame:
        labels = ([str(o) for o in options] if len(options) == counts.shape[1]
                  else [str(i) for i in range(counts.shape[1])])
        totals = np.maximum(counts.sum(axis=1, keepdims=True), 1)
        return pd.DataFrame(counts / totals, index=index, columns=labels)

    share_maps = {dim.key: shares(stats.option_counts(dim.key), dim.options)
                  for dim in ALL_DIMENSIONS if dim.key in stats.options}
    if LEVEL_COLUMN in stats.levels:
        share_maps[LEVEL_COLUMN] = shares(stats.level_counts(LEVEL_COLUMN),
                                          [lv.label for lv in AllianceLevel])
    return MonthlyStats(
        months=index.to_numpy(), runs=stats.runs,
        bands={c: bands(c) for c in BANDED if c in available},
        means={c: means(c) for c in (*FLOW_COLUMNS, *ESCALATION_MEANS) if c in available},
        shares=share_maps)
