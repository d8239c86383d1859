"""`claims`: the article's causal claims C1–C8, each by a paired comparison."""

from __future__ import annotations

import argparse
import time

from ..analysis.claims import check_claims
from ..analysis.reports.claims import write_claims
from .common import (
    UsageError,
    add_common,
    add_execution_options,
    claim_folder,
    default_out,
    executor_from,
    report_written,
    scenario_from,
)

HELP = "check the article's causal claims C1–C8"
#: The scenario checked when none is named.
DEFAULT = "baseline"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """SCENARIO and the common flags."""
    parser.add_argument("scenario", nargs="?", default=None,
                        help="the scenario to check the claims on (default baseline), e.g. "
                             "calibrated")
    parser.add_argument("--scenario", dest="scenario_flag", metavar="SCENARIO", default=None,
                        help="the same as the positional SCENARIO (give one of them)")
    add_common(parser)
    add_execution_options(parser)


def scenario_name(args: argparse.Namespace) -> str:
    """The scenario, given positionally or with ``--scenario`` (one setting, two spellings:
    both give the same default folder, ``results/claims-calibrated``); afterwards
    ``args.scenario`` holds it and ``args.scenario_flag`` is None."""
    given, flag = args.scenario, args.scenario_flag
    if given is not None and flag is not None and given != flag:
        raise UsageError(f"claims: two scenarios, {given!r} and --scenario {flag!r}; give one")
    args.scenario, args.scenario_flag = given or flag or DEFAULT, None
    defaults = getattr(args, "defaults_", None)
    if defaults is not None:
        defaults.update(scenario=DEFAULT, scenario_flag=None)
    return args.scenario


def execute(args: argparse.Namespace) -> int:
    """Check the article's causal claims C1–C8; exit 1 if any fails."""
    started = time.perf_counter()
    scenario = scenario_from(args, scenario_name(args))
    out = args.out or default_out("claims", args)
    with claim_folder(out) as claim:  # checked and locked before simulating
        with executor_from(args) as executor:
            table = check_claims(scenario, args.runs, args.seed, executor=executor)
        verdict = write_claims(table, out, scenario, args.runs, args.seed, started)
    for r in table.itertuples():
        mark = "holds" if r.holds else "FAILS"
        print(f"{r.id:<4} {mark:<6} {r.effect:+.3g} [{r.ci_low:+.3g}, {r.ci_high:+.3g}]  "
              f"{r.claim} ({r.locator}); {r.compared}; {r.outcome}")
    print(f"\n{verdict}")
    report_written(out, claim.files, started)
    return 0 if table.holds.all() else 1
