"""The experiments every command runs, as jobs: chunks of runs (or points × runs).

Each job is plain data — the scenario as its JSON dump, seeds, points, metrics, months,
chunk size — plus ``compute(chunk)`` (simulate one chunk on whichever process gets it)
and ``merge(parts)`` (combine the chunk results on the client, in chunk order). The
functions at the bottom are what the analyses call; each takes an ``executor``
(default: in-process) and returns what the in-process code always returned.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core.sampling import check_months, check_runs, construction_draws, monthly_draws
from ..core.schema import Scenario
from ..ensemble.driver import EnsembleArrays, make_streams, simulate, table_columns, to_table
from ..ensemble.streaming import MonthlyStatistics
from .executor import Executor
from .plan import Chunk, chunk_seeds, default_chunk_runs, plan_chunks

OUTPUTS = ("table", "summary", "arrays", "metrics", "statistics")


@functools.lru_cache(maxsize=16)
def _scenario(text: str) -> Scenario:
    """A scenario rebuilt (and re-validated) from its JSON dump; cached per process."""
    return Scenario.model_validate(json.loads(text))


def scenario_data(scenario: Scenario) -> str:
    """The scenario as canonical JSON: every value, overrides included (not its path)."""
    data = scenario.model_dump(mode="json")
    return json.dumps(data, sort_keys=True)


def _digest(array: np.ndarray | None) -> str | None:
    if array is None:
        return None
    a = np.ascontiguousarray(array)
    return f"{a.dtype.str}{a.shape}:" + hashlib.sha256(a.tobytes()).hexdigest()


@dataclass(frozen=True)
class NamedOutcome:
    """A named per-run outcome: ``fn(EnsembleArrays) -> (runs,)`` (like a ``Metric``)."""

    name: str
    fn: Callable[[EnsembleArrays], np.ndarray]

    def __call__(self, arrays: EnsembleArrays) -> np.ndarray:
        return self.fn(arrays)


# ------------------------------------------------------------------ summaries as arrays

def summary_arrays(stats: MonthlyStatistics) -> dict[str, np.ndarray]:
    """A ``MonthlyStatistics`` as named arrays (to ship or store a chunk's summary)."""
    return stats.to_arrays()


def merge_summary(total: MonthlyStatistics, part: dict[str, np.ndarray]) -> None:
    """Add a chunk's summary arrays into ``total`` (integer additions: exact)."""
    total.add_arrays(part)


def _prefixed(part: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {k[len(prefix):]: v for k, v in part.items() if k.startswith(prefix)}


# ------------------------------------------------------------------ jobs

@dataclass(frozen=True)
class EnsembleJob:
    """``runs`` runs of one scenario; each chunk returns ``output``:

    - ``"table"``: the long result table's columns (merged: ``model.ensemble.to_table``);
    - ``"summary"``: per-month histograms, sums and option counts (merged: a
      ``MonthlySummary`` frame), so the client never holds the runs;
    - ``"arrays"``: the ``EnsembleArrays`` (merged along the run axis);
    - ``"metrics"``: one value per run of each of ``metrics`` (merged: ``{name: (runs,)}``);
    - ``"statistics"``: per-month statistics (``MonthlyStatistics``) and one value per
      run of each of ``metrics``; merged into ``(statistics, {name: (runs,)})``. With
      ``table`` each chunk also returns its table columns, handed in chunk order to
      ``sink`` on the client (e.g. a Parquet dataset writer) and never gathered.

    The statistics are integer counts and exact integer sums, so they (and every
    number read off them) do not depend on ``chunk_runs`` or on the back end.
    """

    scenario: str
    runs: int
    seed: int
    months: int
    output: str
    chunk_runs: int
    metrics: tuple = ()
    seeds: np.ndarray | None = field(default=None, compare=False)
    name: str = "ensemble"
    table: bool = False
    sink: Callable[[dict[str, np.ndarray]], Any] | None = field(default=None, compare=False)

    def spec(self) -> dict[str, Any]:
        return {"kind": "ensemble", "output": self.output, "scenario": json.loads(self.scenario),
                "runs": self.runs, "seed": self.seed, "months": self.months,
                "chunk_runs": self.chunk_runs, "metrics": [m.name for m in self.metrics],
                "seeds": _digest(self.seeds), "table": self.table}

    def __getstate__(self) -> dict[str, Any]:  # the sink stays on the client
        state = dict(self.__dict__)
        state["sink"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def chunks(self) -> list[Chunk]:
        return plan_chunks(1, self.runs, self.chunk_runs)

    def compute(self, chunk: Chunk) -> dict[str, np.ndarray]:
        arrays = simulate(_scenario(self.scenario), chunk_seeds(self.seed, chunk, self.seeds),
                          self.months)
        if self.output == "table":
            return table_columns(arrays)
        if self.output == "summary":
            return MonthlyStatistics.chunk_arrays(arrays.state, arrays.choice, self.months)
        if self.output == "statistics":
            part = {f"stats.{k}": v for k, v in MonthlyStatistics.chunk_arrays(
                arrays.state, arrays.choice, self.months).items()}
            part.update({f"metric.{m.name}": np.asarray(m(arrays), dtype=float)
                         for m in self.metrics})
            if self.table:
                part.update({f"table.{k}": v for k, v in table_columns(arrays).items()})
            return part
        if self.output == "arrays":
            return {"seeds": arrays.seeds,
                    **{f"state.{k}": v for k, v in arrays.state.items()},
                    **{f"choice.{k}": v for k, v in arrays.choice.items()},
                    **{f"drawn.{k}": v for k, v in arrays.drawn.items()}}
        return {m.name: np.asarray(m(arrays), dtype=float) for m in self.metrics}

    def merge(self, parts: Iterator[dict[str, np.ndarray]]) -> Any:
        if self.output == "table":
            return to_table(list(parts), self.months)
        if self.output == "summary":
            total = MonthlyStatistics(self.months)
            for part in parts:
                total.add_arrays(part)
            return total.frame()
        if self.output == "statistics":
            stats = MonthlyStatistics(self.months)
            metrics: dict[str, list[np.ndarray]] = {m.name: [] for m in self.metrics}
            for part in parts:
                stats.add_arrays(_prefixed(part, "stats."))
                for name, values in _prefixed(part, "metric.").items():
                    metrics[name].append(values)
                if self.table and self.sink is not None:
                    self.sink(_prefixed(part, "table."))
                del part
            return stats, {k: np.concatenate(v) for k, v in metrics.items()}
        parts = list(parts)
        if self.output == "metrics":
            return {m.name: np.concatenate([p[m.name] for p in parts]) for m in self.metrics}
        def join(prefix: str, axis: int) -> dict[str, np.ndarray]:
            names = [k for k in parts[0] if k.startswith(prefix)]
            return {k[len(prefix):]: np.concatenate([p[k] for p in parts], axis=axis)
                    for k in names}
        return EnsembleArrays(np.concatenate([p["seeds"] for p in parts]),
                              join("state.", 1), join("choice.", 1), join("drawn.", 0))


@dataclass(frozen=True)
class PointsJob:
    """``metrics`` at each row of ``points`` (parameters ``keys``), ``runs`` common-seed
    runs per point; merged into ``{metric name: (n_points, runs)}``."""

    scenario: str
    keys: tuple[str, ...]
    points: np.ndarray = field(compare=False)
    metrics: tuple
    runs: int
    seed: int
    months: int
    chunk_runs: int
    name: str = "points"
    progress: Callable[[int], Any] | None = field(default=None, compare=False)

    def spec(self) -> dict[str, Any]:
        return {"kind": "points", "scenario": json.loads(self.scenario), "keys": list(self.keys),
                "points": _digest(self.points), "metrics": [m.name for m in self.metrics],
                "runs": self.runs, "seed": self.seed, "months": self.months,
                "chunk_runs": self.chunk_runs}

    def chunks(self) -> list[Chunk]:
        return plan_chunks(len(self.points), self.runs, self.chunk_runs)

    def compute(self, chunk: Chunk) -> dict[str, np.ndarray]:
        scenario = _scenario(self.scenario)
        block = self.points[chunk.point_start:chunk.point_stop]
        seeds = chunk_seeds(self.seed, chunk)
        streams = make_streams(seeds, construction_draws(scenario), self.months,
                               monthly_draws(scenario.escalation))
        values = {key: np.repeat(block[:, j], chunk.n_runs) for j, key in enumerate(self.keys)}
        arrays = simulate(scenario, months=self.months, streams=streams.tile(len(block)),
                          values=values)
        return {m.name: np.asarray(m(arrays), dtype=float).reshape(len(block), chunk.n_runs)
                for m in self.metrics}

    def merge(self, parts: Iterator[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        out = {m.name: np.empty((len(self.points), self.runs)) for m in self.metrics}
        for chunk, part in zip(self.chunks(), parts, strict=True):
            for name, values in part.items():
                out[name][chunk.point_start:chunk.point_stop, chunk.run_start:chunk.run_stop] \
                    = values
            if self.progress is not None and chunk.run_stop == self.runs:
                self.progress(chunk.n_points)
        return out

    def __getstate__(self) -> dict[str, Any]:  # the progress callback stays on the client
        state = dict(self.__dict__)
        state["progress"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


# ------------------------------------------------------------------ the calls analyses make

def ensemble_job(scenario: Scenario, runs: int | None = None, seed: int = 0,
                 months: int | None = None, *, output: str = "table", seeds=None,
                 metrics: Sequence = (), chunk_runs: int | None = None,
                 executor: Executor | None = None, name: str = "ensemble",
                 table: bool = False,
                 sink: Callable[[dict[str, np.ndarray]], Any] | None = None) -> EnsembleJob:
    """The job of an ensemble (see :class:`EnsembleJob`); arguments as in ``run_ensemble``;
    ``table`` and ``sink`` for ``output="statistics"``."""
    if output not in OUTPUTS:
        raise ValueError(f"output={output!r}; allowed: {', '.join(OUTPUTS)}")
    runs, seeds = check_runs(runs, seeds)
    chunk_runs = chunk_runs or (executor.chunk_runs if executor else None) \
        or default_chunk_runs(scenario)
    return EnsembleJob(scenario_data(scenario), runs, int(seed), check_months(scenario, months),
                       output, int(chunk_runs), tuple(metrics), seeds, name, bool(table),
                       sink)


def _run(job, executor: Executor | None):
    if executor is None:
        with Executor() as local:
            return local.run(job)
    return executor.run(job)


def ensemble_table(scenario: Scenario, runs: int | None = None, seed: int = 0,
                   months: int | None = None, *, seeds=None,
                   executor: Executor | None = None) -> pd.DataFrame:
    """``run_ensemble``'s long table, computed chunk by chunk on ``executor``."""
    return _run(ensemble_job(scenario, runs, seed, months, seeds=seeds, executor=executor),
                executor)


def ensemble_summary(scenario: Scenario, runs: int | None = None, seed: int = 0,
                     months: int | None = None, *, seeds=None,
                     executor: Executor | None = None) -> pd.DataFrame:
    """``run_ensemble(..., summary=True)``: per-month quantiles, means and option shares.

    Workers return per-chunk histograms; the client merges them in chunk order, so its
    memory does not grow with ``runs`` (a 10^6-run summary never holds the runs).
    """
    return _run(ensemble_job(scenario, runs, seed, months, output="summary", seeds=seeds,
                             executor=executor), executor)


def ensemble_arrays(scenario: Scenario, runs: int | None = None, seed: int = 0,
                    months: int | None = None, *, seeds=None,
                    executor: Executor | None = None) -> EnsembleArrays:
    """``simulate``'s arrays for all runs, computed chunk by chunk on ``executor``."""
    return _run(ensemble_job(scenario, runs, seed, months, output="arrays", seeds=seeds,
                             executor=executor), executor)


def evaluate_points(scenario: Scenario, keys: Sequence[str], points: np.ndarray,
                    metrics: Sequence, runs: int, seed: int = 0, months: int | None = None,
                    progress: Callable[[int], Any] | None = None, *,
                    executor: Executor | None = None, chunk_runs: int | None = None,
                    name: str = "points") -> dict[str, np.ndarray]:
    """Metric values at each point, ``{metric name: (n_points, runs)}``, on ``executor``.

    Every point runs the same seeds (common random numbers:
    ``derive_seeds(seed, runs)``); ``metrics`` are objects with a ``name``
    that map ``EnsembleArrays`` to one value per run (``model.analysis.metrics.Metric``,
    :class:`NamedOutcome`).
    ``progress`` is called with the number of points finished.
    """
    points = np.atleast_2d(np.asarray(points, dtype=float))
    runs, _ = check_runs(runs)
    chunk_runs = chunk_runs or (executor.chunk_runs if executor else None) \
        or default_chunk_runs(scenario)
    job = PointsJob(scenario_data(scenario), tuple(keys), points, tuple(metrics), runs,
                    int(seed), check_months(scenario, months), int(chunk_runs), name, progress)
    return _run(job, executor)


__all__ = ["EnsembleJob", "NamedOutcome", "PointsJob", "ensemble_arrays", "run_jobs",
           "ensemble_job", "ensemble_summary", "ensemble_table", "evaluate_points",
           "merge_summary", "scenario_data", "summary_arrays"]


def run_jobs(jobs: Sequence[Any], executor: Executor | None = None) -> list[Any]:
    """Merged results of several jobs, all their chunks in flight together."""
    if executor is None:
        with Executor() as local:
            return local.run_all(jobs)
    return executor.run_all(jobs)
