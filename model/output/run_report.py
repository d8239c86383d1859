"""The folder of one ensemble run: result table, figures, summary and manifest."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from ..core.schema import Scenario
from .plots import plot_option_shares, plot_trajectories
from .record_overlay import record_overlay
from .results import manifest, output_folder
from .summary import format_summary, summarize

#: Months whose treaty shares the summary reports (those inside the horizon).
SUMMARY_MONTHS = (12, 24, 36)


def write_run(table: pd.DataFrame, scenario: Scenario, out: Path, *, runs: int, seed: int,
              months: int, started: float, subtitle: str | None = None
              ) -> tuple[str, list[str]]:
    """Write ``table`` (from ``run_ensemble``) with its figures, summary and manifest into
    ``out``; return the summary text and the names of the files written.

    The summary's first line and every figure's title state the configuration: runs,
    seed and ``--set`` overrides (``subtitle``, default: seed and overrides)."""
    summary = summarize(table, months=SUMMARY_MONTHS)
    text = format_summary(summary, scenario.name, runs, seed, scenario.start,
                          overrides=scenario.overrides)
    if subtitle is None:
        subtitle = f"seed {seed}" + "".join(f", {k}={v}" for k, v in scenario.overrides.items())
    title = f"Scenario '{scenario.name}'"
    with output_folder(out) as folder:
        folder.write_table("ensemble", table)
        folder.save_figure("trajectories.png",
                           lambda p: plot_trajectories(table, title, p, start=scenario.start,
                                                       subtitle=subtitle,
                                                       overlay=record_overlay(scenario.start)))
        folder.save_figure("option_shares.png",
                           lambda p: plot_option_shares(table, title, p, start=scenario.start,
                                                        subtitle=subtitle))
        folder.write_text("summary.txt", text + "\n")
        folder.write_json("summary.json", summary)
        folder.write_json("manifest.json", manifest(
            scenario, command="run", seed=seed, runs=runs, months=months,
            wall_time=time.perf_counter() - started, files=[*folder.files, "manifest.json"]))
        files = list(folder.files)
    return text, files
