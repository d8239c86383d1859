"""Headline experiment: international pressure × war demand → P(treaty within 24 months).

The article's two main drivers (lede and lt.2: pressure and isolation; mba.1: Russia's
war demand) on one map. Every cell runs the same seeds. Edit the grid or the metric and
run `python experiments/pressure_vs_war.py`; the same analysis is
`python run.py sweep --x levers.international_pressure=0:1:20
--y levers.war_demand=0:1:20 --metric treaty_by_24 --runs 500`.
"""

from __future__ import annotations

import time
from pathlib import Path

from model import load_scenario
from model.analysis.metrics import get_metric
from model.analysis.reports.sweep import write_sweep
from model.analysis.sweep import parse_axis, sweep
from model.output.results import RESULTS_DIR

X = "levers.international_pressure=0:1:20"
Y = "levers.war_demand=0:1:20"
METRIC = "treaty_by_24"
RUNS = 500
SEED = 0


def main(runs: int = RUNS, seed: int = SEED, out: Path = RESULTS_DIR / "pressure_vs_war",
         x: str = X, y: str = Y) -> None:
    started = time.perf_counter()
    scenario = load_scenario("baseline")
    result = sweep(scenario, parse_axis(x, "--x"), parse_axis(y, "--y"), get_metric(METRIC),
                   runs=runs, seed=seed)
    print(write_sweep(result, out, scenario, started,
                      title="International pressure × war demand → treaty within 24 months"))
    print(f"wrote {out}/ in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
