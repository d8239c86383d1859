"""Compare scenarios on the same seeds (common random numbers).

Every scenario is run with the same per-run seeds, so run i faces the same random draws
in each scenario and the paired differences measure the scenarios, not the noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..core.calendar import axis_label
from ..core.scenario import Scenario
from ..ensemble.driver import EnsembleArrays
from ..execution import Executor, ensemble_job, run_jobs
from ..output.plots import FLOW_WINDOW
from ..output.statistics import estimate, mean_interval
from ..output.style import DPI
from .metrics import METRICS

OUTCOMES = ("treaty_by_12", "treaty_by_24", "treaty_by_36", "munitions_total",
            "nk_tech_final", "sanctions_integrity_final", "evasion_months")
TRAJECTORY_COLUMNS = (
    ("alliance_strength", "Alliance strength (index 0–1)"),
    ("munitions_flow", "Munitions to Russia (index 0–1, 6-month average)"),
    ("sanctions_integrity", "UN sanctions integrity (index 0–1)"),
    ("nk_tech_level", "North Korean tech level (index 0–1)"),
)


@dataclass
class Comparison:
    """Arrays of every scenario (same seeds) and the outcome table."""

    names: list[str]
    arrays: dict[str, EnsembleArrays]
    outcomes: pd.DataFrame
    runs: int
    seed: int
    start: str  # month 0 of the scenarios, YYYY-MM


def outcome_table(names: list[str], arrays: dict[str, EnsembleArrays]) -> pd.DataFrame:
    """One row per scenario × outcome: estimate with 95% interval, and the paired
    difference (column ``difference``) from the first scenario, the reference, with its
    95% interval.

    Outcomes that the runs are too short to define (``treaty_by_36`` in 12-month runs)
    are not available (``available`` False): their numbers are NaN, never a 0 with an
    interval.
    """
    rows = []
    reference = names[0]
    months = min(a.months for a in arrays.values())
    for metric_name in OUTCOMES:
        metric = METRICS[metric_name]
        available = metric.available(months)
        base = metric(arrays[reference]) if available else None
        for name in names:
            row = {"scenario": name, "outcome": metric_name, "unit": metric.unit,
                   "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                   "difference": np.nan, "diff_ci_low": np.nan, "diff_ci_high": np.nan,
                   "available": available}
            if available:
                values = metric(arrays[name])
                row["estimate"], row["ci_low"], row["ci_high"] = estimate(
                    values, metric.is_probability)
                (row["difference"], row["diff_ci_low"],
                 row["diff_ci_high"]) = mean_interval(values - base)
            rows.append(row)
    return pd.DataFrame(rows)


def labels_apart(scenarios: list[Scenario]) -> list[str]:
    """One label per scenario, distinct even when names repeat (``baseline#1``, ...)."""
    names = [s.name for s in scenarios]
    return [f"{n}#{i + 1}" if names.count(n) > 1 else n for i, n in enumerate(names)]


def compare(scenarios: list[Scenario], runs: int, seed: int = 0, months: int | None = None,
            progress=None, executor: Executor | None = None) -> Comparison:
    """Run every scenario on the same ``runs`` seeds and tabulate the outcomes.

    The scenarios' chunks run together on ``executor`` (default: in this process); the
    numbers are the same on any back end.
    """
    names = labels_apart(scenarios)  # the same file twice, or two with one name
    jobs = [ensemble_job(scenario, runs, seed, months, output="arrays", executor=executor,
                         name="compare") for scenario in scenarios]
    arrays = dict(zip(names, run_jobs(jobs, executor)))
    if progress is not None:
        progress(len(scenarios))
    return Comparison(names, arrays, outcome_table(names, arrays), runs, seed,
                      scenarios[0].start)


def markdown_table(outcomes: pd.DataFrame, reference: str) -> str:
    """The outcome table as Markdown: estimate [95% CI] and difference [95% CI]; outcomes
    the runs are too short for read "not available"."""
    lines = [f"| outcome | scenario | estimate [95% CI] | difference vs {reference} [95% CI] |",
             "|---|---|---|---|"]
    for r in outcomes.itertuples(index=False):
        if not r.available:
            lines.append(f"| {r.outcome} ({r.unit}) | {r.scenario} | not available (runs end "
                         f"before month {METRICS[r.outcome].months_needed}) | — |")
            continue
        lines.append(f"| {r.outcome} ({r.unit}) | {r.scenario} | {r.estimate:.3g} "
                     f"[{r.ci_low:.3g}, {r.ci_high:.3g}] | {r.difference:+.3g} "
                     f"[{r.diff_ci_low:+.3g}, {r.diff_ci_high:+.3g}] |")
    return "\n".join(lines)


def _smoothed(arrays: EnsembleArrays, column: str) -> np.ndarray:
    """A state column ``(months+1, runs)``; flows as each run's trailing mean over
    ``FLOW_WINDOW`` months."""
    values = arrays.state[column].astype(float)
    if column.endswith("_flow"):
        values = pd.DataFrame(values).rolling(FLOW_WINDOW, min_periods=1).mean().to_numpy()
    return values


def plot_trajectories(comparison: Comparison, path: str | PathLike | None = None) -> Figure:
    """Median trajectories of every scenario with 50% bands, overlaid, in four panels."""
    fig = Figure(figsize=(13, 8.5), layout="constrained")
    axes = fig.subplots(2, 2).ravel()
    colors = [f"C{i}" for i in range(len(comparison.names))]
    for ax, (column, label) in zip(axes, TRAJECTORY_COLUMNS):
        for name, color in zip(comparison.names, colors):
            values = _smoothed(comparison.arrays[name], column)
            q25, q50, q75 = np.quantile(values, (0.25, 0.5, 0.75), axis=1)
            x = np.arange(len(q50))
            ax.fill_between(x, q25, q75, color=color, alpha=0.18, lw=0)
            ax.plot(x, q50, color=color, lw=2, label=name)
        ax.set_title(label, fontsize=11)
        ax.set_xlabel(axis_label(comparison.start))
        ax.set_ylabel("index, 0–1")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, title="scenario (median, 50% band)", title_fontsize=8)
    fig.suptitle(f"Scenarios compared on the same {comparison.runs} seeds", fontsize=14)
    if path is not None:
        fig.savefig(path, dpi=DPI)
    return fig


def plot_outcomes(comparison: Comparison, path: str | PathLike | None = None) -> Figure:
    """One panel per outcome: each scenario's estimate with its 95% interval."""
    table = comparison.outcomes
    fig = Figure(figsize=(14, 8), layout="constrained")
    axes = fig.subplots(2, 4).ravel()
    names = comparison.names
    y = np.arange(len(names))[::-1]
    for ax, outcome in zip(axes, OUTCOMES):
        rows = table[table.outcome == outcome].set_index("scenario").loc[names]
        xerr = np.clip([rows["estimate"] - rows["ci_low"], rows["ci_high"] - rows["estimate"]],
                       0.0, None)  # a rounding hair below zero when the interval is a point
        ax.errorbar(rows["estimate"], y, xerr=xerr, fmt="o", color="C0", capsize=3)
        ax.axvline(rows["estimate"].iloc[0], color="0.6", ls="--", lw=1)
        if METRICS[outcome].is_probability:
            ax.set_xlim(0, min(1.0, max(0.05, 1.1 * rows["ci_high"].max())))
        ax.set_yticks(y, names, fontsize=8)
        ax.set_title(METRICS[outcome].description, fontsize=9, wrap=True)
        ax.set_xlabel(METRICS[outcome].unit)
        ax.grid(alpha=0.3, axis="x")
    axes[-1].axis("off")
    axes[-1].text(0, 0.5, "points: estimate\nbars: 95% interval\ndashed: first scenario",
                  fontsize=10, va="center")
    fig.suptitle(f"Outcomes by scenario ({comparison.runs} runs each, same seeds)", fontsize=14)
    if path is not None:
        fig.savefig(path, dpi=DPI)
    return fig
