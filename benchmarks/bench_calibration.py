"""How fast pyabc's ABC-SMC runs the calibration's particles, three ways, in one process.

    python benchmarks/bench_calibration.py           # 200 particles, 3 rounds (~2 min)
    python benchmarks/bench_calibration.py --quick   # 60 particles, 2 rounds
    python benchmarks/bench_calibration.py --write   # ... and write RESULTS_calibration.md

On the committed record and priors (``baseline``, 17 months, 15 fitted rules), the same
ABC-SMC (seed 0) three ways:

1. *pyabc as it comes*: ``SingleCoreSampler``, scipy uniform priors
   (``pyabc.Distribution`` of ``pyabc.RV``), ``MultivariateNormalTransition``, one call
   of the vectorized driver per particle;
2. *one at a time, numpy kernels*: the same sampler with
   ``model.analysis.abc_batches``' ``BoxPrior``, ``OneModel`` and ``NormalKernel``;
3. *batches* (what ``calibrate`` runs): ``BatchSampler``, whole batches per driver call,
   with the numpy kernels.

Reported: CPU seconds of this process (the machine is shared: wall time depends on the
load), particles evaluated, and CPU per particle; ratios against the first way.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np
import pyabc

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from results_file import write_sections  # noqa: E402

from model import load_scenario  # noqa: E402
from model.analysis.abc_batches import (  # noqa: E402
    BatchSampler,
    BoxPrior,
    FallingQuantile,
    NormalKernel,
    OneModel,
)
from model.analysis.calibration_abc import PRIORS, batch_scores  # noqa: E402
from model.analysis.calibration_observations import distance, rule_weights  # noqa: E402
from model.core.record import load_observations  # noqa: E402

RESULTS = HERE / "RESULTS_calibration.md"


def fit(way: str, particles: int, rounds: int) -> tuple[float, int]:
    """CPU seconds and particles evaluated by one ABC-SMC fit done ``way``."""
    scenario, observations = load_scenario("baseline"), load_observations()
    keys = tuple(PRIORS)
    weights = rule_weights(observations)
    scores = batch_scores(scenario, observations, keys, seed=0)
    calls = [0]

    def one(pars) -> dict:
        calls[0] += 1
        row = np.array([[pars[k] for k in keys]])
        return {"scores": scores(row, calls[0])[0]}

    if way == "batches":
        sampler = BatchSampler(keys, lambda p, i: [{"scores": r} for r in scores(p, i)])
        model = sampler.model
    else:
        sampler, model = pyabc.SingleCoreSampler(), one
    if way == "as it comes":
        prior = pyabc.Distribution(**{k: pyabc.RV("uniform", p.low, p.high - p.low)
                                      for k, p in PRIORS.items()})
        extra = {}
    else:
        prior = BoxPrior({k: (p.low, p.high) for k, p in PRIORS.items()})
        extra = {"model_prior": OneModel(), "transitions": NormalKernel()}
    np.random.seed(0)
    started = time.process_time()
    abc = pyabc.ABCSMC(model, prior, lambda x, _: float(distance(x["scores"], weights)),
                       population_size=particles, sampler=sampler, eps=FallingQuantile(),
                       **extra)
    abc.new("sqlite://", {"scores": np.zeros(len(observations.rules))})
    history = abc.run(minimum_epsilon=0.0, max_nr_populations=rounds)
    return time.process_time() - started, int(history.total_nr_simulations)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    particles, rounds = (60, 2) if args.quick else (200, 3)
    logging.getLogger("ABC").setLevel(logging.WARNING)
    load = os.getloadavg()[0]
    rows = []
    for way in ("as it comes", "one at a time, numpy kernels", "batches"):
        print(f"{way} ...", file=sys.stderr)
        cpu, evaluated = fit(way, particles, rounds)
        rows.append((way, cpu, evaluated))
    base = rows[0][1] / rows[0][2]
    lines = ["## ABC-SMC particles per CPU second (`bench_calibration.py`)", "",
             f"Written by `python benchmarks/bench_calibration.py{' --write' if args.write else ''}"
             f"{' --quick' if args.quick else ''}`: {particles} particles, up to {rounds} "
             f"rounds, seed 0, pyabc {pyabc.__version__}; load average {load:.1f} at the "
             f"start, {os.getloadavg()[0]:.1f} at the end.", "",
             "| way | CPU s | particles evaluated | CPU ms per particle | speed-up |",
             "|---|---:|---:|---:|---:|"]
    for way, cpu, evaluated in rows:
        per = cpu / evaluated
        lines.append(f"| {way} | {cpu:.1f} | {evaluated:,} | {1000 * per:.2f} | "
                     f"{base / per:.1f}× |")
    block = "\n".join(lines) + "\n"
    print(block)
    if args.write:
        write_sections(RESULTS, "# Calibration benchmarks\n\n" + block)


if __name__ == "__main__":
    main()
