"""Compare every scenario in the library against the baseline on the same seeds.

Edit SCENARIOS or RUNS and run `python experiments/compare_scenarios.py`; the same
analysis is `python run.py compare baseline ukraine_ceasefire ...`. Writes
results/compare_scenarios/ (report.md, figures, outcomes.csv, manifest.json).
"""

from __future__ import annotations

import time
from pathlib import Path

from model import load_scenario
from model.analysis.compare import compare
from model.analysis.reports.comparison import write_comparison
from model.output.results import RESULTS_DIR

SCENARIOS = ["baseline", "ukraine_ceasefire", "us_enforcement", "isolation_rises",
             "china_restrains",
             "china_enables", "nk_famine", "sanctions_collapse", "reputation_bites"]
RUNS = 2000
SEED = 0


def main(runs: int = RUNS, seed: int = SEED, out: Path = RESULTS_DIR / "compare_scenarios",
         names: list[str] = SCENARIOS) -> None:
    started = time.perf_counter()
    scenarios = [load_scenario(name) for name in names]
    result = compare(scenarios, runs=runs, seed=seed)
    print(write_comparison(result, out, scenarios, started))
    print(f"wrote {out}/ in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
