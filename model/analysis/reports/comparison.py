"""The folder of `compare`: figures, outcome table (CSV, Markdown), manifest, report."""

from __future__ import annotations

import time
from pathlib import Path

from ...core.schema import Scenario
from ...output.report_header import header
from ...output.results import manifest, output_folder
from .. import compare as compare_module


def _value(rows, name: str) -> str:
    r = rows.loc[name]
    return f"{r['estimate']:.3g}, 95% CI {r['ci_low']:.3g}–{r['ci_high']:.3g}"


def finding(result: compare_module.Comparison, outcome: str) -> str:
    """One line of the report's findings: where ``outcome`` is highest and lowest, named
    only when the intervals separate the scenarios (``compare.extremes``)."""
    rows = result.outcomes[result.outcomes.outcome == outcome].set_index("scenario")
    if not rows["available"].all():
        return (f"- `{outcome}`: not available — the runs end before month "
                f"{compare_module.METRICS[outcome].months_needed}.")
    ends = compare_module.extremes(result, outcome)
    if ends.highest is None and ends.lowest is None:
        every = "; ".join(f"{n} {_value(rows, n)}" for n in result.names)
        return (f"- `{outcome}`: no scenario is clearly highest or lowest (the intervals do "
                f"not separate them): {every}.")
    parts = []
    for word, name in (("highest", ends.highest), ("lowest", ends.lowest)):
        parts.append(f"{word} in **{name}** ({_value(rows, name)})" if name is not None
                     else f"no single {word}")
    return f"- `{outcome}`: " + ", ".join(parts) + "."


def write_comparison(result: compare_module.Comparison, out: Path, scenarios: list[Scenario],
                     started: float) -> str:
    """Figures, outcome table (CSV, Markdown), manifest and report of a comparison."""
    reference = result.names[0]
    md_table = compare_module.markdown_table(result.outcomes, reference)
    findings = [finding(result, outcome) for outcome in compare_module.OUTCOMES]
    banded = len(result.names) <= compare_module.MAX_BANDED
    report = (header("Scenario comparison", None, result.runs, result.seed)
              + "\nScenarios: " + ", ".join(f"`{n}`" for n in result.names) + ".\n\n"
              + "## Findings\n\n" + "\n".join(findings) + "\n\n"
              + "An outcome is called highest (lowest) in a scenario only when the 95% "
              + "interval of its paired difference (same seeds) from every other scenario "
              + "lies above (below) zero.\n\n"
              + "![trajectories](compare_trajectories.png)\n\n"
              + ("Medians across runs with 50% bands; the munitions flow: its mean across "
                 "runs with the 95% interval of the mean, month by month.\n\n" if banded else
                 "Medians across runs; the munitions flow: its mean across runs, month by "
                 "month (bands are left out with more than "
                 f"{compare_module.MAX_BANDED} scenarios).\n\n")
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
