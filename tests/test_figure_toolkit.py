"""Every figure goes through one finishing function (``model.output.figures.finish``):
a scenario, policy or parameter named in another script never draws empty boxes, on any
plotting function of the package. Without a font for the script (as on the CI image)
the characters become ``?``; with one (Noto Sans CJK) they are drawn."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

from model import load_scenario, run_ensemble

NAME = "中国_enables"  # no font of a bare image has these glyphs


def _ensemble_table():
    return run_ensemble(load_scenario("baseline"), runs=4, seed=0, months=14)


def _run_figures():
    from model.output import plots
    from model.output.record_overlay import record_overlay

    table = _ensemble_table()
    yield "plot_trajectories", lambda p: plots.plot_trajectories(
        table, f"Scenario '{NAME}'", p, start="2023-07", overlay=record_overlay("2023-07"))
    yield "plot_option_shares", lambda p: plots.plot_option_shares(
        table, f"Scenario '{NAME}'", p, start="2023-07")


def _compare_figures():
    from model.analysis import compare

    other = load_scenario("china_enables").model_copy(update={"name": NAME})
    result = compare.compare([load_scenario("baseline"), other], runs=4, seed=0, months=14)
    yield "compare.plot_trajectories", lambda p: compare.plot_trajectories(result, p)
    yield "compare.plot_outcomes", lambda p: compare.plot_outcomes(result, p)


def _claims_figures():
    from test_figures import claims_table

    from model.analysis.claims import plot_claims

    table = claims_table().assign(claim=f"{NAME} claim")
    yield "claims.plot_claims", lambda p: plot_claims(table, p)


def _equilibria_figures():
    from model.abm.model import AllianceModel
    from model.analysis.equilibria import analyse, plot_qre_branch, plot_regime_map, regime_map
    from model.analysis.sweep import parse_axis

    scenario = load_scenario("baseline")
    model = AllianceModel(scenario, seed=0)
    model.step()
    analysis = analyse(model, 2.0)
    grid = regime_map(scenario, 2, 0, parse_axis("levers.war_demand=0:1:2"),
                      parse_axis("levers.international_pressure=0:1:2"))
    yield "equilibria.plot_qre_branch", lambda p: plot_qre_branch(analysis, NAME, p, points=8)
    yield "equilibria.plot_regime_map", lambda p: plot_regime_map(grid, NAME, path=p)


def _sweep_figures():
    from model.analysis.metrics import METRICS
    from model.analysis.sweep import parse_axis, plot_sweep, sweep

    result = sweep(load_scenario("baseline"), parse_axis("levers.war_demand=0:1:2"), None,
                   METRICS["treaty_by_24"], runs=2, months=24)
    yield "sweep.plot_sweep", lambda p: plot_sweep(result, NAME, p)


def _sensitivity_figures():
    from test_figures import morris_result

    from model.analysis.reports.sensitivity import plot_morris, plot_sobol

    morris = dataclasses.replace(morris_result(), scenario=NAME)
    table = pd.DataFrame({"parameter": ["levers.war_demand", f"{NAME}.x"], "S1": [0.4, 0.1],
                          "S1_conf": [0.05, 0.05], "ST": [0.5, 0.2], "ST_conf": [0.05, 0.05]})
    sobol = dataclasses.replace(morris, method="sobol", table=table,
                                keys=tuple(table.parameter))
    yield "sensitivity.plot_sobol", lambda p: plot_sobol(sobol, NAME, p)
    yield "sensitivity.plot_morris", lambda p: plot_morris(morris, NAME, p)


def _discovery_result():
    from model.analysis.cart import CartResult
    from model.analysis.discovery import DiscoveryResult
    from model.analysis.prim import Box, Restriction

    rng = np.random.default_rng(0)
    inputs = pd.DataFrame({"levers.war_demand": rng.random(50)})
    trajectory = pd.DataFrame({"coverage": [1.0, 0.8, 0.6], "density": [0.2, 0.4, 0.6],
                               "mass": [1.0, 0.5, 0.3], "res_dim": [0, 1, 1]})
    box = Box(number=0, coverage=0.6, density=0.6, mass=0.3, n=15, k=9,
              restrictions=[Restriction("levers.war_demand", 0.6, 1.0, 0.0, 1.0, 0.01)],
              trajectory=trajectory, chosen=2, base_rate=0.2, p_value=0.01, left=50,
              overall_rate=0.2)
    cart = CartResult(root={}, leaves=pd.DataFrame(), text="", depth=0)
    return DiscoveryResult(
        scenario=NAME, metric="treaty_by_24", metric_description="treaty by month 24",
        direction="above", threshold=0.5, threshold_rule="given", inputs=inputs,
        outcome=rng.random(50), cases=rng.random(50) < 0.2, boxes=[box], cart=cart,
        ranges={"levers.war_demand": (0.0, 1.0)}, categories={}, samples=50, runs=2, seed=0,
        months=24, wall_time=0.1)


def _discovery_figures():
    from model.analysis.reports.discovery import plot_boxes, plot_peeling

    result = _discovery_result()
    yield "discovery.plot_peeling", lambda p: plot_peeling(result, p)
    yield "discovery.plot_boxes", lambda p: plot_boxes(result, p)


def _robust_figures():
    from model.analysis.metrics import METRICS
    from model.analysis.reports.robust import plot_outcomes, plot_regret
    from model.analysis.robust import default_policies, run_robust

    result = run_robust(load_scenario("baseline"), default_policies()[:2],
                        [METRICS["treaty_by_24"]], {"treaty_by_24": "min"}, samples=6, runs=2,
                        months=24)
    result = dataclasses.replace(result, scenario=NAME)
    yield "robust.plot_outcomes", lambda p: plot_outcomes(result, p)
    yield "robust.plot_regret", lambda p: plot_regret(result, p)


def _calibration_figures():
    from model.analysis.calibration import Check
    from model.analysis.calibration_abc import PRIORS, Posterior
    from model.analysis.reports.calibration import plot_parameters, plot_predictive
    from model.core.record import load_observations

    rng = np.random.default_rng(0)
    keys = tuple(PRIORS)[:2]
    priors = {k: dataclasses.replace(PRIORS[k], key=f"{k} ({NAME})") for k in keys}
    samples = np.column_stack([rng.uniform(priors[k].low, priors[k].high, 40) for k in keys])
    posterior = Posterior(keys=keys, samples=samples, weights=np.full(40, 1 / 40),
                          priors=priors, rules=("r",))
    observations = load_observations()
    met = {NAME: rng.random((30, len(observations.rules))) < 0.5}
    yield "calibration.plot_parameters", lambda p: plot_parameters(posterior, p)
    yield "calibration.plot_predictive", lambda p: plot_predictive(
        Check(observations, met), p)


def _whatif_figures():
    from model.analysis.reports.whatif import plot_differences, plot_worlds
    from model.analysis.whatif import run_whatif

    scenario = load_scenario("calibrated").model_copy(update={"name": NAME})
    result = run_whatif(scenario, "2024-07", {"levers.war_demand": 0.0}, 4, 0, months=16,
                        condition="none")
    yield "whatif.plot_worlds", lambda p: plot_worlds(result, p)
    yield "whatif.plot_differences", lambda p: plot_differences(result, p)


def _score_figures():
    from model.analysis.reports.score import plot_questions, plot_reliability
    from model.analysis.score import ScoreResult
    from model.core.forecasts import load_forecasts

    table = pd.DataFrame({"origin": ["Jan 2024"] * 3 + ["Mar 2024"] * 2,
                          "origin_month": [6, 6, 6, 8, 8],
                          "forecast": [f"{NAME}_{i}" for i in (1, 2, 3)] + [f"{NAME}_{i}"
                                                                        for i in (2, 3)],
                          "outcome": [1, 0, 1, 0, 1],
                          "p_model": [0.8, 0.3, 0.55, 0.1, 0.9],
                          "p_persistence": [0.9, 0.1, 0.1, 0.1, 0.9]})
    result = ScoreResult(load_scenario("baseline"), load_forecasts(), [], table,
                         pd.DataFrame(), {})
    yield "score.plot_reliability", lambda p: plot_reliability(result, p)
    yield "score.plot_questions", lambda p: plot_questions(result, p)


FAMILIES = (_run_figures, _compare_figures, _claims_figures, _equilibria_figures,
            _sweep_figures, _sensitivity_figures, _discovery_figures, _robust_figures,
            _calibration_figures, _whatif_figures, _score_figures)


@pytest.mark.slow  # draws every figure of the package (the fast tier draws one such name:
# test_figures.py::test_figures_name_chinese_scenarios_without_missing_glyphs)
@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.__name__.strip("_"))
def test_every_plotting_function_draws_other_scripts_without_missing_glyphs(family, tmp_path):
    figures = list(family())
    assert figures
    for name, plot in figures:
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message=".*[Gg]lyph.*missing")
            plot(tmp_path / "figure.png")
        assert (tmp_path / "figure.png").stat().st_size > 0, name
        (tmp_path / "figure.png").unlink()


def test_every_plotting_function_is_covered():
    """A new plotting function gets a case above: every ``plot_*`` of the package."""
    import importlib
    import inspect
    import pkgutil

    import model

    found = set()
    for info in pkgutil.walk_packages(model.__path__, "model."):
        if info.name.startswith(("model.dashboard", "model.cli")):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (name.startswith("plot_") and inspect.isfunction(obj)
                    and obj.__module__ == info.name):
                found.add(f"{info.name.rsplit('.', 1)[1]}.{name}")
    covered = {"plots.plot_trajectories", "plots.plot_option_shares"}
    covered |= {name for family in FAMILIES[1:] for name in _names(family)}
    assert found <= covered, sorted(found - covered)


def _names(family) -> list[str]:
    import inspect

    source = inspect.getsource(family)
    return [line.split('"')[1] for line in source.splitlines() if line.strip().startswith(
        "yield \"")]
