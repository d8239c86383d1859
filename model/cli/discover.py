"""`discover`: scenario discovery — the boxes of input space where an outcome concentrates."""

from __future__ import annotations

import argparse
import time

from ..analysis.discovery import run_discovery
from ..analysis.futures import joint_sample
from ..analysis.metrics import METRICS
from ..analysis.reports.discovery import write_discovery
from .common import (
    UsageError,
    add_common,
    add_execution_options,
    claim_folder,
    default_out,
    executor_from,
    metric_from,
    positive_int,
    progress_bar,
    report_written,
    require_months,
    scenario_from,
)

HELP = "find the conditions (PRIM boxes, CART) under which an outcome happens"
DEFAULT_SAMPLES = 1000


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _unit_interval(text: str) -> float:
    value = _number(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """SCENARIO, --outcome, --above/--below, --samples, --months and the common flags."""
    parser.add_argument("scenario", nargs="?", default="baseline",
                        help="scenario name or .toml path (default baseline)")
    parser.add_argument("--outcome", default="treaty_by_24", metavar="METRIC",
                        help=f"outcome metric (default treaty_by_24; one of {', '.join(METRICS)})")
    side = parser.add_mutually_exclusive_group()
    side.add_argument("--above", type=_number, default=None, metavar="X",
                      help="a future is a case when the outcome's mean over its runs is > X "
                           "(default for probabilities: 0.5; otherwise the median)")
    side.add_argument("--below", type=_number, default=None, metavar="X",
                      help="a future is a case when the outcome's mean over its runs is < X")
    parser.add_argument("--samples", type=positive_int, default=DEFAULT_SAMPLES,
                        help=f"futures sampled (Latin hypercube; default {DEFAULT_SAMPLES})")
    parser.add_argument("--months", type=positive_int, default=None,
                        help="months to simulate (default: the scenario's horizon)")
    parser.add_argument("--boxes", type=positive_int, default=3,
                        help="at most this many PRIM boxes (default 3)")
    parser.add_argument("--min-density", type=_unit_interval, default=None, metavar="D",
                        help="report on each trajectory the box with the largest coverage "
                             "whose density is ≥ D, with all its restrictions (default: the "
                             "largest coverage × density, insignificant restrictions dropped)")
    parser.add_argument("--china", action=argparse.BooleanOptionalAction, default=True,
                        help="sample China's stance (adaptive, restrain, neutral, enable) as "
                             "an input (default: yes)")
    add_execution_options(parser)
    add_common(parser, runs=10, runs_help="runs per future, same seeds in every future")


def execute(args: argparse.Namespace) -> int:
    """Sample futures over the documented parameter ranges, mark those where an outcome
    is above (or below) a threshold, and find where they concentrate: PRIM boxes
    (EMA Workbench) with coverage, density and significance, and a CART tree."""
    started = time.perf_counter()
    scenario = scenario_from(args)
    metric = metric_from(args.outcome, "--outcome")
    require_months(metric, scenario, args.months, "--outcome")
    if args.samples < 20:
        raise UsageError(f"--samples {args.samples}: need at least 20 futures to find boxes")
    out = args.out or default_out(f"discover_{metric.name}", args)
    with claim_folder(out) as claim:  # checked and locked before simulating
        with executor_from(args) as executor, progress_bar(args.samples, "futures") as bar:
            result = run_discovery(scenario, metric, above=args.above, below=args.below,
                                   samples=args.samples, runs=args.runs, seed=args.seed,
                                   months=args.months, china=args.china,
                                   joint=joint_sample(scenario), max_boxes=args.boxes,
                                   min_density=args.min_density, progress=bar.update,
                                   executor=executor)
        print(write_discovery(result, out, scenario, started))
    report_written(out, claim.files, started)
    return 0
