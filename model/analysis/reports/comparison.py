"""The folder of `compare`: figures, outcome table (CSV, Markdown), manifest, report."""

from __future__ import annotations

import time
from pathlib import Path

from ...core.schema import Scenario
from ...output.reports import header
from ...output.results import manifest, output_folder
from .. import compare as compare_module


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
            months=result.months, wall_time=time.perf_counter() - started,
            files=[*folder.files, "manifest.json"],
            extra={"scenarios": result.names,
                   "all_overrides": {n: s.overrides for n, s in zip(result.names, scenarios)}}))
    return md_table
