"""Comparative statics of the article's claims on small paired ensembles.

Each test moves one lever with the same seeds (common random numbers) and checks the
sign of the effect with a margin of several standard errors of the paired difference,
so the tests fail if the mechanism breaks, not because of sampling noise.
"""

from __future__ import annotations

import numpy as np
import pytest

from model import load_scenario
from model.ensemble import run_ensemble

RUNS = 200
SEED = 11


def paired(metric, low: dict, high: dict, months: int = 24) -> tuple[float, float]:
    """Mean and standard error of metric(high) − metric(low) over the same seeds."""
    a = metric(run_ensemble(load_scenario("baseline", low), RUNS, seed=SEED, months=months))
    b = metric(run_ensemble(load_scenario("baseline", high), RUNS, seed=SEED, months=months))
    diff = b - a
    return float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(len(diff)))


def final(column: str):
    return lambda t: t[t.month == t.month.max()].sort_values("run")[column].to_numpy()


def total(column: str):
    return lambda t: t[t.month > 0].groupby("run")[column].sum().to_numpy()


def share(column: str, option: str):
    return lambda t: t[t.month > 0].assign(x=lambda d: d[column] == option) \
        .groupby("run")["x"].mean().to_numpy()


def assert_positive(effect: tuple[float, float]) -> None:
    mean, se = effect
    assert mean > 3 * se and mean > 0, f"effect {mean:.4f} ± {se:.4f} is not clearly positive"


def test_c1_pressure_pushes_the_pair_together():
    assert_positive(paired(final("alliance_strength"),
                           {"levers.international_pressure": 0.2},
                           {"levers.international_pressure": 0.9}))


def test_c2_war_demand_means_more_munitions_and_a_stronger_alliance():
    low, high = {"levers.war_demand": 0.4}, {"levers.war_demand": 1.0}
    assert_positive(paired(total("munitions_flow"), low, high))
    assert_positive(paired(final("alliance_strength"), low, high))


def test_c5_reputation_cost_lowers_arms_purchases():
    low, high = {"levers.russia_reputation_cost": 0.1}, {"levers.russia_reputation_cost": 2.0}
    assert_positive(paired(share("russia.arms", "none"), low, high))
    mean, se = paired(total("munitions_flow"), low, high)
    assert mean < -3 * se


@pytest.mark.parametrize("lever, low, high, metric", [
    ("levers.nk_food_crisis", 0.3, 0.9, total("aid_flow")),
    ("levers.nk_tech_appetite", 0.5, 4.0, total("tech_flow")),
])
def test_c3_c4_north_korean_needs_draw_russian_payments(lever, low, high, metric):
    assert_positive(paired(metric, {lever: low}, {lever: high}))


def test_war_demand_dose_response_is_monotone():
    """More war demand never means fewer munitions (across four levels)."""
    totals = [total("munitions_flow")(run_ensemble(
        load_scenario("baseline", {"levers.war_demand": w}), 100, seed=SEED, months=18)).mean()
        for w in (0.2, 0.45, 0.7, 0.95)]
    assert all(b > a for a, b in zip(totals, totals[1:])), totals
