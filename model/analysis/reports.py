"""Write each experiment's folder: figures, the data behind them, manifest and report.md.

The command line (``run.py compare|sweep|sensitivity|claims|equilibria``) and the scripts
in ``experiments/`` both call these functions, so a script and a command given the same
inputs write the same outputs.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from ..core.schema import Scenario
from ..output.reports import header
from ..output.results import manifest, output_folder
from . import claims as claims_module
from . import compare as compare_module
from .equilibria import MonthAnalysis, RegimeMap, plot_qre_branch, plot_regime_map
from .sensitivity import SENSITIVITY_RANGES
from .sensitivity_plots import plot_morris, plot_sobol
from .sweep import SweepResult, plot_sweep, scenario_value


def write_comparison(result: compare_module.Comparison, out: Path, scenarios: list[Scenario],
                     started: float) -> str:
    """Figures, outcome table (CSV, Markdown), manifest and report of a comparison."""
    reference = result.names[0]
    md_table = compare_module.markdown_table(result.outcomes, reference)
    findings = []
    for outcome in ("treaty_by_24", "treaty_by_36", "munitions_total",
                    "sanctions_integrity_final"):
        rows = result.outcomes[result.outcomes.outcome == outcome].set_index("scenario")
        if not rows["available"].all():
            findings.append(f"- `{outcome}`: not available — the runs end before month "
                            f"{compare_module.METRICS[outcome].months_needed}.")
            continue
        best, worst = rows["estimate"].idxmax(), rows["estimate"].idxmin()
        findings.append(f"- `{outcome}`: highest in **{best}** ({rows.loc[best, 'estimate']:.3g}, "
                        f"95% CI {rows.loc[best, 'ci_low']:.3g}–{rows.loc[best, 'ci_high']:.3g}),"
                        f" lowest in **{worst}** ({rows.loc[worst, 'estimate']:.3g}, 95% CI "
                        f"{rows.loc[worst, 'ci_low']:.3g}–{rows.loc[worst, 'ci_high']:.3g}).")
    report = (header("Scenario comparison", None, result.runs, result.seed)
              + "\nScenarios: " + ", ".join(f"`{n}`" for n in result.names) + ".\n\n"
              + "## Findings\n\n" + "\n".join(findings) + "\n\n"
              + "![trajectories](compare_trajectories.png)\n\n"
              + "Medians across runs with 50% bands; flows are 6-month moving averages.\n\n"
              + "![outcomes](compare_outcomes.png)\n\n## Outcomes\n\n"
              + "Probabilities carry Wilson 95% intervals, means normal-approximation ones; "
              + f"differences are paired (same seeds) against `{reference}`.\n\n"
              + md_table + "\n")
    with output_folder(out) as folder:
        folder.save_figure("compare_trajectories.png",
                           lambda p: compare_module.plot_trajectories(result, p))
        folder.save_figure("compare_outcomes.png",
                           lambda p: compare_module.plot_outcomes(result, p))
        result.outcomes.to_csv(folder.path("outcomes.csv"), index=False)
        folder.write_text("outcomes.md", md_table + "\n")
        folder.write_text("report.md", report)
        folder.write_json("manifest.json", manifest(
            scenarios[0], command="compare", seed=result.seed, runs=result.runs,
            months=result.arrays[reference].months, wall_time=time.perf_counter() - started,
            files=[*folder.files, "manifest.json"],
            extra={"scenarios": result.names,
                   "all_overrides": {n: s.overrides for n, s in zip(result.names, scenarios)}}))
    return md_table


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


def write_claims(table: pd.DataFrame, out: Path, scenario: Scenario, runs: int, seed: int,
                 started: float) -> str:
    """Claims table (CSV, Markdown), manifest and report."""
    md = claims_module.markdown_table(table)
    failing = table[~table.holds]
    verdict = (f"All {len(table)} checks hold." if failing.empty else
               f"{len(failing)} of {len(table)} checks fail: "
               + ", ".join(failing["id"]) + ".")
    report = (header("The article's causal claims, checked", scenario, runs, seed)
              + "\nEach claim is tested by a paired comparison: the same seeds, one lever or "
              "policy moved (C6 and C8 compare two windows of the same runs). The effect is "
              "the mean per-run difference (second arm minus first) with a 95% interval.\n\n"
              f"**{verdict}**\n\n![claims](claims.png)\n\n" + md + "\n")
    with output_folder(out) as folder:
        folder.save_figure("claims.png", lambda p: claims_module.plot_claims(table, p))
        table.to_csv(folder.path("claims.csv"), index=False)
        folder.write_text("claims.md", md + "\n")
        folder.write_text("report.md", report)
        folder.write_json("manifest.json", manifest(
            scenario, command="claims", seed=seed, runs=runs, months=scenario.horizon,
            wall_time=time.perf_counter() - started, files=[*folder.files, "manifest.json"],
            extra={"holds": {r.id: bool(r.holds) for r in table.itertuples()}}))
    return verdict


def write_sensitivity(result, out: Path, scenario: Scenario, started: float) -> str:
    """Ranked indices (CSV, Markdown), figure, manifest and report of a sensitivity run."""
    table = result.table
    if result.method == "sobol":
        rank_by, figure, plot = "ST", "sobol.png", plot_sobol
        lines = ["| parameter | range | S1 [95% CI] | ST [95% CI] |", "|---|---|---|---|"]
        for r in table.itertuples(index=False):
            lo, hi, _ = SENSITIVITY_RANGES[r.parameter]
            lines.append(f"| `{r.parameter}` | {lo:g}–{hi:g} | {r.S1:.3f} ± {r.S1_conf:.3f} | "
                         f"{r.ST:.3f} ± {r.ST_conf:.3f} |")
        top = table.iloc[0]
        finding = (f"`{top.parameter}` matters most: it explains {top.ST:.0%} of the variance "
                   f"of `{result.metric}` with its interactions (ST {top.ST:.2f} ± "
                   f"{top.ST_conf:.2f}; alone S1 {top.S1:.2f} ± {top.S1_conf:.2f}). "
                   f"Sum of S1 = {table.S1.sum():.2f}, sum of ST = {table.ST.sum():.2f}: "
                   + ("interactions are large, so rank by ST." if table.ST.sum() > 1.2 * max(
                       table.S1.sum(), 1e-9) else "the model is close to additive here."))
    else:
        rank_by, figure, plot = "mu_star", "morris.png", plot_morris
        lines = ["| parameter | range | μ* [95% CI] | μ | σ |", "|---|---|---|---|---|"]
        for r in table.itertuples(index=False):
            lo, hi, _ = SENSITIVITY_RANGES[r.parameter]
            lines.append(f"| `{r.parameter}` | {lo:g}–{hi:g} | {r.mu_star:.3g} ± "
                         f"{r.mu_star_conf:.3g} | {r.mu:.3g} | {r.sigma:.3g} |")
        top = table.iloc[0]
        finding = (f"`{top.parameter}` has the largest elementary effect on `{result.metric}`: "
                   f"μ* = {top.mu_star:.3g} ± {top.mu_star_conf:.3g} {result.unit} across its "
                   "range. Points above the σ = μ* line act through interactions or "
                   "nonlinearly.")
    md = "\n".join(lines)
    ranges = "\n".join(f"- `{k}`: {SENSITIVITY_RANGES[k][0]:g}–{SENSITIVITY_RANGES[k][1]:g} — "
                       f"{SENSITIVITY_RANGES[k][2]}" for k in result.keys)
    report = (header(f"Global sensitivity ({result.method}) of {result.metric}", scenario,
                      result.replicates, result.seed,
                      f"{result.n_points} parameter points × {result.replicates} replicates "
                      f"({result.runs} runs), ranked by {rank_by}.")
              + f"\n## Finding\n\n{finding}\n\n![{result.method}]({figure})\n\n## Indices\n\n"
              + md + "\n\n## Ranges (uniform)\n\n" + ranges + "\n")
    with output_folder(out) as folder:
        folder.save_figure(figure, lambda p: plot(result, f"Sensitivity of {result.metric}", p))
        table.to_csv(folder.path(f"{result.method}.csv"), index=False)
        folder.write_text(f"{result.method}.md", md + "\n")
        folder.write_text("report.md", report)
        folder.write_json("manifest.json", manifest(
            scenario, command="sensitivity", seed=result.seed, runs=result.runs,
            months=result.months, wall_time=time.perf_counter() - started,
            files=[*folder.files, "manifest.json"], extra={"sensitivity": result.meta()}))
    return finding


def write_equilibria(analysis: MonthAnalysis, regimes: RegimeMap, text: str, out: Path,
                     scenario: Scenario, *, seed: int, lam: float, started: float) -> None:
    """The stage-game text, QRE branch and regime map figures, and the manifest."""
    x, y = regimes.x, regimes.y
    marker = (scenario_value(scenario, x.key), scenario_value(scenario, y.key))
    title = f"Scenario '{scenario.name}'"
    with output_folder(out) as folder:
        folder.write_text("equilibria.txt", text + "\n")
        folder.save_figure("qre_branch.png", lambda p: plot_qre_branch(analysis, title, p))
        folder.save_figure("regime_map.png",
                           lambda p: plot_regime_map(regimes, title, marker, p))
        folder.write_json("manifest.json", manifest(
            scenario, command="equilibria", seed=seed, runs=1, months=analysis.game.month,
            wall_time=time.perf_counter() - started, files=[*folder.files, "manifest.json"],
            extra={"lam": lam, "x": x.key, "y": y.key,
                   "equilibria": [list(e) for e in analysis.equilibria]}))
