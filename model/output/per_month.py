"""What the ensemble figures draw, month by month, from a table or from streamed statistics.

The figures (``model.output.plots``) need, per month: quantile bands of a state column,
the mean of a column with its standard error, and the share of runs at each option (or
alliance level). :class:`PerMonth` is that, as a small data structure of functions, so a
figure is drawn the same way from the full result table (exact order statistics) or from
per-month statistics merged across chunks (``model.ensemble.streaming``; quantiles
within one histogram bin, means and shares exact) when the table is never gathered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..ensemble.streaming import MonthlyStatistics

#: Band columns, as ``quantile_bands`` returns them, and their quantiles.
BAND_QUANTILES = {"median": 0.5, "q05": 0.05, "q25": 0.25, "q75": 0.75, "q95": 0.95}


@dataclass(frozen=True)
class PerMonth:
    """Per-month numbers of an ensemble for the figures.

    - ``months``: the months shown (sorted); ``runs``: how many runs;
    - ``columns``: the state and ``actor.dimension`` columns available;
    - ``bands(column)``: DataFrame indexed by month, columns ``median, q05, q25, q75,
      q95``;
    - ``mean_sem(column)``: (mean, standard error of the mean), Series indexed by month;
    - ``shares(column, options)``: DataFrame indexed by month, one column per option
      (for a level column such as ``alliance_level``: per level, ``options`` naming the
      levels in order), rows summing to 1.
    """

    months: np.ndarray
    runs: int
    columns: frozenset[str]
    bands: Callable[[str], pd.DataFrame]
    mean_sem: Callable[[str], tuple[pd.Series, pd.Series]]
    shares: Callable[[str, Sequence[str]], pd.DataFrame]

    def __contains__(self, column: str) -> bool:
        return column in self.columns


def from_statistics(stats: MonthlyStatistics) -> PerMonth:
    """:class:`PerMonth` read off merged per-month statistics."""
    months = np.arange(stats.months + 1)
    index = pd.Index(months, name="month")

    def bands(column: str) -> pd.DataFrame:
        values = stats.quantiles(column, BAND_QUANTILES.values())
        return pd.DataFrame(values, index=index, columns=list(BAND_QUANTILES))

    def mean_sem(column: str) -> tuple[pd.Series, pd.Series]:
        return (pd.Series(stats.mean(column), index=index),
                pd.Series(stats.sem(column), index=index))

    def shares(column: str, options: Sequence[str]) -> pd.DataFrame:
        counts = (stats.level_counts(column) if column in stats.levels
                  else stats.option_counts(column))
        labels = ([str(o) for o in options] if len(options) == counts.shape[1]
                  else [str(i) for i in range(counts.shape[1])])
        totals = np.maximum(counts.sum(axis=1, keepdims=True), 1)
        return pd.DataFrame(counts / totals, index=index, columns=labels)

    columns = frozenset([*stats.state_columns, *stats.options])
    return PerMonth(months, stats.runs, columns, bands, mean_sem, shares)
