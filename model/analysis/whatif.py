"""What-ifs that branch from a month: the scenario and a changed world on the same seeds.

Every change applies from the branch month on, as a schedule (a lever, or an actor's
option on one dimension), so before the branch the two worlds are one history, bit for
bit. Runs are weighted by whether that history agrees with the record's hard facts
(``model.analysis.conditioning``), so a December 2026 branch starts from worlds that
could be ours. The results are paired differences (changed − base, per run) of headline
outcomes with 95% intervals, and what carried each change of play: the change in the
expected-payoff gap between an actor's options, split by the payoff terms of
``model.kernels.payoffs`` (exactly: the terms add up to the total).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from ..core.actions import (
    DIMENSION_BY_KEY,
    DIMENSIONS,
    Actor,
    dimensions_of,
    escalation_dimensions_of,
)
from ..core.calendar import calendar_month, month_of
from ..core.errors import UserError
from ..core.sampling import derive_seeds
from ..core.scenario import validated
from ..core.schema import Distribution, Scenario, ScenarioError
from ..core.state import AllianceLevel
from ..ensemble.driver import EnsembleArrays, simulate
from ..kernels import initial_beliefs, kernel_params, month_inputs, update_beliefs, with_memory
from ..kernels.exits import with_exits
from ..kernels.payoffs import TERM_SOURCES, option_payoff_terms, state_columns
from .conditioning import Conditioning, condition_runs, weighted_mean_interval

#: Months after the branch at which the headline differences are reported (and the horizon).
OFFSETS = (6, 12, 24)
#: A dimension whose option shares move less than this (share of run-months) is not
#: explained.
MIN_SHIFT = 0.02


@dataclass(frozen=True)
class Headline:
    """A headline series: one number per month and run."""

    name: str
    label: str
    unit: str  # "share of runs" or an index unit
    series: Callable[[EnsembleArrays], np.ndarray]  # (months+1, runs)
    #: Drawn as a fan of quantiles (a continuous index) rather than a mean (a share, or
    #: an index that takes few values).
    fan: bool = False

    @property
    def is_share(self) -> bool:
        return self.unit == "share of runs"


def _option_at_least(key: str, option: str) -> Callable[[EnsembleArrays], np.ndarray]:
    index = DIMENSION_BY_KEY[key].index(option)
    return lambda arrays: (arrays.choice[key] >= index).astype(float)


HEADLINES: tuple[Headline, ...] = (
    Headline("treaty", "Treaty signed (not denounced)", "share of runs",
             lambda a: (a.state["alliance_level"] == AllianceLevel.TREATY).astype(float)),
    Headline("russia_buying", "Russia buying munitions", "share of runs",
             _option_at_least("russia.arms", "limited")),
    Headline("munitions_flow", "Munitions to Russia", "index 0–1 (1 = large-scale)",
             lambda a: a.state["munitions_flow"].astype(float)),
    Headline("alliance_strength", "Alliance strength", "index 0–1",
             lambda a: a.state["alliance_strength"].astype(float), fan=True),
    Headline("nk_food_gap", "North Korean food gap", "index 0–1",
             lambda a: a.state["nk_food_gap"].astype(float), fan=True),
    Headline("us_coalition", "US coalition enforcement", "share of runs",
             _option_at_least("united_states.pressure", "coalition_enforcement")),
)
#: The escalation module's headlines, added where it is on.
ESCALATION_HEADLINES: tuple[Headline, ...] = (
    Headline("troops_in_combat", "North Korean troops in combat", "share of runs",
             _option_at_least("north_korea.manpower", "combat")),
    Headline("mil_tech", "Russian military technology", "share of runs",
             _option_at_least("russia.mil_tech", "conventional")),
    Headline("treaty_in_force", "Treaty in force (ratified)", "share of runs",
             lambda a: a.state["treaty_in_force"].astype(float)),
)


def headlines(scenario: Scenario) -> tuple[Headline, ...]:
    """The headlines a what-if of ``scenario`` reports (the escalation module's too where
    it is on)."""
    return HEADLINES + (ESCALATION_HEADLINES if scenario.escalation else ())


# ------------------------------------------------------------------ the branch


class BranchError(UserError):
    """A what-if that cannot branch as asked (one line: the flag, the value, what is
    allowed)."""


def branch_month(scenario: Scenario, at: str) -> int:
    """The model month of ``at`` (``YYYY-MM``); ``BranchError`` in one line unless it lies
    after the scenario's start and at or before its horizon."""
    try:
        month = month_of(scenario.start, at)
    except ValueError as exc:
        raise BranchError(f"--at: {exc}") from None
    if not 1 <= month <= scenario.horizon:
        raise BranchError(f"--at {at} is month {month} of scenario {scenario.name!r}; allowed: "
                         f"{calendar_month(scenario.start, 1)} to "
                         f"{calendar_month(scenario.start, scenario.horizon)} (months 1–"
                         f"{scenario.horizon})")
    return month


def _from_month(base: list | None, month: int, value: Any) -> list:
    """A schedule that keeps ``base``'s entries before ``month`` and is ``value`` from it."""
    kept = [list(entry) for entry in (base or []) if entry[0] < month]
    return [*kept, [month, value]]


def branch_overrides(scenario: Scenario, month: int, changes: dict[str, Any]
                     ) -> dict[str, Any]:
    """Overrides that make ``changes`` (dotted keys → values) apply from ``month`` on.

    A lever becomes a step schedule from ``month`` (its value before is the scenario's);
    an actor's option (``ACTOR.action.DIMENSION``, or ``ACTOR.action`` for one-dimension
    actors) becomes an option schedule (``"free"``: its rule decides from then). Anything
    else cannot change from a month on: ``BranchError`` naming the key and what is allowed.
    """
    sampled = set(scenario.sample.active_keys(scenario.overrides)) if scenario.sample else set()
    out: dict[str, Any] = {}
    for key, value in changes.items():
        parts = key.split(".")
        if parts[0] == "levers" and len(parts) == 2:
            try:
                base = scenario.param(key).value
            except (AttributeError, KeyError):
                raise BranchError(f"--set {key}: unknown lever; allowed: "
                                 + ", ".join(f"levers.{n}" for n in type(scenario.levers)
                                             .model_fields)) from None
            if isinstance(base, Distribution) or key in sampled:
                raise BranchError(f"--set {key}: scenario {scenario.name!r} draws this lever "
                                 "per run, so it cannot branch from a month; allowed: a lever "
                                 "with one value or a schedule")
            base = base if isinstance(base, list) else [[0, base]]
            out[key] = _from_month(base, month, value)
            continue
        actor_key = ".".join(parts[:2])
        if len(parts) in (2, 3) and parts[0] in {a.value for a in Actor} and parts[1] == "action":
            actor = Actor(parts[0])
            dims = dimensions_of(actor)
            if len(parts) == 2 and len(dims) != 1:
                raise BranchError(f"--set {key}: {actor.value} has several dimensions; allowed: "
                                 + ", ".join(f"{actor_key}.{d.name}" for d in dims))
            name = dims[0].name if len(parts) == 2 else parts[2]
            # the escalation module's dimensions can be pinned where the module is on
            pinnable = dims + (escalation_dimensions_of(actor) if scenario.escalation else ())
            if name not in [d.name for d in pinnable]:
                raise BranchError(f"--set {key}: unknown dimension {name!r}; allowed: "
                                 + ", ".join(f"{actor_key}.{d.name}" for d in pinnable))
            config = scenario.actor(actor)
            if config.rule == "fixed":
                raise BranchError(f"--set {key}: {actor.value} plays rule 'fixed', which pins "
                                 "every dimension for good; allowed: branch a scenario where "
                                 "it follows another rule")
            base = (config.action or {}).get(name)
            base = base if isinstance(base, list) else ([[0, base]] if base else [])
            out[f"{actor_key}.{name}"] = _from_month(base, month, value)
            continue
        raise BranchError(f"--set {key}: only levers (levers.NAME) and options "
                         "(ACTOR.action.DIMENSION) can change from a month on")
    return out


def branched(scenario: Scenario, at: str, changes: dict[str, Any]) -> tuple[Scenario, int]:
    """The changed world: ``scenario`` with ``changes`` applied from month ``at`` on."""
    if not changes:
        return scenario, branch_month(scenario, at)
    month = branch_month(scenario, at)
    overrides = branch_overrides(scenario, month, changes)
    try:
        return validated(scenario, overrides, f"--set (from {at})"), month
    except ScenarioError as exc:
        raise BranchError(str(exc)) from None


# ------------------------------------------------------------------ what carried it


def decision_inputs(scenario: Scenario, arrays: EnsembleArrays, start: int):
    """What the decisions of months ``start`` … horizon read, rebuilt from the recorded
    runs, one row per (month, run), months major: the state at the start of the month with
    that month's levers and last month's options, the parameters in force (each run's
    draws, scheduled levers at the row's month) and the public beliefs (replayed from the
    posture with the recorded choices). Returns ``(state, params, beliefs)``."""
    K = kernel_params(scenario, arrays.drawn)
    runs, months = len(arrays.seeds), list(range(start, arrays.months + 1))
    beliefs = initial_beliefs({key: arrays.choice[key][0] for key in arrays.choice})
    rows_beliefs = []
    for month in range(1, arrays.months + 1):
        if month >= start:
            rows_beliefs.append(beliefs)
        beliefs = update_beliefs(beliefs, {k: arrays.choice[k][month] for k in arrays.choice},
                                 K)
    state = {}
    for month in months:
        last = {k: arrays.choice[k][month - 1] for k in arrays.choice}
        row = with_memory({c: arrays.state[c][month - 1] for c in arrays.state}, last)
        row, K_month = month_inputs(row, K, month)
        row = with_exits(row, K_month.as_columns())
        for key, value in row.items():
            state.setdefault(key, []).append(value)
    state = {k: np.concatenate(v) for k, v in state.items()}
    rows = np.tile(np.arange(runs), len(months))
    params = K.take(rows)  # each run's values on each of its rows (scalars stay scalars)
    if K.schedules:  # each row's month decides its scheduled levers
        levers = dict(vars(params.levers))
        for name in K.schedules:
            levers[name] = np.repeat([K.lever(name, m) for m in months], runs)
        params = replace(params, levers=SimpleNamespace(**levers))
    beliefs = {k: np.concatenate([b[k] for b in rows_beliefs]) for k in rows_beliefs[0]}
    return state, params, beliefs


def term_sums(world: World, start: int, actors) -> dict[str, np.ndarray]:
    """Per run, the sum over months ``start`` … horizon of every option's payoff terms
    against the public beliefs, for the dimensions of ``actors``: ``{key: (runs, options,
    terms)}`` (terms in ``TERM_SOURCES`` order). All months are one batch of rows."""
    state, params, beliefs = decision_inputs(world.scenario, world.arrays, start)
    runs, months = len(world.arrays.seeds), world.arrays.months + 1 - start
    view, params_view = state_columns(state), params.as_columns()
    out = {}
    for actor in actors:
        for key, by_term in option_payoff_terms(actor, beliefs, view, params_view).items():
            stacked = np.stack(list(by_term.values()), axis=-1)  # (rows, options, terms)
            out[key] = stacked.reshape(months, runs, *stacked.shape[1:]).sum(axis=0)
    return out


@dataclass(frozen=True)
class World:
    """One world of a what-if: its scenario and its runs."""

    scenario: Scenario
    arrays: EnsembleArrays


@dataclass
class WhatIf:
    """Both worlds on the same seeds, the runs' weights and the branch month."""

    base: World
    changed: World
    month: int
    changes: dict[str, Any]
    conditioning: Conditioning
    seed: int
    notes: list[str] = field(default_factory=list)

    @property
    def runs(self) -> int:
        return len(self.base.arrays.seeds)

    @property
    def horizon(self) -> int:
        return self.base.arrays.months


def _world(scenario: Scenario, seeds: np.ndarray, months: int) -> World:
    return World(scenario, simulate(scenario, seeds, months))


def run_whatif(scenario: Scenario, at: str, changes: dict[str, Any], runs: int, seed: int = 0,
               months: int | None = None, condition: str = "record") -> WhatIf:
    """The scenario and its change from ``at`` on, ``runs`` runs each on the same seeds,
    weighted by the record's hard facts (``condition="record"``) or not (``"none"``)."""
    months = scenario.horizon if months is None else int(months)
    changed, month = branched(scenario, at, changes)
    if month > months:
        raise BranchError(f"--at {at} is month {month}, after the runs end (month {months}); "
                         f"allowed: a branch at or before month {months}")
    seeds = derive_seeds(seed, runs)
    base = _world(scenario, seeds, months)
    other = _world(changed, seeds, months)
    conditioning = condition_runs(base.arrays, condition)
    return WhatIf(base, other, month, dict(changes), conditioning, seed)


# ------------------------------------------------------------------ results


def pinned_by_change(result: WhatIf) -> set[str]:
    """The dimension keys (``china.stance``) whose option the change itself sets."""
    keys = set()
    for key in result.changes:
        parts = key.split(".")
        if len(parts) >= 2 and parts[1] == "action":
            actor = Actor(parts[0])
            name = parts[2] if len(parts) == 3 else dimensions_of(actor)[0].name
            keys.add(f"{actor.value}.{name}")
    return keys


def offsets(result: WhatIf) -> list[tuple[str, int]]:
    """The reported months: 6, 12, 24 after the branch (those within the runs) and the
    horizon, as ``(label, month)``."""
    out = [(f"+{k} months", result.month + k) for k in OFFSETS
           if result.month + k <= result.horizon]
    if out and out[-1][1] == result.horizon:
        out[-1] = (f"{out[-1][0]} (horizon)", result.horizon)
    else:
        out.append(("horizon", result.horizon))
    return out


def paired_differences(result: WhatIf) -> pd.DataFrame:
    """Per headline and reported month: each world's weighted mean and the paired
    difference (changed − base) with its 95% interval."""
    w = result.conditioning.weights
    start = result.base.scenario.start
    rows = []
    for h in headlines(result.base.scenario):
        base, changed = h.series(result.base.arrays), h.series(result.changed.arrays)
        for label, month in offsets(result):
            b, c = base[month], changed[month]
            diff, low, high = weighted_mean_interval(c - b, w)
            if h.is_share:  # a difference of shares lies in [-1, 1]
                low, high = max(low, -1.0), min(high, 1.0)
            rows.append({"outcome": h.name, "label": h.label, "unit": h.unit, "when": label,
                         "month": month, "date": calendar_month(start, month),
                         "base": weighted_mean_interval(b, w)[0],
                         "changed": weighted_mean_interval(c, w)[0],
                         "difference": diff, "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows)


def _weighted_shares(choice: np.ndarray, size: int, weights: np.ndarray) -> np.ndarray:
    """Share of weighted run-months playing each option: ``choice`` ``(months, runs)``."""
    per_run = np.stack([(choice == o).mean(axis=0) for o in range(size)], axis=1)
    return weights @ per_run / weights.sum()


def carried(result: WhatIf) -> pd.DataFrame:
    """What carried each change of play after the branch.

    For every actor and dimension whose option shares moved by at least ``MIN_SHIFT``:
    the option that gained most (``gained``) and the one that lost most (``lost``), and
    for each payoff term the change (changed − base) in the gap ``term(gained) −
    term(lost)``, averaged over weighted runs and the months from the branch on. The
    terms add up to ``total``, the change in the whole payoff gap. One row per term,
    largest first within a dimension.
    """
    w = result.conditioning.weights
    if w.sum() <= 0:
        return pd.DataFrame()
    shifts = {}
    for d in DIMENSIONS:
        b_choice = result.base.arrays.choice[d.key][result.month:]
        c_choice = result.changed.arrays.choice[d.key][result.month:]
        shift = (_weighted_shares(c_choice, d.size, w)
                 - _weighted_shares(b_choice, d.size, w))
        if np.abs(shift).max() >= MIN_SHIFT:
            shifts[d] = shift
    actors = sorted({d.actor for d in shifts}, key=list(Actor).index)
    months = result.horizon + 1 - result.month
    sums = [term_sums(world, result.month, actors) for world in (result.base, result.changed)]
    rows = []
    for d, shift in shifts.items():
        gained, lost = int(np.argmax(shift)), int(np.argmin(shift))
        gaps = []
        for world_sums in sums:
            mean = np.tensordot(w / w.sum(), world_sums[d.key], axes=1) / months
            gaps.append(mean[gained] - mean[lost])  # (terms,)
        change = gaps[1] - gaps[0]
        sources = TERM_SOURCES[d.actor]
        order = np.argsort(-np.abs(change), kind="stable")
        for rank, t in enumerate(order):
            name = list(sources)[t]
            rows.append({"key": d.key, "actor": d.actor.value, "dimension": d.name,
                         "gained": d.options[gained], "lost": d.options[lost],
                         "share_shift": float(shift[gained]), "term": name,
                         "source": sources[name], "change": float(change[t]),
                         "total": float(change.sum()), "rank": rank})
    return pd.DataFrame(rows)


def weighted_bands(series: np.ndarray, weights: np.ndarray,
                   quantiles=(0.05, 0.25, 0.5, 0.75, 0.95)) -> np.ndarray:
    """Weighted quantiles per month of ``series`` ``(months+1, runs)``: ``(months+1, q)``
    (with 0/1 weights, the quantiles of the kept runs; the lower value on a tie)."""
    keep = weights > 0
    values = np.sort(series[:, keep], axis=1)
    w = weights[keep]
    if not keep.any():
        return np.full((series.shape[0], len(quantiles)), np.nan)
    order = np.argsort(series[:, keep], axis=1, kind="stable")
    cum = np.cumsum(w[order], axis=1) / w.sum()
    out = np.empty((series.shape[0], len(quantiles)))
    for j, q in enumerate(quantiles):
        index = np.minimum((cum < q).sum(axis=1), values.shape[1] - 1)
        out[:, j] = values[np.arange(series.shape[0]), index]
    return out


def weighted_means(series: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted mean per month of ``series`` ``(months+1, runs)``."""
    return series @ weights / weights.sum() if weights.sum() > 0 else \
        np.full(series.shape[0], np.nan)
