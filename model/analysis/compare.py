"""Compare scenarios on the same seeds (common random numbers).

Every scenario is run with the same per-run seeds, so run i faces the same random draws
in each scenario and the paired differences measure the scenarios, not the noise.

Large comparisons (``stream=True``; the command switches above a size) never gather the
runs: each chunk returns its per-run outcomes and per-month statistics
(``model.ensemble.streaming``), so the outcome table is the same as when gathered and the
trajectories are read off histograms (within one bin, 1/2000 of the range).
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure

from ..core.scenario import Scenario
from ..ensemble.driver import EnsembleArrays
from ..ensemble.streaming import MonthlyStatistics
from ..execution import Executor, ensemble_job, run_jobs
from ..output.figures import displayable, finish, format_time_axis
from ..output.record_overlay import record_overlay
from ..output.statistics import estimate, mean_interval
from .metrics import METRICS, Metric

OUTCOMES = ("treaty_by_12", "treaty_by_24", "treaty_by_36", "munitions_total",
            "nk_tech_final", "sanctions_integrity_final", "evasion_months")
TRAJECTORY_COLUMNS = (
    ("alliance_strength", "Alliance strength (index 0–1)"),
    ("munitions_flow", "Munitions to Russia (index 0–1, mean across runs)"),
    ("sanctions_integrity", "UN sanctions integrity (index 0–1)"),
    ("nk_tech_level", "North Korean tech level (index 0–1)"),
)
#: With more scenarios than this, bands would merge: medians only, legend beside.
MAX_BANDED = 3


@dataclass
class Comparison:
    """Every scenario's arrays (same seeds) — or, when streamed, its per-month
    statistics — and the outcome table."""

    names: list[str]
    arrays: dict[str, EnsembleArrays | MonthlyStatistics]
    outcomes: pd.DataFrame
    runs: int
    seed: int
    start: str  # month 0 of the scenarios, YYYY-MM
    #: When streamed, each scenario's per-run outcomes (``{scenario: {outcome: values}}``).
    per_run: dict[str, dict[str, np.ndarray]] | None = None

    def outcome_values(self, name: str, outcome: str) -> np.ndarray:
        """Per-run values of ``outcome`` in scenario ``name`` (from the runs, or as the
        streamed chunks returned them)."""
        if self.per_run is not None:
            return self.per_run[name][outcome]
        return METRICS[outcome](self.arrays[name])

    @property
    def months(self) -> int:
        """Months of the shortest scenario's runs."""
        return min(a.months for a in self.arrays.values())


_FULL_RANGE = {"probability": (0.0, 1.0), "index 0–1": (0.0, 1.0)}


def outcome_range(metric: Metric, months: int) -> tuple[float, float]:
    """The values an outcome can take: 0–1 for probabilities and indices, else 0 to the
    horizon (its counts are of months)."""
    return _FULL_RANGE.get(metric.unit, (0.0, float(months)))


def outcome_table(names: list[str], arrays: dict[str, EnsembleArrays],
                  values: dict[str, dict[str, np.ndarray]] | None = None) -> pd.DataFrame:
    """One row per scenario × outcome: estimate with 95% interval, and the paired
    difference (column ``difference``) from the first scenario, the reference, with its
    95% interval.

    Outcomes that the runs are too short to define (``treaty_by_36`` in 12-month runs)
    are not available (``available`` False): their numbers are NaN, never a 0 with an
    interval. ``values`` (``{scenario: {outcome: per-run values}}``) stands in for the
    metrics of ``arrays`` when the runs were streamed (``arrays`` then needs only
    ``months``).
    """
    rows = []
    reference = names[0]
    months = min(a.months for a in arrays.values())

    def of(name: str, metric: Metric) -> np.ndarray:
        return values[name][metric.name] if values is not None else metric(arrays[name])

    for metric_name in OUTCOMES:
        metric = METRICS[metric_name]
        available = metric.available(months)
        base = of(reference, metric) if available else None
        for name in names:
            row = {"scenario": name, "outcome": metric_name, "unit": metric.unit,
                   "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                   "difference": np.nan, "diff_ci_low": np.nan, "diff_ci_high": np.nan,
                   "available": available}
            if available:
                per_run = of(name, metric)
                row["estimate"], row["ci_low"], row["ci_high"] = estimate(
                    per_run, metric.is_probability, outcome_range(metric, months))
                (row["difference"], row["diff_ci_low"],
                 row["diff_ci_high"]) = mean_interval(per_run - base)
            rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Extremes:
    """Which scenario an outcome is highest and lowest in, when the data say so.

    ``highest`` (``lowest``) is None unless the 95% interval of the paired difference
    (same seeds) between that scenario and every other one lies wholly above (below)
    zero: equal or overlapping scenarios are never ranked.
    """

    highest: str | None
    lowest: str | None


def extremes(comparison: Comparison, outcome: str) -> Extremes:
    """The scenario ``outcome`` is clearly highest in and the one it is clearly lowest in
    (see :class:`Extremes`); the candidates are those with the largest and smallest
    estimates, and each must be separated from every other scenario."""
    values = {name: comparison.outcome_values(name, outcome) for name in comparison.names}
    means = {name: float(np.mean(v)) for name, v in values.items()}

    def separated(candidate: str, sign: int) -> bool:
        for other in comparison.names:
            if other == candidate:
                continue
            _, low, high = mean_interval(sign * (values[candidate] - values[other]))
            if not low > 0:
                return False
        return True

    top = max(comparison.names, key=means.__getitem__)
    bottom = min(comparison.names, key=means.__getitem__)
    return Extremes(top if separated(top, 1) else None,
                    bottom if separated(bottom, -1) else None)


def labels_apart(scenarios: list[Scenario]) -> list[str]:
    """One label per scenario, distinct even when names repeat (``baseline#1``, ...)."""
    names = [s.name for s in scenarios]
    return [f"{n}#{i + 1}" if names.count(n) > 1 else n for i, n in enumerate(names)]


def compare(scenarios: list[Scenario], runs: int, seed: int = 0, months: int | None = None,
            progress=None, executor: Executor | None = None, stream: bool = False,
            chunk_runs: int | None = None) -> Comparison:
    """Run every scenario on the same ``runs`` seeds and tabulate the outcomes.

    The scenarios' chunks run together on ``executor`` (default: in this process); the
    numbers are the same on any back end. With ``stream`` the runs are never gathered:
    per-run outcomes and per-month statistics only (the outcome table is the same).
    """
    if len(scenarios) < 2:
        raise ValueError(f"compare needs two or more scenarios, got {len(scenarios)}")
    names = labels_apart(scenarios)  # the same file twice, or two with one name
    if not stream:
        jobs = [ensemble_job(scenario, runs, seed, months, output="arrays",
                             executor=executor, chunk_runs=chunk_runs, name="compare")
                for scenario in scenarios]
        arrays = dict(zip(names, run_jobs(jobs, executor)))
        values = None
    else:
        jobs = []
        for scenario in scenarios:
            horizon = scenario.horizon if months is None else months
            metrics = [METRICS[m] for m in OUTCOMES if METRICS[m].available(horizon)]
            jobs.append(ensemble_job(scenario, runs, seed, months, output="statistics",
                                     metrics=metrics, executor=executor,
                                     chunk_runs=chunk_runs, name="compare"))
        results = run_jobs(jobs, executor)
        arrays = {n: stats for n, (stats, _) in zip(names, results)}
        values = {n: per_run for n, (_, per_run) in zip(names, results)}
    if progress is not None:
        progress(len(scenarios))
    return Comparison(names, arrays, outcome_table(names, arrays, values), runs, seed,
                      scenarios[0].start, values)


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


def _centre_and_band(arrays: EnsembleArrays | MonthlyStatistics,
                     column: str) -> tuple[np.ndarray, ...]:
    """Median with its 50% band across runs; for flows (all or nothing each month) the
    mean across runs with the 95% interval of the mean."""
    if isinstance(arrays, MonthlyStatistics):
        if column.endswith("_flow"):
            mean, half = arrays.mean(column), 1.96 * arrays.sem(column)
            return mean, mean - half, mean + half
        q25, q50, q75 = arrays.quantiles(column, (0.25, 0.5, 0.75)).T
        return q50, q25, q75
    values = arrays.state[column].astype(float)
    if column.endswith("_flow"):
        mean = values.mean(axis=1)
        half = 1.96 * values.std(axis=1, ddof=1) / np.sqrt(max(values.shape[1], 1)) \
            if values.shape[1] > 1 else np.zeros_like(mean)
        return mean, mean - half, mean + half
    q25, q50, q75 = np.quantile(values, (0.25, 0.5, 0.75), axis=1)
    return q50, q25, q75


def _colors(n: int) -> list:
    return [f"C{i}" for i in range(n)] if n <= 10 else list(colormaps["tab20"].colors[:n])


def plot_trajectories(comparison: Comparison, path: str | PathLike | None = None) -> Figure:
    """Trajectories of every scenario, overlaid in four panels, on a calendar axis.

    Up to ``MAX_BANDED`` scenarios: medians with their 50% bands (flows: means with the
    95% interval of the mean). More scenarios: lines only (bands would merge), in
    distinct colours and dash patterns; the legend sits beside the panels.
    """
    names = comparison.names
    banded = len(names) <= MAX_BANDED
    fig = Figure(figsize=(14, 8.5), layout="constrained")
    axes = fig.subplots(2, 2).ravel()
    colors = _colors(len(names))
    styles = ["-", "--", "-.", ":"]
    for i, (ax, (column, label)) in enumerate(zip(axes, TRAJECTORY_COLUMNS)):
        months = np.arange(0)
        for k, (name, color) in enumerate(zip(names, colors)):
            centre, low, high = _centre_and_band(comparison.arrays[name], column)
            months = np.arange(len(centre))
            if banded:
                ax.fill_between(months, low, high, color=color, alpha=0.18, lw=0)
            ax.plot(months, centre, color=color, lw=2, ls=styles[(k // 10) % 4 if
                    len(names) <= 10 else k % 4], label=displayable(name))
        ax.set_title(label, fontsize=11)
        ax.set_ylabel("index, 0–1")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        format_time_axis(ax, months, show_xlabel=i >= 2, start=comparison.start)
    key = ("scenario\n(median and 50% band;\nflows: mean and 95% CI)" if banded else
           "scenario\n(median; flows: mean)")
    overlay = record_overlay(comparison.start)  # what is record, what is projection
    marks = overlay({c: ax for ax, (c, _) in zip(axes, TRAJECTORY_COLUMNS)}) if overlay else []
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside right center", fontsize=9,
               title=key, title_fontsize=9)
    if marks:
        fig.legend(handles=marks, loc="outside lower center", ncol=2, fontsize=8,
                   frameon=False)
    fig.suptitle(f"Scenarios compared on the same {comparison.runs} seeds", fontsize=14)
    return finish(fig, path)


#: Outcomes whose x range is fixed by their unit, so panels share a scale.
def plot_outcomes(comparison: Comparison, path: str | PathLike | None = None) -> Figure:
    """One panel per outcome: each scenario's estimate with its 95% interval.

    Panels that share a unit share their scale: probabilities and 0–1 indices always
    span 0 to 1 (a small difference looks small); counts of months span 0 to the
    horizon. Outcomes the runs are too short for say "not available".
    """
    table = comparison.outcomes
    fig = Figure(figsize=(14, 8), layout="constrained")
    axes = fig.subplots(2, 4).ravel()
    names = comparison.names
    months = comparison.months
    y = np.arange(len(names))[::-1]
    for ax, outcome in zip(axes, OUTCOMES):
        metric = METRICS[outcome]
        rows = table[table.outcome == outcome].set_index("scenario").loc[names]
        ax.set_yticks(y, [displayable(n) for n in names], fontsize=8)
        ax.set_title(metric.description, fontsize=9, wrap=True)
        ax.set_xlabel(metric.unit)
        lo, hi = outcome_range(metric, months)
        pad = 0.03 * (hi - lo)
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_ylim(-0.7, len(names) - 0.3)
        if not rows["available"].all():
            ax.text(0.5, 0.5, f"not available:\nruns end before month {metric.months_needed}",
                    transform=ax.transAxes, ha="center", va="center", color="0.4")
            continue
        xerr = np.clip([rows["estimate"] - rows["ci_low"], rows["ci_high"] - rows["estimate"]],
                       0.0, None)  # a rounding hair below zero when the interval is a point
        ax.errorbar(rows["estimate"], y, xerr=xerr, fmt="o", color="C0", capsize=3)
        ax.axvline(rows["estimate"].iloc[0], color="0.6", ls="--", lw=1)
        ax.grid(alpha=0.3, axis="x")
    axes[-1].axis("off")
    axes[-1].text(0, 0.5, "points: estimate\nbars: 95% interval\ndashed: first scenario\n"
                  "x axes: the outcome's full range\n(0–1, or 0 to the horizon in months)",
                  fontsize=10, va="center")
    fig.suptitle(f"Outcomes by scenario ({comparison.runs} runs each, same seeds, "
                 f"{months} months)", fontsize=14)
    return finish(fig, path)
