"""Sweep one or two parameters over a grid and map an outcome metric.

Every grid cell runs the same seeds (common random numbers), so the map's texture is the
model's response, not sampling noise. A 1-D sweep is a line with its 95% band; a 2-D
sweep is a heatmap with contour lines and the scenario's own values marked.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from os import PathLike

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..core.parameters import SPECS
from ..core.scenario import check_keys, validated
from ..core.schema import Distribution, Scenario, ScenarioError
from ..execution import Executor, evaluate_points
from ..output.figures import finish
from ..output.statistics import estimate
from .metrics import Metric

AXIS_PATTERN = re.compile(r"^(?P<key>[\w.]+)=(?P<lo>[^:]+):(?P<hi>[^:]+):(?P<n>[^:]+)$")
MAX_POINTS = 200


@dataclass(frozen=True)
class Axis:
    """A swept parameter: its dotted key and grid values."""

    key: str
    values: np.ndarray

    @property
    def label(self) -> str:
        spec = SPECS[self.key]
        return f"{self.key} [{spec.unit}]"


def parse_axis(text: str, flag: str = "--x") -> Axis:
    """``KEY=LO:HI:N`` → an evenly spaced axis; ``ScenarioError`` with a one-line message."""
    match = AXIS_PATTERN.match(text.strip())
    if not match:
        raise ScenarioError(f"{flag} {text!r}: expected KEY=LO:HI:N, "
                            "e.g. levers.war_demand=0:1:11")
    key = match["key"]
    try:
        lo, hi, n = float(match["lo"]), float(match["hi"]), int(match["n"])
    except ValueError:
        raise ScenarioError(f"{flag} {text!r}: LO and HI must be numbers and N an integer"
                            ) from None
    if not (np.isfinite(lo) and np.isfinite(hi)) or not 2 <= n <= MAX_POINTS or lo >= hi:
        raise ScenarioError(f"{flag} {text!r}: need finite LO < HI and 2 ≤ N ≤ {MAX_POINTS}")
    return Axis(key, np.linspace(lo, hi, n))


def scenario_value(scenario: Scenario, key: str) -> float | None:
    """The scenario's own value of ``key`` (None for distributions and schedules)."""
    value = scenario.param(key).value
    return None if isinstance(value, Distribution | list) else float(value)


def check_grid(scenario: Scenario, axes: list[Axis], origin: str) -> None:
    """Every cell of the grid is a valid scenario, or a one-line ``ScenarioError``.

    The constraints on parameters are ranges and orderings (convex), so checking the
    corners of the grid checks every cell.
    """
    check_keys([a.key for a in axes], origin)
    for corner in itertools.product(*[(a.values[0], a.values[-1]) for a in axes]):
        validated(scenario, {a.key: float(v) for a, v in zip(axes, corner)},
                  f"{origin} " + " ".join(f"{a.key}={v:g}" for a, v in zip(axes, corner)))


@dataclass
class SweepResult:
    """Per-cell mean of the metric with a 95% interval, as a long table."""

    x: Axis
    y: Axis | None
    metric: Metric
    table: pd.DataFrame
    runs: int
    seed: int
    marker: tuple[float | None, float | None]

    def grid(self, column: str = "mean") -> np.ndarray:
        """``column`` as an array ``(len(y), len(x))`` (or ``(len(x),)`` in 1-D)."""
        values = self.table[column].to_numpy()
        return values if self.y is None else values.reshape(len(self.y.values), -1)


def sweep(scenario: Scenario, x: Axis, y: Axis | None, metric: Metric, runs: int,
          seed: int = 0, months: int | None = None, progress=None,
          executor: Executor | None = None) -> SweepResult:
    """Evaluate ``metric`` on the grid of ``x`` (and ``y``) with ``runs`` runs per cell.

    The cells run as chunks on ``executor`` (default: in this process); the table is the
    same on any back end.
    """
    axes = [x] if y is None else [x, y]
    if y is not None and x.key == y.key:
        raise ScenarioError(f"sweep: --x and --y are the same parameter {x.key!r}")
    check_grid(scenario, axes, "sweep")
    if y is None:
        points = x.values[:, None]
    else:
        gx, gy = np.meshgrid(x.values, y.values)  # y-major: row j is y.values[j]
        points = np.column_stack([gx.ravel(), gy.ravel()])
    values = evaluate_points(scenario, [a.key for a in axes], points, [metric], runs, seed,
                             months, progress, executor=executor, name="sweep")[metric.name]
    mean, low, high = np.array([estimate(row, metric.is_probability) for row in values]).T
    table = pd.DataFrame({x.key: points[:, 0]})
    if y is not None:
        table[y.key] = points[:, 1]
    table["mean"], table["ci_low"], table["ci_high"] = mean, low, high
    table["runs"] = runs
    marker = (scenario_value(scenario, x.key), scenario_value(scenario, y.key) if y else None)
    return SweepResult(x, y, metric, table, runs, seed, marker)


def plot_sweep(result: SweepResult, title: str, path: str | PathLike | None = None) -> Figure:
    """A line with its 95% band (1-D), or a heatmap with contours (2-D)."""
    fig = Figure(figsize=(9, 6.5), layout="constrained")
    ax = fig.subplots()
    metric = result.metric
    if result.y is None:
        x = result.x.values
        ax.fill_between(x, result.grid("ci_low"), result.grid("ci_high"), alpha=0.25,
                        color="C0", lw=0, label="95% interval")
        ax.plot(x, result.grid(), color="C0", lw=2, marker="o", ms=3, label="mean across runs")
        if result.marker[0] is not None:
            ax.axvline(result.marker[0], color="0.3", ls="--", lw=1, label="scenario value")
        ax.set_ylabel(f"{metric.name} ({metric.unit})")
        ax.legend(fontsize=9)
        ax.grid(alpha=0.3)
    else:
        grid = result.grid()
        x, y = result.x.values, result.y.values
        vmin, vmax = (0.0, 1.0) if metric.is_probability else (None, None)
        mesh = ax.pcolormesh(x, y, grid, shading="nearest", cmap="viridis", vmin=vmin, vmax=vmax)
        cbar = fig.colorbar(mesh, ax=ax)
        cbar.set_label(f"{metric.name} ({metric.unit})")
        if np.ptp(grid) > 0:
            levels = np.linspace(np.nanmin(grid), np.nanmax(grid), 7)[1:-1]
            contours = ax.contour(x, y, grid, levels=levels, colors="white", linewidths=1)
            ax.clabel(contours, fmt="%.2g", fontsize=8)
        if None not in result.marker:
            ax.plot(*result.marker, marker="*", ms=16, color="red", mec="white",
                    label="scenario's own values", ls="none")
            ax.legend(loc="upper left", fontsize=9)
        ax.set_ylabel(result.y.label)
    ax.set_xlabel(result.x.label)
    ax.set_title(f"{title}\n{metric.description}; {result.runs} runs per cell, same seeds",
                 fontsize=11)
    return finish(fig, path)
