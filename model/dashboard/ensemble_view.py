"""The live ensemble: on every change of a control the vectorized driver reruns and the
``run`` command's fan charts are redrawn (same plotting functions, same look).

The work runs in a background task; while it runs the page says so and keeps showing the
last chart, so it never freezes silently.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

import pandas as pd
import solara
import solara.lab

from ..core.scenario import Scenario
from ..ensemble.driver import run_ensemble
from ..output.figures import finish
from ..output.plots import plot_option_shares, plot_trajectories
from ..output.record_overlay import record_overlay
from ..output.run_report import level_thresholds
from ..output.summary import format_summary, summarize

#: Resolution of the on-screen chart (the exported figures use the run command's DPI).
SCREEN_DPI = 80


@dataclass(frozen=True)
class EnsembleResult:
    """One recomputation: the result table, the fan-chart PNG and the headline text."""

    scenario: Scenario
    table: pd.DataFrame
    png: bytes
    summary: str
    runs: int
    seed: int
    seconds: float


def changes_text(overrides: dict) -> str:
    """What the dashboard changed from the file, e.g. ``war_demand=0.2, china.rule=fixed``."""
    def shown(value):
        if isinstance(value, dict):
            return "/".join(str(v) for v in value.values())
        return f"{value:g}" if isinstance(value, float) else str(value)
    return ", ".join(f"{k.removeprefix('levers.')}={shown(v)}" for k, v in overrides.items())


def title_of(scenario: Scenario, overrides: dict) -> str:
    """Figure title: the scenario and what the dashboard changed."""
    changed = changes_text(overrides)
    return f"Scenario '{scenario.name}'" + (f" ({changed})" if changed else "")


def trajectories_figure(table: pd.DataFrame, scenario: Scenario, title: str, path=None):
    """The ``run`` command's fan chart, with the record (its events, its end, the
    calibration window, the observation targets) marked where the scenario's months reach
    it, and the level thresholds of the scenario."""
    return plot_trajectories(table, title, path, start=scenario.start,
                             overlay=record_overlay(scenario.start),
                             thresholds=level_thresholds(scenario))


def compute(scenario: Scenario, runs: int, seed: int, title: str,
            dpi: int = SCREEN_DPI) -> EnsembleResult:
    """Run the ensemble and draw its fan chart: the whole redraw the dashboard waits for."""
    started = time.perf_counter()
    table = run_ensemble(scenario, runs=runs, seed=seed, months=scenario.horizon)
    figure = trajectories_figure(table, scenario, title)
    buffer = io.BytesIO()
    finish(figure, buffer, dpi=dpi)
    months = [m for m in (12, 24, 36) if m <= scenario.horizon] or [scenario.horizon]
    text = format_summary(summarize(table, months=months), scenario.name, runs, seed,
                          scenario.start)
    return EnsembleResult(scenario, table, buffer.getvalue(), text, runs, seed,
                          time.perf_counter() - started)


def save_figures(result: EnsembleResult, scenario: Scenario, title: str, folder) -> list:
    """Write the ensemble's two figures (as the ``run`` command does) into ``folder``."""
    paths = [folder / "trajectories.png", folder / "option_shares.png"]
    trajectories_figure(result.table, scenario, title, paths[0])
    plot_option_shares(result.table, title, paths[1], start=scenario.start,
                       overlay=record_overlay(scenario.start))
    return paths


@solara.component
def EnsembleView(scenario: Scenario, runs: int, seed: int, overrides: dict, version: int,
                 on_result=None):
    """The fan charts of the current setting, recomputed whenever ``version`` changes."""
    last = solara.use_ref(None)

    def work() -> EnsembleResult:
        result = compute(scenario, runs, seed, title_of(scenario, overrides))
        last.current = result
        if on_result is not None:
            on_result(result)
        return result

    task = solara.lab.use_task(work, dependencies=[version])
    shown = task.value if task.finished and task.value is not None else last.current
    with solara.Card(f"Ensemble: {runs} runs of the vectorized driver", margin=0):
        solara.Text(f"Scenario '{scenario.name}'; changed from the file: "
                    + (changes_text(overrides) or "nothing"), classes=["ensemble-settings"],
                    style={"display": "block", "font-size": "14px"})
        if task.pending:
            solara.ProgressLinear(True)
            solara.Info(f"Recomputing the ensemble ({runs} runs)…", dense=True)
        elif task.error:
            solara.Error(f"ensemble failed: {task.exception}")
        if shown is not None:
            solara.Text(f"{shown.runs} runs, seed {shown.seed}, recomputed and redrawn in "
                        f"{shown.seconds:.2f} s", classes=["ensemble-timing"],
                        style={"display": "block", "font-size": "12px", "color": "#555"})
            solara.Image(shown.png, width="100%")
            solara.Preformatted(shown.summary)


__all__ = ["EnsembleResult", "EnsembleView", "changes_text", "compute", "save_figures",
           "title_of"]
