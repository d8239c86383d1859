"""Benchmark the game-solving rules (`nash`, `qre`) against `logit` in one process.

Run from the repository root::

    python benchmarks/bench_rules.py                # prints Markdown tables
    python benchmarks/bench_rules.py --repeat 7     # more repeats (default 5)
    python benchmarks/bench_rules.py --write        # ... and replace the section of
                                                    # benchmarks/results/bench_rules.md

What is measured (scenario `baseline`, all four actors on the rule, 36 months, one
process, `model.ensemble.run_ensemble`): for each rule the median of ``--repeat`` timed
runs after a warm-up, the rules taking turns in each round, wall-clock
(`time.perf_counter`) and CPU (`time.process_time`) seconds, run-months per second, and
the median ratio to `logit`'s CPU time in the same round
(the machine is shared, so the ratio is the steadier number). Where the time goes: the
solver functions are wrapped with timers for one run of each rule. Peak memory at 10^4
runs: each rule in a fresh child interpreter reporting its own ``VmHWM``. The command
line target (`run.py run baseline --set ...rule=qre --runs 1000`) is timed end to end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from results_file import write_sections  # noqa: E402

import model  # noqa: E402
import model.ensemble.driver as ens  # noqa: E402
import model.kernels.game_rules as rules  # noqa: E402
from model.games.sparse import SparseGame  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "bench_rules.md"
SECTION = "## Game-solving rules (`nash`, `qre`)"
ACTORS = ("russia", "north_korea", "united_states", "china")
RULES = ("logit", "nash", "qre")
TARGETS = {"nash": 100_000, "qre": 5_000}
RUNS = 1_000
MEMORY_RUNS = 10_000
MEMORY_LIMIT_MIB = 2048


def scenario_for(rule: str):
    return model.load_scenario("baseline", {f"{a}.rule": rule for a in ACTORS})


def timed(rules: tuple[str, ...], runs: int, repeat: int) -> dict[str, dict]:
    """Median wall and CPU seconds of each rule, the rules taking turns in every round
    (the machine's speed drifts over minutes; taking turns lets every rule see the same
    drift), and each rule's median ratio to the first rule's CPU time in the same round."""
    scenarios = {rule: scenario_for(rule) for rule in rules}
    for scenario in scenarios.values():
        ens.run_ensemble(scenario, runs=20, seed=1)  # warm-up
    walls: dict[str, list[float]] = defaultdict(list)
    cpus: dict[str, list[float]] = defaultdict(list)
    for _ in range(repeat):
        for rule in rules:
            start, start_cpu = time.perf_counter(), time.process_time()
            ens.run_ensemble(scenarios[rule], runs=runs, seed=0)
            walls[rule].append(time.perf_counter() - start)
            cpus[rule].append(time.process_time() - start_cpu)
    out = {}
    for rule in rules:
        months = scenarios[rule].horizon
        wall, cpu = statistics.median(walls[rule]), statistics.median(cpus[rule])
        ratio = statistics.median(c / b for c, b in zip(cpus[rule], cpus[rules[0]]))
        out[rule] = {"rule": rule, "runs": runs, "repeat": repeat, "wall": wall, "cpu": cpu,
                     "rate_wall": runs * months / wall, "rate_cpu": runs * months / cpu,
                     "ratio": ratio, "walls": walls[rule]}
    return out


def breakdown(rule: str, runs: int) -> tuple[dict, dict]:
    """Seconds spent in each solver stage for one ensemble, and how QREs were found."""
    spent: dict[str, float] = defaultdict(float)
    wrapped = {
        "stage game (sparse payoff tensors)": (rules, "sparse_stage_game"),
        "game layout probe (once)": (rules, "probe_layout"),
        "pure equilibria (best-reply candidates)": (rules, "equilibrium_candidates"),
        "pure equilibria (full mask, ties)": (rules, "pure_equilibria"),
        "selection (Pareto, inertia, total)": (rules.MonthGame, "_choose"),
        "QRE: continuation bookkeeping (steps, guards, step control)": (rules, "solve"),
        "QRE: expected payoffs and Jacobians (SparseGame.evaluate_rows)":
            (SparseGame, "evaluate_rows"),
        "QRE: Newton systems (Schur complement, LAPACK)": (SparseGame, "solve"),
        "QRE: determinant signs (a forward point of the branch)": (SparseGame, "det_sign"),
        "QRE: traced fallback (logit_qre)": (rules.MonthGame, "_traced"),
        "QRE draws and bookkeeping": (rules, "qre_choices"),
    }
    originals = {}
    stack: list[list] = []  # [label, start, time spent in wrapped callees]
    iterations = [0]  # run-iterations of Newton's method (rows evaluated)

    for label, (owner, name) in wrapped.items():
        original = getattr(owner, name)
        originals[(owner, name)] = original

        def timer(*args, _f=original, _label=label, **kwargs):
            if _label.startswith("QRE: expected"):
                iterations[0] += args[2].shape[0]  # x: one row per Newton iteration
            frame = [_label, time.process_time(), 0.0]
            stack.append(frame)
            try:
                return _f(*args, **kwargs)
            finally:
                stack.pop()
                elapsed = time.process_time() - frame[1]
                spent[_label] += elapsed - frame[2]  # exclusive of wrapped callees
                if stack:
                    stack[-1][2] += elapsed
        setattr(owner, name, timer)
    memories = []
    original_memory = rules.GameMemory

    class Counting(original_memory):
        def __init__(self):
            super().__init__()
            memories.append(self)
    ens.GameMemory = Counting
    try:
        start = time.process_time()
        ens.run_ensemble(scenario_for(rule), runs=runs, seed=0)
        total = time.process_time() - start
    finally:
        for (owner, name), original in originals.items():
            setattr(owner, name, original)
        ens.GameMemory = original_memory
    spent = {k: v for k, v in spent.items() if v > 0.0005}
    spent["everything else (decisions, dynamics, beliefs, streams, table)"] = \
        total - sum(spent.values())
    stats = defaultdict(int)
    for memory in memories:
        for key, value in memory.stats.items():
            stats[key] += value
    stats["Newton iterations per run-month"] = iterations[0] / (runs * scenario_for(rule).horizon)
    return dict(spent) | {"total": total}, dict(stats)


def child(rule: str, runs: int) -> None:
    """Run one ensemble and print this interpreter's peak RSS (VmHWM) as JSON."""
    ens.run_ensemble(scenario_for(rule), runs=runs, seed=0)
    with open("/proc/self/status") as fh:
        peak = next(int(line.split()[1]) / 1024 for line in fh if line.startswith("VmHWM:"))
    print(json.dumps({"peak_mib": peak}))


def peak_memory(rule: str, runs: int) -> float:
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", rule,
                          str(runs)], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_mib"]


def cli_seconds(rule: str) -> tuple[float, float]:
    """Wall and CPU seconds (the child's user + system time) of the 1,000-run command."""
    sets = [x for a in ACTORS for x in ("--set", f"{a}.rule={rule}")]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "run.py", "run", "baseline", *sets, "--runs", "1000",
                    "--out", str(Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_rules_{rule}")],
                   check=True, capture_output=True, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def report(repeat: int) -> str:
    load_start = os.getloadavg()
    rows = timed(RULES, RUNS, repeat)
    parts = {rule: breakdown(rule, RUNS) for rule in ("nash", "qre")}
    memory = {rule: peak_memory(rule, MEMORY_RUNS) for rule in RULES}
    cli = {rule: cli_seconds(rule) for rule in ("logit", "qre")}
    load_end = os.getloadavg()
    lines = [SECTION, "",
             f"Written by `python benchmarks/bench_rules.py --write` on "
             f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; scenario `baseline`, all "
             f"four actors on the rule, {RUNS:,} runs × 36 months, one process, median of "
             f"{repeat} runs after a warm-up, the rules taking turns (ratio to `logit`: the "
             "median over rounds of the CPU seconds' ratio in one round). Load average "
             "(1/5/15 min) at start "
             f"{' / '.join(f'{x:.2f}' for x in load_start)}, at end "
             f"{' / '.join(f'{x:.2f}' for x in load_end)} on {os.cpu_count()} cores: "
             "other work shares the machine, so wall-clock rates are low and noisy; CPU "
             "seconds and the ratio to `logit` in the same process are the steadier "
             "numbers.", "",
             "| rule | wall s | CPU s | run-months/s (wall) | run-months/s (CPU) | "
             "CPU time vs logit | peak RSS at 10^4 runs (MiB) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for rule in RULES:
        r = rows[rule]
        lines.append(f"| `{rule}` | {r['wall']:.3f} | {r['cpu']:.3f} | {r['rate_wall']:,.0f} | "
                     f"{r['rate_cpu']:,.0f} | {r['ratio']:.2f}× | "
                     f"{memory[rule]:,.0f} |")
    lines += ["", "Targets (issue 12):"]
    for rule, target in TARGETS.items():
        r = rows[rule]
        lines.append(
            f"- `{rule}` ≥ {target:,} run-months/s at {RUNS:,} runs: wall {r['rate_wall']:,.0f}, "
            f"CPU {r['rate_cpu']:,.0f} — **{'met' if r['rate_cpu'] >= target else 'not met'}** "
            f"on CPU time; at the issue's logit rate (245,000 run-months/s) the measured ratio "
            f"{r['ratio']:.2f}× means {245_000 / r['ratio']:,.0f} run-months/s.")
    lines.append(f"- peak memory at 10^4 runs ≤ 2 GiB: "
                 f"**{'met' if max(memory.values()) <= MEMORY_LIMIT_MIB else 'not met'}** "
                 f"(largest {max(memory.values()):,.0f} MiB, whole interpreter).")
    lines.append(f"- `run.py run baseline --set <all four>.rule=qre --runs 1000`, end to end "
                 f"(simulation, plots, table, manifest): {cli['qre'][0]:.1f} s wall, "
                 f"{cli['qre'][1]:.1f} s CPU; the same command under `logit`: "
                 f"{cli['logit'][0]:.1f} s wall, {cli['logit'][1]:.1f} s CPU.")
    for rule in ("nash", "qre"):
        spent, stats = parts[rule]
        total = spent.pop("total")
        lines += ["", f"Where the time goes, `{rule}` ({RUNS:,} runs, CPU seconds, one run "
                  "with timers):", "", "| part | CPU s | share |", "|---|---:|---:|"]
        for label, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
            lines.append(f"| {label} | {seconds:.3f} | {seconds / total:.0%} |")
        lines.append(f"| total | {total:.3f} | 100% |")
        if stats:
            lines.append("")
            per_month = stats.pop("Newton iterations per run-month")
            lines.append("QREs solved: " + ", ".join(f"{v:,} {k}" for k, v in stats.items())
                         + " (continued: the batch's continuation from lam = 0; traced: "
                         f"`logit_qre`); {per_month:.2f} Newton iterations per run-month "
                         "(spare half-step solves included).")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    section = report(args.repeat)
    print(section)
    if args.write:
        write_sections(RESULTS, section)


if __name__ == "__main__":
    main()
