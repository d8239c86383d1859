"""Evaluate a metric at many parameter points with common random numbers.

Sweeps and sensitivity analyses ask the same question at many points: "what is this
outcome when these parameters take these values?". ``evaluate_points`` answers it for
a whole design matrix at once: every point gets the same ``runs`` seeds (common random
numbers, so differences between points are not noise), points are batched into chunks
of at most ``CHUNK_RUNS`` runs, and each chunk is one vectorized ensemble call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from ..core.parameters import SPECS
from ..core.sampling import construction_draws, derive_seeds
from ..core.scenario import Scenario, ScenarioError
from .driver import CHUNK_RUNS, EnsembleArrays, make_streams, simulate


class Outcome(Protocol):
    """A named per-run outcome of an ensemble (e.g. ``model.analysis.metrics.Metric``)."""

    name: str

    def __call__(self, arrays: EnsembleArrays) -> np.ndarray: ...


def check_keys(scenario: Scenario, keys: Sequence[str], origin: str) -> None:
    """Every key must be a scalar parameter (a dotted key of the parameter table)."""
    for key in keys:
        if key not in SPECS:
            raise ScenarioError(f"{origin}: unknown parameter {key!r}; allowed: any key of "
                                "`python run.py params`, e.g. levers.war_demand")


def evaluate_points(scenario: Scenario, keys: Sequence[str], points: np.ndarray,
                    metrics: Sequence[Outcome], runs: int, seed: int = 0,
                    months: int | None = None,
                    progress: Callable[[int], Any] | None = None) -> dict[str, np.ndarray]:
    """Metric values at each point: ``{metric name: (n_points, runs)}``.

    ``points`` is ``(n_points, len(keys))``; column j sets parameter ``keys[j]`` for every
    run at that point. ``progress`` is called with the number of points finished.
    """
    points = np.atleast_2d(np.asarray(points, dtype=float))
    n_points = points.shape[0]
    months = scenario.horizon if months is None else months
    base = make_streams(derive_seeds(seed, runs), construction_draws(scenario), months)
    per_chunk = max(1, CHUNK_RUNS // runs)
    out = {m.name: np.empty((n_points, runs)) for m in metrics}
    for start in range(0, n_points, per_chunk):
        block = points[start:start + per_chunk]
        values = {key: np.repeat(block[:, j], runs) for j, key in enumerate(keys)}
        arrays = simulate(scenario, months=months, streams=base.tile(len(block)), values=values)
        for m in metrics:
            out[m.name][start:start + len(block)] = m(arrays).reshape(len(block), runs)
        if progress is not None:
            progress(len(block))
    return out
