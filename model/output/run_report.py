"""The folder of one ensemble run: result table, figures, summary and manifest.

Two ways to the same files: :func:`write_run` from a gathered table (exact quantiles), and
:func:`write_run_streamed` for ensembles too large to gather — figures and summary from
per-month statistics merged across chunks, the table written chunk by chunk as a Parquet
dataset folder ``ensemble/`` (or not at all). Both are independent of the chunk size and
of where the chunks ran, bit for bit.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from ..core.schema import Scenario
from ..ensemble.streaming import BINS, TOTAL_BINS, MonthlyStatistics
from ..execution import Executor, default_chunk_runs, ensemble_job
from .monthly_stats import monthly_stats
from .plots import plot_option_shares, plot_trajectories
from .record_overlay import record_overlay
from .results import manifest, output_folder
from .summary import format_summary, summarize, summarize_statistics

#: Months whose treaty shares the summary reports (those inside the horizon).
SUMMARY_MONTHS = (12, 24, 36)
#: Runs per chunk of a streamed run unless ``--chunk-runs`` says otherwise: small enough
#: that the chunks in flight on a Dask cluster (their table columns included) stay far
#: below the memory target; the chunk size never changes a number.
STREAM_CHUNK_RUNS = 5000
#: The alliance levels whose strength thresholds the strength panel marks.
THRESHOLD_LEVELS = ("diplomatic", "arms_trade", "tech_transfer")


def streamed_chunk_runs(scenario: Scenario, executor: Executor | None) -> int:
    """The chunk size of a streamed run: the user's, else the smaller of the scenario's
    default and ``STREAM_CHUNK_RUNS``."""
    if executor is not None and executor.chunk_runs:
        return executor.chunk_runs
    return min(default_chunk_runs(scenario), STREAM_CHUNK_RUNS)


def level_thresholds(scenario: Scenario) -> dict[str, float]:
    """Level name -> the strength at which ties reach it (``dynamics.level_*``)."""
    return {name: float(getattr(scenario.dynamics, f"level_{name}").value)
            for name in THRESHOLD_LEVELS}


def write_figures(folder, data: pd.DataFrame | MonthlyStatistics, scenario: Scenario,
                  title: str, *, subtitle: str | None = None, today: str | None = None
                  ) -> None:
    """Save ``trajectories.png`` and ``option_shares.png`` of ``data`` (a result table or
    a streamed run's per-month statistics) into ``folder`` (an ``output_folder``), the
    record marked on both; ``today`` (``YYYY-MM``) adds a "today" line."""
    stats = monthly_stats(data)
    overlay = record_overlay(scenario.start, today=today)
    folder.save_figure("trajectories.png", lambda p: plot_trajectories(
        stats, title, p, start=scenario.start, subtitle=subtitle, overlay=overlay,
        thresholds=level_thresholds(scenario)))
    folder.save_figure("option_shares.png", lambda p: plot_option_shares(
        stats, title, p, start=scenario.start, subtitle=subtitle, overlay=overlay))


def write_run(table: pd.DataFrame, scenario: Scenario, out: Path, *, runs: int, seed: int,
              months: int, started: float, subtitle: str | None = None,
              write_table: bool = True, execution: dict | None = None,
              today: str | None = None) -> tuple[str, list[str]]:
    """Write ``table`` (from ``run_ensemble``) with its figures, summary and manifest into
    ``out``; return the summary text and the names of the files written.

    The summary's first line and every figure's title state the configuration: runs,
    seed and ``--set`` overrides (``subtitle``, default: seed and overrides). The figures
    depend on the command and the repository only: a "today" line is drawn only at a
    given ``today`` (``YYYY-MM``), which the manifest then records."""
    with output_folder(out) as folder:
        if write_table:
            folder.write_table("ensemble", table)
        text = _write_rest(folder, table, summarize(table, months=SUMMARY_MONTHS), scenario,
                           runs=runs, seed=seed, months=months, started=started,
                           subtitle=subtitle, today=today,
                           extra={"statistics": "full table",
                                  "table": "ensemble.parquet" if write_table else None,
                                  "execution": execution})
        files = list(folder.files)
    return text, files


def write_run_streamed(scenario: Scenario, out: Path, *, runs: int, seed: int, months: int,
                       started: float, executor: Executor | None = None,
                       subtitle: str | None = None, write_table: bool = True,
                       execution: dict | None = None, today: str | None = None
                       ) -> tuple[str, list[str]]:
    """Run the ensemble on ``executor`` chunk by chunk and write its folder into ``out``
    without ever holding the runs: figures and summary from per-month statistics merged
    across chunks (``MonthlyStatistics``), the table (``write_table``) as the Parquet
    dataset ``ensemble/``, one part per chunk. ``today`` as in :func:`write_run`. Returns
    the summary text and the names of the files written."""
    with output_folder(out) as folder:
        dataset = folder.table_dataset("ensemble", months) if write_table else None
        job = ensemble_job(scenario, runs, seed, months, output="statistics",
                           chunk_runs=streamed_chunk_runs(scenario, executor),
                           executor=executor, table=write_table,
                           sink=dataset.write if dataset is not None else None)
        if executor is None:
            with Executor() as local:
                stats, _ = local.run(job)
        else:
            stats, _ = executor.run(job)
        text = _write_rest(folder, stats, summarize_statistics(stats, months=SUMMARY_MONTHS),
                           scenario, runs=runs, seed=seed, months=months, started=started,
                           subtitle=subtitle, today=today, extra={
                               "statistics": f"streamed: per-month histograms of {BINS} bins "
                                             f"(totals: {TOTAL_BINS}), exact counts and sums",
                               "table": "ensemble/ (Parquet dataset)" if write_table
                               else None, "execution": execution})
        files = list(folder.files)
    return text, files


def _write_rest(folder, data: pd.DataFrame | MonthlyStatistics, summary: dict, scenario:
                Scenario, *, runs: int, seed: int, months: int, started: float,
                subtitle: str | None, extra: dict, today: str | None = None) -> str:
    """Figures, summary and manifest of a run (from its table or its statistics)."""
    text = format_summary(summary, scenario.name, runs, seed, scenario.start,
                          overrides=scenario.overrides)
    if subtitle is None:
        subtitle = f"seed {seed}" + "".join(f", {k}={v}" for k, v in scenario.overrides.items())
    title = f"Scenario '{scenario.name}'"
    write_figures(folder, data, scenario, title, subtitle=subtitle, today=today)
    folder.write_text("summary.txt", text + "\n")
    folder.write_json("summary.json", summary)
    if today is not None:
        extra = {**extra, "figures_today": today}
    folder.write_json("manifest.json", manifest(
        scenario, command="run", seed=seed, runs=runs, months=months,
        wall_time=time.perf_counter() - started, files=[*folder.files, "manifest.json"],
        extra=extra))
    return text
