"""Headline experiment: which US posture holds up across futures, for the US's own outcomes?

The US pinned at each pressure option (and left to its rule) meets Russia's, North
Korea's and China's decision rules on the same 500 sampled futures and seeds; for each of
the US's outcomes (munitions reaching Russia, North Korea's tech level, the UN regime's
integrity, the alliance's strength) the report gives the mean, the 10th/90th percentiles
and the maximum regret, and names the minimax-regret posture. The same analysis is
`python run.py robust baseline`; add `--no-respond` to hold the other actors fixed.
"""

from __future__ import annotations

import time
from pathlib import Path

from model import load_scenario
from model.analysis.metrics import get_metric
from model.analysis.reports.robust import write_robust
from model.analysis.robust import US_OUTCOMES, default_policies, run_robust
from model.output.results import RESULTS_DIR

SCENARIO = "baseline"
SAMPLES = 500
RUNS = 10
SEED = 0


def main(samples: int = SAMPLES, runs: int = RUNS, seed: int = SEED,
         out: Path = RESULTS_DIR / "robust_us_posture", months: int | None = None,
         respond: bool = True) -> str:
    """Run the comparison; return the name of the most robust posture overall."""
    started = time.perf_counter()
    scenario = load_scenario(SCENARIO)
    metrics = [get_metric(name) for name in US_OUTCOMES]
    result = run_robust(scenario, default_policies(), metrics, US_OUTCOMES, samples=samples,
                        runs=runs, seed=seed, months=months, respond=respond)
    print(write_robust(result, out, scenario, started))
    print(f"wrote {out}/ in {time.perf_counter() - started:.1f} s")
    return str(result.ranking.policy.iloc[0])


if __name__ == "__main__":
    main()
