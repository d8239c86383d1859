"""Check the article's causal claims C1–C8 (DESIGN.md) by paired comparisons.

`python experiments/article_claims.py` = `python run.py claims --runs 2000`. Exits 1 if
a claim fails; see model/claims.py for how each comparison is set up.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from model import load_scenario  # noqa: E402
from model.claims import check_claims  # noqa: E402
from model.reports import write_claims  # noqa: E402
from model.results import RESULTS_DIR  # noqa: E402

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
