"""Compare every scenario in the library against the baseline on the same seeds.

Edit SCENARIOS or RUNS and run `python experiments/compare_scenarios.py`; the same
analysis is `python run.py compare baseline ukraine_ceasefire ...`. Writes
results/compare_scenarios/ (report.md, figures, outcomes.csv, manifest.json).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from model import load_scenario  # noqa: E402
from model.compare import compare  # noqa: E402
from model.reports import write_comparison  # noqa: E402
from model.results import RESULTS_DIR  # noqa: E402

SCENARIOS = ["baseline", "ukraine_ceasefire", "us_escalates", "china_restrains",
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
