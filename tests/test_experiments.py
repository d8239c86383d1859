"""Experiments: scenario library, comparisons, sweeps, metrics, claims, and the scripts."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from support import cli

from model import available_scenarios, load_scenario
from model.analysis.claims import CLAIMS, check_claims
from model.analysis.compare import OUTCOMES, compare
from model.analysis.metrics import METRICS, get_metric
from model.analysis.sweep import parse_axis, sweep
from model.core.parameters import explored_keys
from model.core.sampling import derive_seeds
from model.core.scenario import ScenarioError, scenario_path
from model.ensemble import make_streams, simulate

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ["baseline", "ukraine_ceasefire", "us_enforcement", "isolation_rises",
           "china_restrains", "china_enables",
           "nk_famine", "sanctions_collapse", "reputation_bites"]


def test_library_has_every_scenario_with_description_and_citations():
    assert set(LIBRARY) <= set(available_scenarios())
    for name in LIBRARY:
        scenario = load_scenario(name)
        assert scenario.name == name and scenario.description
        text = scenario_path(name).read_text()
        assert text.lstrip().startswith("#"), f"{name}: starts with a comment citing the article"
        assert any(loc in text for loc in ("mba.", "nk.1", "lt.", "sa.1", "lede", "intro."))


def test_inheritance_changes_only_what_the_child_sets():
    base = load_scenario("baseline").model_dump(exclude={"path", "overrides", "name",
                                                         "description"})
    child = load_scenario("nk_famine").model_dump(exclude={"path", "overrides", "name",
                                                           "description"})
    assert child["levers"]["nk_food_crisis"]["value"] == 0.95
    child["levers"]["nk_food_crisis"] = base["levers"]["nk_food_crisis"]
    assert child == base


def test_scenarios_differ_from_the_baseline_where_they_say():
    assert load_scenario("china_enables").china.action == {"stance": "enable"}
    assert load_scenario("sanctions_collapse").russia.action == {"sanctions": "evade"}
    assert load_scenario("sanctions_collapse").russia.rule == "logit"
    assert load_scenario("ukraine_ceasefire").war_demand_schedule()[1] == (18, 0.15)


def test_pinned_dimension_is_always_played_and_the_rest_still_vary():
    arrays = simulate(load_scenario("sanctions_collapse"), derive_seeds(0, 100), 12)
    assert (arrays.choice["russia.sanctions"] == 1).all()
    assert len(np.unique(arrays.choice["russia.arms"][1:])) > 1


def test_metric_registry_names_and_values():
    required = {"treaty_by_12", "treaty_by_24", "treaty_by_36", "munitions_total",
                "nk_tech_final", "sanctions_integrity_final", "evasion_months",
                "alliance_strength_final"}
    assert required <= set(METRICS)
    arrays = simulate(load_scenario("baseline"), derive_seeds(1, 50), 36)
    with_troops = simulate(load_scenario("escalation"), derive_seeds(1, 50), 36)
    for metric in METRICS.values():
        values = metric(with_troops if metric.needs_escalation else arrays)
        assert values.shape == (50,) and np.isfinite(values).all()
        if metric.is_probability:
            assert set(np.unique(values)) <= {0.0, 1.0}
    # treaty_by is monotone in the month; totals and months counted exactly
    t12, t24, t36 = (METRICS[f"treaty_by_{m}"](arrays) for m in (12, 24, 36))
    assert (t12 <= t24).all() and (t24 <= t36).all()
    np.testing.assert_allclose(METRICS["munitions_total"](arrays),
                               arrays.state["munitions_flow"][1:].sum(axis=0))
    assert (METRICS["evasion_months"](arrays) <= 36).all()
    with pytest.raises(ValueError, match="unknown metric"):
        get_metric("nope")


def test_common_random_numbers_identical_scenarios_differ_by_exactly_zero():
    base = load_scenario("baseline")
    result = compare([base, base], runs=60, seed=4, months=24)
    diffs = result.outcomes[result.outcomes.scenario == result.names[1]]
    diffs = diffs[diffs.available]  # treaty_by_36 is not available in 24-month runs
    assert len(diffs) == len(OUTCOMES) - 1
    assert (diffs["difference"] == 0).all()
    assert (diffs["diff_ci_low"] == 0).all() and (diffs["diff_ci_high"] == 0).all()
    assert set(result.outcomes.outcome) == set(OUTCOMES)


@pytest.mark.slow
def test_compare_command_writes_figures_tables_and_report(tmp_path):
    out = tmp_path / "cmp"
    result = cli("compare", "baseline", "china_enables", "--runs", "40", "--months", "24",
                 "--out", str(out))
    assert result.returncode == 0, result.stderr
    for name in ("compare_trajectories.png", "compare_outcomes.png", "outcomes.csv",
                 "outcomes.md", "report.md", "manifest.json"):
        assert (out / name).stat().st_size > 0
    table = pd.read_csv(out / "outcomes.csv")
    assert len(table) == 2 * len(OUTCOMES)
    report = (out / "report.md").read_text()
    assert "![outcomes](compare_outcomes.png)" in report and "95%" in report
    assert json.loads((out / "manifest.json").read_text())["scenarios"] == [
        "baseline", "china_enables"]


@pytest.mark.parametrize("text, message", [
    ("levers.war_demand", "expected KEY=LO:HI:N"),
    ("levers.war_demand=0:x:3", "must be numbers"),
    ("levers.war_demand=0:1:1", "2 ≤ N"),
])
def test_bad_axis_is_a_one_line_error(text, message):
    with pytest.raises(ScenarioError, match=message):
        parse_axis(text)


def test_sweep_1d_and_2d(tmp_path):
    scenario = load_scenario("baseline")
    one = sweep(scenario, parse_axis("levers.war_demand=0.2:1:3"), None,
                get_metric("munitions_total"), runs=30, months=18)
    assert len(one.table) == 3 and (np.diff(one.grid()) > 0).all()
    assert (one.table["ci_low"] <= one.table["mean"]).all()
    two = sweep(scenario, parse_axis("levers.war_demand=0.2:1:3"),
                parse_axis("levers.international_pressure=0:1:2", "--y"),
                get_metric("alliance_strength_final"), runs=20, months=12)
    assert two.grid().shape == (2, 3)
    assert two.marker == (0.8, 0.6)
    with pytest.raises(ScenarioError, match="out of range"):
        sweep(scenario, parse_axis("levers.war_demand=0.5:1.5:3"), None,
              get_metric("munitions_total"), runs=5)


def test_sweep_cells_match_separate_ensembles():
    """A sweep cell is exactly the ensemble of the scenario with that value set."""
    scenario = load_scenario("baseline")
    result = sweep(scenario, parse_axis("levers.war_demand=0.3:0.9:2"), None,
                   get_metric("munitions_total"), runs=25, seed=3, months=12)
    for value, mean in zip((0.3, 0.9), result.grid()):
        variant = load_scenario("baseline", {"levers.war_demand": value})
        arrays = simulate(variant, months=12, streams=make_streams(derive_seeds(3, 25), 0, 12))
        assert mean == pytest.approx(get_metric("munitions_total")(arrays).mean(), abs=1e-12)


def test_sweep_command_end_to_end(tmp_path):
    out = tmp_path / "sw"
    result = cli("sweep", "--x", "levers.international_pressure=0:1:3", "--y",
                 "levers.war_demand=0.4:1:2", "--metric", "treaty_by_36", "--runs", "10",
                 "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert len(pd.read_csv(out / "sweep.csv")) == 6
    assert (out / "sweep.png").stat().st_size > 0 and "![sweep]" in (out / "report.md").read_text()
    bad = cli("sweep", "--x", "levers.war_demand=0:1:3", "--metric", "nope")
    assert bad.returncode == 2 and "unknown metric" in bad.stderr


@pytest.mark.slow
def test_claims_hold_on_a_small_ensemble():
    table = check_claims(load_scenario("baseline"), runs=150, seed=2)
    assert list(table.id) == [c.id for c in CLAIMS]
    assert (table.ci_low <= table.effect).all() and (table.effect <= table.ci_high).all()
    failing = table[~table.holds]
    assert failing.empty, failing[["id", "effect", "ci_low", "ci_high"]].to_string()


@pytest.mark.slow
def test_claims_command_reports_and_exit_code(tmp_path, monkeypatch):
    out = tmp_path / "claims"
    result = cli("claims", "--runs", "100", "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "C8" in result.stdout and (out / "claims.csv").exists()
    assert (out / "claims.png").stat().st_size > 0
    assert "![claims](claims.png)" in (out / "report.md").read_text()
    # A Russia that plays at random (lam = 0) ignores every lever: its claims must fail.
    with monkeypatch.context() as patch:  # its figure is not looked at: not drawn
        patch.setattr(Figure, "savefig", lambda fig, path, *a, **k: Path(path).write_bytes(b""))
        broken = cli("claims", "--runs", "50", "--set", "russia.lam=0", "--out",
                     str(tmp_path / "b"))
    assert broken.returncode == 1
    assert "C5   FAILS" in broken.stdout
    assert "**no**" in (tmp_path / "b" / "claims.md").read_text()


def _load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "experiments" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_experiment_scripts_run_on_small_sizes(tmp_path, no_rendering):
    _load_script("compare_scenarios").main(runs=10, out=tmp_path / "c",
                                           names=["baseline", "nk_famine"])
    assert (tmp_path / "c" / "report.md").exists()
    _load_script("pressure_vs_war").main(runs=5, out=tmp_path / "p",
                                         x="levers.international_pressure=0:1:2",
                                         y="levers.war_demand=0:1:2")
    assert len(pd.read_csv(tmp_path / "p" / "sweep.csv")) == 4
    assert isinstance(_load_script("article_claims").main(runs=40, out=tmp_path / "a"), bool)
    assert (tmp_path / "a" / "claims.md").exists()


@pytest.mark.slow
@pytest.mark.parametrize("method, n", [("sobol", "4"), ("morris", "2")])
def test_sensitivity_command_end_to_end(tmp_path, method, n):
    out = tmp_path / method
    result = cli("sensitivity", "--method", method, "--n", n, "--replicates", "3",
                 "--months", "12", "--metric", "alliance_strength_final", "--out", str(out))
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out / f"{method}.csv")
    # the baseline has the escalation module off: its parameters are not varied
    assert len(table) == len(explored_keys(False)) and table.notna().all().all()
    assert (out / f"{method}.png").stat().st_size > 0
    assert f"![{method}]({method}.png)" in (out / "report.md").read_text()


def test_sensitivity_bad_n_is_one_line():
    result = cli("sensitivity", "--n", "100", "--replicates", "2")
    assert result.returncode == 2 and "power of 2" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("name", ["ukraine_ceasefire", "baseline_uncertain"])
def test_schedules_and_distributions_survive_dump_and_revalidation(name, recwarn):
    from model.core.scenario import Scenario, validated

    scenario = load_scenario(name)
    dumped = scenario.model_dump(mode="json")
    assert not [w for w in recwarn if "serializ" in str(w.message).lower()]
    again = Scenario.model_validate(scenario.model_dump())
    assert again.model_dump(mode="json") == dumped
    changed = validated(scenario, {"levers.international_pressure": 0.5}, "test")
    assert changed.levers.war_demand.value == scenario.levers.war_demand.value
    result = sweep(scenario, parse_axis("russia.weights.aid_cost=0.2:0.6:2"), None,
                   get_metric("alliance_strength_final"), runs=5, months=6)
    assert np.isfinite(result.table["mean"]).all()


def test_uncertain_baseline_draws_within_ranges():
    from model.ensemble import run_ensemble

    table = run_ensemble(load_scenario("baseline_uncertain"), 200, seed=1, months=3)
    draws = table[table.month == 0]
    assert draws["levers.war_demand"].between(0.6, 0.95).all()
    assert draws["dynamics.alliance_growth"].between(0.08, 0.22).all()
    assert draws["levers.war_demand"].std() > 0.05  # runs really differ
    assert (table.groupby("run")["levers.war_demand"].nunique() == 1).all()
