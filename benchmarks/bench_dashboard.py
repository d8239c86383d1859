"""How long the dashboard takes to redraw the ensemble after a control changes.

The dashboard's redraw is ``model.dashboard.ensemble_view.compute``: the vectorized
ensemble (1,000 runs by default), the ``run`` command's fan chart (``plot_trajectories``)
rendered to the PNG the page shows, and the headline summary. The target (issue 11) is
≤ 2 s for 1,000 runs on the 2-core machine. A lever is moved between repeats, as a user
would, so nothing is cached.

    python benchmarks/bench_dashboard.py              # 1,000 runs, best and median of 5
    python benchmarks/bench_dashboard.py --runs 5000 --repeat 3
    python benchmarks/bench_dashboard.py --write      # also write results/bench_dashboard.md

Timings are wall-clock and suffer from other work on the machine: the load average is
printed with them.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from model import load_scenario, run_ensemble  # noqa: E402
from model.dashboard.ensemble_view import SCREEN_DPI, compute  # noqa: E402
from model.output.plots import plot_trajectories  # noqa: E402
from model.output.summary import summarize  # noqa: E402

TARGET_S = 2.0
OUT = Path(__file__).resolve().parent / "results" / "bench_dashboard.md"


def parts(scenario, runs: int, seed: int) -> dict[str, float]:
    """The redraw split into its steps (seconds)."""
    t0 = time.perf_counter()
    table = run_ensemble(scenario, runs=runs, seed=seed, months=scenario.horizon)
    t1 = time.perf_counter()
    figure = plot_trajectories(table, "benchmark", start=scenario.start)
    t2 = time.perf_counter()
    figure.savefig(io.BytesIO(), format="png", dpi=SCREEN_DPI)
    t3 = time.perf_counter()
    summarize(table)
    t4 = time.perf_counter()
    return {"ensemble": t1 - t0, "figure": t2 - t1, "png": t3 - t2, "summary": t4 - t3}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write", action="store_true", help=f"write {OUT.name}")
    args = parser.parse_args()

    load_before = os.getloadavg()
    compute(load_scenario(args.scenario), args.runs, 0, "warm-up")  # imports, font cache
    times, cpu = [], []
    for i in range(args.repeat):
        moved = load_scenario(args.scenario, {"levers.war_demand": 0.2 + 0.6 * i / args.repeat})
        started = time.process_time()
        times.append(compute(moved, args.runs, i, "benchmark").seconds)
        cpu.append(time.process_time() - started)
    split = parts(load_scenario(args.scenario), args.runs, 0)
    load_after = os.getloadavg()

    best, median = min(times), statistics.median(times)
    verdict = "meets" if median <= TARGET_S else "misses"
    lines = [
        "# Dashboard redraw time (`bench_dashboard.py`)",
        "",
        f"`python benchmarks/bench_dashboard.py --runs {args.runs} --repeat {args.repeat}` "
        f"({platform.python_version()}, {os.cpu_count()} CPUs, scenario {args.scenario!r}).",
        "",
        "| runs | wall, best (s) | wall, median (s) | CPU, median (s) | target (s) | |",
        "|---:|---:|---:|---:|---:|---|",
        f"| {args.runs} | {best:.2f} | {median:.2f} | {statistics.median(cpu):.2f} | "
        f"{TARGET_S:.1f} | wall median {verdict} the target |",
        "",
        "CPU time is this process's own (one thread): close to the wall time an idle "
        "machine would show, whatever else shares the cores.",
        "",
        "One redraw, split: " + ", ".join(f"{k} {v:.2f} s" for k, v in split.items()) + ".",
        "",
        f"Load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in load_before)} at the "
        f"start, {', '.join(f'{x:.2f}' for x in load_after)} at the end "
        "(above 2 means other work shared the 2 cores).",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        OUT.write_text(text, encoding="utf-8")
        print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
