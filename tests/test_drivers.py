"""The two drivers: the Mesa model (single runs) and the vectorized ensemble.

Both call the same kernels and draw each run's randomness from its own seeded
generator in the same layout, so run i of ``run_ensemble(scenario, seeds=seeds)`` must
equal ``AllianceModel(scenario, seed=seeds[i])`` month by month.
"""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest

from model import (
    ACTION_COLUMNS,
    STATE_COLUMNS,
    Actor,
    AllianceModel,
    available_scenarios,
    load_scenario,
)
from model.core.actions import DIMENSION_BY_KEY, DIMENSIONS
from model.core.parameters import INITIAL, SPECS
from model.core.paths import SCENARIO_DIR
from model.core.sampling import derive_seeds
from model.core.state import STATE_BY_NAME
from model.ensemble import run_ensemble

MONTHS = 24
SEEDS = [0, 1, 20230713, 2**64 - 1]
UNIT_COLUMNS = [c for c in STATE_COLUMNS if c != "alliance_level"]


def mesa_table(scenario, seed, months=MONTHS) -> pd.DataFrame:
    model = AllianceModel(scenario, seed=seed)
    model.run(months)
    return model.table()


def assert_same_run(single: pd.DataFrame, run: pd.DataFrame, drawn=()) -> None:
    """One Mesa table and one run of an ensemble table: equal at every month."""
    run = run.reset_index(drop=True)
    assert len(single) == len(run)
    np.testing.assert_array_equal(single["month"].to_numpy(), run["month"].to_numpy())
    for c in STATE_COLUMNS:
        np.testing.assert_allclose(single[c].to_numpy(float), run[c].to_numpy(float),
                                   rtol=0, atol=1e-12, err_msg=c)
    for key in ACTION_COLUMNS:
        assert single[key].astype(str).tolist() == run[key].astype(str).tolist(), key
    for key in drawn:
        np.testing.assert_array_equal(single[key].to_numpy(), run[key].to_numpy(), err_msg=key)


# ---------------------------------------------------------------- Mesa driver


@pytest.fixture(scope="module")
def smoke():
    model = AllianceModel()
    model.run(3)
    return model


def test_mesa_model_runs_with_defaults(smoke):
    assert isinstance(smoke, mesa.Model)
    assert smoke.alliance_scenario.name == "baseline"
    assert isinstance(smoke.seed, int)
    frame = smoke.datacollector.get_model_vars_dataframe()
    assert len(frame) == 4  # month 0 and three months
    for column in (*STATE_COLUMNS, *ACTION_COLUMNS):
        assert column in frame.columns, column
    for key in ACTION_COLUMNS:
        assert set(frame[key]) <= set(DIMENSION_BY_KEY[key].options), key
    assert smoke.table()["month"].tolist() == [0, 1, 2, 3]


def test_mesa_model_has_four_agents(smoke):
    # Mesa's agent set (an AgentSet in Mesa 3.3; in 3.5 a subclass of its abstract base),
    # used through the interface both releases share
    assert {agent.actor for agent in smoke.agents.select(lambda a: True)} == set(Actor)
    assert len(smoke.agents) == 4
    assert {agent.actor for agent in smoke.agents} == set(Actor)
    assert all(isinstance(agent, mesa.Agent) for agent in smoke.agents)
    for agent in smoke.agents:
        assert agent.rule == smoke.alliance_scenario.actor(agent.actor).rule


def test_row_zero_is_posture_and_initial_state(smoke, baseline):
    row = smoke.datacollector.get_model_vars_dataframe().iloc[0]
    for d in DIMENSIONS:
        assert row[d.key] == getattr(baseline.posture, d.actor.value)[d.name], d.key
    for key in INITIAL:
        assert row[key] == baseline.param(f"initial.{key}").value, key
    assert row["war_demand"] == baseline.levers.war_demand.value
    assert row["nk_food_gap"] == baseline.levers.nk_food_crisis.value
    # the baseline posture has no trade, aid or technology flowing yet
    assert row["munitions_flow"] == row["aid_flow"] == row["tech_flow"] == 0.0
    d = baseline.dynamics
    strength = baseline.initial.alliance_strength.value
    thresholds = [d.level_diplomatic.value, d.level_arms_trade.value,
                  d.level_tech_transfer.value]
    assert row["alliance_level"] == sum(strength >= t for t in thresholds)


def test_mesa_states_stay_in_range(smoke):
    table = smoke.table()
    for c in UNIT_COLUMNS:
        low, high = STATE_BY_NAME[c].low, STATE_BY_NAME[c].high
        assert table[c].between(low, high).all(), c
    assert table["alliance_level"].between(0, 4).all()


def test_model_stops_running_at_horizon():
    scenario = load_scenario("baseline", {"horizon": 3})
    model = AllianceModel(scenario, seed=5)
    model.run()
    assert model.month == 3 and not model.running
    assert len(model.table()) == 4


def test_same_seed_same_table_different_seed_different(baseline):
    first = mesa_table(baseline, 11, months=12)
    pd.testing.assert_frame_equal(first, mesa_table(baseline, 11, months=12))
    other = mesa_table(baseline, 12, months=12)
    assert not first.equals(other)


def test_randomness_comes_from_the_models_own_generator(baseline):
    np.random.seed(1)
    first = mesa_table(baseline, 3, months=12)
    np.random.seed(2)
    _ = np.random.random(10)
    pd.testing.assert_frame_equal(first, mesa_table(baseline, 3, months=12))


def test_unseeded_run_records_a_seed_that_replays_it(baseline):
    model = AllianceModel(baseline, seed=None)
    model.run(12)
    assert isinstance(model.seed, int)
    pd.testing.assert_frame_equal(model.table(), mesa_table(baseline, model.seed, months=12))
    assert AllianceModel(baseline).seed != model.seed  # fresh entropy each time


# ---------------------------------------------------------------- Mesa = ensemble


DIST_OVERRIDES = {
    "levers.international_pressure": {"dist": "uniform", "low": 0.2, "high": 0.9},
    "russia.weights.munitions_value": {"dist": "triangular", "low": 1.0, "mode": 2.0,
                                       "high": 5.0},
}
SCENARIOS = {
    "baseline": {},
    "china-fixed-enable": {"china.rule": "fixed", "china.action": "enable"},
    "best-responses": {"russia.rule": "best_response", "north_korea.rule": "best_response"},
    "war-demand-schedule": {"levers.war_demand": [[0, 0.9], [6, 0.3]]},
    "distributions": DIST_OVERRIDES,
    "partial-action": {"russia.action": {"sanctions": "evade"}},
    "nash": {f"{a}.rule": "nash" for a in ("russia", "north_korea", "united_states", "china")},
    "qre": {f"{a}.rule": "qre" for a in ("russia", "north_korea", "united_states", "china")},
}


@pytest.mark.parametrize("overrides", list(SCENARIOS.values()), ids=list(SCENARIOS))
def test_ensemble_run_equals_mesa_run(overrides):
    scenario = load_scenario("baseline", overrides)
    ensemble = run_ensemble(scenario, seeds=SEEDS, months=MONTHS)
    assert sorted(ensemble["run"].unique()) == list(range(len(SEEDS)))
    drawn = list(scenario.distributions())
    for i, seed in enumerate(SEEDS):
        run = ensemble[ensemble["run"] == i]
        assert (run["seed"] == np.uint64(seed)).all()
        assert_same_run(mesa_table(scenario, seed), run, drawn)


@pytest.mark.parametrize("name", [n for n in available_scenarios() if n != "baseline"])
def test_ensemble_equals_mesa_for_shipped_scenarios(name):
    scenario = load_scenario(name)
    ensemble = run_ensemble(scenario, seeds=SEEDS[:2], months=MONTHS)
    for i, seed in enumerate(SEEDS[:2]):
        assert_same_run(mesa_table(scenario, seed), ensemble[ensemble["run"] == i],
                        list(scenario.distributions()))


def test_ensemble_equals_mesa_with_a_joint_sample(tmp_path):
    """Each run draws its particle from its own seed, identically in both drivers."""
    (tmp_path / "post.csv").write_text("weight,dynamics.alliance_growth,levers.war_demand\n"
                                       "1,0.1,0.2\n2,0.3,0.9\n0.5,0.2,0.6\n")
    path = tmp_path / "sampled.toml"
    path.write_text(f'extends = "{SCENARIO_DIR / "baseline.toml"}"\nname = "sampled"\n'
                    '[sample]\nfile = "post.csv"\n')
    scenario = load_scenario(str(path))
    ensemble = run_ensemble(scenario, seeds=SEEDS, months=MONTHS)
    drawn = ["dynamics.alliance_growth", "levers.war_demand", "particle"]
    for i, seed in enumerate(SEEDS):
        assert_same_run(mesa_table(scenario, seed), ensemble[ensemble["run"] == i], drawn)
    assert ensemble.groupby("run")["particle"].nunique().eq(1).all()


def test_best_responses_are_deterministic_given_the_state():
    """With every actor on best_response only interdiction is random: munitions may differ."""
    overrides = {f"{a.value}.rule": "best_response" for a in Actor}
    scenario = load_scenario("baseline", overrides)
    table = run_ensemble(scenario, runs=5, seed=1, months=12)
    first = table[table["run"] == 0].reset_index(drop=True)
    # month 1 choices depend only on the (shared) initial state and beliefs
    month1 = table[table["month"] == 1]
    for key in ACTION_COLUMNS:
        assert month1[key].nunique() == 1, key
    assert len(first) == 13


def test_ensemble_seed_column_replays_any_run(baseline):
    table = run_ensemble(baseline, runs=6, seed=42, months=12)
    seeds = derive_seeds(42, 6)
    per_run = table.groupby("run")["seed"].agg(["first", "nunique"])
    assert (per_run["nunique"] == 1).all()
    np.testing.assert_array_equal(per_run["first"].to_numpy(), seeds)
    for i in (0, 5):
        seed = int(table.loc[table["run"] == i, "seed"].iloc[0])
        assert_same_run(mesa_table(baseline, seed, months=12), table[table["run"] == i])


def test_run_is_independent_of_ensemble_size(baseline):
    small = run_ensemble(baseline, runs=20, seed=7, months=12)
    large = run_ensemble(baseline, runs=50, seed=7, months=12)
    head = large[large["run"] < 20].reset_index(drop=True)
    pd.testing.assert_frame_equal(small, head)


def test_ensemble_reproducible_and_seed_sensitive(baseline):
    first = run_ensemble(baseline, runs=30, seed=3, months=12)
    pd.testing.assert_frame_equal(first, run_ensemble(baseline, runs=30, seed=3, months=12))
    other = run_ensemble(baseline, runs=30, seed=4, months=12)
    assert not first[list(STATE_COLUMNS)].equals(other[list(STATE_COLUMNS)])


def test_ensemble_table_format(baseline):
    table = run_ensemble(baseline, runs=4, seed=0, months=6)
    assert len(table) == 4 * 7
    assert list(table.columns[:2]) == ["run", "month"]
    for column in (*STATE_COLUMNS, *ACTION_COLUMNS, "seed"):
        assert column in table.columns, column
    assert table.groupby("run")["month"].apply(list).map(lambda m: m == list(range(7))).all()
    for key in ACTION_COLUMNS:
        assert set(table[key].astype(str)) <= set(DIMENSION_BY_KEY[key].options)
    months_default = run_ensemble(baseline, runs=1, seed=0)
    assert months_default["month"].max() == baseline.horizon


# ---------------------------------------------------------------- seeds and draws


def test_derive_seeds_prefix_stable_and_distinct():
    short, long = derive_seeds(5, 20), derive_seeds(5, 500)
    np.testing.assert_array_equal(short, long[:20])
    assert long.dtype == np.uint64
    assert len(np.unique(long)) == 500
    assert not np.array_equal(derive_seeds(6, 20), short)
    np.testing.assert_array_equal(derive_seeds(5, 20), short)


def drawn_values(table: pd.DataFrame, key: str) -> np.ndarray:
    per_run = table.groupby("run")[key].agg(["first", "nunique"])
    assert (per_run["nunique"] == 1).all(), f"{key} changes within a run"
    return per_run["first"].to_numpy()


def test_parameter_draws_within_support():
    scenario = load_scenario("baseline", {
        **DIST_OVERRIDES,
        "dynamics.belief_weight": {"dist": "normal", "mean": 0.5, "sd": 1.0},
        "levers.nk_tech_appetite": {"dist": "normal", "mean": 0.5, "sd": 2.0},
    })
    table = run_ensemble(scenario, runs=300, seed=9, months=1)

    uniform = drawn_values(table, "levers.international_pressure")
    assert ((uniform >= 0.2) & (uniform <= 0.9)).all()
    assert len(np.unique(uniform)) == 300
    assert abs(uniform.mean() - 0.55) < 0.05

    triangular = drawn_values(table, "russia.weights.munitions_value")
    assert ((triangular >= 1.0) & (triangular <= 5.0)).all()
    assert abs(triangular.mean() - (1.0 + 2.0 + 5.0) / 3) < 0.2
    assert np.median(triangular) < 3.0 < triangular.max()  # skewed toward the low mode

    for key in ("dynamics.belief_weight", "levers.nk_tech_appetite"):
        normal = drawn_values(table, key)
        spec = SPECS[key]
        assert ((normal >= spec.low) & (normal <= spec.high)).all(), key
        assert (normal == spec.low).any(), f"{key}: normal draws should be clipped at the bound"
        assert len(np.unique(normal[normal > spec.low])) > 50
    weight = drawn_values(table, "dynamics.belief_weight")
    assert (weight == 1.0).any() and (weight == 0.0).any()


def test_drawn_initial_value_is_the_runs_month_zero():
    scenario = load_scenario("baseline", {
        "initial.alliance_strength": {"dist": "uniform", "low": 0.1, "high": 0.9}})
    table = run_ensemble(scenario, runs=50, seed=2, months=2)
    month0 = table[table["month"] == 0]
    np.testing.assert_array_equal(month0["alliance_strength"].to_numpy(),
                                  month0["initial.alliance_strength"].to_numpy())
    model = AllianceModel(scenario, seed=int(month0["seed"].iloc[3]))
    assert model.drawn["initial.alliance_strength"] == month0["alliance_strength"].iloc[3]


# ---------------------------------------------------------------- summary and bad input


@pytest.fixture(scope="module")
def summary_and_table():
    scenario = load_scenario("baseline")
    kwargs = dict(runs=200, seed=13, months=12)
    return (run_ensemble(scenario, summary=True, **kwargs), run_ensemble(scenario, **kwargs))


def test_summary_has_one_row_per_month(summary_and_table):
    summary, _ = summary_and_table
    assert summary["month"].tolist() == list(range(13))
    assert (summary["runs"] == 200).all()


def test_summary_quantiles_are_ordered(summary_and_table):
    summary, _ = summary_and_table
    for c in STATE_COLUMNS:
        qs = summary[[f"{c}.q05", f"{c}.q25", f"{c}.q50", f"{c}.q75", f"{c}.q95"]].to_numpy()
        assert (np.diff(qs, axis=1) >= 0).all(), c


def test_summary_option_shares_sum_to_one(summary_and_table):
    summary, _ = summary_and_table
    for d in DIMENSIONS:
        shares = summary[[f"{d.key}={option}" for option in d.options]]
        assert ((shares >= 0) & (shares <= 1)).all().all()
        np.testing.assert_allclose(shares.sum(axis=1), 1.0, atol=1e-12, err_msg=d.key)


def test_summary_agrees_with_the_full_table(summary_and_table):
    """Means and shares are exact; quantiles may be binned, so within a bin of the truth."""
    summary, table = summary_and_table
    by_month = table.groupby("month")
    for c in STATE_COLUMNS:
        np.testing.assert_allclose(summary[f"{c}.mean"], by_month[c].mean(), atol=1e-12,
                                   err_msg=c)
        span = STATE_BY_NAME[c].high - STATE_BY_NAME[c].low
        width = span / 1000  # the summary promises quantiles to well within 1/1000 of range
        for q in (0.05, 0.25, 0.5, 0.75, 0.95):
            low = by_month[c].quantile(q, interpolation="lower").to_numpy()
            high = by_month[c].quantile(q, interpolation="higher").to_numpy()
            got = summary[f"{c}.q{int(q * 100):02d}"].to_numpy()
            assert ((got >= low - width) & (got <= high + width)).all(), (c, q, got, low, high)
    for d in DIMENSIONS:
        for option in d.options:
            share = by_month[d.key].apply(lambda s, o=option: (s.astype(str) == o).mean())
            np.testing.assert_allclose(summary[f"{d.key}={option}"], share.to_numpy(),
                                       atol=1e-12, err_msg=f"{d.key}={option}")


@pytest.mark.parametrize("kwargs", [
    {"runs": 0}, {"runs": -3}, {"runs": None}, {"runs": 2, "seeds": [1]},
    {"runs": 2, "months": -1},
], ids=["zero", "negative", "none", "runs-vs-seeds", "negative-months"])
def test_bad_ensemble_arguments_raise_value_error(kwargs, baseline):
    with pytest.raises(ValueError):
        run_ensemble(baseline, **kwargs)


def test_empty_seed_list_raises_value_error(baseline):
    with pytest.raises(ValueError):
        run_ensemble(baseline, seeds=[])


def test_run_ensemble_is_exported_from_the_package():
    import model

    assert model.run_ensemble is run_ensemble


def test_chunking_does_not_change_the_table(monkeypatch):
    """Runs simulated in several chunks give exactly the table of one chunk."""
    import model.ensemble.driver as ensemble

    scenario = load_scenario("baseline", {"levers.war_demand":
                                          {"dist": "uniform", "low": 0.5, "high": 1.0}})
    whole = ensemble.run_ensemble(scenario, 20, seed=1, months=8)
    monkeypatch.setattr(ensemble, "CHUNK_RUNS", 7)
    pd.testing.assert_frame_equal(ensemble.run_ensemble(scenario, 20, seed=1, months=8), whole)
