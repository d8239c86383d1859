"""Sampled futures: the uncertain inputs of scenario discovery and robustness tests.

A *future* is one row of an inputs table: a value for each uncertain parameter (and,
optionally, a discrete condition such as China's stance). :func:`sample_futures` draws
the rows with a seeded Latin hypercube over documented ranges (by default
``SENSITIVITY_RANGES``: the levers over the plausible worlds of the scenario library,
the least certain payoff weights and rates ±50%); when a joint sample of some
parameters is given — e.g. a calibration posterior — its rows are resampled for those
parameters instead, keeping their correlations. :func:`evaluate_futures` runs every
future ``runs`` times with the same run seeds (common random numbers, through
:func:`model.execution.evaluate_points`) and returns each metric's mean per
future: the outcomes table that PRIM, CART and the robustness metrics read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import qmc

from ..core.actions import DIMENSION_BY_KEY
from ..core.parameters import explored_keys
from ..core.scenario import Scenario, check_keys, validated
from ..execution import Executor, evaluate_points
from .sensitivity import SENSITIVITY_RANGES

#: The discrete condition discovery samples by default: China keeps its scenario rule
#: ("adaptive") or is pinned to one stance for the whole run (lt.1: Beijing's choice).
CHINA = "china"
ADAPTIVE = "adaptive"
CHINA_LEVELS: tuple[str, ...] = (ADAPTIVE, *DIMENSION_BY_KEY["china.stance"].options)


def default_ranges(keys: Sequence[str] | None = None, escalation: bool = False
                   ) -> dict[str, tuple[float, float]]:
    """``{key: (low, high)}`` from ``SENSITIVITY_RANGES``; by default every explored
    parameter a model with (``escalation``) or without the escalation module reads."""
    keys = explored_keys(escalation) if keys is None else tuple(keys)
    for key in keys:
        if key not in SENSITIVITY_RANGES:
            raise ValueError(f"no documented range for parameter {key!r}; allowed: "
                             + ", ".join(SENSITIVITY_RANGES))
    return {k: (SENSITIVITY_RANGES[k][0], SENSITIVITY_RANGES[k][1]) for k in keys}


def joint_sample(scenario: Any) -> pd.DataFrame | None:
    """The scenario's joint parameter sample (e.g. a calibration posterior) as a table.

    One row per particle, one column per key the runs take from it (keys fixed or
    overridden are left out), plus ``weight``; ``None`` when the scenario carries no
    sample (its ``sample`` attribute is absent or ``None``).
    """
    sample = getattr(scenario, "sample", None)
    if sample is None:
        return None
    keys = sample.active_keys(getattr(scenario, "overrides", None))
    if not keys:
        return None
    rows = np.asarray(sample.values, dtype=float)
    table = pd.DataFrame({k: rows[:, sample.keys.index(k)] for k in keys})
    table["weight"] = np.asarray(sample.weights, dtype=float)
    return table


def sample_futures(n: int, seed: int, ranges: Mapping[str, tuple[float, float]],
                   categories: Mapping[str, Sequence[str]] | None = None,
                   joint: pd.DataFrame | None = None) -> pd.DataFrame:
    """``n`` futures: a Latin hypercube over ``ranges`` plus balanced categories.

    Numeric columns are uniform over ``ranges`` (one stratum per future in each
    dimension, ``scipy.stats.qmc.LatinHypercube`` seeded from ``seed``); each entry of
    ``categories`` becomes a categorical column whose levels occur equally often, in a
    seeded random order. Columns of ``joint`` (a table of joint draws, e.g. a calibration
    posterior, one column per dotted key, and optionally ``weight``) are filled with whole
    rows of ``joint`` drawn with replacement (with probability proportional to ``weight``
    when given), replacing any range for the same key. Same arguments ⇒ same table.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2:
        raise ValueError(f"samples={n!r} is not allowed; need an integer ≥ 2")
    rng = np.random.default_rng(seed)
    weights = None
    if joint is not None and "weight" in joint.columns:
        weights = joint["weight"].to_numpy(float)
        joint = joint.drop(columns="weight")
    joint_keys = list(joint.columns) if joint is not None else []
    keys = [k for k in ranges if k not in joint_keys]
    columns: dict[str, Any] = {}
    if keys:
        low = np.array([ranges[k][0] for k in keys], dtype=float)
        high = np.array([ranges[k][1] for k in keys], dtype=float)
        unit = qmc.LatinHypercube(d=len(keys), seed=rng).random(n)
        columns.update(zip(keys, (low + unit * (high - low)).T))
    if joint is not None:
        if joint.empty:
            raise ValueError("the joint sample has no rows")
        if weights is None:
            rows = rng.integers(0, len(joint), size=n)
        else:
            if (weights < 0).any() or not weights.sum() > 0:
                raise ValueError("joint sample weights must be ≥ 0 with a positive sum")
            rows = rng.choice(len(joint), size=n, p=weights / weights.sum())
        columns.update({k: joint[k].to_numpy(float)[rows] for k in joint_keys})
    table = pd.DataFrame({k: columns[k] for k in [*ranges, *[k for k in joint_keys
                                                           if k not in ranges]]})
    for name, levels in (categories or {}).items():
        levels = list(levels)
        codes = rng.permutation(np.arange(n) % len(levels))
        table[name] = pd.Categorical.from_codes(codes, categories=levels)
    return table


def category_overrides(column: str, level: str) -> dict[str, Any]:
    """The scenario overrides a categorical input's level stands for."""
    if column == CHINA:
        if level == ADAPTIVE:
            return {}
        return {"china.rule": "fixed", "china.action": level}
    raise ValueError(f"unknown categorical input {column!r}; allowed: {CHINA}")


def evaluate_futures(scenario: Scenario, inputs: pd.DataFrame, metrics: Sequence[Any],
                     runs: int, seed: int = 0, months: int | None = None,
                     progress: Callable[[int], Any] | None = None,
                     executor: Executor | None = None, name: str = "futures") -> pd.DataFrame:
    """Each metric's mean over ``runs`` common-seed runs, one row per future.

    Numeric columns of ``inputs`` set parameters by dotted key; each categorical column
    (see :func:`category_overrides`) selects a variant of ``scenario``, and the futures
    of each variant are evaluated together. Every future, in every variant, uses the
    same run seeds derived from ``seed``; the runs go through the execution layer
    (``executor``: in this process by default, or Dask — the same numbers). Returns a
    DataFrame with one column per metric name, indexed like ``inputs``.
    """
    numeric = [c for c in inputs.columns if pd.api.types.is_numeric_dtype(inputs[c])]
    discrete = [c for c in inputs.columns if c not in numeric]
    check_keys(numeric, f"futures of scenario {scenario.name}")
    points = inputs[numeric].to_numpy(float)
    out = {m.name: np.empty(len(inputs)) for m in metrics}
    groups = (inputs.groupby(discrete, observed=True, sort=False).indices if discrete
              else {(): np.arange(len(inputs))})
    for levels, rows in groups.items():
        levels = levels if isinstance(levels, tuple) else (levels,)
        overrides: dict[str, Any] = {}
        for column, level in zip(discrete, levels):
            overrides.update(category_overrides(column, str(level)))
        origin = "futures with " + ", ".join(f"{c}={v}" for c, v in zip(discrete, levels))
        variant = validated(scenario, overrides, origin) if overrides else scenario
        values = evaluate_points(variant, numeric, points[rows], metrics, runs=runs,
                                 seed=seed, months=months, progress=progress,
                                 executor=executor, name=name)
        for m in metrics:
            out[m.name][rows] = values[m.name].mean(axis=1)
    return pd.DataFrame(out, index=inputs.index)
