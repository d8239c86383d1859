"""`compare`: scenarios on the same seeds, trajectories and outcomes with 95% intervals."""

from __future__ import annotations

import argparse
import time

from ..analysis.compare import compare
from ..analysis.reports.comparison import write_comparison
from ..core.schema import HORIZON_MAX
from ..output.run_report import streamed_chunk_runs
from .common import (
    UsageError,
    add_common,
    add_execution_options,
    claim_folder,
    default_out,
    executor_from,
    months_int,
    nonnegative_int,
    report_written,
    require_memory,
    scenario_from,
)

HELP = "compare scenarios on the same seeds"

#: Largest run-months per scenario gathered in memory (its arrays: about 100 bytes a
#: run-month); above it a comparison is streamed (``--stream-above``).
STREAM_ABOVE_ROWS = 5_000_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """SCENARIO..., --months and the common flags."""
    parser.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                        help="two or more scenario names or .toml paths; the first is the "
                             "reference")
    parser.add_argument("--months", type=months_int, default=None,
                        help=f"months to simulate, 1 to {HORIZON_MAX} (default: each "
                             "scenario's horizon)")
    parser.add_argument("--stream-above", type=nonnegative_int, default=STREAM_ABOVE_ROWS,
                        metavar="ROWS",
                        help="gather each scenario's runs only up to this many run-months "
                             "(runs × (months + 1)); above it only per-run outcomes and "
                             "per-month statistics are kept (the outcome table is the same; "
                             "trajectories within 1/2000 of the range) "
                             f"(default {STREAM_ABOVE_ROWS:,}; 0: always)")
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
    longest = max(s.horizon if args.months is None else args.months for s in scenarios)
    stream = args.runs * (longest + 1) > args.stream_above
    with claim_folder(out) as claim:  # checked and locked before simulating
        with executor_from(args) as executor:
            result = compare(scenarios, args.runs, args.seed, args.months,
                             executor=executor, stream=stream,
                             chunk_runs=min(streamed_chunk_runs(s, executor)
                                            for s in scenarios) if stream else None)
        print(write_comparison(result, out, scenarios, started))
    report_written(out, claim.files, started)
    return 0
