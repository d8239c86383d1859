"""`equilibria`: the stage game at a month, its pure equilibria, the QRE and a regime map."""

from __future__ import annotations

import argparse
import time

from ..analysis.equilibria import analyse, regime_map, stage_game_text, state_at
from ..analysis.reports.equilibria import write_equilibria
from ..analysis.sweep import parse_axis
from ..core.schema import HORIZON_MAX
from .common import (
    UsageError,
    add_common,
    claim_folder,
    default_out,
    finite_float,
    month_int,
    progress_bar,
    report_written,
    scenario_from,
)

HELP = "the stage game at a month and its equilibria"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """SCENARIO, --month, --lam, --x, --y and the common flags but --runs."""
    parser.add_argument("scenario", nargs="?", default="baseline")
    parser.add_argument("--month", type=month_int, default=None,
                        help=f"month whose state defines the game, 0 to {HORIZON_MAX} "
                             "(default: the horizon); the game is the one decided the "
                             "month after, with that month's levers and pinned options")
    parser.add_argument("--lam", type=finite_float, default=4.0,
                        help="rationality of the logit QRE shown (default 4)")
    parser.add_argument("--x", default="levers.international_pressure=0:1:15",
                        metavar="KEY=LO:HI:N",
                        help="regime map x axis (default levers.international_pressure=0:1:15)")
    parser.add_argument("--y", default="levers.war_demand=0:1:15", metavar="KEY=LO:HI:N",
                        help="regime map y axis (default levers.war_demand=0:1:15)")
    add_common(parser, no_runs="the stage game is read off one run; choose it with --seed")


def execute(args: argparse.Namespace) -> int:
    """Show the stage game at a month: payoffs, pure equilibria, the QRE, and figures."""
    started = time.perf_counter()
    scenario = scenario_from(args)
    x, y = parse_axis(args.x, "--x"), parse_axis(args.y, "--y")
    if x.key == y.key:
        raise UsageError(f"--x and --y are the same parameter {x.key!r}")
    month = scenario.horizon if args.month is None else args.month
    out = args.out or default_out(f"equilibria_{scenario.name}_m{month}", args)
    with claim_folder(out) as claim:  # checked and locked before computing
        analysis = analyse(state_at(scenario, month, args.seed), args.lam)
        text = stage_game_text(analysis, scenario.name, args.seed)
        print(text)
        with progress_bar(1, "regime map") as bar:
            regimes = regime_map(scenario, month, args.seed, x, y)
            bar.update(1)
        write_equilibria(analysis, regimes, text, out, scenario, seed=args.seed,
                         lam=args.lam, started=started)
    report_written(out, claim.files, started)
    return 0
