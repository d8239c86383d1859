"""Robust policies: which policy holds up across many sampled futures.

A *policy* is one actor's fixed strategy, written as scenario overrides (e.g. the US
pinned to coalition enforcement: ``united_states.action.pressure=coalition_enforcement``),
met by the other actors' decision rules: they respond (the default). With
``respond=False`` the others are pinned too, each dimension to the option it plays most
often in the scenario without any policy, so the comparison shows the policy's direct
effect with no strategic response.

The analysis works on a plain table of outcomes: one row per (policy, future) with one
column per outcome, every policy evaluated on the same futures and the same run seeds.
For each outcome the caller says which way is better (``"min"`` or ``"max"``).

Per policy and outcome (:func:`robustness`):

- ``mean``, ``p10``, ``p90``: the mean and the 10th/90th percentiles of the outcome over
  the futures (numpy's default linear interpolation);
- ``regret`` in a future: how much worse the policy does there than the best policy for
  that future (Savage 1951): ``max_p v(p, f) − v(policy, f)`` when more is better,
  ``v(policy, f) − min_p v(p, f)`` when less is; ``max_regret`` is its largest value over
  the futures (the minimax-regret criterion picks the smallest), ``p90_regret`` its 90th
  percentile (less sensitive to a single extreme future);
- ``best_share``: the share of futures in which the policy is (one of) the best.

The figures and the report are ``model.analysis.reports.robust``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core.actions import ACTION_COLUMNS, DIMENSION_BY_KEY, Actor
from ..core.errors import UserError
from ..core.scenario import Scenario, validated
from .futures import default_ranges, evaluate_futures, sample_futures

BETTER = ("min", "max")
COLUMNS = ("outcome", "better", "policy", "mean", "p10", "p90", "max_regret", "p90_regret",
           "best_share", "most_robust")


class RobustError(UserError):
    """A robustness request that cannot be answered; the message is one line."""


def regret(values: pd.DataFrame, better: str) -> pd.DataFrame:
    """Regret of each policy (column) in each future (row): distance to the row's best.

    ``better`` is ``"max"`` (more is better) or ``"min"``; the result is ≥ 0 and 0 for the
    best policy of each future.
    """
    if better not in BETTER:
        raise RobustError(f"better must be 'min' or 'max', got {better!r}")
    if better == "max":
        return values.rsub(values.max(axis=1), axis=0)
    return values.sub(values.min(axis=1), axis=0)


def robustness(table: pd.DataFrame, better: Mapping[str, str],
               policy: str = "policy", future: str = "future") -> pd.DataFrame:
    """Mean, 10th/90th percentiles, max and 90th-percentile regret, best share.

    ``table`` has columns ``policy``, ``future`` and one column per outcome named in
    ``better`` (outcome → ``"min"``/``"max"``); every policy must appear once for every
    future. Returns one row per (outcome, policy) with the columns of ``COLUMNS``; for each
    outcome ``most_robust`` marks the policy with the smallest ``max_regret`` (ties: the
    smaller ``p90_regret``, then the better mean).
    """
    missing = [c for c in (policy, future, *better) if c not in table.columns]
    if missing:
        raise RobustError(f"table has no column {missing[0]!r}; columns: "
                          + ", ".join(map(str, table.columns)))
    if table.empty:
        raise RobustError("no outcomes to compare: the table is empty")
    counts = table.groupby(future)[policy].nunique()
    policies = list(dict.fromkeys(table[policy]))
    if (counts != len(policies)).any() or table.duplicated([policy, future]).any():
        raise RobustError("every policy must be evaluated exactly once in every future")
    rows = []
    for outcome, direction in better.items():
        if direction not in BETTER:
            raise RobustError(f"outcome {outcome!r}: better must be 'min' or 'max', "
                              f"got {direction!r}")
        wide = table.pivot(index=future, columns=policy, values=outcome)[policies]
        r = regret(wide, direction)
        block = []
        for p in policies:
            v = wide[p].to_numpy(float)
            block.append({"outcome": outcome, "better": direction, "policy": p,
                          "mean": float(v.mean()), "p10": float(np.quantile(v, 0.1)),
                          "p90": float(np.quantile(v, 0.9)),
                          "max_regret": float(r[p].max()),
                          "p90_regret": float(np.quantile(r[p].to_numpy(float), 0.9)),
                          "best_share": float((r[p] == 0).mean())})
        sign = -1.0 if direction == "max" else 1.0
        best = min(range(len(block)), key=lambda i: (block[i]["max_regret"],
                                                     block[i]["p90_regret"],
                                                     sign * block[i]["mean"]))
        for i, row in enumerate(block):
            row["most_robust"] = i == best
        rows.extend(block)
    return pd.DataFrame(rows, columns=list(COLUMNS))


def overall_ranking(summary: pd.DataFrame) -> pd.DataFrame:
    """Policies ranked across outcomes: mean rank of ``max_regret`` (1 = smallest).

    A compact answer to "which policy is most robust over all these outcomes"; ties in
    the mean rank go to the policy most robust for more outcomes, then to the smaller
    mean rank by ``p90_regret``.
    """
    ranks = summary.assign(
        rank_max=summary.groupby("outcome")["max_regret"].rank(method="min"),
        rank_p90=summary.groupby("outcome")["p90_regret"].rank(method="min"))
    table = ranks.groupby("policy", sort=False).agg(
        mean_rank_max_regret=("rank_max", "mean"), mean_rank_p90_regret=("rank_p90", "mean"),
        outcomes_most_robust=("most_robust", "sum")).reset_index()
    table = table.assign(_most=-table["outcomes_most_robust"])
    return (table.sort_values(["mean_rank_max_regret", "_most", "mean_rank_p90_regret"],
                              kind="stable").drop(columns="_most").reset_index(drop=True))


# --------------------------------------------------------------------------- policies

#: The US's own outcomes and which way is better for Washington: the terms of its payoff
#: (munitions and technology harm, regime defence, standing lost to a consolidating bloc).
US_OUTCOMES: dict[str, str] = {
    "munitions_total": "min", "nk_tech_final": "min", "sanctions_integrity_final": "max",
    "alliance_strength_final": "min",
}


@dataclass(frozen=True)
class Policy:
    """A named set of scenario overrides (dotted keys, as ``--set`` takes them)."""

    name: str
    overrides: dict[str, Any]

    @property
    def actors(self) -> set[str]:
        """The actors whose options or rules the policy sets."""
        return {k.split(".")[0] for k in self.overrides if k.split(".")[0] in
                {a.value for a in Actor}}

    def describe(self) -> str:
        """``key=value, ...`` or ``the scenario as it is``."""
        if not self.overrides:
            return "the scenario as it is (every actor by its rule)"
        return ", ".join(f"{k}={v}" for k, v in self.overrides.items())


def default_policies() -> list[Policy]:
    """The US by its rule, then US pressure pinned at each of its options."""
    dim = DIMENSION_BY_KEY["united_states.pressure"]
    return [Policy("us_adaptive", {}),
            *[Policy(f"us_{o}", {f"united_states.action.{dim.name}": o}) for o in dim.options]]


def _split_top(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in "[{"
        depth -= char in "]}"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def parse_policy(text: str, parse_value: Any = str) -> Policy:
    """``NAME=KEY=VALUE[,KEY=VALUE...]`` (or ``NAME=`` for the scenario as it is)."""
    name, sep, rest = text.partition("=")
    name = name.strip()
    if not sep or not name or not name.replace("_", "").replace("-", "").isalnum():
        raise RobustError(f"--policy {text!r}: expected NAME=KEY=VALUE[,KEY=VALUE...], e.g. "
                          "press=united_states.action.pressure=coalition_enforcement")
    overrides: dict[str, Any] = {}
    for item in (p for p in _split_top(rest) if p.strip()):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise RobustError(f"--policy {name}: expected KEY=VALUE, got {item!r}")
        overrides[key.strip()] = parse_value(value.strip())
    return Policy(name, overrides)


class _ModalShare:
    """An outcome per run: the share of months 1..H with one option of one dimension."""

    def __init__(self, key: str, option: int) -> None:
        self.key, self.option = key, option
        self.name = f"share:{key}:{option}"

    def __call__(self, arrays: Any) -> np.ndarray:
        return (arrays.choice[self.key][1:] == self.option).mean(axis=0)


def no_response_pins(scenario: Scenario, inputs: pd.DataFrame, runs: int, seed: int,
                     months: int, executor: Any = None) -> dict[str, dict[str, str]]:
    """Per actor, the option of each dimension played most often without any policy.

    Shares are pooled over all futures, runs and months 1..``months`` of ``scenario``.
    """
    shares = [_ModalShare(k, i) for k in ACTION_COLUMNS
              for i in range(DIMENSION_BY_KEY[k].size)]
    table = evaluate_futures(scenario, inputs, shares, runs, seed, months,
                             executor=executor, name="robust_reference").mean()
    pins: dict[str, dict[str, str]] = {}
    for key in ACTION_COLUMNS:
        dim = DIMENSION_BY_KEY[key]
        best = int(np.argmax([table[f"share:{key}:{i}"] for i in range(dim.size)]))
        pins.setdefault(key.split(".")[0], {})[dim.name] = dim.options[best]
    return pins


def pinned(policy: Policy, pins: Mapping[str, Mapping[str, str]]) -> Policy:
    """``policy`` with every actor it does not set fixed at ``pins``."""
    extra: dict[str, Any] = {}
    for actor in Actor:
        if actor.value in policy.actors:
            continue
        extra[f"{actor.value}.rule"] = "fixed"
        extra[f"{actor.value}.action"] = dict(pins[actor.value])
    return Policy(policy.name, {**policy.overrides, **extra})


# --------------------------------------------------------------------------- experiment

@dataclass
class RobustResult:
    """Outcomes of every policy in every future, and their robustness summary."""

    scenario: str
    policies: list[Policy]
    better: dict[str, str]
    descriptions: dict[str, str]
    inputs: pd.DataFrame
    outcomes: pd.DataFrame  # policy, future, one column per outcome
    summary: pd.DataFrame
    ranking: pd.DataFrame
    respond: bool
    pins: dict[str, dict[str, str]] | None
    samples: int
    runs: int
    seed: int
    months: int
    wall_time: float

    def meta(self) -> dict[str, Any]:
        """JSON-ready description of the run (for the manifest)."""
        return {"policies": {p.name: p.overrides for p in self.policies},
                "outcomes": self.better, "respond": self.respond,
                "no_response_pins": self.pins, "samples": self.samples,
                "runs_per_future": self.runs, "months": self.months,
                "sampled_keys": list(self.inputs.columns),
                "most_robust": {r.outcome: r.policy for r in
                                self.summary[self.summary.most_robust].itertuples()},
                "overall": self.ranking.policy.iloc[0] if len(self.ranking) else None}


def run_robust(scenario: Scenario, policies: Sequence[Policy], metrics: Sequence[Any],
               better: Mapping[str, str], *, samples: int = 500, runs: int = 10,
               seed: int = 0, months: int | None = None, keys: Sequence[str] | None = None,
               respond: bool = True, joint: pd.DataFrame | None = None,
               progress: Any = None, executor: Any = None) -> RobustResult:
    """Evaluate every policy on the same ``samples`` futures and run seeds.

    Futures are a Latin hypercube over the documented ranges of ``keys`` minus any key a
    policy sets (a policy's own lever is not an uncertainty); ``joint`` columns (e.g. a
    calibration posterior) are resampled jointly. Each (policy, future) is the mean of
    each metric over ``runs`` common-seed runs. ``better`` maps each metric name to
    ``"min"`` or ``"max"``.
    """
    started = time.perf_counter()
    for policy in policies:  # a bad value is named before anything else is judged
        validated(scenario, policy.overrides, f"--policy {policy.name}")
    if len(policies) < 2:
        raise RobustError("give at least two policies to compare")
    names = [p.name for p in policies]
    if len(set(names)) != len(names):
        raise RobustError(f"policy name {next(n for n in names if names.count(n) > 1)!r} "
                          "is used twice")
    months = scenario.horizon if months is None else int(months)
    set_keys = {k for p in policies for k in p.overrides}
    ranges = {k: v for k, v in default_ranges(keys, scenario.escalation).items()
              if k not in set_keys}
    if not ranges and joint is None:
        raise RobustError("every sampled parameter is set by a policy; nothing is uncertain")
    if joint is not None:
        joint = joint.drop(columns=[k for k in set_keys if k in joint.columns])
        if [c for c in joint.columns if c != "weight"] == []:
            joint = None
    inputs = sample_futures(samples, seed, ranges, joint=joint)
    pins = None if respond else no_response_pins(scenario, inputs, runs, seed, months,
                                                 executor)
    frames = []
    for policy in policies:
        applied = policy if pins is None else pinned(policy, pins)
        variant = validated(scenario, applied.overrides, f"--policy {policy.name}")
        values = evaluate_futures(variant, inputs, metrics, runs, seed, months, progress,
                                  executor, f"robust_{policy.name}")
        frames.append(values.assign(policy=policy.name, future=np.arange(len(inputs))))
    outcomes = pd.concat(frames, ignore_index=True)
    outcomes = outcomes[["policy", "future", *[m.name for m in metrics]]]
    summary = robustness(outcomes, better)
    return RobustResult(
        scenario=scenario.name, policies=list(policies), better=dict(better),
        descriptions={m.name: m.description for m in metrics}, inputs=inputs,
        outcomes=outcomes, summary=summary, ranking=overall_ranking(summary),
        respond=respond, pins=pins, samples=samples, runs=runs, seed=seed, months=months,
        wall_time=time.perf_counter() - started)
