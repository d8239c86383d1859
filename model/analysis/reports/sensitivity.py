"""The folder of `sensitivity`: ranked indices (CSV, Markdown), figure, manifest, report."""

from __future__ import annotations

import time
from pathlib import Path

from ...core.schema import Scenario
from ...output.reports import header
from ...output.results import manifest, output_folder
from ..sensitivity import SENSITIVITY_RANGES
from ..sensitivity_plots import plot_morris, plot_sobol


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
