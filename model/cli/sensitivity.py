"""`sensitivity`: rank parameters by global sensitivity (SALib Sobol' or Morris)."""

from __future__ import annotations

import argparse
import time

from ..analysis.reports.sensitivity import write_sensitivity
from ..analysis.sensitivity import DEFAULT_N, run_morris, run_sobol, sample_size
from ..core.parameters import explored_keys
from .common import (
    UsageError,
    add_common,
    add_execution_options,
    add_metric_and_months,
    claim_folder,
    default_out,
    executor_from,
    metric_from,
    positive_int,
    report_written,
    require_months,
    require_points_memory,
    scenario_from,
)

HELP = "rank parameters by global sensitivity"
#: Runs at each parameter point unless --runs or --replicates says otherwise.
REPLICATES = 16


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """SCENARIO, --method, --n, --replicates, --metric, --months and the common flags."""
    parser.add_argument("scenario", nargs="?", default="baseline")
    parser.add_argument("--method", choices=tuple(DEFAULT_N), default="sobol")
    parser.add_argument("--n", type=positive_int, default=None,
                        help="base sample size (Sobol': a power of 2, default "
                             f"{DEFAULT_N['sobol']}; Morris: trajectories, default "
                             f"{DEFAULT_N['morris']})")
    parser.add_argument("--replicates", type=positive_int, default=None,
                        help="runs averaged at each parameter point, same seeds everywhere: "
                             "another name for --runs")
    add_metric_and_months(parser, "outcome to analyse")
    add_common(parser, runs=REPLICATES, runs_help="replicates per parameter point")
    add_execution_options(parser)


def replicates_from(args: argparse.Namespace) -> int:
    """The runs per parameter point, said by ``--runs`` or ``--replicates`` (one setting,
    two names); both given and different is a usage error. Afterwards ``args.runs`` holds
    it and ``args.replicates`` is None, so the default folder names it once (``runs4``)."""
    runs, replicates = args.runs, args.replicates
    if replicates is None:
        return runs
    if "runs" in getattr(args, "given_", ()) and runs != replicates:
        raise UsageError(f"--runs {runs} and --replicates {replicates} disagree: both are the "
                         "runs at each parameter point; give one of them")
    args.runs, args.replicates = replicates, None
    return replicates


def execute(args: argparse.Namespace) -> int:
    """Rank the levers and main weights by global sensitivity (SALib Sobol' or Morris)."""
    started = time.perf_counter()
    scenario = scenario_from(args)
    metric = metric_from(args.metric)
    n = args.n if args.n is not None else DEFAULT_N[args.method]
    replicates = replicates_from(args)
    run = run_sobol if args.method == "sobol" else run_morris
    require_months(metric, scenario, args.months)
    keys = explored_keys(scenario.escalation)
    require_points_memory(scenario, sample_size(args.method, n, keys), replicates, args.months,
                          chunk_runs=args.chunk_runs)
    out = args.out or default_out(f"sensitivity_{args.method}_{metric.name}", args)
    with claim_folder(out) as claim:  # checked and locked before simulating
        with executor_from(args) as executor:  # a bad --n etc.: SensitivityError (main)
            result = run(scenario, metric, n=n, replicates=replicates, seed=args.seed,
                         months=args.months, executor=executor)
        print(write_sensitivity(result, out, scenario, started))
    print(result.table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    report_written(out, claim.files, started)
    return 0
