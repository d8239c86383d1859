"""Global sensitivity analysis: SALib wiring on functions with known answers, ranges,
argument checks, and small end-to-end runs on the baseline scenario."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from model.analysis.metrics import METRICS, Metric
from model.analysis.reports.sensitivity import plot_morris, plot_sobol
from model.analysis.sensitivity import (
    MORRIS_COLUMNS,
    SENSITIVITY_RANGES,
    SOBOL_COLUMNS,
    SensitivityResult,
    morris_indices,
    problem,
    run_morris,
    run_sobol,
    sample_size,
    sobol_indices,
)
from model.core.parameters import ESCALATION_PARAMS, SPECS, explored_keys

# Ishigami (a=7, b=0.1) on [-π, π]³: analytical first-order and total Sobol' indices.
A, B = 7.0, 0.1
ISHIGAMI = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
ISHIGAMI_S1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ISHIGAMI_ST = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}
TOLERANCE = 0.02  # on top of the bootstrap half-width

LEVERS3 = ["levers.war_demand", "levers.international_pressure", "levers.nk_food_crisis"]


def ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2 + B * x[:, 2] ** 4 * np.sin(x[:, 0])


# --------------------------------------------------------------------------- SALib wiring

def test_sobol_indices_recover_the_ishigami_truth():
    table = sobol_indices(ISHIGAMI, ishigami, n=1024, seed=0)
    assert list(table.columns) == list(SOBOL_COLUMNS)
    assert list(table["parameter"]) == ["x1", "x2", "x3"]  # sorted by ST descending
    for row in table.itertuples():
        assert abs(row.S1 - ISHIGAMI_S1[row.parameter]) <= row.S1_conf + TOLERANCE, row
        assert abs(row.ST - ISHIGAMI_ST[row.parameter]) <= row.ST_conf + TOLERANCE, row
        assert 0 < row.S1_conf < 0.2 and 0 < row.ST_conf < 0.2


def test_sobol_indices_are_reproducible_by_seed():
    first = sobol_indices(ISHIGAMI, ishigami, n=64, seed=0)  # 0 too (SALib quirk)
    pd.testing.assert_frame_equal(first, sobol_indices(ISHIGAMI, ishigami, n=64, seed=0))
    assert not first.equals(sobol_indices(ISHIGAMI, ishigami, n=64, seed=1))


def test_morris_on_a_linear_model_recovers_its_slopes():
    # y = 3 x1 − 2 x2 + 0.5 x3 + 0 x4 on [0, 1]⁴: every elementary effect is the slope.
    slopes = np.array([3.0, -2.0, 0.5, 0.0])
    prob = {"num_vars": 4, "names": ["a", "b", "c", "d"], "bounds": [[0.0, 1.0]] * 4}
    table = morris_indices(prob, lambda x: x @ slopes, n=20, seed=1)
    assert list(table.columns) == list(MORRIS_COLUMNS)
    assert list(table["parameter"]) == ["a", "b", "c", "d"]
    np.testing.assert_allclose(table["mu"], slopes[[0, 1, 2, 3]], atol=1e-9)
    np.testing.assert_allclose(table["mu_star"], np.abs(slopes), atol=1e-9)
    np.testing.assert_allclose(table["sigma"], 0.0, atol=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_morris_on_ishigami_reads_each_input_correctly(seed):
    # Morris' ranking of Ishigami's x1 and x3 by mu* depends on the grid (num_levels), so
    # check what does not: x1 acts monotonically (mu = mu*); x2's effect is symmetric, so
    # its signed effects cancel (|mu| ≪ mu*); x3 acts only by interacting with x1, so its
    # effects spread more than they average (sigma > mu*).
    table = morris_indices(ISHIGAMI, ishigami, n=100, seed=seed).set_index("parameter")
    assert table.loc["x1", "mu"] == pytest.approx(table.loc["x1", "mu_star"])
    assert abs(table.loc["x2", "mu"]) < 0.35 * table.loc["x2", "mu_star"]
    assert table.loc["x3", "sigma"] > 1.1 * table.loc["x3", "mu_star"]


def test_constant_output_is_a_clear_error():
    with pytest.raises(ValueError, match="does not vary"):
        sobol_indices(ISHIGAMI, lambda x: np.ones(len(x)), n=8)


# --------------------------------------------------------------------------- ranges, problem

def test_ranges_lie_inside_the_allowed_parameter_ranges(baseline):
    assert len(SENSITIVITY_RANGES) == 39
    assert len(explored_keys(False)) == 29  # the escalation module's ten explored only with it
    # the calibration's priors are these ranges; the treaty decision's weights are covered
    from model.analysis.calibration_abc import PRIORS

    assert all(SENSITIVITY_RANGES[k][:2] == (p.low, p.high) for k, p in PRIORS.items())
    assert {"russia.weights.treaty_cost", "north_korea.weights.treaty_cost",
            "dynamics.reciprocity"} <= set(SENSITIVITY_RANGES)
    assert {k for k in SENSITIVITY_RANGES if k.startswith("levers.")} == {
        f"levers.{k}" for k in ("war_demand", "international_pressure", "nk_food_crisis",
                                "nk_tech_appetite", "russia_reputation_cost",
                                "circumvention_learning", "russia_west_relations",
                                "russia_territory_attacked")}
    for key, (low, high, why) in SENSITIVITY_RANGES.items():
        spec = SPECS[key]
        assert spec.low <= low < high <= spec.high, key
        assert len(why) > 20, key
        assert low <= baseline.param(key).value <= high, key  # the baseline is a point inside


def test_problem_defaults_to_all_ranges_and_rejects_bad_keys():
    prob = problem()
    assert prob["num_vars"] == len(explored_keys(False))
    assert prob["names"] == list(explored_keys(False))
    assert not set(prob["names"]) & ESCALATION_PARAMS
    assert prob["bounds"][0] == list(SENSITIVITY_RANGES[prob["names"][0]][:2])
    assert problem(LEVERS3)["names"] == LEVERS3
    with pytest.raises(ValueError, match="no sensitivity range for parameter 'levers.nope'"):
        problem(["levers.nope"])
    with pytest.raises(ValueError, match="listed twice"):
        problem(["levers.war_demand", "levers.war_demand"])
    with pytest.raises(ValueError, match="at least one"):
        problem([])


def test_sample_size():
    assert sample_size("sobol", 512) == 512 * (len(explored_keys(False)) + 2)
    assert sample_size("sobol", 512, explored_keys(True)) == 512 * (len(SENSITIVITY_RANGES) + 2)
    assert sample_size("morris", 64, LEVERS3) == 64 * 4
    with pytest.raises(ValueError, match="unknown method"):
        sample_size("fast", 8)


@pytest.mark.parametrize("n", [0, 1, 3, 500, 1000, -8, 8.0, True])
def test_sobol_n_must_be_a_power_of_two(baseline, n):
    with pytest.raises(ValueError, match=r"n=.*power of 2") as info:
        run_sobol(baseline, METRICS["treaty_by_24"], n=n, keys=LEVERS3)
    assert "\n" not in str(info.value) and repr(n) in str(info.value)
    with pytest.raises(ValueError, match="power of 2"):
        sobol_indices(ISHIGAMI, ishigami, n=n)


def test_bad_morris_and_run_arguments(baseline):
    metric = METRICS["alliance_strength_final"]
    with pytest.raises(ValueError, match="num_levels=3"):
        run_morris(baseline, metric, n=4, num_levels=3, keys=LEVERS3)
    with pytest.raises(ValueError, match="n=1"):
        run_morris(baseline, metric, n=1, keys=LEVERS3)
    with pytest.raises(ValueError, match="replicates=0"):
        run_sobol(baseline, metric, n=8, replicates=0, keys=LEVERS3)
    with pytest.raises(ValueError, match="months=0"):
        run_sobol(baseline, metric, n=8, months=0, keys=LEVERS3)
    with pytest.raises(ValueError, match="Metric"):
        run_sobol(baseline, "treaty_by_24", n=8, keys=LEVERS3)


# --------------------------------------------------------------------------- end to end

@pytest.fixture(scope="module")
def small_sobol(baseline):
    done: list[int] = []
    result = run_sobol(baseline, METRICS["alliance_strength_final"], n=8, replicates=4,
                       months=12, keys=LEVERS3, progress=done.append)
    return result, done


def test_run_sobol_end_to_end(small_sobol, baseline):
    result, done = small_sobol
    assert isinstance(result, SensitivityResult) and result.method == "sobol"
    table = result.table
    assert list(table.columns) == list(SOBOL_COLUMNS)
    assert sorted(table["parameter"]) == sorted(LEVERS3)
    assert np.isfinite(table[list(SOBOL_COLUMNS[1:])].to_numpy()).all()
    assert table["ST"].is_monotonic_decreasing
    assert result.n_points == sample_size("sobol", 8, LEVERS3) == sum(done) == 40
    assert (result.replicates, result.runs, result.months) == (4, 160, 12)
    assert result.wall_time > 0 and result.output_sd > 0
    assert result.meta()["ranges"]["levers.war_demand"] == [0.15, 1.0]
    again = run_sobol(baseline, METRICS["alliance_strength_final"], n=8, replicates=4,
                      months=12, keys=LEVERS3)
    pd.testing.assert_frame_equal(table, again.table)  # same seed, same numbers


def test_run_morris_end_to_end(baseline, tmp_path):
    result = run_morris(baseline, METRICS["alliance_strength_final"], n=4, replicates=4,
                        months=12, keys=LEVERS3)
    table = result.table
    assert list(table.columns) == list(MORRIS_COLUMNS)
    assert sorted(table["parameter"]) == sorted(LEVERS3)
    assert np.isfinite(table[list(MORRIS_COLUMNS[1:])].to_numpy()).all()
    assert table["mu_star"].is_monotonic_decreasing
    assert result.n_points == sample_size("morris", 4, LEVERS3) == 16
    assert result.meta()["num_levels"] == 4

    fig = plot_morris(result, "Morris screening", tmp_path / "morris.png")
    assert isinstance(fig, Figure) and (tmp_path / "morris.png").stat().st_size > 0
    ax = fig.axes[0]
    assert ax.get_title().startswith("Morris screening")
    assert "μ*" in ax.get_xlabel() and "index 0–1" in ax.get_xlabel()
    assert "σ" in ax.get_ylabel()
    assert {t.get_text() for t in ax.texts} == set(LEVERS3)


def test_a_constant_metric_is_a_clear_error(baseline):
    never = Metric("never", "always zero", "count", lambda arrays: np.zeros(
        arrays.state["alliance_level"].shape[1]))
    with pytest.raises(ValueError, match="does not vary"):
        run_sobol(baseline, never, n=2, replicates=1, months=1, keys=LEVERS3[:1])


def test_plot_sobol(small_sobol, tmp_path):
    result, _ = small_sobol
    fig = plot_sobol(result, "Sobol' indices", tmp_path / "sobol.png")
    assert isinstance(fig, Figure) and (tmp_path / "sobol.png").stat().st_size > 0
    ax = fig.axes[0]
    assert ax.get_title().startswith("Sobol' indices")
    assert "variance" in ax.get_xlabel() and ax.get_ylabel()
    # ranked: the largest ST is the top tick label
    assert ax.get_yticklabels()[-1].get_text() == result.table["parameter"].iloc[0]
    assert len(ax.get_legend().get_texts()) == 2
