"""The command line behind ``python run.py``: thin wrappers around the library.

Bad input (a scenario, an override, a flag) ends with one line on stderr naming what is
wrong and what is allowed, and exit status 2; nothing already written is touched.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from .parameters import SPECS
from .results import RESULTS_DIR, manifest, output_folder
from .scenario import (
    Distribution,
    Scenario,
    ScenarioError,
    available_scenarios,
    load_scenario,
    parse_override_value,
    scenario_path,
)

DEFAULT_RUNS = 1000
DEFAULT_SEED = 0


class UsageError(Exception):
    """A bad command-line argument; the message is one line."""


class Parser(argparse.ArgumentParser):
    """argparse that reports errors in one line instead of usage + message."""

    def error(self, message: str) -> None:  # noqa: D401 - argparse API
        raise UsageError(f"{self.prog}: {message} (see --help)")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def seed_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a non-negative integer seed, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer seed, got {text!r}")
    return value


def key_value(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(
            f"expected KEY=VALUE (e.g. levers.war_demand=0.9), got {text!r}")
    return key.strip(), parse_override_value(value.strip())


def add_common(parser: argparse.ArgumentParser, *, runs: bool = True, out: bool = True) -> None:
    """The flags every command shares: --runs --seed --set --out."""
    if runs:
        parser.add_argument("--runs", type=positive_int, default=DEFAULT_RUNS,
                            help=f"Monte Carlo runs (default {DEFAULT_RUNS})")
    parser.add_argument("--seed", type=seed_int, default=DEFAULT_SEED,
                        help="ensemble seed; per-run seeds derive from it (default 0)")
    parser.add_argument("--set", dest="overrides", metavar="KEY=VALUE", type=key_value,
                        action="append", default=[],
                        help="override a scenario value by dotted key, e.g. "
                             "levers.war_demand=0.9 or china.rule=fixed (repeatable)")
    if out:
        parser.add_argument("--out", type=Path, default=None,
                            help="output folder (default results/SCENARIO)")


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
    print(f"\nwrote {out}/ (trajectories.png, option_shares.png, ensemble.parquet, summary.txt, "
          f"manifest.json) in {wall:.1f} s")
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
    """One row per parameter: key, value, range, unit, provenance, meaning."""
    rows = []
    for key, spec in SPECS.items():
        param = scenario.param(key)
        value = _format_value(param.value)
        if key in scenario.overrides:
            value += " (override)"
        rows.append({"key": key, "value": value, "range": spec.allowed(), "unit": spec.unit,
                     "provenance": param.provenance(), "meaning": spec.meaning})
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
    article = sum(1 for r in rows if "assumption" not in r["provenance"].split(":")[0])
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


# ---------------------------------------------------------------- parser


def build_parser() -> Parser:
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
    except OSError as exc:
        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        print(f"error: cannot write{where}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; results already written are unchanged", file=sys.stderr)
        return 130
