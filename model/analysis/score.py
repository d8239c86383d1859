"""Forecasts scored like forecasts: rolling origins inside the record, proper scores, and
two references measured on the same events.

For each origin (a month of the record):

1. **Fit** the scenario's unconstrained parameters (ABC-SMC, the calibration's flow:
   ``model.analysis.calibration_abc.calibrate``) to the observation rules whose events are
   all dated by the origin's last day (``Observations.up_to``): the fit never sees what
   came after.
2. **Forecast** every yes/no question of ``forecasts.toml`` whose window starts after the
   origin: its probability is the weighted share of posterior-predictive runs (each run
   draws a particle) in which it comes true, the runs weighted by whether they agree with
   the record's hard facts known at the origin (``--condition record``; 1 or 0) —
   ``p = (k + ½) / (n + 1)`` for ``k`` of ``n`` kept runs (the mean of the Jeffreys
   posterior of the chance, so a share of 0 or 1 of finitely many runs is never scored as
   certainty).
3. **References** on the same questions: *persistence* (the record's state of each
   question's condition at the origin carries on through its window; the forecast is the
   file's ``persistence_confidence`` for what that implies, one minus it otherwise) and the
   *base rate* (the share of the origin's questions that came true, ``(s + ½)/(N + 1)``,
   given to every question: the in-sample climatology, a reference that knows the
   outcomes' frequency).
4. **Scores** per question: Brier ``(p − y)²`` and log ``−ln|p + y − 1|`` from the
   ``scoringrules`` library (Zanetta & Allen); per origin and over all origins: the mean
   scores and the skill scores ``1 − S_model / S_reference`` against each reference, with
   95% percentile bootstrap intervals over the questions (numpy ``Generator``).

Functions of tables and arrays only: figures and ``report.md`` are written by
``model.analysis.reports.score``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core.calendar import calendar_month, month_of, year_month
from ..core.errors import UserError
from ..core.forecasts import Forecast, Forecasts, window_test
from ..core.record import Observations, Rule
from ..core.sampling import construction_draws, derive_seeds, monthly_draws
from ..core.schema import Scenario
from ..ensemble.driver import make_streams, simulate
from .calibration_abc import Posterior, calibrate, with_posterior
from .calibration_observations import arrays_from_ensemble, holds, rule_scores
from .conditioning import CONDITIONS, MIN_EFFECTIVE_RUNS, effective_sample_size

#: Bootstrap resamples of the questions for each skill interval.
BOOTSTRAP = 2000
#: The references every model score is compared with.
REFERENCES = ("persistence", "base_rate")


class ScoreError(UserError):
    """An origin or setting that cannot be scored (one line)."""


# ------------------------------------------------------------------ scores (scoringrules)


def brier_scores(outcomes: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Brier score ``(p − y)²`` of each forecast (``scoringrules.brier_score``)."""
    import scoringrules

    return np.asarray(scoringrules.brier_score(np.asarray(outcomes, dtype=float),
                                               np.asarray(probabilities, dtype=float)),
                      dtype=float)


def log_scores(outcomes: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Log score ``−ln|p + y − 1|`` of each forecast (``scoringrules.log_score``): the
    negative log of the probability given to what happened (∞ for a certainty that failed)."""
    import scoringrules

    with np.errstate(divide="ignore"):
        return np.asarray(scoringrules.log_score(np.asarray(outcomes, dtype=float),
                                                 np.asarray(probabilities, dtype=float)),
                          dtype=float)


def skill_score(model: np.ndarray, reference: np.ndarray) -> float:
    """``1 − mean(model) / mean(reference)``: 1 perfect, 0 no better than the reference,
    negative worse; NaN when the reference's mean score is 0 (it cannot be beaten)."""
    ref = float(np.mean(reference))
    return 1.0 - float(np.mean(model)) / ref if ref > 0 else float("nan")


def bootstrap_skill(model: np.ndarray, reference: np.ndarray, rng: np.random.Generator,
                    resamples: int = BOOTSTRAP) -> tuple[float, float, float]:
    """The skill score and its 95% percentile bootstrap interval, resampling the questions
    (pairs of model and reference scores) with replacement; resamples whose reference
    scores 0 are left out (NaN when all are)."""
    model, reference = np.asarray(model, dtype=float), np.asarray(reference, dtype=float)
    point = skill_score(model, reference)
    n = len(model)
    idx = rng.integers(0, n, size=(resamples, n))
    ref = reference[idx].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        draws = np.where(ref > 0, 1.0 - model[idx].mean(axis=1) / ref, np.nan)
    draws = draws[np.isfinite(draws)]
    if not len(draws):
        return point, float("nan"), float("nan")
    lo, hi = np.percentile(draws, [2.5, 97.5])
    return point, float(lo), float(hi)


def jeffreys(hits: float, total: float) -> float:
    """``(k + ½) / (n + 1)``: the mean of the Jeffreys posterior of a chance seen ``k``
    times in ``n`` trials (never 0 or 1)."""
    return (hits + 0.5) / (total + 1.0)


# ------------------------------------------------------------------ origins


def origin_month(text: str, start: str) -> int:
    """The model month of origin ``YYYY-MM`` (``ValueError`` naming the form otherwise)."""
    return month_of(start, text)


def origin_cutoff(start: str, month: int) -> dt.date:
    """The last day of model ``month``: an origin's fit sees events dated up to it."""
    year, m = year_month(start, month)
    return dt.date(year, m, calendar.monthrange(year, m)[1])


def fitted_by(observations: Observations, cutoff: dt.date) -> tuple[Rule, ...]:
    """The fitted rules whose events are all dated by ``cutoff``."""
    return observations.up_to(cutoff).fitted()


def fit_origin(scenario: Scenario, observations: Observations, cutoff: dt.date, *,
               particles: int, rounds: int, batch_size: int, seed: int, client: Any = None,
               log: Callable[[str], Any] | None = print) -> Posterior:
    """ABC-SMC fit of ``scenario``'s unconstrained parameters to the fitted rules whose
    events are all dated by ``cutoff``: what an origin knew (the calibration's flow,
    ``model.analysis.calibration_abc.calibrate``)."""
    return calibrate(scenario, observations.up_to(cutoff), particles=particles,
                     rounds=rounds, batch_size=batch_size, seed=seed, log=log, client=client)


def known_facts(observations: Observations, cutoff: dt.date) -> tuple[Rule, ...]:
    """The record's hard facts whose events are all dated by ``cutoff``: what a run must
    agree with to be a world that could be ours, as seen from that day."""
    return tuple(r for r in observations.hard_facts()
                 if all(observations.events[e].date <= cutoff for e in r.events))


def check_origins(forecasts: Forecasts, start: str, origins: Sequence[str]) -> list[int]:
    """The origins' months, in the order given; a ``ScoreError`` for an origin that is not
    ``YYYY-MM``, repeats, has no fitted rule dated by it, or has no question after it."""
    observations = forecasts.observations
    first_fit = next((m for m in range(forecasts.last_month + 1)
                      if fitted_by(observations, origin_cutoff(start, m))), None)
    if first_fit is None:
        raise ScoreError(f"forecast file {forecasts.path}: no fitted rule of "
                         f"{observations.path.name} is dated inside the forecasts' months; "
                         "allowed: rules dated by the last window's month")
    last = max(f.start for f in forecasts.forecasts) - 1
    allowed = (f"origins YYYY-MM from {calendar_month(start, first_fit)} (the first month "
               f"with a fitted rule dated by it) to {calendar_month(start, last)} (the last "
               f"with a question of {forecasts.path.name} after it)")
    months: list[int] = []
    for text in origins:
        try:
            month = origin_month(text, start)
        except ValueError:
            raise ScoreError(f"--origin {text}: not a month; allowed: {allowed}") from None
        if month in months:
            raise ScoreError(f"--origin {text}: given twice; allowed: distinct {allowed}")
        if not first_fit <= month <= last:
            raise ScoreError(f"--origin {text}: month {month} is outside the scored window; "
                             f"allowed: {allowed}")
        months.append(month)
    return months


# ------------------------------------------------------------------ the forecasts


def persistence_probability(forecast: Forecast, origin: int, confidence: float) -> float:
    """Persistence: the record's state of the condition at month ``origin`` carries on to
    the end of the window (the record's own history before it); ``confidence`` if the
    question then comes true, ``1 − confidence`` if not."""
    series = forecast.state_series(forecast.end)
    series[origin + 1:] = series[origin]
    comes_true = bool(window_test(forecast, series[:, None])[0])
    return confidence if comes_true else 1.0 - confidence


@dataclass
class OriginForecast:
    """What one origin's fit forecasts: each question's weighted hits and kept runs."""

    origin: int
    posterior: Posterior
    forecasts: tuple[Forecast, ...]
    hits: np.ndarray  # (questions,) weighted count of runs where it comes true
    kept: float  # sum of the runs' weights (the runs agreeing with the facts known then)
    effective_runs: float
    facts: tuple[str, ...]
    fitted_rules: tuple[str, ...]

    @property
    def warning(self) -> str | None:
        """A line to print and report when few runs agree with the facts known then."""
        if self.effective_runs >= MIN_EFFECTIVE_RUNS:
            return None
        return (f"only {self.effective_runs:.0f} runs agree with the record's hard facts "
                f"known then (fewer than {MIN_EFFECTIVE_RUNS}): the forecasts rest on few runs "
                "(with none, every probability is ½); use more --runs")

    @property
    def probabilities(self) -> np.ndarray:
        """Each question's probability, ``(k + ½)/(n + 1)``."""
        return jeffreys(self.hits, self.kept)


def forecast_origin(scenario: Scenario, forecasts: Forecasts, origin: int,
                    posterior: Posterior, *, runs: int, seed: int,
                    condition: str = "record") -> OriginForecast:
    """Simulate ``runs`` posterior-predictive runs (seed ``seed``) and count, per question
    after ``origin``, the runs in which it comes true, weighting runs by the hard facts
    known at the origin (``condition="record"``) or not (``"none"``)."""
    if condition not in CONDITIONS:
        raise ScoreError(f"--condition {condition}: allowed: {', '.join(CONDITIONS)}")
    forecasts = forecasts.for_model(scenario.escalation)
    observations = forecasts.observations
    questions = forecasts.after(origin)
    months = max(observations.months, forecasts.last_month)
    sampled = with_posterior(scenario, posterior)
    streams = make_streams(derive_seeds(seed, runs), construction_draws(sampled), months,
                           monthly_draws(sampled.escalation))
    data = arrays_from_ensemble(simulate(sampled, months=months, streams=streams))
    facts = (known_facts(observations, origin_cutoff(scenario.start, origin))
             if condition == "record" else ())
    weights = np.ones(runs)
    for rule in facts:
        weights *= rule_scores(rule, data) == 0
    came_true = np.stack([window_test(q, holds(q.when, data)) for q in questions])
    return OriginForecast(origin, posterior, questions, came_true @ weights,
                          float(weights.sum()), effective_sample_size(weights),
                          tuple(r.id for r in facts), posterior.rules)


def question_table(forecasts: Forecasts, start: str, result: OriginForecast) -> pd.DataFrame:
    """One row per question of one origin: its facts, the model's, persistence's and the
    base rate's probabilities, and each one's Brier and log score."""
    questions = result.forecasts
    outcomes = np.array([q.outcome for q in questions], dtype=float)
    probs = {
        "model": result.probabilities,
        "persistence": np.array([persistence_probability(
            q, result.origin, forecasts.persistence_confidence) for q in questions]),
        "base_rate": np.full(len(questions), jeffreys(outcomes.sum(), len(outcomes))),
    }
    table = pd.DataFrame({
        "origin": calendar_month(start, result.origin),
        "origin_month": result.origin,
        "forecast": [q.id for q in questions],
        "question": [q.question for q in questions],
        "test": [q.describe() for q in questions],
        "window": [f"{calendar_month(start, q.start)}–{calendar_month(start, q.end)}"
                   for q in questions],
        "events": [", ".join(q.events) for q in questions],
        "outcome": outcomes.astype(int),
        "runs_kept": result.kept,
    })
    for name, p in probs.items():
        table[f"p_{name}"] = p
    for name, p in probs.items():
        table[f"brier_{name}"] = brier_scores(outcomes, p)
    for name, p in probs.items():
        table[f"log_{name}"] = log_scores(outcomes, p)
    return table


def summary_table(table: pd.DataFrame, seed: int, resamples: int = BOOTSTRAP
                  ) -> pd.DataFrame:
    """Per origin and over all origins (``origin = "all"``): the questions, the mean Brier
    and log scores of the model and each reference, and the model's skill against each
    reference with its 95% bootstrap interval (resampling questions; the same draws for
    every score of a group)."""
    groups = [(origin, frame) for origin, frame in table.groupby("origin_month", sort=True)]
    groups.append(("all", table))
    rows = []
    for i, (origin, frame) in enumerate(groups):
        label = frame["origin"].iloc[0] if origin != "all" else "all origins"
        row: dict[str, Any] = {"origin": label, "questions": len(frame),
                               "came_true": int(frame["outcome"].sum())}
        for score in ("brier", "log"):
            for name in ("model", *REFERENCES):
                row[f"{score}_{name}"] = float(frame[f"{score}_{name}"].mean())
            for ref in REFERENCES:
                rng = np.random.default_rng(np.random.SeedSequence([seed, 22, i]))
                point, lo, hi = bootstrap_skill(frame[f"{score}_model"].to_numpy(),
                                                frame[f"{score}_{ref}"].to_numpy(), rng,
                                                resamples)
                row[f"{score}_skill_vs_{ref}"] = point
                row[f"{score}_skill_vs_{ref}_lo"] = lo
                row[f"{score}_skill_vs_{ref}_hi"] = hi
        rows.append(row)
    return pd.DataFrame(rows)


def reliability_table(probabilities: np.ndarray, outcomes: np.ndarray, bins: int = 5
                      ) -> pd.DataFrame:
    """Forecasts grouped by probability into ``bins`` equal bins of [0, 1]: each bin's
    count, mean forecast probability and observed frequency (NaN for an empty bin)."""
    probabilities = np.asarray(probabilities, dtype=float)
    outcomes = np.asarray(outcomes, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(probabilities, edges[1:-1]), 0, bins - 1)
    rows = []
    for b in range(bins):
        inside = which == b
        n = int(inside.sum())
        rows.append({"low": edges[b], "high": edges[b + 1], "count": n,
                     "mean_probability": float(probabilities[inside].mean()) if n else np.nan,
                     "observed": float(outcomes[inside].mean()) if n else np.nan})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ the experiment


@dataclass
class ScoreResult:
    """Rolling-origin scores: per question and origin, per origin and overall."""

    scenario: Scenario
    forecasts: Forecasts
    origins: list[OriginForecast]
    table: pd.DataFrame
    summary: pd.DataFrame
    settings: dict[str, Any]


def run_score(scenario: Scenario, forecasts: Forecasts, origins: Sequence[str], *,
              particles: int, rounds: int, batch_size: int, runs: int, seed: int,
              condition: str = "record", resamples: int = BOOTSTRAP, client: Any = None,
              log: Callable[[str], Any] = print) -> ScoreResult:
    """For each origin: fit to the rules dated by it (seed ``seed + i``), forecast the
    questions after it from ``runs`` posterior-predictive runs, score them against
    persistence and the base rate; then summarise per origin and over all."""
    forecasts = forecasts.for_model(scenario.escalation)
    months = check_origins(forecasts, scenario.start, origins)
    results, tables = [], []
    for i, month in enumerate(months):
        cutoff = origin_cutoff(scenario.start, month)
        observations = forecasts.observations
        subset = observations.up_to(cutoff)
        log(f"origin {calendar_month(scenario.start, month)}: fitting to "
            f"{len(subset.fitted())} rules dated by {cutoff}, then forecasting "
            f"{len(forecasts.after(month))} questions")
        started = time.perf_counter()
        posterior = fit_origin(scenario, observations, cutoff, particles=particles,
                               rounds=rounds, batch_size=batch_size, seed=seed + i,
                               client=client, log=log)
        result = forecast_origin(scenario, forecasts, month, posterior, runs=runs, seed=seed,
                                 condition=condition)
        log(f"  {time.perf_counter() - started:.0f} s; {result.kept:.0f} of {runs} runs agree "
            "with the facts known then")
        if result.warning:
            log(f"  warning: {result.warning}")
        results.append(result)
        tables.append(question_table(forecasts, scenario.start, result))
    table = pd.concat(tables, ignore_index=True)
    settings = {"particles": particles, "rounds": rounds, "runs": runs, "seed": seed,
                "condition": condition, "bootstrap": resamples,
                "persistence_confidence": forecasts.persistence_confidence}
    return ScoreResult(scenario, forecasts, results, table,
                       summary_table(table, seed, resamples), settings)
