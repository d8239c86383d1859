"""Observation rules applied to runs: each rule scores every run, 0 when the run meets it.

The rules are data (``experiments/record/observations.toml``, read by
``model.core.record``); this module computes, for a batch of runs given as month-by-run
arrays, one score per rule and run:

- ``first``: the first month ``f`` at which the condition holds; the score is how many
  months ``f`` falls outside ``[earliest, latest]``, over ``tolerance`` (a run in which it
  never holds scores as if it happened the month after the last simulated one);
- ``share``: the shortfall of the share of months in ``[from, to]`` at which the condition
  holds below ``min_share`` (or its excess over ``max_share``), over ``tolerance``;
- ``total``: how far the sum of a column × its scale over ``[from, to]`` falls outside
  ``[min, max]``, over ``tolerance``.

The calibration distance of a run is the weighted sum of its scores
(:func:`distance`); a run "meets" a rule when its score is 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.actions import ACTION_COLUMNS, DIMENSION_BY_KEY
from ..core.record import Condition, Observations, Rule
from ..core.state import STATE_COLUMNS

_OPS = {">=": np.greater_equal, "<=": np.less_equal, ">": np.greater, "<": np.less,
        "==": np.equal, "!=": np.not_equal}


def arrays_from_table(table: pd.DataFrame) -> dict[str, np.ndarray]:
    """Month-by-run arrays ``(months+1, runs)`` from a long result table (``run``,
    ``month``, state columns, option columns by name), options as option indices."""
    runs = np.sort(table["run"].unique())
    months = np.sort(table["month"].unique())
    if not np.array_equal(months, np.arange(len(months))):
        raise ValueError("the table must hold months 0, 1, ..., M for every run")
    frame = table.sort_values(["run", "month"])
    if len(frame) != len(runs) * len(months):
        raise ValueError("every run must have one row per month")
    out: dict[str, np.ndarray] = {}
    for column in (*STATE_COLUMNS, *ACTION_COLUMNS):
        if column not in frame:
            continue
        values = frame[column]
        if column in DIMENSION_BY_KEY:
            options = list(DIMENSION_BY_KEY[column].options)
            values = values.astype(str).map({o: i for i, o in enumerate(options)})
            if values.isna().any():
                raise ValueError(f"column {column} holds an unknown option; allowed: "
                                 f"{', '.join(options)}")
        out[column] = values.to_numpy(dtype=float).reshape(len(runs), len(months)).T
    return out


def arrays_from_ensemble(arrays) -> dict[str, np.ndarray]:
    """The state and option arrays of an ``EnsembleArrays`` in one mapping."""
    return {**arrays.state, **arrays.choice}


def holds(condition: Condition, data: dict[str, np.ndarray]) -> np.ndarray:
    """Whether ``condition`` holds, month by run: a boolean ``(months+1, runs)`` array."""
    if condition.column not in data:
        raise KeyError(f"rule needs column {condition.column!r}, which the runs lack")
    return _OPS[condition.op](data[condition.column], condition.value)


def rule_scores(rule: Rule, data: dict[str, np.ndarray]) -> np.ndarray:
    """The score of every run for ``rule``: ``(runs,)``, 0 where the run meets it."""
    if rule.kind == "first":
        ok = holds(rule.when, data)
        months = ok.shape[0] - 1
        first = np.where(ok.any(axis=0), ok.argmax(axis=0), months + 1)
        miss = np.maximum(rule.earliest - first, 0) + np.maximum(first - rule.latest, 0)
        return miss / rule.tolerance
    lo, hi = rule.start, rule.end
    if rule.kind == "share":
        ok = holds(rule.when, data)
        _check_months(rule, ok.shape[0] - 1)
        share = ok[lo:hi + 1].mean(axis=0)
        miss = np.maximum(rule.min_share - share, 0.0)
        if rule.max_share is not None:
            miss = miss + np.maximum(share - rule.max_share, 0.0)
        return _snap(miss / rule.tolerance)
    column = data.get(rule.column)
    if column is None:
        raise KeyError(f"rule needs column {rule.column!r}, which the runs lack")
    _check_months(rule, column.shape[0] - 1)
    total = column[lo:hi + 1].sum(axis=0) * rule.scale
    miss = np.zeros_like(total)
    if rule.low is not None:
        miss = miss + np.maximum(rule.low - total, 0.0)
    if rule.high is not None:
        miss = miss + np.maximum(total - rule.high, 0.0)
    return _snap(miss / rule.tolerance)


def _snap(values: np.ndarray) -> np.ndarray:
    """Scores below 1e-9 are round-off and count as a match."""
    return np.where(values < 1e-9, 0.0, values)


def _check_months(rule: Rule, months: int) -> None:
    if rule.window[1] > months:
        raise ValueError(f"rule {rule.id} looks at month {rule.window[1]} but the runs end "
                         f"at month {months}")


def score_matrix(observations: Observations, data: dict[str, np.ndarray]) -> np.ndarray:
    """Scores of every rule: ``(runs, n_rules)`` in the order of ``observations.rules``."""
    return np.column_stack([rule_scores(rule, data) for rule in observations.rules])


def rule_weights(observations: Observations) -> np.ndarray:
    """The rules' weights, in order (0 for report-only rules)."""
    return np.array([rule.weight for rule in observations.rules])


def distance(scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The calibration distance of each run: the weighted sum of its misses over the
    fitted rules (weight > 0), added one rule at a time in file order.

    Report-only rules (weight 0) are left out of the sum, not multiplied by 0, so adding or
    removing one never changes a distance, not even in its last bit (a matrix product's
    summation order depends on the number of columns, and ABC-SMC's path on ties).
    """
    scores = np.asarray(scores, dtype=float)
    total = np.zeros(scores.shape[:-1])
    for j in np.flatnonzero(np.asarray(weights, dtype=float) > 0):
        total = total + scores[..., j] * weights[j]
    return total
