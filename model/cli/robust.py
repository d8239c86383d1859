"""`robust`: which policy holds up across many sampled futures (percentiles, regret)."""

from __future__ import annotations

import argparse
import time

from ..analysis.futures import joint_sample
from ..analysis.metrics import METRICS
from ..analysis.reports.robust import write_robust
from ..analysis.robust import BETTER, US_OUTCOMES, default_policies, parse_policy, run_robust
from ..core.scenario import parse_override_value
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

HELP = "compare policies across sampled futures: percentiles and maximum regret"
DEFAULT_SAMPLES = 500


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """SCENARIO, --policy, --outcome, --respond, --samples, --months and the common flags."""
    parser.add_argument("scenario", nargs="?", default="baseline",
                        help="scenario name or .toml path (default baseline)")
    parser.add_argument("--policy", action="append", default=[],
                        metavar="NAME=KEY=VALUE[,KEY=VALUE]",
                        help="a policy as scenario overrides, e.g. press=united_states.action."
                             "pressure=coalition_enforcement; NAME= alone is the scenario as "
                             "it is (repeatable; default: the US by its rule and pinned at "
                             "each pressure option)")
    parser.add_argument("--outcome", action="append", default=[], metavar="METRIC:min|max",
                        help="an outcome and which way is better, e.g. munitions_total:min "
                             "(repeatable; default the US's outcomes: "
                             + ", ".join(f"{k}:{v}" for k, v in US_OUTCOMES.items()) + ")")
    parser.add_argument("--respond", action=argparse.BooleanOptionalAction, default=True,
                        help="the other actors keep their decision rules and respond (default)"
                             "; --no-respond pins them to their most played options")
    parser.add_argument("--samples", type=positive_int, default=DEFAULT_SAMPLES,
                        help=f"futures sampled (Latin hypercube; default {DEFAULT_SAMPLES})")
    parser.add_argument("--months", type=positive_int, default=None,
                        help="months to simulate (default: the scenario's horizon)")
    add_execution_options(parser)
    add_common(parser, runs=10, runs_help="runs per future and policy, same seeds everywhere")


def _outcome(text: str):
    name, sep, better = text.rpartition(":")
    if not sep or better not in BETTER:
        raise UsageError(f"--outcome {text!r}: say which way is better, e.g. "
                         f"{text.split(':')[0]}:min or {text.split(':')[0]}:max; metrics: "
                         + ", ".join(METRICS))
    return metric_from(name, "--outcome"), better


def execute(args: argparse.Namespace) -> int:
    """Evaluate several policies on the same sampled futures and run seeds; report each
    outcome's mean, 10th/90th percentiles and maximum regret, and the robust choice."""
    started = time.perf_counter()
    scenario = scenario_from(args)
    policies = ([parse_policy(p, parse_override_value) for p in args.policy]
                if args.policy else default_policies())
    pairs = [_outcome(o) for o in args.outcome] or [
        (metric_from(k, "--outcome"), v) for k, v in US_OUTCOMES.items()]
    metrics = list({m.name: m for m, _ in pairs}.values())
    for metric in metrics:
        require_months(metric, scenario, args.months, "--outcome")
    better: dict[str, str] = {}
    for metric, way in pairs:
        if better.setdefault(metric.name, way) != way:
            raise UsageError(f"--outcome {metric.name} is given as both {metric.name}:"
                             f"{better[metric.name]} and {metric.name}:{way}; give each "
                             "outcome once, with the way that is better")
    if args.samples < 2:
        raise UsageError(f"--samples {args.samples}: need at least 2 futures")
    out = args.out or default_out("robust", args)
    with claim_folder(out) as claim:  # checked and locked before simulating
        total = args.samples * len(policies)
        with executor_from(args) as executor, progress_bar(total, "futures") as bar:
            result = run_robust(scenario, policies, metrics, better, samples=args.samples,
                                runs=args.runs, seed=args.seed, months=args.months,
                                respond=args.respond, joint=joint_sample(scenario),
                                progress=bar.update, executor=executor)
        print(write_robust(result, out, scenario, started))
    report_written(out, claim.files, started)
    return 0
