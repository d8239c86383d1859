"""`compare`: scenarios on the same seeds, trajectories and outcomes with 95% intervals."""

from __future__ import annotations

import argparse
import time

from ..analysis.compare import compare
from ..analysis.reports.comparison import write_comparison
from ..core.schema import HORIZON_MAX
from .common import (
    UsageError,
    add_common,
    add_execution_options,
    claim_folder,
    default_out,
    executor_from,
    months_int,
    report_written,
    require_memory,
    scenario_from,
)

HELP = "compare scenarios on the same seeds"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """SCENARIO..., --months and the common flags."""
    parser.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                        help="two or more scenario names or .toml paths; the first is the "
                             "reference")
    parser.add_argument("--months", type=months_int, default=None,
                        help=f"months to simulate, 1 to {HORIZON_MAX} (default: each "
                             "scenario's horizon)")
    add_common(parser)
    add_execution_options(parser)


def execute(args: argparse.Namespace) -> int:
    """Compare scenarios on the same seeds: trajectories and outcomes with 95% intervals."""
    started = time.perf_counter()
    if len(args.scenarios) < 2:
        raise UsageError(f"compare: got one scenario ({args.scenarios[0]}); give two or more "
                         "(the first is the reference), or use `run "
                         f"{args.scenarios[0]}` for one")
    scenarios = [scenario_from(args, name) for name in args.scenarios]
    require_memory(scenarios, args.runs, args.months, output="arrays",
                   chunk_runs=args.chunk_runs)
    out = args.out or default_out("compare", args)
    with claim_folder(out) as claim:  # checked and locked before simulating
        with executor_from(args) as executor:
            result = compare(scenarios, args.runs, args.seed, args.months,
                             executor=executor)
        print(write_comparison(result, out, scenarios, started))
    report_written(out, claim.files, started)
    return 0
