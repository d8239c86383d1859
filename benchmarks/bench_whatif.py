"""Benchmark `whatif` against `run`: a 1,000-run what-if to December 2028 should take at
most twice a 1,000-run ensemble of the same scenario (two worlds, plus the payoff-term
account of every month after the branch).

Run from the repository root::

    python benchmarks/bench_whatif.py            # 1,000 runs of calibrated, 3 rounds
    python benchmarks/bench_whatif.py --runs 200 # smaller

Two measurements, each in alternating rounds so that a busy machine slows both alike
(wall-clock, ``time.perf_counter``; the ratio of the medians is the result):

* the commands end to end, as a user runs them (``run.py run calibrated --runs N`` against
  ``run.py whatif calibrated --at 2026-12 --set levers.war_demand=0 --runs N``, each in a
  fresh process writing its folder): the target;
* the computation alone, in this process (the ensemble table against the what-if's two
  worlds, conditioning, differences and term account): for information — the what-if
  simulates two worlds, so it costs a little over twice the ensemble, and its smaller set
  of figures makes up the difference.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from model import load_scenario, run_ensemble  # noqa: E402
from model.analysis.whatif import carried, paired_differences, run_whatif  # noqa: E402

TARGET = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    commands = {
        "run": ["run", "calibrated"],
        "whatif": ["whatif", "calibrated", "--at", "2026-12", "--set", "levers.war_demand=0"]}
    wall = {"run": [], "whatif": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for name, command in commands.items():
                started = time.perf_counter()
                subprocess.run([sys.executable, "run.py", *command, "--runs", str(args.runs),
                                "--out", str(Path(tmp) / name)], cwd=ROOT, check=True,
                               capture_output=True)
                wall[name].append(time.perf_counter() - started)
    run, whatif = statistics.median(wall["run"]), statistics.median(wall["whatif"])
    ratio = whatif / run
    print(f"commands end to end ({args.runs} runs to Dec 2028, median of {args.rounds}): "
          f"run {run:.1f} s, whatif {whatif:.1f} s, ratio {ratio:.2f} (target ≤ {TARGET:g}: "
          f"{'met' if ratio <= TARGET else 'NOT met'})")

    scenario = load_scenario("calibrated")
    times = {"run": [], "whatif": []}
    for _ in range(args.rounds):
        started = time.perf_counter()
        run_ensemble(scenario, args.runs, seed=0)
        times["run"].append(time.perf_counter() - started)
        started = time.perf_counter()
        result = run_whatif(scenario, "2026-12", {"levers.war_demand": 0.0}, args.runs, 0)
        paired_differences(result)
        carried(result)
        times["whatif"].append(time.perf_counter() - started)
    run, whatif = statistics.median(times["run"]), statistics.median(times["whatif"])
    print(f"computation alone: ensemble {run:.2f} s, what-if {whatif:.2f} s, ratio "
          f"{whatif / run:.2f} (information)")


if __name__ == "__main__":
    main()
