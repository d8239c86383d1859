"""Check the article's causal claims C1–C8 (docs/ODD.md, section 1) by paired comparisons.

`python experiments/article_claims.py` = `python run.py claims --runs 2000`. Exits 1 if
a claim fails; see model/analysis/claims.py for how each comparison is set up.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from model import load_scenario
from model.analysis.claims import check_claims
from model.analysis.reports.claims import write_claims
from model.output.results import RESULTS_DIR

RUNS = 2000
SEED = 0


def main(runs: int = RUNS, seed: int = SEED, out: Path = RESULTS_DIR / "claims") -> bool:
    started = time.perf_counter()
    scenario = load_scenario("baseline")
    table = check_claims(scenario, runs=runs, seed=seed)
    print(write_claims(table, out, scenario, runs, seed, started))
    return bool(table.holds.all())


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
