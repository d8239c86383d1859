"""The model structure issue 9 asks for: a decided treaty, a conditional exchange,
persistent policies, and US and China payoffs that respond to the alliance.

The behaviour tests run small baseline ensembles (common seeds) and check the
acceptance numbers with margins; the kernel tests check each mechanism on its own.
The record test drives the kernels with the play of July 2023 – June 2024 pinned
(experiments/record: bulk shipments and food aid from September 2023, dual-use help
from November, open evasion and US designations from January 2024).
"""

from __future__ import annotations

import numpy as np
import pytest

from model import load_scenario
from model.core.actions import DIMENSION_BY_KEY, Actor
from model.core.parameters import SPECS
from model.core.sampling import derive_seeds
from model.ensemble.driver import simulate
from model.kernels import (
    advance,
    initial_beliefs,
    initial_state,
    kernel_params,
    option_payoffs,
    posture_indices,
    state_columns,
    treaty_gains,
)

RUNS = 400
MONTHS = 36

#: The record's play (events R02–R15): (dimension, option, from month).
RECORD_PLAY = (("russia.arms", "large", 2), ("north_korea.munitions", "large", 2),
               ("russia.aid", "food", 2), ("russia.tech", "dual_use", 4),
               ("russia.sanctions", "evade", 6),
               ("united_states.pressure", "secondary_sanctions", 6))
#: The treaty values the calibration to the record settles on (posterior medians, rounded):
#: both sides value the treaty far more than the baseline's judgment.
RECORD_SETTING = {"russia.weights.treaty_value": 4.5, "north_korea.weights.treaty_value": 4.5}


@pytest.fixture(scope="module")
def baseline_runs():
    return simulate(load_scenario("baseline"), derive_seeds(5, RUNS), MONTHS)


@pytest.fixture(scope="module")
def calibrated_runs():
    """The weights fitted to the record. The persistence the record shows (Russia kept
    evading after the veto, North Korea sent large volumes once paid) is a claim about
    them: under the baseline's unfitted weights evasion and large supply are marginal, and
    a course that does not pay is dropped at no switching cost (exit)."""
    return simulate(load_scenario("calibrated"), derive_seeds(5, RUNS), MONTHS)


def first_month(mask: np.ndarray) -> np.ndarray:
    """First month (row) where ``mask`` holds, per run; ``inf`` where it never does."""
    return np.where(mask.any(axis=0), mask.argmax(axis=0), np.inf)


def record_treaty_months(overrides: dict, runs: int = 2000, months: int = 18,
                         seed: int = 3) -> np.ndarray:
    """Treaty month per run with the record's play pinned (the kernels, month by month)."""
    scenario = load_scenario("baseline", overrides)
    K = kernel_params(scenario)
    choice = posture_indices(scenario, runs)
    state = initial_state(K, choice, runs)
    rng = np.random.default_rng(seed)
    levels = [state["alliance_level"]]
    for month in range(1, months + 1):
        for key, option, start in RECORD_PLAY:
            if month >= start:
                choice = {**choice, key: np.full(runs, DIMENSION_BY_KEY[key].index(option))}
        u = rng.random((runs, 2))
        state = advance(state, choice, u[:, 0], K, month, u[:, 1])
        levels.append(state["alliance_level"])
    return first_month(np.array(levels) == 4)


# ---------------------------------------------------------------- the record


def test_record_setting_lies_inside_the_documented_ranges():
    for key, value in RECORD_SETTING.items():
        assert SPECS[key].low <= value <= SPECS[key].high, key


def test_record_play_never_signs_before_the_fifth_step():
    """With the record's play pinned, the treaty comes only at the talks' last step (five
    steps, one a month at most): never before month 5. (At the values the calibration finds
    it then comes at a median of month 7, before the record's month 11: the talks' hazard
    is one for every step, so the fit cannot make the early visits quick and the signature
    slow.)"""
    months = record_treaty_months(RECORD_SETTING)
    assert (months >= 5).all()
    assert np.isfinite(months).mean() > 0.9


def test_the_record_setting_is_what_moves_the_treaty():
    """At the baseline's own (lower) treaty values the same play brings the treaty later:
    the month is the values' consequence, not built in."""
    assert np.median(record_treaty_months({})) > np.median(record_treaty_months(RECORD_SETTING))


# ---------------------------------------------------------------- the treaty is decided


def test_treaty_is_decided_not_crossed(baseline_runs):
    level, strength = baseline_runs.state["alliance_level"], baseline_runs.state[
        "alliance_strength"]
    month = first_month(level == 4)
    signed = np.isfinite(month)
    assert signed.mean() > 0.5
    at_signing = strength[month[signed].astype(int), np.flatnonzero(signed)]
    low, high = np.percentile(at_signing, [10, 90])
    assert high - low > 0.05, (low, high)


def test_signing_needs_both_sides():
    scenario = load_scenario("baseline")
    K = kernel_params(scenario)
    runs = 4
    base = initial_state(K, posture_indices(scenario, runs), runs)
    base["alliance_strength"] = np.full(runs, 0.95)
    # the last month of drafting next: the reciprocal summit that signs
    base["treaty_talks"] = np.full(runs, K.dynamics.treaty_steps - 1.0 / K.dynamics.treaty_drafting)
    russia, north_korea = treaty_gains(base, K)
    assert (russia > 0).all() and (north_korea > 0).all()
    talking = advance({**base, "treaty_talks": np.full(runs, K.dynamics.treaty_steps - 1.0)},
                      posture_indices(scenario, runs), np.zeros(runs), K, 1, np.full(runs, 0.5))
    assert (talking["alliance_level"] < 4).all()  # drafting has only begun: no treaty yet
    unwilling = kernel_params(load_scenario("baseline", {"russia.weights.treaty_value": 0.0}))
    choice = posture_indices(scenario, runs)
    signed = advance(base, choice, np.zeros(runs), K, 1, np.full(runs, 0.5))
    refused = advance(base, choice, np.zeros(runs), unwilling, 1, np.full(runs, 0.5))
    assert (signed["alliance_level"] == 4).all()
    assert (refused["alliance_level"] < 4).all()


def test_treaty_slows_decay():
    scenario = load_scenario("baseline")
    K = kernel_params(scenario)
    runs = 2
    choice = posture_indices(scenario, runs)  # no trade, no aid: the alliance decays
    state = initial_state(K, choice, runs)
    state["alliance_strength"] = np.full(runs, 0.8)
    state["alliance_level"] = np.array([3, 4])
    new = advance(state, choice, np.zeros(runs), K, 1, np.ones(runs))
    lost = 0.8 - new["alliance_strength"]
    assert lost[1] < lost[0]
    assert new["alliance_level"][1] == 4


def test_treaty_makes_strategic_transfer_cheaper(baseline_params):
    scenario = load_scenario("baseline")
    choice = posture_indices(scenario, 2)
    state = initial_state(baseline_params, choice, 2)
    state["alliance_level"] = np.array([3, 4])
    u = option_payoffs(Actor.RUSSIA, initial_beliefs(choice), state_columns(state),
                       baseline_params.as_columns())["russia.tech"]
    advantage = u[:, 2] - u[:, 0]
    assert advantage[1] > advantage[0]


# ---------------------------------------------------------------- the exchange


def test_russias_payment_is_worth_more_the_more_supply_it_buys(baseline_params):
    scenario = load_scenario("baseline")
    choice = posture_indices(scenario, 3)
    state = initial_state(baseline_params, choice, 3)
    beliefs = initial_beliefs(choice)
    beliefs["north_korea.munitions"] = np.eye(3)  # withhold, limited, large
    u = option_payoffs(Actor.RUSSIA, beliefs, state_columns(state),
                       baseline_params.as_columns())["russia.aid"]
    assert (np.diff(u[:, 1] - u[:, 0]) > 0).all()


def test_large_supply_is_north_koreas_best_reply_when_paid(baseline_params):
    scenario = load_scenario("baseline")
    choice = posture_indices(scenario, 1)
    state = initial_state(baseline_params, choice, 1)
    beliefs = initial_beliefs(choice)
    beliefs["russia.aid"] = np.array([[0.0, 1.0]])
    beliefs["russia.tech"] = np.array([[0.0, 1.0, 0.0]])
    state["last.north_korea.munitions"] = np.array([2.0])  # already supplying large
    u = option_payoffs(Actor.NORTH_KOREA, beliefs, state_columns(state),
                       baseline_params.as_columns())["north_korea.munitions"][0]
    assert u[2] > u[1] > u[0]


def test_under_best_replies_a_trade_lasts_while_the_war_needs_it_and_no_longer():
    """From a trade in place (limited shells for food), best replies keep it while war
    demand is high and drop it the month the war ends: switching costs keep policies
    stable but never keep a trade nobody gains from. (From the no-trade posture best
    replies alone do not start it in the baseline — each side's first move costs more
    than it gains until the other moves; the logit rule's noise or a focal equilibrium
    starts it.)"""
    rules = {f"{a.value}.rule": "best_response" for a in Actor}
    trading = {"posture.russia.arms": "limited", "posture.russia.aid": "food",
               "posture.north_korea.munitions": "limited"}
    seeds = derive_seeds(0, 20)
    war = simulate(load_scenario("baseline", {**rules, **trading}), seeds, 12)
    trade = np.minimum(war.choice["russia.arms"], war.choice["north_korea.munitions"])
    assert (trade >= 1).all()
    peace = simulate(load_scenario("baseline", {**rules, **trading,
                                                "levers.war_demand": [[0, 0.8], [6, 0.0]]}),
                     seeds, 12)
    trade = np.minimum(peace.choice["russia.arms"], peace.choice["north_korea.munitions"])
    assert (trade[:6] >= 1).all() and (trade[6:] == 0).all()


def test_trade_starts_early_and_large_supply_is_common_once_paid(calibrated_runs):
    arms, supply = calibrated_runs.choice["russia.arms"], calibrated_runs.choice[
        "north_korea.munitions"]
    first_trade = first_month(np.minimum(arms, supply)[1:] >= 1) + 1
    assert (first_trade <= 3).mean() > 0.5
    paid = ((calibrated_runs.choice["russia.aid"][1:] == 1)
            | (calibrated_runs.choice["russia.tech"][1:] >= 1))
    assert (supply[1:][paid] == 2).mean() > 0.3


# ---------------------------------------------------------------- persistence


def test_median_dimension_switches_at_most_twice_a_year(baseline_runs):
    rates = []
    for key, played in baseline_runs.choice.items():
        if key == "united_states.pressure":  # designation rounds recur by design
            continue
        switches = (np.diff(played[1:].astype(int), axis=0) != 0).sum(axis=0)
        rates.append(np.median(switches) / ((MONTHS - 1) / 12))
    assert np.median(rates) <= 3.0, rates


def test_russia_rarely_returns_to_enforcing_after_three_months_of_evasion(calibrated_runs):
    evade = calibrated_runs.choice["russia.sanctions"] == 1
    streak = evade[1:-2] & evade[2:-1] & evade[3:]
    start = first_month(streak)
    later = [~evade[int(s) + 4:, r] for r, s in enumerate(start)
             if np.isfinite(s) and s + 4 <= MONTHS]
    assert len(later) > RUNS // 2
    assert np.mean([x.mean() for x in later]) < 0.1


def test_evasion_blocks_repair_of_the_regime(baseline_params):
    scenario = load_scenario("baseline")
    choice = posture_indices(scenario, 2)
    state = initial_state(baseline_params, choice, 2)
    choice = {**choice, "united_states.pressure": np.array([2, 2]),
              "russia.sanctions": np.array([0, 1])}
    new = advance(state, choice, np.zeros(2), baseline_params, 1, np.ones(2))
    assert new["sanctions_integrity"][0] > state["sanctions_integrity"][0]
    assert new["sanctions_integrity"][1] < state["sanctions_integrity"][1]


# ---------------------------------------------------------------- United States and China


def test_us_pressure_does_not_fall_as_the_alliance_deepens(baseline_runs):
    pressing = baseline_runs.choice["united_states.pressure"] > 0
    assert pressing[24].mean() >= pressing[6].mean()


def test_us_advantage_of_pressure_grows_with_this_months_trade_not_with_stocks(
        baseline_params):
    """Pressure pays by deterring this month's deliveries and transfers (expected from
    beliefs): its advantage grows with the trade, and stocks that never fall (North Korea's
    tech level) no longer ratchet it up."""
    scenario = load_scenario("baseline")
    grid = np.linspace(0.0, 1.0, 6)
    choice = posture_indices(scenario, len(grid))
    state = initial_state(baseline_params, choice, len(grid))
    beliefs = initial_beliefs(choice)
    beliefs["russia.arms"] = np.stack([1 - grid, 0 * grid, grid], axis=1)
    beliefs["north_korea.munitions"] = np.stack([1 - grid, 0 * grid, grid], axis=1)
    u = option_payoffs(Actor.UNITED_STATES, beliefs, state_columns(state),
                       baseline_params.as_columns())["united_states.pressure"]
    assert (np.diff(u[:, 1] - u[:, 0]) > 0).all()
    state["nk_tech_level"] = grid
    flat = option_payoffs(Actor.UNITED_STATES, initial_beliefs(choice), state_columns(state),
                          baseline_params.as_columns())["united_states.pressure"]
    np.testing.assert_allclose(np.diff(flat[:, 1] - flat[:, 0]), 0.0, atol=1e-12)


def test_chinas_cost_of_enabling_grows_with_north_korean_capability(baseline_params):
    scenario = load_scenario("baseline")
    grid = np.linspace(0.0, 1.0, 6)
    choice = posture_indices(scenario, len(grid))
    state = initial_state(baseline_params, choice, len(grid))
    state["nk_tech_level"] = grid
    u = option_payoffs(Actor.CHINA, initial_beliefs(choice), state_columns(state),
                       baseline_params.as_columns())["china.stance"]
    assert (np.diff(u[:, 2] - u[:, 1]) < 0).all()  # enabling loses appeal
    assert np.ptp(u[:, 0] - u[:, 1]) == 0  # restraining is not a way to dodge the cost


def test_us_enforcement_and_isolation_rises_are_separate_levers():
    base = load_scenario("baseline")
    enforcement, isolation = load_scenario("us_enforcement"), load_scenario("isolation_rises")
    assert (enforcement.levers.international_pressure.value
            == base.levers.international_pressure.value)
    assert enforcement.united_states.rule == "fixed"
    assert isolation.united_states.rule == base.united_states.rule
    assert isolation.levers.international_pressure.value > base.levers.international_pressure.value
    seeds = derive_seeds(2, 200)
    munitions = {name: simulate(load_scenario(name), seeds, 24).state["munitions_flow"][1:]
                 .sum(axis=0) for name in ("baseline", "us_enforcement", "isolation_rises")}
    assert munitions["us_enforcement"].mean() < munitions["baseline"].mean()
    assert munitions["isolation_rises"].mean() >= munitions["baseline"].mean()
