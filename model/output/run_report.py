"""The folder of one ensemble run: result table, figures, summary and manifest."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from ..core.schema import Scenario
from .plots import monthly_stats, plot_option_shares, plot_trajectories
from .record import record_overlay
from .results import manifest, output_folder
from .summary import format_summary, summarize

#: Months whose treaty shares the summary reports (those inside the horizon).
SUMMARY_MONTHS = (12, 24, 36)
#: The alliance levels whose strength thresholds the strength panel marks.
THRESHOLD_LEVELS = ("diplomatic", "arms_trade", "tech_transfer")


def level_thresholds(scenario: Scenario) -> dict[str, float]:
    """Level name -> the strength at which ties reach it (``dynamics.level_*``)."""
    return {name: float(getattr(scenario.dynamics, f"level_{name}").value)
            for name in THRESHOLD_LEVELS}


def write_figures(folder, table: pd.DataFrame, scenario: Scenario, title: str, *,
                  subtitle: str | None = None, today: str | None = None) -> None:
    """Save ``trajectories.png`` and ``option_shares.png`` of ``table`` into ``folder``
    (an ``output_folder``), the record marked on both; ``today`` (``YYYY-MM``) adds a
    "today" line."""
    stats = monthly_stats(table)
    overlay = record_overlay(scenario.start, today=today)
    folder.save_figure("trajectories.png", lambda p: plot_trajectories(
        stats, title, p, start=scenario.start, subtitle=subtitle, overlay=overlay,
        thresholds=level_thresholds(scenario)))
    folder.save_figure("option_shares.png", lambda p: plot_option_shares(
        stats, title, p, start=scenario.start, subtitle=subtitle, overlay=overlay))


def write_run(table: pd.DataFrame, scenario: Scenario, out: Path, *, runs: int, seed: int,
              months: int, started: float, subtitle: str | None = None,
              today: str | None = None) -> tuple[str, list[str]]:
    """Write ``table`` (from ``run_ensemble``) with its figures, summary and manifest into
    ``out``; return the summary text and the names of the files written.

    The summary's first line and every figure's title state the configuration: runs,
    seed and ``--set`` overrides (``subtitle``, default: seed and overrides). The figures
    depend on the command and the repository only: a "today" line is drawn only at a
    given ``today`` (``YYYY-MM``), which the manifest then records."""
    summary = summarize(table, months=SUMMARY_MONTHS)
    text = format_summary(summary, scenario.name, runs, seed, scenario.start,
                          overrides=scenario.overrides)
    if subtitle is None:
        subtitle = f"seed {seed}" + "".join(f", {k}={v}" for k, v in scenario.overrides.items())
    title = f"Scenario '{scenario.name}'"
    with output_folder(out) as folder:
        folder.write_table("ensemble", table)
        write_figures(folder, table, scenario, title, subtitle=subtitle, today=today)
        folder.write_text("summary.txt", text + "\n")
        folder.write_json("summary.json", summary)
        folder.write_json("manifest.json", manifest(
            scenario, command="run", seed=seed, runs=runs, months=months,
            wall_time=time.perf_counter() - started, files=[*folder.files, "manifest.json"],
            extra={"figures_today": today} if today is not None else None))
        files = list(folder.files)
    return text, files
