"""`run`: an ensemble of one scenario; plots, tables, summary and manifest."""

from __future__ import annotations

import argparse
import time

from ..core.schema import HORIZON_MAX
from ..execution import default_chunk_runs, ensemble_table
from ..output.run_report import streamed_chunk_runs, write_run, write_run_streamed
from .common import (
    DEFAULT_SCENARIO,
    add_common,
    add_execution_options,
    claim_folder,
    default_out,
    describe_configuration,
    executor_from,
    months_int,
    nonnegative_int,
    report_written,
    require_memory,
    scenario_from,
)

HELP = "run a scenario ensemble; write plots and a summary"

#: Largest result table (rows = runs × (months + 1)) that ``run`` gathers in memory
#: (about 1 GB at its peak); above it the run is streamed (``--stream-above``).
STREAM_ABOVE_ROWS = 2_000_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """SCENARIO, --months and the common flags."""
    parser.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO,
                        help="scenario name (see `scenarios`) or path to a .toml file "
                             f"(default {DEFAULT_SCENARIO})")
    parser.add_argument("--months", type=months_int, default=None,
                        help=f"months to simulate, 1 to {HORIZON_MAX} (default: the "
                             "scenario's horizon)")
    add_output_size_options(parser)
    add_common(parser)
    add_execution_options(parser)


def add_output_size_options(parser: argparse.ArgumentParser) -> None:
    """``--stream-above ROWS`` and ``--summary-only``: how a large ensemble is written."""
    parser.add_argument("--stream-above", type=nonnegative_int, default=STREAM_ABOVE_ROWS,
                        metavar="ROWS",
                        help="gather the result table in memory only up to this many rows "
                             "(runs × (months + 1)); above it figures and summary come from "
                             "per-month statistics merged chunk by chunk (quantiles within "
                             "1/2000 of a column's range) and the table is written chunk by "
                             f"chunk to ensemble/ (default {STREAM_ABOVE_ROWS:,}; 0: always)")
    parser.add_argument("--summary-only", action="store_true",
                        help="write figures, summary and manifest but not the result table")


def streams(args: argparse.Namespace, runs: int, months: int) -> bool:
    """Whether a run of ``runs`` × ``months`` is streamed rather than gathered."""
    return runs * (months + 1) > args.stream_above


def execute(args: argparse.Namespace) -> int:
    """Run an ensemble of one scenario; write plots, tables, summary and manifest."""
    scenario = scenario_from(args)
    months = args.months if args.months is not None else scenario.horizon
    require_memory([scenario], args.runs, months, output="table", chunk_runs=args.chunk_runs)
    out = args.out or default_out(scenario.name, args)
    started = time.perf_counter()
    subtitle = describe_configuration(scenario, None, args.seed)
    with claim_folder(out) as claim:  # checked and locked before simulating
        with executor_from(args) as executor:
            streamed = streams(args, args.runs, months)
            chunk_runs = (streamed_chunk_runs(scenario, executor) if streamed
                          else executor.chunk_runs or default_chunk_runs(scenario))
            execution = {"back_end": executor.describe(), "chunk_runs": chunk_runs,
                         "note": "neither changes any number written"}
            if streamed:
                text, _ = write_run_streamed(
                    scenario, out, runs=args.runs, seed=args.seed, months=months,
                    started=started, executor=executor, subtitle=subtitle,
                    write_table=not args.summary_only, execution=execution)
            else:
                table = ensemble_table(scenario, runs=args.runs, seed=args.seed,
                                       months=months, executor=executor)
        if not streamed:
            text, _ = write_run(table, scenario, out, runs=args.runs, seed=args.seed,
                                months=months, started=started, subtitle=subtitle,
                                write_table=not args.summary_only, execution=execution)
    print(text)
    report_written(out, claim.files, started)
    return 0
