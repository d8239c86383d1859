"""The ensemble driver: N runs of a scenario at once, as arrays over a run axis.

Each month is the step the Mesa model takes too (``model.kernels.month.step_month``),
with a run axis of length N — there is no Python loop over runs inside a month. Each run draws
from its own ``numpy.random.default_rng(seed)`` in the layout of ``model.core.sampling``, so
run i equals ``AllianceModel(scenario, seed=seeds[i])`` by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.actions import DIMENSION_BY_KEY, Actor, action_columns
from ..core.sampling import (
    DRAWS_PER_MONTH,
    check_months,
    check_runs,
    construction_draws,
    derive_seeds,
    draw_parameters,
    monthly_draws,
)
from ..core.scenario import Scenario
from ..core.state import state_columns
from ..kernels import (
    ActorPolicy,
    initial_beliefs,
    initial_state,
    kernel_params,
    posture_indices,
)
from ..kernels.month import Play, Setup, step_month
from .streaming import MonthlySummary

#: Runs simulated together; bounds the memory of the pre-drawn uniforms.
CHUNK_RUNS = 20_000


@dataclass
class EnsembleArrays:
    """Raw ensemble output: ``state[col]`` and ``choice[key]`` shaped ``(months+1, runs)``."""

    seeds: np.ndarray
    state: dict[str, np.ndarray]
    choice: dict[str, np.ndarray]
    drawn: dict[str, np.ndarray]

    @property
    def months(self) -> int:
        return next(iter(self.state.values())).shape[0] - 1


@dataclass(frozen=True)
class Streams:
    """Each run's uniforms in the layout of ``model.core.sampling``.

    ``params`` is ``(runs, n_distributions)`` (drawn at construction), ``monthly`` is
    ``(months, runs, draws)``: ``DRAWS_PER_MONTH``, plus the escalation module's when it
    is on (``model.core.sampling.monthly_draws``).
    """

    seeds: np.ndarray
    params: np.ndarray
    monthly: np.ndarray

    def tile(self, points: int) -> Streams:
        """The same runs repeated for ``points`` parameter points (point-major order):
        common random numbers across the points of a sweep or sensitivity sample."""
        return Streams(np.tile(self.seeds, points), np.tile(self.params, (points, 1)),
                       np.tile(self.monthly, (1, points, 1)))


def make_streams(seeds: np.ndarray, n_dists: int, months: int,
                 draws: int = DRAWS_PER_MONTH) -> Streams:
    """Draw each run's uniforms from its own generator, ``default_rng(seed)``: ``draws``
    a month (``monthly_draws(scenario.escalation)``)."""
    seeds = np.asarray(seeds, dtype=np.uint64)
    runs = len(seeds)
    params = np.empty((runs, n_dists))
    monthly = np.empty((months, runs, draws))
    for i, seed in enumerate(seeds):
        rng = np.random.default_rng(int(seed))
        if n_dists:
            params[i] = rng.random(n_dists)
        monthly[:, i, :] = rng.random((months, draws))
    return Streams(seeds, params, monthly)


def simulate(scenario: Scenario, seeds: np.ndarray | None = None, months: int | None = None,
             *, streams: Streams | None = None,
             values: dict[str, np.ndarray] | None = None) -> EnsembleArrays:
    """Simulate one run per seed for ``months`` months, all runs at once.

    ``streams`` may be given instead of ``seeds`` (to reuse draws across sweep cells).
    ``values`` sets parameters per run by dotted key (arrays of length runs), over the
    scenario's values and draws — how sweeps and sensitivity samples vary parameters.
    """
    months = scenario.horizon if months is None else months
    n_dists = construction_draws(scenario)
    draws = monthly_draws(scenario.escalation)
    if streams is None:
        streams = make_streams(seeds, n_dists, months, draws)
    seeds, monthly = streams.seeds, streams.monthly
    if monthly.shape[-1] != draws:
        raise ValueError(f"the streams hold {monthly.shape[-1]} uniforms a month but scenario "
                         f"{scenario.name!r} draws {draws} (escalation = "
                         f"{str(scenario.escalation).lower()}); allowed: streams made with "
                         "make_streams(..., draws=monthly_draws(scenario.escalation))")
    runs = len(seeds)
    drawn = draw_parameters(scenario, streams.params) if n_dists else {}
    params = kernel_params(scenario, {**drawn, **(values or {})})
    policies = [ActorPolicy.from_scenario(scenario, actor) for actor in Actor]
    # under nash, qre and fixed play nobody reads the beliefs: they are not updated
    setup = Setup(params, policies, track_beliefs=any(p.reads_beliefs for p in policies))

    choice = posture_indices(scenario, runs)
    play = Play(initial_state(params, choice, runs), choice, initial_beliefs(choice))
    out_state = {c: np.empty((months + 1, runs), dtype=np.int8 if c == "alliance_level"
                             else np.float64) for c in state_columns(scenario.escalation)}
    out_choice = {k: np.empty((months + 1, runs), dtype=np.int8)
                  for k in action_columns(scenario.escalation)}

    def record(month: int) -> None:
        for c, out in out_state.items():
            out[month] = play.state[c]
        for k, out in out_choice.items():
            out[month] = play.choice[k]

    record(0)
    for month in range(1, months + 1):
        play = step_month(setup, play, month, monthly[month - 1])
        record(month)
    return EnsembleArrays(seeds, out_state, out_choice, drawn)


def table_columns(arrays: EnsembleArrays) -> dict[str, np.ndarray]:
    """The result table's columns for one chunk of runs, run-major (``run``, ``month``)."""
    months1 = arrays.months + 1
    columns = {"seed": np.repeat(arrays.seeds, months1)}
    for c, values in arrays.state.items():
        columns[c] = values.T.reshape(-1)
    for key, values in arrays.choice.items():
        columns[key] = values.T.reshape(-1)
    for key, values in arrays.drawn.items():
        columns[key] = np.repeat(values, months1)
    return columns


def to_table(parts: EnsembleArrays | list[dict[str, np.ndarray]],
             months: int | None = None) -> pd.DataFrame:
    """The long result table: one row per (run, month), options as categoricals.

    ``parts`` is one chunk's arrays, or the :func:`table_columns` of consecutive chunks
    simulated for ``months`` months; each column is joined once and its pieces released,
    so the peak memory is about one table plus one column.
    """
    if isinstance(parts, EnsembleArrays):
        months = parts.months
        parts = [table_columns(parts)]
    months1 = months + 1
    rows = sum(len(p["seed"]) for p in parts)
    columns: dict[str, object] = {}
    for name in list(parts[0]):
        pieces = [p.pop(name) for p in parts]
        columns[name] = np.concatenate(pieces) if len(pieces) > 1 else pieces[0]
        del pieces
        if name in DIMENSION_BY_KEY:
            options = list(DIMENSION_BY_KEY[name].options)
            columns[name] = pd.Categorical.from_codes(columns[name], categories=options)
    runs = rows // months1
    return pd.DataFrame({"run": np.repeat(np.arange(runs, dtype=np.int32), months1),
                         "month": np.tile(np.arange(months1, dtype=np.int16), runs),
                         **columns})


def run_ensemble(scenario: Scenario, runs: int | None = None, seed: int = 0,
                 months: int | None = None, seeds=None, summary: bool = False) -> pd.DataFrame:
    """Run ``runs`` replicates of ``scenario`` and return the long result table.

    Per-run seeds are ``seeds`` when given (run i then equals
    ``AllianceModel(scenario, seed=seeds[i])`` exactly), else derived from ``seed`` with
    :func:`model.core.sampling.derive_seeds`; the ``seed`` column records each run's seed.
    ``months`` defaults to the scenario's horizon. With ``summary=True`` only per-month
    quantiles, means and option shares are kept (``model.ensemble.streaming``), in memory bounded
    by ``CHUNK_RUNS`` runs whatever ``runs`` is.
    """
    runs, seeds = check_runs(runs, seeds)
    seeds = derive_seeds(seed, runs) if seeds is None else seeds
    months = check_months(scenario, months)
    stats = MonthlySummary(months) if summary else None
    parts = []
    for start in range(0, len(seeds), CHUNK_RUNS):
        arrays = simulate(scenario, seeds[start:start + CHUNK_RUNS], months)
        if stats is not None:
            stats.add(arrays.state, arrays.choice)
        else:
            parts.append(table_columns(arrays))
        del arrays
    if stats is not None:
        return stats.frame()
    return to_table(parts, months)
