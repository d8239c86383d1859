"""`sweep`: one or two parameters over a grid; a heatmap or line of an outcome metric."""

from __future__ import annotations

import argparse
import time

from ..analysis.metrics import METRICS
from ..analysis.reports.sweep import write_sweep
from ..analysis.sweep import parse_axis, sweep
from .common import (
    add_common,
    add_execution_options,
    add_metric_and_months,
    claim_folder,
    default_out,
    executor_from,
    metric_from,
    report_written,
    require_months,
    require_points_memory,
    scenario_from,
)

HELP = "sweep one or two parameters; heatmap or line of a metric"
DESCRIPTION_SUFFIX = " Metrics: " + "; ".join(
    f"{m.name} = {m.description}" for m in METRICS.values()) + "."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """SCENARIO, --x, --y, --metric, --months and the common flags."""
    parser.add_argument("scenario", nargs="?", default="baseline")
    parser.add_argument("--x", required=True, metavar="KEY=LO:HI:N",
                        help="parameter on the x axis, e.g. levers.international_pressure=0:1:11")
    parser.add_argument("--y", default=None, metavar="KEY=LO:HI:N",
                        help="optional parameter on the y axis (2-D heatmap)")
    add_metric_and_months(parser, "outcome to map")
    add_common(parser, runs=200, runs_help="runs per cell")
    add_execution_options(parser)


def execute(args: argparse.Namespace) -> int:
    """Sweep one or two parameters over a grid; map an outcome metric."""
    started = time.perf_counter()
    scenario = scenario_from(args)
    x = parse_axis(args.x, "--x")
    y = parse_axis(args.y, "--y") if args.y else None
    metric = metric_from(args.metric)
    require_months(metric, scenario, args.months)
    require_points_memory(scenario, len(x.values) * (len(y.values) if y else 1), args.runs,
                          args.months, chunk_runs=args.chunk_runs)
    out = args.out or default_out(f"sweep_{metric.name}", args)
    with claim_folder(out) as claim:  # checked and locked before simulating
        with executor_from(args) as executor:
            result = sweep(scenario, x, y, metric, args.runs, args.seed, args.months,
                           executor=executor)
        print(write_sweep(result, out, scenario, started))
    report_written(out, claim.files, started)
    return 0
