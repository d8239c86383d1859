"""The escalation module: off in the article's world, bit for bit; on, troops and military
technology that answer to the war, the treaty and the attack on Russia."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from model.core.actions import ACTION_COLUMNS, ESCALATION_COLUMNS
from model.core.record import load_observations
from model.core.sampling import DRAWS_PER_MONTH, derive_seeds, monthly_draws
from model.core.scenario import ScenarioError, available_scenarios, load_scenario
from model.core.state import ESCALATION_STATE_COLUMNS, STATE_COLUMNS
from model.ensemble import run_ensemble, simulate

COMBAT, LABOUR = 2, 1
#: The article's tables (20 runs, seed 7, 36 months) as the model made them before the
#: module existed (commit 39ff958): turning it off must leave every bit of them.
ARTICLE_TABLES = {
    "baseline": "ce78e31a15f3fc04",
    "china_restrains": "0af8d6053ceab941",
    "ukraine_ceasefire": "cfca2b0962aa9f72",
    "us_enforcement": "4dcd80f92b0e4b30",
    "baseline_uncertain": "8f591c8328842c32",
}


def table_hash(table) -> str:
    digest = hashlib.sha256()
    for name in table.columns:
        column = table[name]
        data = column.cat.codes.to_numpy() if hasattr(column, "cat") else column.to_numpy()
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(data).tobytes())
    return digest.hexdigest()[:16]


@pytest.mark.parametrize("name", list(ARTICLE_TABLES))
def test_with_the_module_off_the_article_tables_are_bit_identical(name):
    scenario = load_scenario(name)
    assert not scenario.escalation
    table = run_ensemble(scenario, runs=20, seed=7, months=36)
    assert table_hash(table) == ARTICLE_TABLES[name]
    assert not set(ESCALATION_COLUMNS + ESCALATION_STATE_COLUMNS) & set(table.columns)


def test_only_the_escalation_scenario_and_what_extends_it_turn_the_module_on():
    on = {name for name in available_scenarios() if load_scenario(name).escalation}
    assert on == {"escalation", "calibrated"}


def _world(**overrides):
    """The ``escalation`` scenario (the module on, Russia attacked from month 13)."""
    return load_scenario("escalation", overrides)


@pytest.fixture(scope="module")
def attacked():
    """The ``escalation`` scenario: 400 runs, 40 months."""
    return simulate(_world(), derive_seeds(11, 400), 40)


def test_module_columns_are_recorded_and_draws_added():
    assert monthly_draws(False) == DRAWS_PER_MONTH
    assert monthly_draws(True) == DRAWS_PER_MONTH + len(ESCALATION_COLUMNS)
    table = run_ensemble(_world(), runs=3, seed=1, months=4)
    for column in (*STATE_COLUMNS, *ESCALATION_STATE_COLUMNS, *ACTION_COLUMNS,
                   *ESCALATION_COLUMNS):
        assert column in table, column
    assert (table.loc[table["month"] == 0, "north_korea.manpower"] == "none").all()


def test_combat_only_under_a_treaty_in_force_or_an_attack(attacked):
    st, fights = attacked.state, attacked.choice["north_korea.manpower"] == COMBAT
    allowed = (st["treaty_in_force"][:-1] > 0) | (st["russia_territory_attacked"][1:] > 0)
    assert not (fights[1:] & ~allowed).any()
    assert not fights[:13].any()  # no treaty is in force that early, no attack yet
    # the treaty's defence clause is what makes fighting worth Pyongyang's while
    treaty = st["alliance_level"][35] == 4
    assert fights[36][treaty].mean() > 0.5
    assert fights[36][treaty].mean() > 2 * fights[36][~treaty].mean()


def test_no_treaty_and_no_attack_means_no_combat():
    world = _world(**{"levers.russia_territory_attacked": 0.0,
                      "russia.weights.treaty_value": 0.0,
                      "north_korea.weights.treaty_value": 0.0})
    arrays = simulate(world, derive_seeds(3, 300), 36)
    assert not (arrays.state["alliance_level"] == 4).any()
    assert not (arrays.choice["north_korea.manpower"] == COMBAT).any()
    assert arrays.state["troops_in_combat"].max() == 0.0


def test_the_treaty_enters_into_force_after_its_ratification(attacked):
    lag = load_scenario("baseline").dynamics.treaty_ratification.value
    level, force = attacked.state["alliance_level"], attacked.state["treaty_in_force"]
    signed = np.where((level == 4).any(0), (level == 4).argmax(0), -1)
    held = signed >= 0
    assert held.sum() > 100
    in_force = np.where((force > 0).any(0), (force > 0).argmax(0), -1)
    late = signed + lag <= 40
    assert (in_force[held & late] == signed[held & late] + lag).all()
    assert (in_force[held & ~late] == -1).all()


def test_a_ceasefire_withdraws_the_troops():
    war = _world(**{"levers.war_demand": [[0, 0.8], [34, 0.0]]})
    arrays = simulate(war, derive_seeds(5, 400), 40)
    fights = arrays.choice["north_korea.manpower"] == COMBAT
    deployed = arrays.state["troops_in_combat"][33] >= 0.5
    assert deployed.mean() > 0.3
    assert fights[40][deployed].mean() < 0.25 * fights[33][deployed].mean()
    assert arrays.state["troops_deployed"][40][deployed].mean() < \
        0.5 * arrays.state["troops_deployed"][33][deployed].mean()
    assert (arrays.choice["russia.mil_tech"][40] == 0).mean() > 0.6


def test_losses_alone_do_not_end_a_deployment():
    """Tripling the attrition costs soldiers, not the decision to keep them fighting."""
    seeds = derive_seeds(9, 400)
    base = simulate(_world(), seeds, 40)
    bloody = simulate(_world(**{"dynamics.troop_attrition": 0.12}), seeds, 40)
    assert bloody.state["troop_losses"][40].mean() > 2 * base.state["troop_losses"][40].mean()
    share = [(a.choice["north_korea.manpower"][30:] == COMBAT).mean() for a in (base, bloody)]
    assert share[1] > 0.85 * share[0]


def test_russia_pays_in_technology_for_the_soldiers_it_gets(attacked):
    mil = attacked.choice["russia.mil_tech"]
    troops = attacked.state["troops_deployed"]
    before, after = (mil[1:13] > 0).mean(), (mil[36:] > 0).mean()
    assert after > before + 0.3
    with_troops = troops[35] >= 0.5
    assert (mil[36][with_troops] > 0).mean() > 2 * (mil[36][~with_troops] > 0).mean()


def test_military_technology_closes_the_tech_gap_faster():
    seeds = derive_seeds(4, 200)
    free = simulate(_world(), seeds, 40)
    none = simulate(_world(**{"russia.action.mil_tech": "none"}), seeds, 40)
    assert (none.choice["russia.mil_tech"] == 0).all()
    assert free.state["nk_tech_level"][40].mean() > none.state["nk_tech_level"][40].mean()


def test_a_manpower_schedule_pins_from_its_month_and_leaves_earlier_rows_alone():
    seeds = derive_seeds(2, 50)
    free = simulate(_world(), seeds, 20)
    pinned = simulate(_world(**{"north_korea.action.manpower": [[0, "free"], [15, "labour"]]}),
                      seeds, 20)
    assert (pinned.choice["north_korea.manpower"][15:] == LABOUR).all()
    for key, values in free.choice.items():
        np.testing.assert_array_equal(values[:15], pinned.choice[key][:15], err_msg=key)
    for key, values in free.state.items():
        np.testing.assert_array_equal(values[:15], pinned.state[key][:15], err_msg=key)


def test_an_escalation_pin_without_the_module_is_one_line_naming_the_key():
    with pytest.raises(ScenarioError, match=r"north_korea\.action\.manpower.*escalation = true"):
        load_scenario("baseline", {"north_korea.action.manpower": "combat"})
    with pytest.raises(ScenarioError, match=r"unknown option 'soldiers'.*none, labour, combat"):
        load_scenario("escalation", {"north_korea.action.manpower": "soldiers"})


def test_the_troop_rules_hold_only_a_model_with_the_module():
    observations = load_observations()
    troops = {r.id for r in observations.rules if r.needs_escalation}
    assert troops == {"troops_by_october_2024", "combat_by_october_2024"}
    assert not {r.id for r in observations.for_model(False).rules} & troops
    assert observations.for_model(True) is observations


def test_the_dashboard_switch_turns_the_module_on():
    from model.dashboard.settings import Settings, control_defaults, overrides_of

    defaults = control_defaults(load_scenario("baseline"))
    assert defaults["escalation"] is False
    settings = Settings("baseline", dict(defaults)).with_value("escalation", True)
    overrides = overrides_of(settings, defaults)
    assert overrides == {"escalation": True}
    assert load_scenario("baseline", overrides).escalation


def test_the_troop_forecast_is_asked_only_of_a_model_with_the_module():
    from model.core.forecasts import load_forecasts

    forecasts = load_forecasts()
    ids = {f.id for f in forecasts.forecasts}
    kept = {f.id for f in forecasts.for_model(False).forecasts}
    assert ids - kept == {"troops_in_russia_by_october_2024"}
    assert not {r.id for r in forecasts.for_model(False).observations.rules
                if r.needs_escalation}


def test_the_summary_says_where_the_troops_are_streamed_or_not():
    from model.ensemble.driver import to_table
    from model.ensemble.streaming import MonthlyStatistics
    from model.output.summary import format_summary, summarize, summarize_statistics

    arrays = simulate(_world(), derive_seeds(6, 60), 30)
    stats = MonthlyStatistics(30)
    stats.add(arrays.state, arrays.choice)
    exact, streamed = summarize(to_table(arrays)), summarize_statistics(stats)
    final = arrays.choice["north_korea.manpower"][30]
    assert exact["troops_in_combat"]["successes"] == int((final == COMBAT).sum())
    for key in ("troops_in_combat", "mil_tech", "treaty_in_force"):
        assert streamed[key] == exact[key], key
    text = format_summary(exact, "escalation", 60, 6, "2023-07")
    assert "North Korean troops fight for Russia at month 30 in" in text
    assert "North Korean troops" not in format_summary(
        summarize(run_ensemble(load_scenario("baseline"), runs=5, months=6)), "baseline", 5, 0,
        "2023-07")


def test_the_figures_draw_the_modules_panels_only_where_it_is_on():
    from model.output.plots import plot_option_shares, plot_trajectories

    def titles(fig):
        return [ax.get_title() for ax in fig.axes if ax.get_visible()]

    for name, extra in (("baseline", False), ("escalation", True)):
        table = run_ensemble(load_scenario(name), runs=8, seed=2, months=18)
        paths = titles(plot_trajectories(table, name, start="2023-07"))
        shares = titles(plot_option_shares(table, name, start="2023-07"))
        assert any(t.startswith("Troops, military technology") for t in paths) is extra
        assert ("North Korea — soldiers and workers sent to Russia" in shares) is extra
        assert ("Russia — military technology (air defence, EW; submarine, missile help)"
                in shares) is extra


def test_an_impossible_option_is_never_drawn_even_by_the_largest_uniform():
    from model.kernels.escalation import draw_option

    worth = np.array([[0.0, 0.1, 50.0], [0.3, 0.0, 9.0]])
    possible = np.array([[True, True, False], [True, True, False]])
    for u in (0.0, 0.5, np.nextafter(1.0, 0.0)):
        picked = draw_option(worth, possible, 4.0, False, np.full(2, u))
        assert (picked < 2).all()
    assert (draw_option(worth, possible, 4.0, True, np.zeros(2)) == [1, 0]).all()


def test_troop_metrics_need_the_module_and_say_so_in_one_line(capsys):
    from support import in_process

    from model.analysis.metrics import METRICS

    arrays = simulate(_world(), derive_seeds(8, 30), 24)
    final = METRICS["troops_in_combat_final"](arrays)
    np.testing.assert_array_equal(final, arrays.state["troops_in_combat"][-1])
    assert (METRICS["troop_months"](arrays) >= final).all()
    with pytest.raises(ValueError, match="only the escalation module records"):
        METRICS["troop_months"](simulate(load_scenario("baseline"), derive_seeds(8, 3), 6))
    status, _, err = in_process(capsys, "sweep", "baseline", "--x",
                                "levers.war_demand=0.2:0.8:2", "--metric", "troop_months",
                                "--runs", "2")
    assert status == 2 and err.count("\n") == 1 and "escalation = true" in err


def test_calibrated_with_the_records_treaty_deploys_after_the_incursion():
    """The issue's acceptance on the fitted model: runs that sign in June 2024 (month 11),
    with Kursk from month 13, put 5,000 soldiers in combat in months 14-17 in most runs
    and never before the incursion."""
    arrays = simulate(load_scenario("calibrated"), derive_seeds(2026, 1000), 20)
    level = arrays.state["alliance_level"]
    signed = np.where((level == 4).any(0), (level == 4).argmax(0), -1)
    fighting = arrays.state["troops_in_combat"] >= 0.5
    start = np.where(fighting.any(0), fighting.argmax(0), 99)[signed == 11]
    assert (signed == 11).sum() > 100
    assert (start >= 14).all()
    assert ((start >= 14) & (start <= 17)).mean() > 0.6
