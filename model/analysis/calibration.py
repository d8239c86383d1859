"""The calibration experiment: fit the unconstrained parameters to the record, check how
often runs reproduce it, and how well an early-record fit forecasts the rest.

- :func:`run_calibration`: the ABC-SMC fit to every fitted rule
  (``model.analysis.calibration_abc``), optionally a second fit to the rules dated up to
  the forecast cutoff, and the predictive checks of both.
- Predictive shares (:func:`predictive_check`): for the baseline as judged, for draws from
  the prior and for the posterior (the scenario carrying the posterior as its joint
  sample), the share of runs that meet each observation rule (with Wilson 95% intervals);
  the same run seeds in every arm.

Functions of tables and arrays only: the figures, ``report.md`` and the scenario file are
written by ``model.analysis.reports.calibration``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core.calendar import month_of
from ..core.forecasts import Forecasts
from ..core.record import Observations
from ..core.sampling import construction_draws, derive_seeds, monthly_draws
from ..core.schema import Scenario
from ..ensemble.driver import make_streams, simulate
from ..output.statistics import wilson_interval
from .calibration_abc import Posterior, calibrate, with_posterior
from .calibration_observations import arrays_from_ensemble, score_matrix
from .score import fit_origin, forecast_origin, question_table, summary_table


def predictive_met(scenario: Scenario, observations: Observations, runs: int, seed: int,
                   values: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Whether each of ``runs`` runs meets each rule: boolean ``(runs, rules)`` (the rules
    the scenario's model can be held to: ``Observations.for_model``)."""
    observations = observations.for_model(scenario.escalation)
    streams = make_streams(derive_seeds(seed, runs), construction_draws(scenario),
                           observations.months, monthly_draws(scenario.escalation))
    arrays = simulate(scenario, months=observations.months, streams=streams, values=values)
    return score_matrix(observations, arrays_from_ensemble(arrays)) == 0


def prior_values(posterior: Posterior, runs: int, seed: int) -> dict[str, np.ndarray]:
    """One draw from the uniform priors per run (for the prior predictive check)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    return {k: p.low + (p.high - p.low) * rng.random(runs) for k, p in posterior.priors.items()}


@dataclass
class Check:
    """Predictive shares of every rule under the baseline, the prior and the posterior."""

    observations: Observations
    met: dict[str, np.ndarray]  # arm -> (runs, rules) booleans

    def table(self) -> pd.DataFrame:
        """One row per rule: its facts and, per arm, the share of runs meeting it."""
        rows = []
        for j, rule in enumerate(self.observations.rules):
            row = {"rule": rule.id, "events": ", ".join(rule.events), "weight": rule.weight,
                   "test": rule.describe()}
            for arm, met in self.met.items():
                row[arm] = float(met[:, j].mean())
                lo, hi = wilson_interval(int(met[:, j].sum()), met.shape[0])
                row[f"{arm}_lo"], row[f"{arm}_hi"] = lo, hi
            rows.append(row)
        return pd.DataFrame(rows)

    def all_fitted(self, arm: str) -> float:
        """Share of runs of ``arm`` meeting every fitted rule at once."""
        fitted = [j for j, r in enumerate(self.observations.rules) if r.weight > 0]
        return float(self.met[arm][:, fitted].all(axis=1).mean())


def predictive_check(scenario: Scenario, observations: Observations, posterior: Posterior,
                     runs: int, seed: int) -> Check:
    """Baseline, prior and posterior predictive shares of every rule (same run seeds)."""
    observations = observations.for_model(scenario.escalation)
    return Check(observations, {
        "baseline": predictive_met(scenario, observations, runs, seed),
        "prior": predictive_met(scenario, observations, runs, seed,
                                prior_values(posterior, runs, seed)),
        "posterior": predictive_met(with_posterior(scenario, posterior), observations, runs,
                                    seed),
    })


def parameter_table(posterior: Posterior) -> pd.DataFrame:
    """Prior range, posterior median and 90% interval, and how much the record narrowed
    each parameter (interval width over prior width)."""
    rows = []
    for key in posterior.keys:
        prior = posterior.priors[key]
        lo, med, hi = posterior.quantiles(key)
        rows.append({"parameter": key, "prior_low": prior.low, "prior_high": prior.high,
                     "median": med, "q05": lo, "q95": hi,
                     "width_ratio": (hi - lo) / (0.9 * (prior.high - prior.low))})
    return pd.DataFrame(rows)


@dataclass
class Calibration:
    """What one calibration found: the posterior, its predictive check, and (optionally)
    the forecast-skill fit to the early record with its check."""

    scenario: Scenario
    observations: Observations
    posterior: Posterior
    check: Check
    runs: int
    seed: int
    forecast: Posterior | None = None
    forecast_check: Check | None = None
    #: The early fit's forecasts of the questions after the cutoff, scored as `score`
    #: scores them (one row per question) and their skill table.
    forecast_scores: pd.DataFrame | None = None
    forecast_summary: pd.DataFrame | None = None


def run_calibration(scenario: Scenario, observations: Observations, *, particles: int,
                    rounds: int, batch_size: int, runs: int, seed: int,
                    forecast: bool = True, client: Any = None,
                    forecasts: Forecasts | None = None,
                    log: Callable[[str], Any] = print) -> Calibration:
    """Fit ``scenario``'s unconstrained parameters to every fitted rule of
    ``observations``; with ``forecast``, fit again to the rules dated up to the forecast
    cutoff (seed + 1) — one origin of ``model.analysis.score`` — and, given
    ``forecasts``, score that fit's forecasts of the questions after the cutoff as
    ``python run.py score`` does; check both fits on ``runs`` runs (seed ``seed``)."""
    settings = dict(particles=particles, rounds=rounds, batch_size=batch_size, log=log,
                    client=client)
    observations = observations.for_model(scenario.escalation)
    forecasts = forecasts and forecasts.for_model(scenario.escalation)
    posterior = calibrate(scenario, observations, seed=seed, **settings)
    early = None
    if forecast:
        cutoff = observations.forecast_cutoff
        log(f"forecast check: calibrating to {len(observations.up_to(cutoff).fitted())} "
            f"rules dated up to {cutoff}")
        early = fit_origin(scenario, observations, cutoff, seed=seed + 1, **settings)
    check = predictive_check(scenario, observations, posterior, runs, seed)
    early_check = scores = summary = None
    if early is not None:
        early_check = Check(observations, {
            "prior": check.met["prior"],
            "forecast": predictive_met(with_posterior(scenario, early), observations, runs,
                                       seed)})
        cutoff = observations.forecast_cutoff
        month = month_of(scenario.start, f"{cutoff.year:04d}-{cutoff.month:02d}")
        if forecasts is not None and forecasts.after(month):
            result = forecast_origin(scenario, forecasts, month, early, runs=runs, seed=seed)
            scores = question_table(forecasts, scenario.start, result)
            summary = summary_table(scores, seed)
    return Calibration(scenario, observations, posterior, check, runs, seed, early,
                       early_check, scores, summary)
