"""Start from what is known: weight runs by whether their history agrees with the record.

A run counts as a world that could be ours when it meets every hard fact of the record
(observation rules marked ``hard = true`` in ``experiments/record/observations.toml``:
the treaty signed by June 2024 and still held in October, Russia evading at the Panel of
Experts veto, ...). Its weight is 1 then, else 0; every ensemble statistic of a
conditioned experiment is the weighted one. Equal weights give exactly the unweighted
numbers. The effective sample size, ``(Σw)² / Σw²``, is the number of runs kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.errors import UserError
from ..core.record import Observations, load_observations
from .calibration_observations import arrays_from_ensemble, rule_scores


class ConditioningError(UserError):
    """Runs that cannot be conditioned as asked (one line)."""


#: Below this effective sample size a conditioned result carries a warning.
MIN_EFFECTIVE_RUNS = 100
CONDITIONS = ("record", "none")


@dataclass(frozen=True)
class Conditioning:
    """Each run's weight and how it was reached."""

    condition: str  # "record" or "none"
    weights: np.ndarray  # (runs,)
    facts: tuple[str, ...]  # the hard rules' ids
    met: np.ndarray  # (runs, facts) whether each run meets each fact

    @property
    def effective_runs(self) -> float:
        """``(Σw)² / Σw²``: the number of equally weighted runs worth as much."""
        return effective_sample_size(self.weights)

    @property
    def warning(self) -> str | None:
        """A line to print and report when too few runs agree with the record."""
        if self.condition == "none" or self.effective_runs >= MIN_EFFECTIVE_RUNS:
            return None
        return (f"only {self.effective_runs:.0f} runs agree with the record's hard facts "
                f"(fewer than {MIN_EFFECTIVE_RUNS}): results rest on few runs; use more "
                "--runs")

    def shares_met(self) -> dict[str, float]:
        """Share of runs meeting each hard fact."""
        return {f: float(self.met[:, i].mean()) for i, f in enumerate(self.facts)}


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size ``(Σw)² / Σw²`` (0 when every weight is 0)."""
    weights = np.asarray(weights, dtype=float)
    squares = float(np.sum(weights * weights))
    return float(np.sum(weights)) ** 2 / squares if squares > 0 else 0.0


def months_needed(observations: Observations | None = None) -> int:
    """The month of the record's last hard fact: runs must reach it to be conditioned."""
    observations = observations or load_observations()
    return max(rule.window[1] for rule in observations.hard_facts())


def condition_runs(arrays, condition: str = "record",
                   observations: Observations | None = None) -> Conditioning:
    """Weights of the runs in ``arrays`` (an ``EnsembleArrays``): 1 for a run that meets
    every hard fact of the record (``condition="record"``), else 0; all 1 for
    ``condition="none"``. Raises ``ConditioningError`` if the runs end before the record
    does."""
    if condition not in CONDITIONS:
        raise ConditioningError(f"unknown condition {condition!r}; allowed: "
                                f"{', '.join(CONDITIONS)}")
    runs = len(arrays.seeds)
    if condition == "none":
        return Conditioning("none", np.ones(runs), (), np.ones((runs, 0), dtype=bool))
    observations = observations or load_observations()
    facts = observations.hard_facts()
    last = months_needed(observations)
    if arrays.months < last:
        raise ConditioningError(f"conditioning on the record needs runs to month {last} (the "
                                f"record's last hard fact); got {arrays.months} months; "
                                f"allowed: --months ≥ {last} or --condition none")
    data = arrays_from_ensemble(arrays)
    met = np.stack([rule_scores(rule, data) == 0 for rule in facts], axis=1)
    return Conditioning("record", met.all(axis=1).astype(float),
                        tuple(r.id for r in facts), met)


def weighted_mean_interval(values: np.ndarray, weights: np.ndarray, z: float = 1.96
                           ) -> tuple[float, float, float]:
    """Weighted mean of per-run ``values`` and its normal 95% interval, with the variance
    of a weighted mean ``Σ w² (x − m)² / (Σ w)²`` (for 0/1 weights: the usual one over the
    kept runs). NaN when no weight is positive."""
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    total = weights.sum()
    if total <= 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(np.sum(weights * values) / total)
    n = effective_sample_size(weights)
    variance = float(np.sum(weights ** 2 * (values - mean) ** 2) / total ** 2)
    if n > 1:
        variance *= n / (n - 1)  # the unbiased correction, as for equal weights
    half = z * np.sqrt(variance)
    return mean, mean - half, mean + half
