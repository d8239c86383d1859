"""The folder of `sweep`: figure, grid table, manifest and report."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from ...core.schema import Scenario
from ...output.report_header import header
from ...output.results import manifest, output_folder
from ..sweep import SweepResult, plot_sweep


def write_sweep(result: SweepResult, out: Path, scenario: Scenario, started: float,
                title: str | None = None) -> str:
    """Figure, grid table, manifest and report of a sweep."""
    title = title or (f"Sweep of {result.x.key}" + (f" × {result.y.key}" if result.y else ""))
    table = result.table
    best, worst = table.loc[table["mean"].idxmax()], table.loc[table["mean"].idxmin()]
    keys = [result.x.key] + ([result.y.key] if result.y else [])

    def where(row: pd.Series) -> str:
        return ", ".join(f"{k}={row[k]:.3g}" for k in keys)

    summary = (f"`{result.metric.name}` ({result.metric.description}) ranges from "
               f"{worst['mean']:.3g} (95% CI {worst['ci_low']:.3g}–{worst['ci_high']:.3g}) at "
               f"{where(worst)} to {best['mean']:.3g} (95% CI {best['ci_low']:.3g}–"
               f"{best['ci_high']:.3g}) at {where(best)}.")
    report = (header(title, scenario, result.runs, result.seed) + "\n## Finding\n\n" + summary
              + "\n\n![sweep](sweep.png)\n\nThe data behind the figure: `sweep.csv` (one row per "
              "cell: parameter values, mean, 95% interval, runs).\n")
    with output_folder(out) as folder:
        folder.save_figure("sweep.png", lambda p: plot_sweep(result, title, p))
        table.to_csv(folder.path("sweep.csv"), index=False)
        folder.write_text("report.md", report)
        folder.write_json("manifest.json", manifest(
            scenario, command="sweep", seed=result.seed, runs=result.runs,
            months=scenario.horizon, wall_time=time.perf_counter() - started,
            files=[*folder.files, "manifest.json"],
            extra={"x": {"key": result.x.key, "values": result.x.values.tolist()},
                   "y": ({"key": result.y.key, "values": result.y.values.tolist()}
                         if result.y else None),
                   "metric": result.metric.name}))
    return summary
