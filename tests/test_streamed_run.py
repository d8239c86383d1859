"""Large ensembles without gathering them: per-month statistics merged across chunks, the
streamed `run`, and numbers that do not depend on how the work was cut (issue 26)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import in_process

from model import load_scenario
from model.core.sampling import derive_seeds
from model.core.state import AllianceLevel
from model.ensemble import run_ensemble
from model.ensemble.driver import simulate
from model.ensemble.streaming import MonthlyStatistics, quantile_error
from model.output.summary import format_summary, summarize, summarize_statistics

MONTHS = 14
RUNS = 60


@pytest.fixture(scope="module")
def arrays():
    return simulate(load_scenario("baseline"), derive_seeds(3, RUNS), MONTHS)


@pytest.fixture(scope="module")
def table():
    return run_ensemble(load_scenario("baseline"), RUNS, seed=3, months=MONTHS)


def _statistics(arrays, cuts) -> MonthlyStatistics:
    stats = MonthlyStatistics(MONTHS)
    for start, stop in zip([0, *cuts], [*cuts, RUNS]):
        stats.add({k: v[:, start:stop] for k, v in arrays.state.items()},
                  {k: v[:, start:stop] for k, v in arrays.choice.items()})
    return stats


def test_statistics_do_not_depend_on_the_cut(arrays):
    """Integer counts and exact sums: any chunking, any merge order, the same bits."""
    reference = _statistics(arrays, [])
    for cuts in ([7], [13, 14, 50], list(range(1, RUNS))):
        stats = _statistics(arrays, cuts)
        for name, value in reference.to_arrays().items():
            np.testing.assert_array_equal(stats.to_arrays()[name], value, err_msg=name)
        pd.testing.assert_frame_equal(stats.frame(), reference.frame(), check_exact=True)
    # merged in another order
    parts = [MonthlyStatistics.chunk_arrays({k: v[:, a:b] for k, v in arrays.state.items()},
                                            {k: v[:, a:b] for k, v in arrays.choice.items()},
                                            MONTHS) for a, b in ((0, 20), (20, 45), (45, RUNS))]
    shuffled = MonthlyStatistics(MONTHS)
    for part in parts[::-1]:
        shuffled.add_arrays(part)
    pd.testing.assert_frame_equal(shuffled.frame(), reference.frame(), check_exact=True)


def test_statistics_agree_with_the_table(arrays, table):
    stats = _statistics(arrays, [25])
    by_month = table.groupby("month")
    for column in stats.continuous:
        exact = by_month[column].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack().to_numpy()
        read = stats.quantiles(column)
        assert np.abs(read - exact).max() <= quantile_error(column) + 1e-12, column
        np.testing.assert_allclose(stats.mean(column), by_month[column].mean(), atol=1e-12)
        np.testing.assert_allclose(stats.sem(column), by_month[column].sem().fillna(0),
                                   atol=1e-9, err_msg=column)
    levels = by_month["alliance_level"].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    np.testing.assert_array_equal(stats.quantiles("alliance_level"), levels.to_numpy())
    for key, counts in stats.options.items():
        codes = arrays.choice[key]
        for j in range(counts.shape[1]):
            np.testing.assert_array_equal(counts[:, j], (codes == j).sum(axis=1))
    munitions = table[table.month >= 1].groupby("run")["munitions_flow"].sum()
    for q, read in zip((0.05, 0.5, 0.95), stats.total_quantiles("munitions_flow",
                                                                (0.05, 0.5, 0.95))):
        assert abs(read - munitions.quantile(q)) <= quantile_error("munitions_flow", MONTHS)


def test_summary_from_statistics_equals_the_table_summary(arrays, table):
    """Counts and shares exactly; medians and bands within the stated error."""
    streamed = summarize_statistics(_statistics(arrays, [31]))
    gathered = summarize(table)
    assert streamed["treaty_by_month"] == gathered["treaty_by_month"]
    assert streamed["russia_evades"] == gathered["russia_evades"]
    for key in ("china_stance_mode", "us_pressure_mode"):
        assert streamed[key] == gathered[key]
    error = quantile_error("alliance_strength")
    for key in ("alliance_strength_final", "sanctions_integrity_band"):
        for stat in ("median", "q05", "q95"):
            assert abs(streamed[key][stat] - gathered[key][stat]) <= error, (key, stat)
    for stat in ("median", "q05", "q95"):
        assert abs(streamed["cumulative_munitions"][stat]
                   - gathered["cumulative_munitions"][stat]) <= quantile_error(
                       "munitions_flow", MONTHS)


def test_first_month_at_a_level_counts_every_run_once(arrays):
    stats = _statistics(arrays, [10])
    level = arrays.state["alliance_level"]
    for value in AllianceLevel:
        first = stats.first_month("alliance_level", value)
        assert first.sum() == RUNS
        reached = (level == value).any(axis=0)
        assert first[-1] == RUNS - reached.sum()  # the last slot: never


def test_summary_never_rounds_a_share_to_all_or_none():
    summary = {"first_month": 0, "final_month": 24, "last_window": (13, 24),
               "treaty_by_month": {12: {"share": 0.995, "ci": (0.988, 0.998),
                                        "successes": 995, "n": 1000},
                                   24: {"share": 0.004, "ci": (0.0016, 0.01),
                                        "successes": 4, "n": 1000}}}
    text = format_summary(summary, "x", runs=1000, seed=0, start="2023-07")
    assert "995 of 1,000 runs (99.5%" in text and "100%" not in text
    assert "4 of 1,000 runs (0.4%" in text and "(0%" not in text


def _run(capsys, out, *flags):
    status, stdout, stderr = in_process(capsys, "run", "baseline", "--runs", "45", "--months",
                                        "13", "--seed", "2", "--out", str(out), *flags)
    assert status == 0, stderr
    return stdout


OUTPUTS = ("summary.txt", "summary.json", "trajectories.png", "option_shares.png")


@pytest.mark.cluster
def test_run_is_the_same_for_any_chunk_size_and_any_workers(capsys, tmp_path,
                                                            cluster_address):
    """The acceptance of issue 26: the same command with chunks that split the 45 runs
    unevenly (7) or not at all (45) in this process and unevenly (9) on 2 workers (the
    shared cluster; ``--workers`` itself is tested in test_execution.py) writes the same
    bytes (summary, figures) and the same table."""
    outs = []
    for chunk, workers in (("7", ()), ("45", ()), ("9", ("--scheduler", cluster_address))):
        out = tmp_path / f"c{chunk}"
        _run(capsys, out, "--stream-above", "0", "--chunk-runs", chunk, *workers)
        outs.append(out)
    for name in OUTPUTS:
        first = (outs[0] / name).read_bytes()
        for out in outs[1:]:
            assert (out / name).read_bytes() == first, (name, out.name)
    table = pd.read_parquet(outs[0] / "ensemble")
    for out in outs[1:]:
        pd.testing.assert_frame_equal(pd.read_parquet(out / "ensemble"), table)
    manifest = json.loads((outs[0] / "manifest.json").read_text())
    assert manifest["execution"]["chunk_runs"] == 7 and "ensemble" in manifest["files"]


@pytest.mark.slow
def test_streamed_table_is_the_gathered_table(capsys, tmp_path, no_figures):
    """The switch is by rows; the dataset folder reads back as the table a small run
    gathers; a later run into the same folder replaces it (dataset by file, file by
    dataset, or none with --summary-only). (Figures from a stream: the test above.)"""
    out = tmp_path / "out"
    rows = 45 * 14
    streamed_text = _run(capsys, out, "--stream-above", str(rows - 1), "--chunk-runs", "10")
    assert "histograms" in streamed_text
    streamed = pd.read_parquet(out / "ensemble")
    assert len(list((out / "ensemble").glob("part-*.parquet"))) == 5
    gathered_text = _run(capsys, out, "--stream-above", str(rows))
    assert "histograms" not in gathered_text
    assert not (out / "ensemble").exists()
    pd.testing.assert_frame_equal(streamed, pd.read_parquet(out / "ensemble.parquet"))
    _run(capsys, out, "--stream-above", "0")
    assert (out / "ensemble").is_dir() and not (out / "ensemble.parquet").exists()
    _run(capsys, out, "--stream-above", "0", "--summary-only")
    assert not (out / "ensemble").exists()
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == sorted(
        [*OUTPUTS, "manifest.json"])


@pytest.mark.slow
def test_compare_streamed_has_the_same_outcomes_for_any_chunk_size(capsys, tmp_path,
                                                                  monkeypatch):
    """A streamed comparison keeps per-run outcomes: its outcome table equals the gathered
    one byte for byte, and nothing it writes depends on the chunk size."""
    from matplotlib.figure import Figure

    def compare(out, *flags):
        status, _, stderr = in_process(capsys, "compare", "baseline", "china_enables",
                                       "--runs", "40", "--months", "13", "--out", str(out),
                                       *flags)
        assert status == 0, stderr

    with monkeypatch.context() as patch:  # only its outcome table is compared: not drawn
        patch.setattr(Figure, "savefig", lambda fig, path, *a, **k: Path(path).write_bytes(b""))
        compare(tmp_path / "gathered")
    compare(tmp_path / "s7", "--stream-above", "0", "--chunk-runs", "7")
    compare(tmp_path / "s40", "--stream-above", "0", "--chunk-runs", "40")
    gathered = (tmp_path / "gathered" / "outcomes.csv").read_bytes()
    assert (tmp_path / "s7" / "outcomes.csv").read_bytes() == gathered
    for name in ("outcomes.csv", "outcomes.md", "report.md", "compare_trajectories.png",
                 "compare_outcomes.png"):
        assert (tmp_path / "s7" / name).read_bytes() == (tmp_path / "s40" / name).read_bytes()


def test_every_summary_line_carries_its_uncertainty(table, arrays):
    """Issue 24 item 8: shares with a count and a 95% interval, medians with a 90% band."""
    for summary in (summarize(table), summarize_statistics(_statistics(arrays, [17]))):
        text = format_summary(summary, "baseline", runs=RUNS, seed=3, start="2023-07")
        for line in text.splitlines()[1:]:
            if "histograms" in line:
                continue
            assert "95% CI" in line or "90% band" in line, line
            if "% of run" in line or " runs (" in line:
                assert "95% CI" in line, line


def test_the_figures_statistics_from_a_stream_agree_with_the_table(arrays, table):
    """``monthly_stats`` reads a streamed run's statistics as it reads a table: the
    same panels, shares and means exact, quantile bands within one histogram bin."""
    from model.output.monthly_stats import monthly_stats
    from model.output.plots import plot_option_shares, plot_trajectories

    streamed, exact = monthly_stats(_statistics(arrays, [25])), monthly_stats(table)
    assert streamed.runs == exact.runs and list(streamed.months) == list(exact.months)
    assert streamed.bands.keys() == exact.bands.keys()
    assert streamed.means.keys() == exact.means.keys()
    assert streamed.shares.keys() == exact.shares.keys()
    for column, bands in exact.bands.items():
        assert list(streamed.bands[column].columns) == list(bands.columns)
        assert np.abs(streamed.bands[column].to_numpy() - bands.to_numpy()).max() \
            <= quantile_error(column) + 1e-12, column
    for column, band in exact.means.items():
        np.testing.assert_allclose(streamed.means[column].to_numpy(), band.to_numpy(),
                                   atol=1e-9, err_msg=column)
    for column, shares in exact.shares.items():
        read = streamed.shares[column][shares.columns]
        np.testing.assert_allclose(read.to_numpy(), shares.to_numpy(), atol=1e-12,
                                   err_msg=column)
    for plot in (plot_trajectories, plot_option_shares):
        assert plot(_statistics(arrays, [25]), "streamed", start="2023-07").axes
