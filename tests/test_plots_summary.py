"""Tests of model.output.plots and model.output.summary on synthetic result tables."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from model.core.actions import DIMENSION_BY_KEY, DIMENSIONS
from model.core.state import STATE_COLUMNS as ALL_STATE_COLUMNS
from model.output.monthly_stats import monthly_stats, option_shares, quantile_bands
from model.output.plots import plot_option_shares, plot_trajectories
from model.output.statistics import estimate, mean_interval, wilson_interval
from model.output.summary import format_summary, summarize

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
STATE_COLUMNS = [c for c in ALL_STATE_COLUMNS if c != "alliance_level"]
START = "2023-07"


def make_table(runs: int = 50, months: int = 13, seed: int = 0) -> pd.DataFrame:
    """A long result table shaped like ``model.run_ensemble`` output, with random data.

    States are clipped random walks, the alliance level follows alliance strength, and
    actions are drawn with probabilities that drift over time. Two action columns are
    Categorical, and there are extra columns (``seed``, a drawn parameter) to ignore.
    """
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, 0.06, size=(len(STATE_COLUMNS), runs, months))
    start = rng.uniform(0.1, 0.6, size=(len(STATE_COLUMNS), runs, 1))
    drift = np.linspace(0.0, 0.3, months)[None, None, :]
    states = np.clip(start + np.cumsum(steps, axis=2) - steps[:, :, :1] + drift, 0.0, 1.0)
    data: dict[str, np.ndarray] = {
        "run": np.repeat(np.arange(runs), months),
        "month": np.tile(np.arange(months), runs),
        "seed": np.repeat(rng.integers(0, 2**31, size=runs), months),
        "param.lam": np.repeat(rng.uniform(1, 5, size=runs), months),
    }
    for name, values in zip(STATE_COLUMNS, states, strict=True):
        data[name] = values.reshape(-1)
    data["alliance_level"] = np.minimum((data["alliance_strength"] * 5).astype(int), 4)
    t = data["month"] / max(months - 1, 1)
    for column, options in ((d.key, d.options) for d in DIMENSIONS):
        k = len(options)
        # probability of the most escalatory option grows with time
        weights = np.stack([1.0 + (j / max(k - 1, 1)) * 2 * t for j in range(k)], axis=1)
        cdf = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
        idx = np.minimum((rng.random(len(t))[:, None] > cdf).sum(axis=1), k - 1)
        data[column] = np.asarray(options, dtype=object)[idx]
    table = pd.DataFrame(data)
    for column in ("china.stance", "russia.sanctions"):
        table[column] = pd.Categorical(table[column], categories=DIMENSION_BY_KEY[column].options)
    return table


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return make_table()


def known_treaty_table(runs: int = 10, months: int = 13) -> pd.DataFrame:
    """Runs 0..runs/2−1 reach level 4 at month 5 (then fall back to 3); the rest stay at 2."""
    table = make_table(runs=runs, months=months, seed=1)
    hits = (table["run"] < runs // 2) & (table["month"] == 5)
    table["alliance_level"] = np.where(hits, 4, np.where(table["run"] < runs // 2, 3, 2))
    return table


# --- pure helpers -----------------------------------------------------------------------


def test_quantile_bands_are_ordered(table):
    for column in STATE_COLUMNS:
        bands = quantile_bands(table, column)
        assert list(bands.columns) == ["median", "q05", "q25", "q75", "q95"]
        assert list(bands.index) == list(range(13))
        ordered = bands[["q05", "q25", "median", "q75", "q95"]].to_numpy()
        assert np.all(np.diff(ordered, axis=1) >= -1e-12)


def test_quantile_bands_match_numpy(table):
    bands = quantile_bands(table, "alliance_strength")
    at7 = table.loc[table["month"] == 7, "alliance_strength"].to_numpy()
    assert bands.loc[7, "median"] == pytest.approx(np.median(at7))
    assert bands.loc[7, "q05"] == pytest.approx(np.quantile(at7, 0.05))
    assert bands.loc[7, "q95"] == pytest.approx(np.quantile(at7, 0.95))


def test_option_shares_sum_to_one(table):
    for column, options in ((d.key, d.options) for d in DIMENSIONS):
        shares = option_shares(table, column, options)
        assert list(shares.columns) == list(options)
        assert list(shares.index) == list(range(13))
        np.testing.assert_allclose(shares.sum(axis=1), 1.0)
        assert (shares >= 0).all().all()


def test_option_shares_counts_exactly():
    table = pd.DataFrame(
        {
            "run": [0, 1, 2, 3, 0, 1, 2, 3],
            "month": [0, 0, 0, 0, 1, 1, 1, 1],
            "china.stance": ["neutral"] * 4 + ["enable", "enable", "enable", "restrain"],
        }
    )
    shares = option_shares(table, "china.stance", ["restrain", "neutral", "enable"])
    assert shares.loc[0].tolist() == [0.0, 1.0, 0.0]
    assert shares.loc[1].tolist() == [0.25, 0.0, 0.75]


def test_option_shares_keeps_unlisted_options():
    table = pd.DataFrame({"run": [0, 1], "month": [0, 0], "russia.aid": ["food", "fuel"]})
    shares = option_shares(table, "russia.aid", ["none", "food"])
    assert list(shares.columns) == ["none", "food", "fuel"]
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)


def test_wilson_interval_hand_computed():
    # k = 5, n = 10, z = 1.96: centre 0.5, half-width 1.96·sqrt(0.025 + 0.009604)/1.38416
    lo, hi = wilson_interval(5, 10)
    assert lo == pytest.approx(0.236590, abs=1e-6)
    assert hi == pytest.approx(0.763410, abs=1e-6)
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0
    assert hi == pytest.approx(0.277540, abs=1e-6)


@pytest.mark.parametrize("k,n", [(0, 1), (1, 1), (3, 7), (63, 100), (999, 1000)])
def test_wilson_interval_contains_p(k, n):
    lo, hi = wilson_interval(k, n)
    assert 0.0 <= lo <= k / n <= hi <= 1.0


def test_wilson_interval_rejects_bad_input():
    with pytest.raises(ValueError):
        wilson_interval(1, 0)
    with pytest.raises(ValueError):
        wilson_interval(5, 4)


# --- summary ----------------------------------------------------------------------------


def test_summarize_treaty_share_is_exact():
    summary = summarize(known_treaty_table(), months=(3, 5, 12, 24))
    treaty = summary["treaty_by_month"]
    assert sorted(treaty) == [3, 5, 12]  # month 24 is not in the table
    assert treaty[3]["share"] == 0.0
    assert treaty[5]["share"] == 0.5
    assert treaty[12]["share"] == 0.5  # reached at month 5, although it fell back later
    assert treaty[12]["ci"] == pytest.approx(wilson_interval(5, 10))
    assert summary["runs"] == 10 and summary["final_month"] == 12


def test_summarize_other_numbers():
    table = known_treaty_table()
    table["munitions_flow"] = 0.5  # month 0 is not a delivery: 12 months × 0.5 = 6
    table["russia.sanctions"] = np.where(table["run"] < 3, "evade", "enforce")
    table["china.stance"] = "enable"
    summary = summarize(table)
    assert summary["cumulative_munitions"]["median"] == pytest.approx(6.0)
    assert summary["russia_evades_final"] == pytest.approx(0.3)
    mode = summary["china_stance_mode"]
    assert (mode["option"], mode["share"]) == ("enable", 1.0)
    assert mode["ci"] == pytest.approx(wilson_interval(10, 10))  # over the 10 runs
    assert summary["russia_evades"]["successes"] == 3 and summary["russia_evades"]["n"] == 10
    assert summary["last_window"] == (1, 12)


def test_format_summary_mentions_months(table):
    text = format_summary(summarize(table), "baseline", runs=50, seed=7, start=START)
    assert "month 12" in text
    assert "95% CI" in text
    assert "'baseline'" in text and "50 runs" in text and "seed 7" in text
    assert "month 24" not in text  # not in a 13-month table
    assert 8 <= len(text.splitlines()) <= 13


def test_summarize_tolerates_missing_columns(table):
    slim = table[["run", "month", "alliance_level"]]
    text = format_summary(summarize(slim), "slim", runs=50, seed=0, start=START)
    assert "Treaty" in text


# --- plots ------------------------------------------------------------------------------


def _check_png(path):
    data = path.read_bytes()
    assert len(data) > 10_000
    assert data.startswith(PNG_MAGIC)


def _check_labelled(fig, title):
    assert fig._suptitle is not None and title in fig._suptitle.get_text()
    visible = [ax for ax in fig.axes if ax.get_visible() and ax.get_ylabel()]
    assert visible, "no labelled axes"
    for ax in visible:
        assert ax.get_title()
    assert any(ax.get_xlabel() == "month (0 = July 2023)" for ax in visible)


@pytest.mark.slow
def test_plot_trajectories_writes_png(table, tmp_path):
    path = tmp_path / "trajectories.png"
    fig = plot_trajectories(table, "Baseline", path=path, start=START)
    _check_png(path)
    _check_labelled(fig, "Baseline")
    assert "50 runs" in fig._suptitle.get_text()
    assert len([ax for ax in fig.axes if ax.get_ylabel()]) == 7


@pytest.mark.parametrize("plot", [plot_trajectories, plot_option_shares])
def test_figures_draw_the_same_from_a_table_or_its_monthly_statistics(table, plot):
    """Drawing is apart from computing: a ``MonthlyStats`` gathered any way draws the
    figure a table does."""
    def drawn(fig):
        return [(ax.get_title(), [(line.get_label(), line.get_xydata().tolist())
                                  for line in ax.get_lines()],
                 [c.get_paths()[0].vertices.tolist() for c in ax.collections
                  if c.get_paths()]) for ax in fig.axes]

    stats = monthly_stats(table)
    assert drawn(plot(stats, "t", start=START)) == drawn(plot(table, "t", start=START))
    assert stats.runs == 50 and list(stats.months) == list(range(13))
    assert set(stats.means) == {"munitions_flow", "aid_flow", "tech_flow"}
    mean = stats.means["aid_flow"]["mean"]
    np.testing.assert_allclose(mean.to_numpy(), table.groupby("month")["aid_flow"].mean())


@pytest.mark.slow
def test_plot_option_shares_writes_png(table, tmp_path):
    path = tmp_path / "options.png"
    fig = plot_option_shares(table, "Baseline", path=path, start=START)
    _check_png(path)
    _check_labelled(fig, "Baseline")
    titles = {ax.get_title() for ax in fig.axes if ax.get_visible()}
    assert DIMENSION_BY_KEY["russia.arms"].label in titles
    assert len(titles & {d.label for d in DIMENSIONS}) == len(DIMENSIONS)


@pytest.mark.slow
@pytest.mark.parametrize("runs,months", [(20, 1), (1, 1)])
def test_plots_handle_degenerate_tables(runs, months):
    table = make_table(runs=runs, months=months, seed=3)
    for plot in (plot_trajectories, plot_option_shares):
        buffer = io.BytesIO()
        plot(table, "Edge", start=START).savefig(buffer, format="png", dpi=30)  # low dpi: fast
        assert buffer.getvalue().startswith(PNG_MAGIC)
    text = format_summary(summarize(table), "edge", runs=runs, seed=3, start=START)
    assert text


def test_plot_without_path_returns_figure(table):
    fig = plot_trajectories(table.drop(columns=["aid_flow"]), "No aid", start=START)
    assert fig.axes


def test_an_estimate_never_leaves_the_range_its_values_can_take():
    months = np.array([30.0, 30.0, 12.0, 30.0, 29.0, 30.0])  # months evading, of 30
    mean, lo, hi = mean_interval(months)
    assert hi > 30  # the normal interval alone spills past the horizon
    clipped = estimate(months, is_probability=False, bounds=(0.0, 30.0))
    assert clipped == (mean, lo, 30.0)
    assert estimate(months, is_probability=False) == (mean, lo, hi)
