"""`whatif`: a scenario and a changed world from a month on, on the same seeds."""

from __future__ import annotations

import argparse
import time

from ..analysis.conditioning import CONDITIONS, months_needed
from ..analysis.reports.whatif import write_whatif
from ..analysis.whatif import branched, run_whatif
from ..core.questions import load_question
from ..core.scenario import load_scenario
from .common import (
    DEFAULT_SCENARIO,
    UsageError,
    add_common,
    claim_folder,
    default_out,
    positive_int,
    report_written,
)

HELP = "branch a what-if from a month: both worlds, paired differences, what carried them"
DESCRIPTION_SUFFIX = (" Every --set applies from --at on (a schedule from that month): "
                      "a lever (levers.war_demand=0) or an option (china.action.stance="
                      "restrain; \"free\" hands it back to the actor's rule). Runs are weighted "
                      "by the record's hard facts unless --condition none.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """SCENARIO, --at, --question, --condition, --months and the common flags."""
    parser.add_argument("scenario", nargs="?", default=None,
                        help=f"scenario to branch from (default {DEFAULT_SCENARIO}, or the "
                             "question's)")
    parser.add_argument("--at", default=None, metavar="YYYY-MM",
                        help="the branch month: changes apply from it on")
    parser.add_argument("--question", default=None, metavar="NAME",
                        help="a question file (experiments/whatif/NAME.toml or a path) giving "
                             "the scenario, --at and the changes with their reasons")
    parser.add_argument("--condition", choices=CONDITIONS, default="record",
                        help="weight runs by the record's hard facts (record, default) or "
                             "not (none)")
    parser.add_argument("--months", type=positive_int, default=None,
                        help="months to simulate (default: the scenario's horizon)")
    add_common(parser)


def execute(args: argparse.Namespace) -> int:
    """Run a scenario and the same scenario changed from a month on, on the same seeds:
    fans of both worlds, paired differences with 95% intervals at 6, 12 and 24 months after
    the branch and at the horizon, and which payoff terms carried each change of play."""
    started = time.perf_counter()
    question = None
    if args.question is not None:
        question = load_question(args.question)
    name = args.scenario or (question.scenario if question else DEFAULT_SCENARIO)
    at = args.at or (question.at if question else None)
    if at is None:
        raise UsageError("--at: missing; give the branch month as YYYY-MM (e.g. --at 2026-12) "
                         "or a --question that names it")
    changes = {**(question.changes if question else {}), **dict(args.overrides or [])}
    scenario = load_scenario(name)
    out = args.out or default_out(f"whatif-{question.name if question else scenario.name}",
                                  args)
    months = scenario.horizon if args.months is None else args.months
    _, month = branched(scenario, at, changes)  # every change checked before simulating
    if month > months:
        raise UsageError(f"--at {at} is month {month}, after the runs end (month {months}); "
                         f"allowed: --at within the runs or a larger --months")
    if args.condition == "record" and months < months_needed():
        raise UsageError(f"--condition record needs runs to month {months_needed()} (the "
                         f"record's last hard fact); got --months {months}; allowed: --months "
                         f"≥ {months_needed()} or --condition none")
    with claim_folder(out) as claim:  # checked and locked before simulating
        result = run_whatif(scenario, at, changes, args.runs, args.seed, months,
                            args.condition)
        extra = {"question": question.name, "provenance": question.provenance,
                 "description": question.description} if question else {}
        print(write_whatif(result, out, started, extra))
    report_written(out, claim.files, started)
    return 0
