"""Per-month ensemble statistics in memory that does not grow with the number of runs,
and that do not depend on how the runs were cut into chunks.

For very large ensembles the full result table is not needed: :class:`MonthlyStatistics`
accumulates, chunk by chunk, for every numeric state column of the chunk's arrays and
every ``actor.dimension`` option column:

- **continuous columns** (float): a histogram per month of ``BINS`` equal bins on the
  column's range (``model.core.state``), and exact sums of the values and their squares
  (for means and the standard error of a mean); quantiles follow numpy's default
  definition with each order statistic placed inside its bin, so they are within one
  bin width (``1/BINS`` of the range, :func:`quantile_error`) of the exact ones; each run's total
  over months 1..final goes into a histogram of ``TOTAL_BINS`` bins on
  ``[low·months, high·months]``;
- **level columns** (integer, e.g. ``alliance_level``): counts of each level per month
  (quantiles exact, numpy's linear interpolation between order statistics) and, per
  level, a histogram of the first month each run is at that level (last slot: never);
- **option columns**: counts of each option per month.

Everything is an integer count, or a sum of integers: a value ``u`` (scaled to 0–1 on
the column's range) enters the sums as ``floor(u · 2^60)`` split into two 30-bit halves
summed in ``int64``, so a sum is exact (to 2^-60 of the range per value) whatever the
order of the runs. Merging chunks adds integers, so the statistics — and everything
computed from them — are identical bit for bit for any chunk size, any number of workers
and any merge order.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..core.actions import DIMENSION_BY_KEY
from ..core.state import STATE_BY_NAME

#: Equal bins per month of a continuous column's histogram.
BINS = 2000
#: Bins of the histogram of each run's total over months 1..final.
TOTAL_BINS = 10_000
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
#: Fixed-point scale of the exact sums: a 0–1 value counts as ``floor(u · 2^60)``.
_SCALE_BITS = 60
_HALF_BITS = 30
_HALF_MASK = (1 << _HALF_BITS) - 1


def quantile_error(column: str, months: int | None = None) -> float:
    """Largest difference between a quantile read off the histograms and the exact one:
    one bin width (per month), or one total-histogram bin width (``months`` given: of
    the per-run totals over months 1..``months``)."""
    var = STATE_BY_NAME[column]
    if months is None:
        return (var.high - var.low) / BINS
    return (var.high - var.low) * max(months, 1) / TOTAL_BINS


def _range(column: str) -> tuple[float, float]:
    if column not in STATE_BY_NAME:
        raise ValueError(f"state column {column!r} has no declared range in "
                         "model.core.state; streaming statistics need one")
    var = STATE_BY_NAME[column]
    return float(var.low), float(var.high)


def _exact_sums(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row sums of ``floor(u · 2^60)`` as two int64 halves (high 30 bits, low 30)."""
    q = np.floor(u * float(1 << _SCALE_BITS)).astype(np.int64)
    return (q >> _HALF_BITS).sum(axis=1), (q & _HALF_MASK).sum(axis=1)


def _exact_value(hi: int, lo: int) -> int:
    return (int(hi) << _HALF_BITS) + int(lo)


def _bin_counts(values: np.ndarray, low: float, high: float, bins: int) -> np.ndarray:
    """``(rows, bins)`` counts of ``values`` (rows × runs) in equal bins on [low, high]."""
    rows = values.shape[0]
    index = np.clip(((values - low) / (high - low) * bins).astype(np.int64), 0, bins - 1)
    flat = (np.arange(rows, dtype=np.int64) * bins)[:, None] + index
    return np.bincount(flat.ravel(), minlength=rows * bins).reshape(rows, bins)


def _code_counts(codes: np.ndarray, n: int) -> np.ndarray:
    """``(rows, n)`` counts of integer codes ``0..n-1`` (rows × runs), in integers."""
    rows = codes.shape[0]
    flat = (np.arange(rows, dtype=np.int64) * n)[:, None] + np.clip(codes.astype(np.int64),
                                                                     0, n - 1)
    return np.bincount(flat.ravel(), minlength=rows * n).reshape(rows, n)


def _interpolated_quantile(counts: np.ndarray, q: float, low: float, width: float) -> float:
    """Quantile ``q`` of the values a histogram counts, defined as numpy's default (linear
    interpolation between the order statistics at rank ``(n - 1)·q``), with each order
    statistic placed inside the bin that holds it (spread evenly over the bin). Every
    order statistic is then within one bin width of the true one, and so is the
    interpolation between two of them."""
    n = int(counts.sum())
    if n == 0:
        return float("nan")
    cum = np.cumsum(counts)

    def order_statistic(rank: int) -> float:
        b = int(np.searchsorted(cum, rank + 1, side="left"))
        before = int(cum[b - 1]) if b > 0 else 0
        return low + (b + (rank - before + 0.5) / int(counts[b])) * width

    h = (n - 1) * q
    k = int(np.floor(h))
    below = order_statistic(k)
    if k + 1 >= n or h == k:
        return below
    return below + (h - k) * (order_statistic(k + 1) - below)


def _level_quantile(counts: np.ndarray, q: float, low: int) -> float:
    """Quantile ``q`` of integer levels given their counts: numpy's linear interpolation
    between order statistics, exactly."""
    n = int(counts.sum())
    if n == 0:
        return float("nan")
    cum = np.cumsum(counts)
    h = (n - 1) * q
    k = int(np.floor(h))
    below = low + int(np.searchsorted(cum, k, side="right"))
    above = low + int(np.searchsorted(cum, min(k + 1, n - 1), side="right"))
    return float(below + (h - k) * (above - below))


class MonthlyStatistics:
    """Mergeable per-month statistics of an ensemble (see the module docstring).

    ``add(state, choice)`` takes a chunk's arrays shaped ``(months + 1, runs)``;
    ``to_arrays``/``add_arrays`` ship a chunk's statistics between processes. Columns
    are those of the first chunk added (or ``columns``/``options`` when given).
    """

    def __init__(self, months: int) -> None:
        self.months = int(months)
        self.runs = 0
        self.continuous: dict[str, np.ndarray] = {}   # column -> (months+1, BINS)
        self.sums: dict[str, np.ndarray] = {}         # column -> (4, months+1): hi, lo, hi², lo²
        self.totals: dict[str, np.ndarray] = {}       # column -> (TOTAL_BINS,)
        self.levels: dict[str, np.ndarray] = {}       # column -> (months+1, n_levels)
        self.first: dict[str, np.ndarray] = {}        # column -> (n_levels, months+2)
        self.options: dict[str, np.ndarray] = {}      # key -> (months+1, n_options)

    # ------------------------------------------------------------------ accumulating

    def add(self, state: dict[str, np.ndarray], choice: dict[str, np.ndarray]) -> None:
        """Add a chunk of runs: arrays shaped ``(months + 1, runs)``."""
        self.add_arrays(self.chunk_arrays(state, choice, self.months))

    @staticmethod
    def chunk_arrays(state: dict[str, np.ndarray], choice: dict[str, np.ndarray],
                     months: int) -> dict[str, np.ndarray]:
        """One chunk's statistics as named integer arrays (what a worker returns)."""
        runs = next(iter(state.values())).shape[1]
        out: dict[str, np.ndarray] = {"runs": np.array([runs], dtype=np.int64)}
        for column, values in state.items():
            if values.shape != (months + 1, runs):
                raise ValueError(f"state column {column!r} has shape {values.shape}, "
                                 f"expected {(months + 1, runs)}")
            low, high = _range(column)
            if np.issubdtype(values.dtype, np.integer):
                lo, hi = int(np.floor(low)), int(np.ceil(high))
                n_levels = hi - lo + 1
                codes = np.clip(values.astype(np.int64) - lo, 0, n_levels - 1)
                out[f"levels.{column}"] = _code_counts(codes, n_levels)
                first = np.zeros((n_levels, months + 2), dtype=np.int64)
                for level in range(n_levels):
                    at = codes == level
                    month = np.where(at.any(axis=0), at.argmax(axis=0), months + 1)
                    first[level] = np.bincount(month, minlength=months + 2)
                out[f"first.{column}"] = first
                continue
            values = values.astype(np.float64, copy=False)
            if not np.isfinite(values).all():
                raise ValueError(f"state column {column!r} holds non-finite values")
            out[f"hist.{column}"] = _bin_counts(values, low, high, BINS)
            u = (values - low) / (high - low)
            hi1, lo1 = _exact_sums(u)
            hi2, lo2 = _exact_sums(u * u)
            out[f"sums.{column}"] = np.stack([hi1, lo1, hi2, lo2])
            total = np.zeros(runs)
            for m in range(1, months + 1):  # month by month: the same sum in any chunk
                total += values[m]
            out[f"totals.{column}"] = _bin_counts(total[None, :], low * max(months, 1),
                                                  high * max(months, 1), TOTAL_BINS)[0]
        for key, codes in choice.items():
            n_options = len(DIMENSION_BY_KEY[key].options)
            out[f"options.{key}"] = _code_counts(codes, n_options)
        return out

    def add_arrays(self, part: dict[str, np.ndarray]) -> None:
        """Add a chunk's :meth:`chunk_arrays` (integer additions: order never matters)."""
        self.runs += int(part["runs"][0])
        stores = {"hist": self.continuous, "sums": self.sums, "totals": self.totals,
                  "levels": self.levels, "first": self.first, "options": self.options}
        for name, array in part.items():
            kind, _, column = name.partition(".")
            if kind not in stores:
                continue
            store = stores[kind]
            if column in store:
                store[column] += array
            else:
                store[column] = np.array(array, dtype=np.int64)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """All statistics as named arrays (the inverse of :meth:`add_arrays`)."""
        out = {"runs": np.array([self.runs], dtype=np.int64)}
        for kind, store in (("hist", self.continuous), ("sums", self.sums),
                            ("totals", self.totals), ("levels", self.levels),
                            ("first", self.first), ("options", self.options)):
            out.update({f"{kind}.{c}": a for c, a in store.items()})
        return out

    # ------------------------------------------------------------------ reading

    @property
    def state_columns(self) -> list[str]:
        """Numeric state columns, continuous then level columns, in the order added."""
        return [*self.continuous, *self.levels]

    def has(self, column: str) -> bool:
        return column in self.continuous or column in self.levels or column in self.options

    def quantiles(self, column: str, qs: Iterable[float] = QUANTILES) -> np.ndarray:
        """``(months + 1, len(qs))`` per-month quantiles of a state column."""
        qs = list(qs)
        low, high = _range(column)
        out = np.empty((self.months + 1, len(qs)))
        for m in range(self.months + 1):
            for j, q in enumerate(qs):
                if column in self.levels:
                    out[m, j] = _level_quantile(self.levels[column][m], q, int(np.floor(low)))
                else:
                    out[m, j] = _interpolated_quantile(self.continuous[column][m], q, low,
                                                       (high - low) / BINS)
        return out

    def total_quantiles(self, column: str, qs: Iterable[float]) -> list[float]:
        """Quantiles of each run's total of ``column`` over months 1..final."""
        low, high = _range(column)
        span = max(self.months, 1)
        return [_interpolated_quantile(self.totals[column], q, low * span,
                                       (high - low) * span / TOTAL_BINS) for q in qs]

    def _moments(self, column: str) -> tuple[list[int], list[int]]:
        s = self.sums[column]
        return ([_exact_value(s[0, m], s[1, m]) for m in range(self.months + 1)],
                [_exact_value(s[2, m], s[3, m]) for m in range(self.months + 1)])

    def mean(self, column: str) -> np.ndarray:
        """Per-month mean of a state column (exact sums; correctly rounded division)."""
        low, high = _range(column)
        if column in self.levels:
            counts = self.levels[column]
            levels = np.arange(counts.shape[1])
            return np.array([low + int((row * levels).sum()) / self.runs for row in counts])
        first, _ = self._moments(column)
        scale = self.runs << _SCALE_BITS
        return np.array([low + (high - low) * (s / scale) for s in first])

    def sem(self, column: str) -> np.ndarray:
        """Per-month standard error of the mean (sample standard deviation / √runs)."""
        low, high = _range(column)
        n = self.runs
        if n < 2:
            return np.zeros(self.months + 1)
        first, second = self._moments(column)
        unit = 1 << _SCALE_BITS
        out = []
        for s1, s2 in zip(first, second, strict=True):
            # n² · (sample variance) · (n - 1)/n in units of 2^-120: an exact integer
            spread = max(s2 * n * unit - s1 * s1, 0)
            var = spread / (n * (n - 1) * unit * unit)  # correctly rounded
            out.append((high - low) * float(np.sqrt(var / n)))
        return np.array(out)

    def option_counts(self, key: str) -> np.ndarray:
        """``(months + 1, n_options)`` counts of each option of ``key``."""
        return self.options[key]

    def level_counts(self, column: str) -> np.ndarray:
        """``(months + 1, n_levels)`` counts of each level of a level column."""
        return self.levels[column]

    def first_month(self, column: str, level: int) -> np.ndarray:
        """Runs whose first month at ``level`` is 0, 1, ..., final, and never (last)."""
        low, _ = _range(column)
        return self.first[column][int(level) - int(np.floor(low))]

    def frame(self) -> pd.DataFrame:
        """One row per month: quantiles and mean of every state column, option shares."""
        rows: dict[str, np.ndarray] = {"month": np.arange(self.months + 1)}
        rows["runs"] = np.full(self.months + 1, self.runs)
        for c in self.state_columns:
            qs = self.quantiles(c)
            for j, q in enumerate(QUANTILES):
                rows[f"{c}.q{int(q * 100):02d}"] = qs[:, j]
            rows[f"{c}.mean"] = self.mean(c)
        for key, counts in self.options.items():
            for j, option in enumerate(DIMENSION_BY_KEY[key].options):
                rows[f"{key}={option}"] = counts[:, j] / self.runs
        return pd.DataFrame(rows)


#: The name this accumulator had before it was made exact and generic.
MonthlySummary = MonthlyStatistics
