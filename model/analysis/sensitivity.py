"""Global sensitivity analysis: which assumptions drive an outcome, ranked with SALib.

Two methods, both over the parameter ranges in ``SENSITIVITY_RANGES`` (uniform over each
range, one range per dotted parameter key):

- Sobol' variance decomposition (:func:`run_sobol`): ``S1`` is the share of the outcome's
  variance a parameter explains alone, ``ST`` the share it explains including all its
  interactions. Sampled with ``SALib.sample.sobol`` (Saltelli's scheme on a scrambled
  Sobol' sequence, ``n · (D + 2)`` points for ``D`` parameters), analysed with
  ``SALib.analyze.sobol``; confidence intervals are bootstrap 95% half-widths.
- Morris elementary effects (:func:`run_morris`): a cheap screening, ``n · (D + 1)``
  points. ``mu_star`` is the mean absolute change of the outcome when one parameter
  moves across its whole range; ``sigma`` is the spread of that change, large when the
  effect depends on the other parameters (nonlinearity or interactions).

Each sample point is one parameter vector; its outcome is the mean of a metric over
``replicates`` runs, and every point uses the same run seeds (common random numbers, see
:func:`model.execution.evaluate_points`), so the differences between points are due to the
parameters, not to noise.

The SALib wiring is separate from the simulator: :func:`sobol_indices` and
:func:`morris_indices` analyse any vectorized model ``f(X) -> Y`` (the tests check them
on the Ishigami function, whose Sobol' indices are known analytically).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from ..core.errors import UserError
from ..core.parameters import EXPLORED_RANGES, SPECS, explored_keys
from ..core.scenario import Scenario, validated
from ..execution import Executor, evaluate_points
from .metrics import Metric

#: The explored ranges, declared beside the parameters (``model.core.parameters``).
SENSITIVITY_RANGES = EXPLORED_RANGES

#: The keys varied by default in the article's model (a scenario with the escalation module
#: on varies the module's too: :func:`model.core.parameters.explored_keys`).
DEFAULT_KEYS: tuple[str, ...] = explored_keys(False)
SOBOL_COLUMNS = ("parameter", "S1", "S1_conf", "ST", "ST_conf")
MORRIS_COLUMNS = ("parameter", "mu", "mu_star", "mu_star_conf", "sigma")
#: Default base sample size of each method (Sobol': a power of 2; Morris: trajectories).
DEFAULT_N = {"sobol": 512, "morris": 64}


@dataclass
class SensitivityResult:
    """The indices of one sensitivity analysis and how they were obtained.

    ``table`` holds one row per parameter: for Sobol' the columns ``parameter, S1,
    S1_conf, ST, ST_conf`` sorted by ``ST`` descending; for Morris ``parameter, mu,
    mu_star, mu_star_conf, sigma`` sorted by ``mu_star`` descending. ``*_conf`` are 95%
    bootstrap half-widths. ``n`` is the base sample size passed to SALib, ``n_points``
    the number of parameter vectors evaluated, ``replicates`` the runs per point (common
    seeds), ``runs`` the total runs simulated (``n_points × replicates``).
    """

    method: str
    scenario: str
    metric: str
    metric_description: str
    unit: str
    keys: tuple[str, ...]
    table: pd.DataFrame
    n: int
    n_points: int
    replicates: int
    runs: int
    months: int
    seed: int
    wall_time: float
    output_mean: float
    output_sd: float
    options: dict[str, Any] = field(default_factory=dict)

    def meta(self) -> dict[str, Any]:
        """Everything except the table, JSON-ready (for a manifest or a report header)."""
        return {
            "method": self.method, "scenario": self.scenario, "metric": self.metric,
            "metric_description": self.metric_description, "unit": self.unit,
            "keys": list(self.keys), "ranges": {k: list(SENSITIVITY_RANGES[k][:2])
                                                for k in self.keys},
            "n": self.n, "n_points": self.n_points, "replicates": self.replicates,
            "runs": self.runs, "months": self.months, "seed": self.seed,
            "wall_time_seconds": round(self.wall_time, 3),
            "output_mean": self.output_mean, "output_sd": self.output_sd, **self.options,
        }


class SensitivityError(UserError):
    """A sensitivity request that cannot be answered (a sample size, a key, an outcome
    that does not vary); the message is one line."""


# --------------------------------------------------------------------------- problem

def problem(keys: Sequence[str] | None = None) -> dict[str, Any]:
    """The SALib problem dict (``num_vars``, ``names``, ``bounds``) for ``keys``.

    ``keys`` default to all of ``SENSITIVITY_RANGES``; each must be one of its keys,
    at most once (``SensitivityError`` naming the bad key and what is allowed otherwise).
    """
    keys = DEFAULT_KEYS if keys is None else tuple(keys)
    if not keys:
        raise SensitivityError("keys must name at least one parameter; allowed: "
                               + ", ".join(DEFAULT_KEYS))
    for key in keys:
        if key not in SENSITIVITY_RANGES:
            raise SensitivityError(f"no sensitivity range for parameter {key!r}; allowed: "
                                   + ", ".join(SENSITIVITY_RANGES))
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise SensitivityError(f"parameter {duplicates[0]!r} is listed twice in keys")
    return {
        "num_vars": len(keys),
        "names": list(keys),
        "bounds": [[SENSITIVITY_RANGES[k][0], SENSITIVITY_RANGES[k][1]] for k in keys],
    }


def sample_size(method: str, n: int, keys: Sequence[str] | None = None) -> int:
    """Parameter vectors a ``method`` ("sobol" or "morris") analysis evaluates.

    Sobol' (first and total order): ``n · (D + 2)``; Morris: ``n · (D + 1)``; ``D`` is the
    number of keys. Handy for sizing a progress bar before :func:`run_sobol`.
    """
    d = len(DEFAULT_KEYS if keys is None else tuple(keys))
    if method == "sobol":
        return n * (d + 2)
    if method == "morris":
        return n * (d + 1)
    raise SensitivityError(f"unknown method {method!r}; allowed: sobol, morris")


def _check_sobol_n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2 or n & (n - 1):
        raise SensitivityError(f"n={n!r} is not allowed for Sobol' sampling; n must be a "
                               "power of 2 ≥ 2 (e.g. 64, 256, 512, 1024)")
    return int(n)


def _check_int(name: str, value: Any, low: int, what: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise SensitivityError(f"{name}={value!r} is not allowed; {name} must be an integer "
                               f"≥ {low}" + what)
    return int(value)


def _check_num_levels(num_levels: Any) -> int:
    num_levels = _check_int("num_levels", num_levels, 2, " and even (e.g. 4, 6, 8)")
    if num_levels % 2:
        raise SensitivityError(f"num_levels={num_levels} is not allowed; num_levels must be "
                               "an even integer ≥ 2 (e.g. 4, 6, 8)")
    return num_levels


def _check_output(y: np.ndarray, what: str) -> np.ndarray:
    y = np.asarray(y, dtype=float).reshape(-1)
    if not np.all(np.isfinite(y)):
        raise ValueError(f"{what} has non-finite values; sensitivity indices need finite outputs")
    if np.ptp(y) == 0:
        raise SensitivityError(f"{what} does not vary over the sample (always {y[0]:g}), so "
                               "its sensitivity indices are undefined; pick another metric or "
                               "horizon")
    return y


# --------------------------------------------------------------------------- SALib cores

def sobol_indices(problem: dict[str, Any], f: Callable[[np.ndarray], np.ndarray], n: int,
                  seed: int = 0, *, conf_level: float = 0.95,
                  num_resamples: int = 100) -> pd.DataFrame:
    """First-order and total Sobol' indices of any vectorized model ``f(X) -> Y``.

    Samples ``n · (D + 2)`` points with ``SALib.sample.sobol.sample(problem, n,
    calc_second_order=False, seed=seed)``, evaluates ``Y = f(X)`` once on the whole
    ``(points, D)`` matrix (``Y`` of length ``points``) and analyses with
    ``SALib.analyze.sobol.analyze``. Returns a DataFrame with columns ``parameter, S1,
    S1_conf, ST, ST_conf`` (``*_conf`` = bootstrap half-width at ``conf_level``) sorted by
    ``ST`` descending. ``n`` must be a power of 2 (``ValueError`` otherwise); a constant
    or non-finite ``Y`` is a ``ValueError`` too.
    """
    n = _check_sobol_n(n)
    x = sobol_sample.sample(dict(problem), n, calc_second_order=False, seed=seed)
    y = _check_output(f(x), "the model output")
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"f returned {y.shape[0]} values for {x.shape[0]} sample points")
    # SALib 1.6 seeds the bootstrap only ``if seed:`` (seed=0 falls back to the global
    # NumPy state); a Generator is always truthy, so every seed, 0 included, reproduces.
    si = sobol_analyze.analyze(dict(problem), y, calc_second_order=False,
                               num_resamples=num_resamples, conf_level=conf_level,
                               seed=np.random.default_rng(seed))
    table = pd.DataFrame({"parameter": list(problem["names"]),
                          **{c: np.asarray(si[c], dtype=float) for c in SOBOL_COLUMNS[1:]}})
    return table.sort_values("ST", ascending=False, kind="stable").reset_index(drop=True)


def morris_indices(problem: dict[str, Any], f: Callable[[np.ndarray], np.ndarray], n: int,
                   seed: int = 0, *, num_levels: int = 4, conf_level: float = 0.95,
                   num_resamples: int = 100) -> pd.DataFrame:
    """Morris elementary-effect statistics of any vectorized model ``f(X) -> Y``.

    ``n`` trajectories of ``D + 1`` points on a ``num_levels`` grid
    (``SALib.sample.morris.sample``), one evaluation ``Y = f(X)``, then
    ``SALib.analyze.morris.analyze`` (unscaled: an effect is the change in ``Y`` when one
    parameter moves across its whole range). Returns a DataFrame with columns
    ``parameter, mu, mu_star, mu_star_conf, sigma`` sorted by ``mu_star`` descending.
    """
    n = _check_int("n", n, 2, " (the number of Morris trajectories)")
    num_levels = _check_num_levels(num_levels)
    x = morris_sample.sample(dict(problem), n, num_levels=num_levels, seed=seed)
    y = _check_output(f(x), "the model output")
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"f returned {y.shape[0]} values for {x.shape[0]} sample points")
    si = morris_analyze.analyze(dict(problem), x, y, num_resamples=num_resamples,
                                conf_level=conf_level, num_levels=num_levels, seed=seed)
    table = pd.DataFrame({"parameter": list(problem["names"]),
                          **{c: np.asarray(si[c], dtype=float) for c in MORRIS_COLUMNS[1:]}})
    return table.sort_values("mu_star", ascending=False, kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- the simulator

def _simulator(scenario: Scenario, metric: Metric, keys: tuple[str, ...], replicates: int,
               seed: int, months: int | None, progress: Callable[[int], Any] | None,
               record: dict[str, Any], executor: Executor | None = None,
               name: str = "sensitivity") -> Callable[[np.ndarray], np.ndarray]:
    """``f(X)``: the metric's mean over ``replicates`` common-seed runs at each row of X."""

    def f(x: np.ndarray) -> np.ndarray:
        values = evaluate_points(scenario, keys, x, [metric], runs=replicates, seed=seed,
                                 months=months, progress=progress, executor=executor,
                                 name=name)[metric.name]
        y = values.mean(axis=1)
        record.update(n_points=len(x), output_mean=float(y.mean()),
                      output_sd=float(y.std(ddof=1)) if len(y) > 1 else 0.0)
        return y

    return f


def _prepare(scenario: Scenario, metric: Metric, keys: Sequence[str] | None,
             replicates: int, months: int | None,
             method: str) -> tuple[dict[str, Any], tuple[str, ...], int]:
    if not isinstance(metric, Metric):
        raise ValueError(f"metric must be a model.metrics.Metric (e.g. METRICS['treaty_by_24']),"
                         f" got {metric!r}")
    prob = problem(explored_keys(scenario.escalation) if keys is None else keys)
    keys = tuple(prob["names"])
    _check_int("replicates", replicates, 1)
    months = scenario.horizon if months is None else _check_int("months", months, 1)
    origin = f"{method} sensitivity of scenario {scenario.name}"
    for key, bounds in zip(keys, prob["bounds"]):
        if key not in SPECS:  # a range for a parameter the model no longer has
            raise ValueError(f"{origin}: unknown parameter {key!r}")
        for value in bounds:  # both ends valid in this scenario (ScenarioError otherwise)
            validated(scenario, {key: float(value)}, origin)
    return prob, keys, months


def _result(method: str, scenario: Scenario, metric: Metric, keys: tuple[str, ...],
            table: pd.DataFrame, n: int, replicates: int, months: int, seed: int,
            started: float, record: dict[str, Any], **options: Any) -> SensitivityResult:
    return SensitivityResult(
        method=method, scenario=scenario.name, metric=metric.name,
        metric_description=metric.description, unit=metric.unit, keys=keys, table=table, n=n,
        n_points=record["n_points"], replicates=replicates,
        runs=record["n_points"] * replicates, months=months, seed=seed,
        wall_time=time.perf_counter() - started, output_mean=record["output_mean"],
        output_sd=record["output_sd"], options=options)


def run_sobol(scenario: Scenario, metric: Metric, n: int = DEFAULT_N["sobol"], replicates: int = 16,
              seed: int = 0, months: int | None = None, keys: Sequence[str] | None = None,
              progress: Callable[[int], Any] | None = None,
              executor: Executor | None = None) -> SensitivityResult:
    """Sobol' first-order and total indices of ``metric`` in ``scenario``.

    Varies ``keys`` (default: every explored parameter the scenario's model reads,
    ``model.core.parameters.explored_keys``) uniformly over their ranges:
    ``n · (len(keys) + 2)`` points (``n`` a power of 2), each the mean of ``metric`` over
    ``replicates`` runs with common seeds derived from ``seed``, for ``months`` months
    (default: the scenario's horizon). ``progress`` is called with the number of points
    finished after each batch (see :func:`sample_size` for the total). Other parameters
    keep the scenario's values; a varied ``levers.war_demand`` replaces a war-demand
    schedule by a constant. Invalid arguments raise ``ValueError`` with a one-line message.
    """
    n = _check_sobol_n(n)
    prob, keys, months = _prepare(scenario, metric, keys, replicates, months, "Sobol'")
    started = time.perf_counter()
    record: dict[str, Any] = {}
    f = _simulator(scenario, metric, keys, replicates, seed, months, progress, record,
                   executor, "sobol")
    table = sobol_indices(prob, f, n, seed)
    return _result("sobol", scenario, metric, keys, table, n, replicates, months, seed,
                   started, record)


def run_morris(scenario: Scenario, metric: Metric, n: int = DEFAULT_N["morris"],
               replicates: int = 16,
               seed: int = 0, num_levels: int = 4, months: int | None = None,
               keys: Sequence[str] | None = None,
               progress: Callable[[int], Any] | None = None,
               executor: Executor | None = None) -> SensitivityResult:
    """Morris screening of ``metric`` in ``scenario``: ``n`` trajectories.

    ``n · (len(keys) + 1)`` points on a ``num_levels`` grid (even, default 4), each the
    mean of ``metric`` over ``replicates`` common-seed runs. ``mu_star`` and ``sigma`` are
    in the metric's unit per full parameter range. Arguments as in :func:`run_sobol`.
    """
    n = _check_int("n", n, 2, " (the number of Morris trajectories)")
    num_levels = _check_num_levels(num_levels)
    prob, keys, months = _prepare(scenario, metric, keys, replicates, months, "Morris")
    started = time.perf_counter()
    record: dict[str, Any] = {}
    f = _simulator(scenario, metric, keys, replicates, seed, months, progress, record,
                   executor, "morris")
    table = morris_indices(prob, f, n, seed, num_levels=num_levels)
    return _result("morris", scenario, metric, keys, table, n, replicates, months, seed,
                   started, record, num_levels=num_levels)
