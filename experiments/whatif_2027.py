"""Today's questions: five what-ifs branching at December 2026 from `calibrated`.

Each question file in experiments/whatif/ states its change, why and its provenance; this
script runs each (and the null branch: the same command with no change, whose
differences must all be zero) on the same seeds, conditioned on the record's hard facts,
and writes one report. `python run.py whatif --question NAME` runs one of them. Writes
results/whatif_2027/ (report.md, summary.csv, manifest.json) and one folder per question
beside it (results/whatif_2027-NAME/, as `run.py whatif` writes them).
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from model import load_scenario
from model.analysis.reports.whatif import write_whatif
from model.analysis.whatif import carried, paired_differences, run_whatif
from model.core.questions import available_questions, load_question
from model.output.results import RESULTS_DIR, manifest, output_folder

RUNS = 2000
SEED = 0


def main(runs: int = RUNS, seed: int = SEED, out: Path = RESULTS_DIR / "whatif_2027",
         names: list[str] | None = None) -> pd.DataFrame:
    started = time.perf_counter()
    questions = [load_question(n) for n in (names or available_questions())]
    rows, sections = [], []
    scenario = load_scenario(questions[0].scenario)
    null = run_whatif(scenario, questions[0].at, {}, runs, seed)
    null_diff = paired_differences(null)
    assert (null_diff["difference"] == 0).all(), "the null branch must differ nowhere"
    for q in questions:
        result = run_whatif(load_scenario(q.scenario), q.at, q.changes, runs, seed)
        write_whatif(result, out.with_name(f"{out.name}-{q.name}"), started,
                     {"question": q.name, "provenance": q.provenance})
        table = paired_differences(result)
        table.insert(0, "question", q.name)
        rows.append(table)
        explained = carried(result)
        lead = "; ".join(
            f"{r.actor.replace('_', ' ')} {r.dimension} → `{r.gained}` "
            f"({100 * r.share_shift:+.0f} pts: {r.term.replace('_', ' ')} {r.change:+.2f})"
            for r in explained[explained["rank"] == 0].itertuples()) or "no actor's play moved"
        sections.append(f"- **{q.name}** — {q.description}. Changed: "
                        + ", ".join(f"`{k} = {v}` ({q.provenance[k]})"
                                    for k, v in q.changes.items())
                        + f". What carried it: {lead}. [details](../{out.name}-{q.name}/report.md)")
    summary = pd.concat(rows, ignore_index=True)
    at_horizon = summary[summary["month"] == summary["month"].max()]  # the horizon
    lines = ["| question | " + " | ".join(at_horizon["label"].unique()) + " |",
             "|---|" + "---:|" * at_horizon["label"].nunique()]
    for name, part in at_horizon.groupby("question", sort=False):
        cells = []
        for r in part.itertuples():
            scale = 100 if r.unit == "share of runs" else 1
            fmt = "{:+.0f}" if scale == 100 else "{:+.2f}"
            cells.append(fmt.format(scale * r.difference) + " [" + fmt.format(scale * r.ci_low)
                         + ", " + fmt.format(scale * r.ci_high) + "]")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    report = "\n".join([
        "# What if — questions of December 2026", "",
        f"Each question branches `{questions[0].scenario}` at {questions[0].at}; {runs} runs "
        f"on seed {seed}, the same seeds in both worlds, runs weighted by the record's hard "
        f"facts (effective runs {null.conditioning.effective_runs:.0f}). The null branch "
        "(no change) differs from the projection nowhere, as it must.", "",
        "## Differences at the horizon (December 2028)", "",
        "Changed − as projected, with 95% intervals; shares of runs in points, indices as "
        "numbers.", "", *lines, "", "## The questions and what carried them", "", *sections,
        "", "Data: `summary.csv` (every outcome at 6, 12 and 24 months after the branch and "
        "at the horizon).", ""])
    with output_folder(out) as folder:
        summary.to_csv(folder.path("summary.csv"), index=False)
        folder.write_text("report.md", report)
        folder.write_json("manifest.json", manifest(
            scenario, command="experiments/whatif_2027.py", seed=seed, runs=runs,
            months=null.horizon, wall_time=time.perf_counter() - started,
            files=[*folder.files, "manifest.json"],
            extra={"questions": [q.name for q in questions], "at": questions[0].at,
                   "effective_runs": null.conditioning.effective_runs}))
    print(report)
    print(f"wrote {out}/ in {time.perf_counter() - started:.1f} s")
    return summary


if __name__ == "__main__":
    main()
