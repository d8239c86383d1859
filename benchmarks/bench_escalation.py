"""Benchmark the escalation module's cost: simulating a scenario with the module on should
take at most 1.5 times the same scenario with it off (two more decisions a month, a few
more stocks), on the same seeds, in this one process.

Run from the repository root::

    python benchmarks/bench_escalation.py              # 10,000 runs x 65 months, 5 rounds
    python benchmarks/bench_escalation.py --runs 2000  # smaller

The two arms are the ``escalation`` scenario and the same with ``escalation = false``,
simulated in alternating rounds (so a busy machine slows both alike) after a warm-up; each
time is CPU seconds (``time.process_time``, less disturbed by other load than the wall
clock), and the ratio of the medians is the result.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from model import load_scenario  # noqa: E402
from model.core.sampling import derive_seeds  # noqa: E402
from model.ensemble import simulate  # noqa: E402

TARGET = 1.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=65)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    arms = {"off": load_scenario("escalation", {"escalation": False}),
            "on": load_scenario("escalation")}
    seeds = derive_seeds(0, args.runs)
    for scenario in arms.values():  # warm-up
        simulate(scenario, seeds[:100], args.months)
    cpu: dict[str, list[float]] = {name: [] for name in arms}
    for _ in range(args.rounds):
        for name, scenario in arms.items():
            started = time.process_time()
            simulate(scenario, seeds, args.months)
            cpu[name].append(time.process_time() - started)
    off, on = statistics.median(cpu["off"]), statistics.median(cpu["on"])
    ratio = on / off
    print(f"{args.runs:,} runs x {args.months} months, median of {args.rounds} rounds (CPU): "
          f"module off {off:.2f} s, on {on:.2f} s, ratio {ratio:.2f} "
          f"(target ≤ {TARGET:g}: {'met' if ratio <= TARGET else 'NOT met'})")


if __name__ == "__main__":
    main()
