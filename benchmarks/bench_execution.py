"""Benchmark the execution layer: scaling over Dask workers, and its overhead.

Run from the repository root::

    python benchmarks/bench_execution.py                    # 1, 2 and all cores
    python benchmarks/bench_execution.py --workers 1,4,16   # any worker counts
    python benchmarks/bench_execution.py --quick            # 10x smaller, a smoke run
    python benchmarks/bench_execution.py --write            # ... and its results file
    python benchmarks/bench_execution.py --run 1000000      # only the `run` command, below

What is measured (wall-clock, ``time.perf_counter``), for the ``baseline`` scenario:

* a Sobol' analysis of ``treaty_by_24`` over the 12 default parameters with about 10^5
  runs (``n = 512`` → 7,168 points × 14 replicates = 100,352 runs of 36 months);
* a 10^6-run ensemble summary (``ensemble_summary``: per-month quantiles, means and
  option shares; the client merges per-chunk histograms, the runs are never gathered);
* each in-process (the reference) and on a ``LocalCluster`` of N worker processes for
  every N of ``--workers``; a cluster is started and warmed up (every worker has imported
  the model) before it is timed, and its start-up time is reported on its own line;
* speed-up = in-process time ÷ N-worker time; scaling efficiency = speed-up ÷ N;
* overhead: a 10^5-run ensemble summary on 2 workers against in-process (target: at most
  15% slower), warm and including the cluster start.

Every back end's result is checked to equal the in-process one exactly.

With ``--run N`` it measures only the command a user reaches for first, ``python run.py
run calibrated --runs N`` (above ``--stream-above`` it streams: figures and summary from
per-month statistics, the table written chunk by chunk to ``ensemble/``), in a child
process in-process and with ``--workers 2``: wall time, and peak memory as the largest
summed resident set size of the child and all its descendants (sampled every 0.2 s).
Both are set against the bare ensemble computation of the same runs (every chunk
simulated in this process, nothing kept), measured in the same benchmark run; targets:
peak memory ≤ 2 GiB, time ≤ 1.5 × bare compute. The summaries of the in-process and the
2-worker run are checked to be byte-identical. ``--against-full`` also runs the same
command with ``--stream-above 0`` and with the table gathered (``--stream-above`` above
its size) and reports the largest difference of every median and band between the two
summaries against the stated histogram error.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


from bench_ensemble import load_average, machine  # noqa: E402

import model  # noqa: E402
from model.analysis.metrics import METRICS  # noqa: E402
from model.analysis.sensitivity import DEFAULT_KEYS, run_sobol  # noqa: E402
from model.execution import Executor, ensemble_summary  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "bench_execution.md"
SCENARIO = "baseline"
OVERHEAD_TARGET = 0.15


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def sobol_size(runs: int, keys: int = len(DEFAULT_KEYS)) -> tuple[int, int]:
    """(n, replicates) of a Sobol' analysis with about ``runs`` runs."""
    n = 512 if runs >= 50_000 else 64
    return n, max(1, round(runs / (n * (keys + 2))))


def worker_counts(text: str) -> list[int]:
    counts = []
    for part in text.split(","):
        part = part.strip()
        counts.append(os.cpu_count() or 1 if part == "all" else int(part))
    return sorted(set(counts))


RUN_SCENARIO = "calibrated"
MEMORY_TARGET_GIB = 2.0
TIME_TARGET = 1.5


def tree_peak_rss(cmd: list[str]) -> tuple[float, float, int]:
    """Run ``cmd``; return (wall seconds, peak summed RSS of it and its descendants in
    MiB, exit status)."""
    import psutil

    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
                total = 0
                for p in procs:
                    with contextlib.suppress(psutil.Error):
                        total += p.memory_info().rss
                peak = max(peak, total / 2**20)
            except psutil.Error:
                pass
            done.wait(0.2)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    _, err = proc.communicate()
    done.set()
    thread.join()
    if proc.returncode:
        log(err.decode(errors="replace")[-2000:])
    return time.perf_counter() - start, peak, proc.returncode


def bare_compute(runs: int, chunk_runs: int | None) -> float:
    """Seconds to simulate every chunk of ``runs`` runs in this process, keeping nothing."""
    from model.execution import ensemble_job

    scenario = model.load_scenario(RUN_SCENARIO)
    job = ensemble_job(scenario, runs, seed=0, output="metrics", chunk_runs=chunk_runs)
    with Executor(progress=False) as ex:
        seconds, _ = timed(lambda: ex.run(job))
    return seconds


def summary_differences(a: dict, b: dict) -> float:
    """Largest difference between the medians and bands of two summary.json dicts."""
    worst = 0.0
    for key in ("alliance_strength_final", "sanctions_integrity_band"):
        for stat in ("median", "q05", "q95"):
            worst = max(worst, abs(a[key][stat] - b[key][stat]))
    for band in ("start_band", "final_band"):
        for stat in ("median", "q05", "q95"):
            worst = max(worst, abs(a["nk_tech_level"][band][stat]
                                   - b["nk_tech_level"][band][stat]))
    return worst


def run_benchmark(runs: int, against_full: bool, write: bool) -> int:
    """The ``--run N`` mode (see the module docstring)."""
    load_start = load_average()
    tmp = Path(tempfile.mkdtemp(prefix="bench-run-"))
    base = [sys.executable, str(ROOT / "run.py"), "run", RUN_SCENARIO, "--runs", str(runs)]
    rows, results = [], {}
    try:
        log(f"bare compute of {runs:,} runs in this process ...")
        bare = bare_compute(runs, None)
        log(f"  {bare:.1f} s")
        for label, extra in (("in-process", []), ("2 workers", ["--workers", "2"])):
            out = tmp / label.replace(" ", "-")
            log(f"run --runs {runs:,} ({label}) ...")
            seconds, peak, status = tree_peak_rss([*base, "--out", str(out), *extra])
            results[label] = (out / "summary.txt").read_bytes() if status == 0 else b""
            log(f"  {seconds:.1f} s, peak {peak:,.0f} MiB, exit {status}")
            size = sum(p.stat().st_size for p in (out / "ensemble").glob("*.parquet")) \
                if (out / "ensemble").exists() else 0
            rows.append((label, seconds, peak, status, size))
            if label == "in-process":
                streamed = json.loads((out / "summary.json").read_text()) if status == 0 \
                    else None
                if write and streamed is not None:  # for comparisons with other sizes
                    shutil.copy(out / "summary.json", OUT.with_name(f"RUN_{runs}_summary.json"))
            else:
                shutil.rmtree(out, ignore_errors=True)
        identical = results["in-process"] == results["2 workers"] and bool(results["2 workers"])
        full = None
        if against_full and streamed is not None:
            out = tmp / "full"
            log(f"run --runs {runs:,} with the table gathered ...")
            seconds, peak, status = tree_peak_rss(
                [*base, "--out", str(out), "--stream-above", str(runs * 1000)])
            if status == 0:
                gathered = json.loads((out / "summary.json").read_text())
                full = (seconds, peak, summary_differences(streamed, gathered),
                        max(streamed["quantile_error"]["per_month"].values()),
                        streamed["treaty_by_month"] == gathered["treaty_by_month"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    lines = [f"## `run {RUN_SCENARIO} --runs {runs:,}`", "",
             f"Measured {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')} by "
             f"`python benchmarks/bench_execution.py --run {runs}"
             f"{' --against-full' if against_full else ''}`. Load average at start; at end: "
             f"{load_start}; {load_average()} (a shared machine: other work slows the "
             "timings).", "",
             f"Bare ensemble computation (every chunk simulated in this process, nothing "
             f"kept): **{bare:.1f} s**.", "",
             "| back end | wall s | × bare compute | peak memory MiB (process tree) | "
             "table on disk MiB | exit |", "|---|---:|---:|---:|---:|---|"]
    for label, seconds, peak, status, size in rows:
        lines.append(f"| {label} | {seconds:.1f} | {seconds / bare:.2f} | {peak:,.0f} | "
                     f"{size / 2**20:,.0f} | {status} |")
    met = all(peak <= MEMORY_TARGET_GIB * 1024 and seconds <= TIME_TARGET * bare
              for _, seconds, peak, _, _ in rows)
    lines += ["", f"Targets (peak ≤ {MEMORY_TARGET_GIB:g} GiB, time ≤ {TIME_TARGET:g} × bare "
              f"compute): {'**met**' if met else '**not met**'}. Summary in-process and on 2 "
              f"workers byte-identical: {'yes' if identical else '**no**'}."]
    if full is not None:
        seconds, peak, worst, error, same = full
        lines += ["", f"Same runs with the table gathered: {seconds:.1f} s, peak {peak:,.0f} "
                  f"MiB. Largest difference of a median or band between the streamed and the "
                  f"gathered summary: {worst:.2g} (stated error {error:.2g}: "
                  f"{'within' if worst <= error + 1e-12 else '**outside**'}); treaty shares "
                  f"identical: {'yes' if same else '**no**'}."]
    report = "\n".join(lines) + "\n"
    print(report)
    if write:
        path = OUT.with_name(f"RUN_{runs}.md")
        path.write_text(report, encoding="utf-8")
        log(f"wrote {path}")
    return 0 if met and identical else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2,all",
                        help="comma-separated worker counts; 'all' = os.cpu_count() "
                             "(default 1,2,all)")
    parser.add_argument("--quick", action="store_true", help="10x smaller sizes")
    parser.add_argument("--write", action="store_true", help=f"write {OUT.name}")
    parser.add_argument("--chunk-runs", type=int, default=10_000,
                        help="runs per chunk (default 10,000)")
    parser.add_argument("--run", type=int, default=None, metavar="N",
                        help="measure only `run.py run` of N runs (see the docstring)")
    parser.add_argument("--against-full", action="store_true",
                        help="with --run: also gather the table and compare summaries")
    args = parser.parse_args(argv)
    if args.run is not None:
        return run_benchmark(args.run, args.against_full, args.write)
    scale = 10 if args.quick else 1
    sobol_runs, ensemble_runs, overhead_runs = 100_000 // scale, 1_000_000 // scale, \
        100_000 // scale
    counts = worker_counts(args.workers)
    scenario = model.load_scenario(SCENARIO)
    metric = METRICS["treaty_by_24"]
    n, replicates = sobol_size(sobol_runs)
    chunk = args.chunk_runs
    load_start = load_average()
    started = time.perf_counter()

    def sobol(ex):
        return run_sobol(scenario, metric, n=n, replicates=replicates, seed=0,
                         executor=ex).table

    def summary(runs):
        return lambda ex: ensemble_summary(scenario, runs, seed=0, executor=ex)

    tasks = {"sobol": sobol, "ensemble": summary(ensemble_runs),
             "overhead": summary(overhead_runs)}
    times: dict[tuple[str, int], float] = {}
    startup: dict[int, float] = {}
    identical: dict[tuple[str, int], bool] = {}
    reference = {}
    log(f"in-process: {list(tasks)}")
    with Executor(chunk_runs=chunk, progress=False) as ex:
        for name, task in tasks.items():
            times[name, 0], reference[name] = timed(lambda: task(ex))  # noqa: B023
            log(f"  {name}: {times[name, 0]:.2f} s")
    for workers in counts:
        ex = Executor(workers=workers, chunk_runs=chunk, progress=False)
        startup[workers], _ = timed(lambda: ex.client.run(lambda: __import__("model.ensemble")))  # noqa: B023
        log(f"{workers} workers: cluster up and warm in {startup[workers]:.2f} s")
        with ex:
            for name, task in tasks.items():
                if name == "overhead" and workers != 2:
                    continue
                times[name, workers], value = timed(lambda: task(ex))  # noqa: B023
                identical[name, workers] = value.equals(reference[name])
                log(f"  {name}: {times[name, workers]:.2f} s (identical: "
                    f"{identical[name, workers]})")
    if 2 not in counts:  # the overhead needs a 2-worker cluster
        ex = Executor(workers=2, chunk_runs=chunk, progress=False)
        startup[2], _ = timed(lambda: ex.client.run(lambda: __import__("model.ensemble")))
        with ex:
            times["overhead", 2], value = timed(lambda: tasks["overhead"](ex))
            identical["overhead", 2] = value.equals(reference["overhead"])
    report = render(args, counts, times, startup, identical, n, replicates, sobol_runs,
                    ensemble_runs, overhead_runs, chunk, load_start, load_average(),
                    time.perf_counter() - started)
    print(report)
    if args.write:
        OUT.write_text(report, encoding="utf-8")
        log(f"wrote {OUT}")
    return 0


def render(args, counts, times, startup, identical, n, replicates, sobol_runs, ensemble_runs,
           overhead_runs, chunk, load_start, load_end, total) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Execution layer benchmark (`bench_execution.py`)", "",
        f"Written by `python benchmarks/bench_execution.py{' --quick' if args.quick else ''}"
        f" --workers {args.workers}` on {now} ({total:.0f} s). Chunks of {chunk:,} runs.", "",
        "## Machine", ""]
    lines += [f"- {k}: {v}" for k, v in machine().items()]
    lines += [f"- load average (1/5/15 min) at start; at end: {load_start}; {load_end} "
              "(other work on the machine slows the timings)", "", "## Scaling", "",
              "Speed-up = in-process seconds ÷ seconds on N workers; efficiency = speed-up ÷ N. "
              "Clusters were started and warmed up before timing (start-up below).", "",
              "| experiment | runs | back end | seconds | speed-up | efficiency | identical |",
              "|---|---:|---|---:|---:|---:|---|"]
    sizes = {"sobol": (f"Sobol' (n={n}, {replicates} replicates, 12 parameters)",
                       n * (len(DEFAULT_KEYS) + 2) * replicates),
             "ensemble": ("ensemble summary", ensemble_runs)}
    for name, (label, runs) in sizes.items():
        base = times[name, 0]
        lines.append(f"| {label} | {runs:,} | in-process | {base:.2f} | 1.00 | – | reference |")
        for w in counts:
            t = times[name, w]
            lines.append(f"| {label} | {runs:,} | {w} worker{'s' if w > 1 else ''} | {t:.2f} | "
                         f"{base / t:.2f} | {base / t / w:.0%} | "
                         f"{'yes' if identical[name, w] else '**no**'} |")
    lines += ["", "Cluster start-up (LocalCluster, fork, every worker importing the model):",
              ""] + [f"- {w} workers: {s:.2f} s" for w, s in sorted(startup.items())]
    base, two = times["overhead", 0], times["overhead", 2]
    slower = two / base - 1
    cold = (two + startup[2]) / base - 1
    verdict = "**met**" if slower <= OVERHEAD_TARGET else "**not met**"
    lines += ["", "## Overhead", "",
              f"{overhead_runs:,}-run ensemble summary: in-process {base:.2f} s, 2 workers "
              f"{two:.2f} s ({slower:+.0%}; identical: "
              f"{'yes' if identical['overhead', 2] else 'no'}). Target ≤ +15%: {verdict} "
              f"(warm cluster). Counting the cluster start ({startup[2]:.2f} s): {cold:+.0%}.",
              ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
