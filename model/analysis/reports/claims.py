"""The folder of `claims`: the claims table (CSV, Markdown), figure, manifest, report."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from ...core.schema import Scenario
from ...output.report_header import header
from ...output.results import manifest, output_folder
from .. import claims as claims_module


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
