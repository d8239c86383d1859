"""`run`: an ensemble of one scenario; plots, tables, summary and manifest."""

from __future__ import annotations

import argparse
import time

from ..core.schema import HORIZON_MAX
from ..execution import ensemble_table
from ..output.run_report import write_run
from .common import (
    DEFAULT_SCENARIO,
    add_common,
    add_execution_options,
    claim_folder,
    default_out,
    describe_configuration,
    executor_from,
    months_int,
    report_written,
    require_memory,
    scenario_from,
)

HELP = "run a scenario ensemble; write plots and a summary"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """SCENARIO, --months and the common flags."""
    parser.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO,
                        help="scenario name (see `scenarios`) or path to a .toml file "
                             f"(default {DEFAULT_SCENARIO})")
    parser.add_argument("--months", type=months_int, default=None,
                        help=f"months to simulate, 1 to {HORIZON_MAX} (default: the "
                             "scenario's horizon)")
    add_common(parser)
    add_execution_options(parser)


def execute(args: argparse.Namespace) -> int:
    """Run an ensemble of one scenario; write plots, tables, summary and manifest."""
    scenario = scenario_from(args)
    months = args.months if args.months is not None else scenario.horizon
    require_memory([scenario], args.runs, months, output="table", chunk_runs=args.chunk_runs)
    out = args.out or default_out(scenario.name, args)
    started = time.perf_counter()
    with claim_folder(out) as claim:  # checked and locked before simulating
        with executor_from(args) as executor:
            table = ensemble_table(scenario, runs=args.runs, seed=args.seed, months=months,
                                   executor=executor)
        text, _ = write_run(table, scenario, out, runs=args.runs, seed=args.seed,
                            months=months, started=started,
                            subtitle=describe_configuration(scenario, None, args.seed))
    print(text)
    report_written(out, claim.files, started)
    return 0
