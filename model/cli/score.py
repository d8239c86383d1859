"""`score`: forecasts scored like forecasts, from rolling origins inside the record."""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

from ..analysis.calibration_abc import PRIORS, minimum_particles
from ..analysis.conditioning import CONDITIONS
from ..analysis.reports.score import write_score
from ..analysis.score import BOOTSTRAP, check_origins, run_score
from ..core.forecasts import FORECASTS_FILE, load_forecasts
from .common import (
    UsageError,
    add_execution_options,
    claim_folder,
    default_out,
    executor_from,
    positive_int,
    report_written,
    seed_int,
)

HELP = "score dated forecasts from rolling origins against persistence and the base rate"
#: (particles, rounds, batch size, predictive runs) by mode.
DEFAULTS = {"full": (1000, 12, 20_000, 2000), "quick": (30, 2, 2000, 200)}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """SCENARIO, --origin, --forecasts, --particles --rounds --runs --seed --quick,
    --condition, --bootstrap, --out and the Dask flags."""
    parser.add_argument("scenario", nargs="?", default="baseline",
                        help="scenario whose unconstrained parameters each origin fits "
                             "(default baseline; one without a joint sample)")
    parser.add_argument("--origin", required=True, metavar="YYYY-MM[,YYYY-MM...]",
                        help="origins: each fits to the record dated by its last day and "
                             "forecasts the questions whose window starts after it")
    parser.add_argument("--forecasts", default=str(FORECASTS_FILE),
                        help="forecast file (default experiments/record/forecasts.toml)")
    parser.add_argument("--particles", type=positive_int, default=None,
                        help="ABC-SMC population size per origin (default 1000; 30 with "
                             f"--quick; at least {minimum_particles()})")
    parser.add_argument("--rounds", type=positive_int, default=None,
                        help="most ABC-SMC rounds per origin (default 12; 2 with --quick)")
    parser.add_argument("--runs", type=positive_int, default=None,
                        help="posterior-predictive runs per origin (default 2000; 200 with "
                             "--quick)")
    parser.add_argument("--seed", type=seed_int, default=0, help="seed (default 0)")
    parser.add_argument("--quick", action="store_true",
                        help="a small, fast fit per origin (a smoke test, not a result)")
    parser.add_argument("--condition", choices=CONDITIONS, default="record",
                        help="weight runs by the record's hard facts known at the origin "
                             "(record, default) or not (none)")
    parser.add_argument("--bootstrap", type=positive_int, default=BOOTSTRAP,
                        help=f"bootstrap resamples per skill interval (default {BOOTSTRAP})")
    parser.add_argument("--out", default=None, help="output folder (default results/score, "
                        "or results/score-TAGS for other options)")
    add_execution_options(parser, chunks=False)


def execute(args: argparse.Namespace) -> int:
    """For each origin, fit the scenario's unconstrained parameters (ABC-SMC) to the
    record dated by the origin only, forecast each question of the forecast file whose
    window starts after it (the share of posterior-predictive runs where it comes true),
    and score the forecasts (Brier, log) against persistence and the base rate on the same
    questions: skill scores with 95% bootstrap intervals, a reliability diagram, report.md."""
    from ..core.scenario import load_scenario

    started = time.perf_counter()
    forecasts = load_forecasts(args.forecasts)
    scenario = load_scenario(args.scenario)
    if scenario.sample is not None:
        raise UsageError(f"score {args.scenario}: the scenario already carries a joint "
                         "sample; score a scenario without one (e.g. baseline), whose "
                         "parameters each origin fits")
    particles, rounds, batch, runs = DEFAULTS["quick" if args.quick else "full"]
    particles, rounds = args.particles or particles, args.rounds or rounds
    runs = args.runs or runs
    if particles < minimum_particles():
        raise UsageError(f"--particles {particles}: ABC-SMC over {len(PRIORS)} parameters "
                         f"needs at least {minimum_particles()} particles")
    origins = [o.strip() for o in args.origin.split(",")]
    check_origins(forecasts, scenario.start, origins)  # before any work
    if importlib.util.find_spec("pyabc") is None:
        raise UsageError("score needs pyabc, which is not installed: "
                         "pip install -e '.[calibrate]'")
    out = Path(args.out) if args.out else default_out("score", args)
    with claim_folder(out):
        print(f"scoring {len(forecasts.forecasts)} questions of {forecasts.path.name} from "
              f"{len(origins)} origin(s) of '{scenario.name}': {particles} particles, up to "
              f"{rounds} rounds, {runs} runs per origin")
        with executor_from(args) as executor:
            result = run_score(scenario, forecasts, origins, particles=particles,
                               rounds=rounds, batch_size=batch, runs=runs, seed=args.seed,
                               condition=args.condition, resamples=args.bootstrap,
                               client=executor.client)
        files = write_score(result, out, started)
    for row in result.summary.to_dict("records"):
        print(f"  {row['origin']:<12} {row['questions']:>2} questions  Brier model "
              f"{row['brier_model']:.3f}  skill vs persistence "
              f"{row['brier_skill_vs_persistence']:+.2f} "
              f"({row['brier_skill_vs_persistence_lo']:+.2f} to "
              f"{row['brier_skill_vs_persistence_hi']:+.2f})  vs base rate "
              f"{row['brier_skill_vs_base_rate']:+.2f} "
              f"({row['brier_skill_vs_base_rate_lo']:+.2f} to "
              f"{row['brier_skill_vs_base_rate_hi']:+.2f})")
    report_written(out, files, started)
    return 0

