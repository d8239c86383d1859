"""Per-month ensemble statistics in memory that does not grow with the number of runs.

For very large ensembles the full result table is not needed: ``MonthlySummary``
accumulates, chunk by chunk, a histogram of every state column per month (``BINS``
equal bins on the column's range), counts of every option per month, and sums for the
means. Quantiles are read off the cumulative histogram with linear interpolation inside
a bin, so they are exact to within one bin width (1/``BINS`` of the range).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.actions import DIMENSIONS
from ..core.state import STATE_BY_NAME, STATE_COLUMNS

BINS = 2000
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
#: Column ranges, from the state vocabulary.
RANGES = {c: (STATE_BY_NAME[c].low, STATE_BY_NAME[c].high) for c in STATE_COLUMNS}


class MonthlySummary:
    """Histograms, option counts and sums per month, merged over chunks of runs."""

    def __init__(self, months: int) -> None:
        self.months = months
        self.runs = 0
        self.hist = {c: np.zeros((months + 1, BINS), dtype=np.int64) for c in STATE_COLUMNS}
        self.sums = {c: np.zeros(months + 1) for c in STATE_COLUMNS}
        self.counts = {d.key: np.zeros((months + 1, d.size), dtype=np.int64) for d in DIMENSIONS}

    def add(self, state: dict[str, np.ndarray], choice: dict[str, np.ndarray]) -> None:
        """Add a chunk: arrays shaped ``(months + 1, runs)``."""
        self.runs += next(iter(state.values())).shape[1]
        offsets = (np.arange(self.months + 1) * BINS)[:, None]
        size = (self.months + 1) * BINS
        for c in STATE_COLUMNS:
            low, high = RANGES[c]
            values = state[c].astype(float)
            bins = np.clip(((values - low) / (high - low) * BINS).astype(np.int64), 0, BINS - 1)
            flat = np.bincount((offsets + bins).ravel(), minlength=size)
            self.hist[c] += flat.reshape(self.months + 1, BINS)
            self.sums[c] += values.sum(axis=1)
        for d in DIMENSIONS:
            for j in range(d.size):
                self.counts[d.key][:, j] += (choice[d.key] == j).sum(axis=1)

    def quantile(self, column: str, q: float) -> np.ndarray:
        """Per-month quantile ``q`` of ``column``, interpolated within a histogram bin."""
        low, high = RANGES[column]
        cum = np.cumsum(self.hist[column], axis=1)
        target = q * self.runs
        out = np.empty(self.months + 1)
        for m in range(self.months + 1):
            b = int(np.searchsorted(cum[m], target, side="left"))
            b = min(b, BINS - 1)
            before = cum[m, b - 1] if b > 0 else 0
            inside = self.hist[column][m, b]
            frac = (target - before) / inside if inside else 0.5
            out[m] = low + (b + min(max(frac, 0.0), 1.0)) * (high - low) / BINS
        return out

    def frame(self) -> pd.DataFrame:
        """One row per month: quantiles and mean of every state column, option shares."""
        rows: dict[str, np.ndarray] = {"month": np.arange(self.months + 1)}
        rows["runs"] = np.full(self.months + 1, self.runs)
        for c in STATE_COLUMNS:
            for q in QUANTILES:
                rows[f"{c}.q{int(q * 100):02d}"] = self.quantile(c, q)
            rows[f"{c}.mean"] = self.sums[c] / self.runs
        for d in DIMENSIONS:
            for j, option in enumerate(d.options):
                rows[f"{d.key}={option}"] = self.counts[d.key][:, j] / self.runs
        return pd.DataFrame(rows)
