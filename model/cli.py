"""The command line behind ``python run.py``: thin wrappers around the library.

Bad input (a scenario, an override, a flag) ends with one line on stderr naming what is
wrong and what is allowed, and exit status 2; nothing already written is touched.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from .parameters import ASSUMPTION, SPECS
from .results import RESULTS_DIR, manifest, output_folder
from .scenario import available_scenarios, load_scenario, parse_override_value, scenario_path
from .schema import Distribution, Scenario, ScenarioError

DEFAULT_RUNS = 1000
DEFAULT_SEED = 0


class UsageError(Exception):
    """A bad command-line argument; the message is one line."""


class Parser(argparse.ArgumentParser):
    """argparse that reports errors in one line instead of usage + message."""

    def error(self, message: str) -> None:  # noqa: D401 - argparse API
        raise UsageError(f"{self.prog}: {message} (see --help)")


def _integer(minimum: int, noun: str):
    """An argparse type: an integer ≥ ``minimum``, with a one-line complaint otherwise."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"expected {noun} (an integer ≥ {minimum}), "
                                             f"got {text!r}")
        return value
    parse.__name__ = noun  # argparse names the type in its messages
    return parse


positive_int = _integer(1, "a count")
seed_int = _integer(0, "a seed")
month_int = _integer(0, "a month")


def finite_float(text: str) -> float:
    """An argparse type: a finite number ≥ 0."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not np.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a finite number ≥ 0, got {text!r}")
    return value


def key_value(text: str) -> tuple[str, Any]:
    """An argparse type: ``KEY=VALUE`` with VALUE read as a TOML literal or a bare word."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(
            f"expected KEY=VALUE (e.g. levers.war_demand=0.9), got {text!r}")
    return key.strip(), parse_override_value(value.strip())


def add_common(parser: argparse.ArgumentParser, *, runs: int = DEFAULT_RUNS,
               runs_help: str = "Monte Carlo runs") -> None:
    """The flags every experiment shares: --runs --seed --set --out."""
    parser.add_argument("--runs", type=positive_int, default=runs,
                        help=f"{runs_help} (default {runs})")
    parser.add_argument("--seed", type=seed_int, default=DEFAULT_SEED,
                        help="ensemble seed; per-run seeds derive from it (default 0)")
    parser.add_argument("--set", dest="overrides", metavar="KEY=VALUE", type=key_value,
                        action="append", default=[],
                        help="override a scenario value by dotted key, e.g. "
                             "levers.war_demand=0.9 or china.rule=fixed (repeatable)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: a folder named after the command or "
                             "scenario under results/)")


def metric_from(name: str):
    """The metric called ``name``, or a one-line usage error listing the known ones."""
    from .metrics import get_metric

    try:
        return get_metric(name)
    except ValueError as exc:
        raise UsageError(f"--metric: {exc}") from None


def report_written(out: Path, files: str, started: float) -> None:
    """The closing line of a command: where its files went and how long it took."""
    print(f"\nwrote {out}/ ({files}) in {time.perf_counter() - started:.1f} s")


def add_metric_and_months(parser: argparse.ArgumentParser, what: str) -> None:
    """``--metric`` (from the registry) and ``--months`` (default: the horizon)."""
    from .metrics import METRICS

    parser.add_argument("--metric", default="treaty_by_24",
                        help=f"{what} (default treaty_by_24; one of {', '.join(METRICS)})")
    parser.add_argument("--months", type=positive_int, default=None,
                        help="months to simulate (default: the scenario's horizon)")


def scenario_from(args: argparse.Namespace, name: str | None = None) -> Scenario:
    """Load the scenario named on the command line, with its --set overrides."""
    overrides = dict(getattr(args, "overrides", []) or [])
    return load_scenario(name or args.scenario, overrides)


# ---------------------------------------------------------------- run


def cmd_run(args: argparse.Namespace) -> int:
    """Run an ensemble of one scenario; write plots, tables, summary and manifest."""
    from .ensemble import run_ensemble
    from .plots import plot_option_shares, plot_trajectories
    from .summary import format_summary, summarize

    scenario = scenario_from(args)
    months = args.months if args.months is not None else scenario.horizon
    out = args.out or RESULTS_DIR / scenario.name
    start = time.perf_counter()
    table = run_ensemble(scenario, runs=args.runs, seed=args.seed, months=months)
    summary = summarize(table, months=(12, 24, 36))
    text = format_summary(summary, scenario.name, args.runs, args.seed)
    title = f"Scenario '{scenario.name}'"
    with output_folder(out) as folder:
        folder.write_table("ensemble", table)
        folder.save_figure("trajectories.png", lambda p: plot_trajectories(table, title, p))
        folder.save_figure("option_shares.png", lambda p: plot_option_shares(table, title, p))
        folder.write_text("summary.txt", text + "\n")
        folder.write_json("summary.json", summary)
        wall = time.perf_counter() - start
        folder.write_json("manifest.json", manifest(
            scenario, command="run", seed=args.seed, runs=args.runs, months=months,
            wall_time=wall, files=[*folder.files, "manifest.json"]))
    print(text)
    report_written(out, "trajectories.png, option_shares.png, ensemble.parquet, summary.txt, "
                   "manifest.json", start)
    return 0


# ---------------------------------------------------------------- params


def _format_value(value: Any) -> str:
    if isinstance(value, Distribution):
        fields = {k: v for k, v in value.model_dump().items() if v is not None and k != "dist"}
        return f"{value.dist}(" + ", ".join(f"{k}={v:g}" for k, v in fields.items()) + ")"
    if isinstance(value, list):
        return "schedule " + ", ".join(f"m{m}:{v:g}" for m, v in value)
    return f"{value:g}"


def parameter_rows(scenario: Scenario) -> list[dict[str, str]]:
    """One row per parameter: key, value, range, unit, provenance, meaning, and whether
    it rests on the article alone (no ``assumption`` among its sources)."""
    rows = []
    for key, spec in SPECS.items():
        param = scenario.param(key)
        value = _format_value(param.value)
        if key in scenario.overrides:
            value += " (override)"
        rows.append({"key": key, "value": value, "range": spec.allowed(), "unit": spec.unit,
                     "provenance": param.provenance(), "meaning": spec.meaning,
                     "article_only": ASSUMPTION not in param.source})
    return rows


def cmd_params(args: argparse.Namespace) -> int:
    """Print every parameter with its value, range, unit and provenance."""
    scenario = scenario_from(args)
    rows = parameter_rows(scenario)
    if args.markdown:
        print("| parameter | value | range | unit | provenance |")
        print("|---|---|---|---|---|")
        for r in rows:
            print(f"| `{r['key']}` | {r['value']} | {r['range']} | {r['unit']} | "
                  f"{r['provenance']} |")
        return 0
    article = sum(r["article_only"] for r in rows)
    print(f"Parameters of scenario '{scenario.name}' ({scenario.path})")
    print(f"{len(rows)} parameters: {article} rest on the article alone, "
          f"{len(rows) - article} involve an explicit assumption\n")
    width = max(len(r["key"]) for r in rows)
    vwidth = max(len(r["value"]) for r in rows)
    section = None
    for r in rows:
        head = r["key"].rsplit(".", 1)[0]
        if head != section:
            section = head
            print(f"[{section}]")
        print(f"  {r['key']:<{width}}  {r['value']:>{vwidth}}  {r['range']:<18}  {r['unit']}")
        print(f"  {'':<{width}}  {'':>{vwidth}}  ↳ {r['meaning']}; source: {r['provenance']}")
    return 0


# ---------------------------------------------------------------- scenarios


def cmd_scenarios(args: argparse.Namespace) -> int:
    """List the scenario files with their one-line descriptions."""
    names = available_scenarios()
    width = max((len(n) for n in names), default=0)
    for name in names:
        try:
            scenario = load_scenario(name)
            line = scenario.description
        except ScenarioError as exc:
            line = f"INVALID: {exc}"
        print(f"{name:<{width}}  {line}")
    print(f"\n{len(names)} scenarios in {scenario_path('baseline').parent}")
    return 0


# ---------------------------------------------------------------- experiments


def progress_bar(total: int, desc: str):
    """A tqdm bar on stderr (silent when stderr is not a terminal)."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="step", disable=None, leave=False)


def cmd_compare(args: argparse.Namespace) -> int:
    """Compare scenarios on the same seeds: trajectories and outcomes with 95% intervals."""
    from .compare import compare
    from .reports import write_comparison

    started = time.perf_counter()
    scenarios = [scenario_from(args, name) for name in args.scenarios]
    out = args.out or RESULTS_DIR / "compare"
    with progress_bar(len(scenarios), "scenarios") as bar:
        result = compare(scenarios, args.runs, args.seed, args.months, progress=bar.update)
    print(write_comparison(result, out, scenarios, started))
    report_written(out, "report.md, compare_trajectories.png, compare_outcomes.png, "
                   "outcomes.csv", started)
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    """Sweep one or two parameters over a grid; map an outcome metric."""
    from .reports import write_sweep
    from .sweep import parse_axis, sweep

    started = time.perf_counter()
    scenario = scenario_from(args)
    x = parse_axis(args.x, "--x")
    y = parse_axis(args.y, "--y") if args.y else None
    metric = metric_from(args.metric)
    cells = len(x.values) * (len(y.values) if y else 1)
    out = args.out or RESULTS_DIR / f"sweep_{metric.name}"
    with progress_bar(cells, "cells") as bar:
        result = sweep(scenario, x, y, metric, args.runs, args.seed, args.months, bar.update)
    print(write_sweep(result, out, scenario, started))
    report_written(out, "report.md, sweep.png, sweep.csv", started)
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Rank the levers and main weights by global sensitivity (SALib Sobol' or Morris)."""
    from .reports import write_sensitivity
    from .sensitivity import run_morris, run_sobol, sample_size

    started = time.perf_counter()
    scenario = scenario_from(args)
    metric = metric_from(args.metric)
    n = args.n if args.n is not None else (512 if args.method == "sobol" else 64)
    replicates = args.replicates if args.replicates is not None else args.runs
    run = run_sobol if args.method == "sobol" else run_morris
    out = args.out or RESULTS_DIR / f"sensitivity_{args.method}_{metric.name}"
    try:
        total = sample_size(args.method, n)
        with progress_bar(total, "parameter points") as bar:
            result = run(scenario, metric, n=n, replicates=replicates, seed=args.seed,
                         months=args.months, progress=bar.update)
    except ScenarioError:
        raise
    except ValueError as exc:
        raise UsageError(f"sensitivity: {exc}") from None
    print(write_sensitivity(result, out, scenario, started))
    print(result.table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    report_written(out, f"report.md, {args.method}.png, {args.method}.csv", started)
    return 0


def cmd_equilibria(args: argparse.Namespace) -> int:
    """Show the stage game at a month: payoffs, pure equilibria, the QRE, and figures."""
    from .equilibria import (
        analyse,
        equilibria_text,
        payoff_tables,
        plot_qre_branch,
        plot_regime_map,
        regime_map,
        state_at,
    )
    from .results import manifest, output_folder
    from .sweep import parse_axis, scenario_value

    started = time.perf_counter()
    scenario = scenario_from(args)
    x, y = parse_axis(args.x, "--x"), parse_axis(args.y, "--y")
    if x.key == y.key:
        raise UsageError(f"--x and --y are the same parameter {x.key!r}")
    month = scenario.horizon if args.month is None else args.month
    model = state_at(scenario, month, args.seed)
    analysis = analyse(model, args.lam)
    text = (f"Scenario '{scenario.name}', seed {args.seed}, month {month}: the stage game "
            "(players' payoffs in utility units)\n\n" + payoff_tables(analysis) + "\n"
            + equilibria_text(analysis))
    print(text)
    out = args.out or RESULTS_DIR / f"equilibria_{scenario.name}_m{month}"
    with progress_bar(1, "regime map") as bar:
        regimes = regime_map(scenario, month, args.seed, x, y)
        bar.update(1)
    marker = (scenario_value(scenario, x.key), scenario_value(scenario, y.key))
    title = f"Scenario '{scenario.name}'"
    with output_folder(out) as folder:
        folder.write_text("equilibria.txt", text + "\n")
        folder.save_figure("qre_branch.png", lambda p: plot_qre_branch(analysis, title, p))
        folder.save_figure("regime_map.png",
                           lambda p: plot_regime_map(regimes, title, marker, p))
        folder.write_json("manifest.json", manifest(
            scenario, command="equilibria", seed=args.seed, runs=1, months=month,
            wall_time=time.perf_counter() - started, files=[*folder.files, "manifest.json"],
            extra={"lam": args.lam, "x": x.key, "y": y.key,
                   "equilibria": [list(e) for e in analysis.equilibria]}))
    report_written(out, "equilibria.txt, qre_branch.png, regime_map.png", started)
    return 0


def cmd_claims(args: argparse.Namespace) -> int:
    """Check the article's causal claims C1–C8; exit 1 if any fails."""
    from .claims import CLAIMS, check_claims
    from .reports import write_claims

    started = time.perf_counter()
    scenario = scenario_from(args)
    out = args.out or RESULTS_DIR / "claims"
    with progress_bar(len(CLAIMS), "claims") as bar:
        table = check_claims(scenario, args.runs, args.seed, progress=bar.update)
    verdict = write_claims(table, out, scenario, args.runs, args.seed, started)
    for r in table.itertuples():
        mark = "holds" if r.holds else "FAILS"
        print(f"{r.id:<4} {mark:<6} {r.effect:+.3g} [{r.ci_low:+.3g}, {r.ci_high:+.3g}]  "
              f"{r.claim} ({r.locator}); {r.compared}; {r.outcome}")
    print(f"\n{verdict}\nwrote {out}/ (report.md, claims.csv, claims.md)")
    return 0 if table.holds.all() else 1


# ---------------------------------------------------------------- parser


def build_parser() -> Parser:
    """The ``run.py`` parser with one sub-command per experiment."""
    parser = Parser(prog="run.py", description="alliance-sim: a game-theory scenario simulator "
                    "of the Russia–North Korea alignment. Without a command: run baseline.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    run = commands.add_parser("run", help="run a scenario ensemble; write plots and a summary",
                              description=cmd_run.__doc__)
    run.add_argument("scenario", nargs="?", default="baseline",
                     help="scenario name (see `scenarios`) or path to a .toml file")
    run.add_argument("--months", type=positive_int, default=None,
                     help="months to simulate (default: the scenario's horizon)")
    add_common(run)
    run.set_defaults(func=cmd_run)

    params = commands.add_parser("params", help="print the parameter table with provenance",
                                 description=cmd_params.__doc__)
    params.add_argument("scenario", nargs="?", default="baseline")
    params.add_argument("--markdown", action="store_true", help="print a Markdown table")
    params.add_argument("--set", dest="overrides", metavar="KEY=VALUE", type=key_value,
                        action="append", default=[], help="override a value (repeatable)")
    params.set_defaults(func=cmd_params)

    compare = commands.add_parser("compare", help="compare scenarios on the same seeds",
                                  description=cmd_compare.__doc__)
    compare.add_argument("scenarios", nargs="+", metavar="SCENARIO",
                         help="scenario names or .toml paths; the first is the reference")
    compare.add_argument("--months", type=positive_int, default=None)
    add_common(compare)
    compare.set_defaults(func=cmd_compare)

    from .metrics import METRICS

    sweep = commands.add_parser(
        "sweep", help="sweep one or two parameters; heatmap or line of a metric",
        description=cmd_sweep.__doc__ + " Metrics: " + "; ".join(
            f"{m.name} = {m.description}" for m in METRICS.values()) + ".")
    sweep.add_argument("scenario", nargs="?", default="baseline")
    sweep.add_argument("--x", required=True, metavar="KEY=LO:HI:N",
                       help="parameter on the x axis, e.g. levers.international_pressure=0:1:11")
    sweep.add_argument("--y", default=None, metavar="KEY=LO:HI:N",
                       help="optional parameter on the y axis (2-D heatmap)")
    add_metric_and_months(sweep, "outcome to map")
    add_common(sweep, runs=200, runs_help="runs per cell")
    sweep.set_defaults(func=cmd_sweep)

    sens = commands.add_parser("sensitivity", help="rank parameters by global sensitivity",
                               description=cmd_sensitivity.__doc__)
    sens.add_argument("scenario", nargs="?", default="baseline")
    sens.add_argument("--method", choices=("sobol", "morris"), default="sobol")
    sens.add_argument("--n", type=positive_int, default=None,
                      help="base sample size (Sobol': a power of 2, default 512; Morris: "
                           "trajectories, default 64)")
    sens.add_argument("--replicates", type=positive_int, default=None,
                      help="runs averaged at each parameter point, same seeds everywhere "
                           "(default: --runs)")
    add_metric_and_months(sens, "outcome to analyse")
    add_common(sens, runs=16, runs_help="replicates per parameter point")
    sens.set_defaults(func=cmd_sensitivity)

    eq = commands.add_parser("equilibria", help="the stage game at a month and its equilibria",
                             description=cmd_equilibria.__doc__)
    eq.add_argument("scenario", nargs="?", default="baseline")
    eq.add_argument("--month", type=month_int, default=None,
                    help="month whose state defines the game (default: the horizon)")
    eq.add_argument("--lam", type=finite_float, default=4.0,
                    help="rationality of the logit QRE shown (default 4)")
    eq.add_argument("--x", default="levers.international_pressure=0:1:15", metavar="KEY=LO:HI:N",
                    help="regime map x axis (default levers.international_pressure=0:1:15)")
    eq.add_argument("--y", default="levers.war_demand=0:1:15", metavar="KEY=LO:HI:N",
                    help="regime map y axis (default levers.war_demand=0:1:15)")
    add_common(eq, runs=1, runs_help="ignored: one run is inspected")
    eq.set_defaults(func=cmd_equilibria)

    claims = commands.add_parser("claims", help="check the article's causal claims C1–C8",
                                 description=cmd_claims.__doc__)
    claims.add_argument("scenario", nargs="?", default="baseline")
    add_common(claims)
    claims.set_defaults(func=cmd_claims)

    scenarios = commands.add_parser("scenarios", help="list the scenario files",
                                    description=cmd_scenarios.__doc__)
    scenarios.set_defaults(func=cmd_scenarios)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse, dispatch, and turn known errors into one-line messages."""
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    try:
        if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
            argv = ["run", *argv]  # no command: run baseline (flags go to `run`)
        args = parser.parse_args(argv)
        return args.func(args)
    except (UsageError, ScenarioError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head`: not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return 0
    except OSError as exc:
        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        print(f"error: cannot write{where}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; results already written are unchanged", file=sys.stderr)
        return 130
