"""What the commands share: the one-line error types, argument types, the common flags
(--runs --seed --set --out), the execution flags (--workers --scheduler --resume
--chunk-runs), metric lookup, progress bars and the closing line."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from ..analysis.metrics import METRICS, get_metric
from ..core.errors import UserError
from ..core.scenario import available_scenarios, load_scenario, parse_override_value
from ..core.schema import HORIZON_MAX, Scenario
from ..output import results as results_module
from ..output.results import RESULTS_DIR, claim_folder

#: What ``python run.py`` runs when no command or scenario is named.
DEFAULT_SCENARIO = "calibrated"

__all__ = ["RESULTS_DIR", "claim_folder"]

DEFAULT_RUNS = 1000
DEFAULT_SEED = 0


class UsageError(UserError):
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


def _bounded(minimum: int, maximum: int, noun: str, why: str):
    """An argparse type: an integer from ``minimum`` to ``maximum``, with a one-line
    complaint that says ``why`` there is a maximum."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(f"expected {noun}, an integer from {minimum} to "
                                             f"{maximum} ({why}), got {text!r}")
        return value
    parse.__name__ = noun
    return parse


positive_int = _integer(1, "a count")
seed_int = _integer(0, "a seed")
#: Months to simulate and months to look at: the limit of a scenario's ``horizon``
#: (``core.schema.HORIZON_MAX``), the same for flags and files.
months_int = _bounded(1, HORIZON_MAX, "a number of months",
                      "the longest horizon a scenario may have")
month_int = _bounded(0, HORIZON_MAX, "a month", "the longest horizon a scenario may have")
nonnegative_int = _integer(0, "a number of rows")


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


class NotApplicable(argparse.Action):
    """A flag a command does not take, refused in one line that says why (rather than
    accepted and ignored); hidden from ``--help``."""

    def __init__(self, option_strings, dest, reason: str = "", **kwargs) -> None:
        super().__init__(option_strings, dest, nargs="?", default=argparse.SUPPRESS,
                         help=argparse.SUPPRESS)
        self.reason = reason

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        parser.error(f"{option_string} does not apply: {self.reason}")


class Given(argparse.Action):
    """Store the value and note the flag in ``namespace.given_``: where two flags say one
    thing (``--runs``, ``--replicates``), a command can tell which ones the user wrote."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        setattr(namespace, self.dest, values)
        given = set(getattr(namespace, "given_", ()))
        given.add(self.dest)
        namespace.given_ = given


def add_common(parser: argparse.ArgumentParser, *, runs: int = DEFAULT_RUNS,
               runs_help: str = "Monte Carlo runs", no_runs: str | None = None) -> None:
    """The flags every experiment shares: --runs --seed --set --out.

    ``no_runs``: the command takes no ``--runs``; it is refused with this reason.
    """
    if no_runs is not None:
        parser.add_argument("--runs", action=NotApplicable, reason=no_runs)
    else:
        parser.add_argument("--runs", type=positive_int, default=runs, action=Given,
                            help=f"{runs_help} (default {runs})")
    parser.add_argument("--seed", type=seed_int, default=DEFAULT_SEED,
                        help="ensemble seed; per-run seeds derive from it (default 0)")
    parser.add_argument("--set", dest="overrides", metavar="KEY=VALUE", type=key_value,
                        action="append", default=[],
                        help="override a scenario value by dotted key, e.g. "
                             "levers.war_demand=0.9 or china.rule=fixed (repeatable)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: one folder per configuration under "
                             "results/, e.g. results/baseline or results/baseline-runs5000-"
                             "1a2b3c4d; see README)")


def add_execution_options(parser: argparse.ArgumentParser, chunks: bool = True) -> None:
    """``--workers``, ``--scheduler``, and with ``chunks`` ``--resume`` and ``--chunk-runs``:
    where the runs go.

    For every command that runs many runs or points; pair with :func:`executor_from`.
    ``chunks=False`` is for work that is not cut into stored chunks (calibration).
    """
    group = parser.add_argument_group(
        "execution", "where the runs go (README: Running on a cluster); the numbers are the "
        "same on every back end")
    where = group.add_mutually_exclusive_group()
    where.add_argument("--workers", type=positive_int, default=None, metavar="N",
                       help="run the chunks on a local Dask cluster of N worker processes "
                            "(default: in this process)")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run the chunks on a running Dask cluster, e.g. "
                            "tcp://10.0.0.5:8786")
    if not chunks:
        return
    group.add_argument("--resume", type=Path, default=None, metavar="DIR",
                       help="keep each finished chunk in DIR and reuse those already there; "
                            "rerun the same command to finish an interrupted one")
    group.add_argument("--chunk-runs", type=positive_int, default=None, metavar="N",
                       help="runs per chunk (default 20000, 5000 for a streamed run; 500 "
                            "when an actor plays qre); it changes memory and progress steps, "
                            "never a number written")


def executor_from(args: argparse.Namespace):
    """The ``model.execution.Executor`` that the execution flags ask for.

    Use it as a context manager around the work. A ``--scheduler`` is connected at once,
    so a wrong address fails before any work, in one line (``UsageError``).
    """
    from ..execution import ExecutionError, Executor
    from ..execution.store import StoreFolderError

    try:
        executor = Executor(workers=args.workers, scheduler=args.scheduler,
                            store=getattr(args, "resume", None),
                            chunk_runs=getattr(args, "chunk_runs", None))
        if args.scheduler is not None:
            executor.client  # noqa: B018 - connect now
    except ExecutionError as exc:
        raise UsageError(str(exc)) from None
    except StoreFolderError as exc:  # the message starts with the folder
        raise UsageError(f"--resume {exc}") from None
    except OSError as exc:
        raise UsageError(f"--resume {getattr(args, 'resume', '')}: {exc.strerror or exc}"
                         ) from None
    return executor


def metric_from(name: str, flag: str = "--metric"):
    """The metric called ``name``, or a one-line usage error (naming ``flag``) listing the
    known ones."""
    try:
        return get_metric(name)
    except ValueError as exc:
        raise UsageError(f"{flag}: {exc}") from None


def report_written(out: Path, files: list[str], started: float) -> None:
    """The closing line of a command: where its files went (every one) and how long it took."""
    print(f"\nwrote {out}/ ({', '.join(files)}) in {time.perf_counter() - started:.1f} s")


#: Options with a readable tag in default folder names; the rest go into a digest.
_TAGGED = {"runs": "runs", "seed": "seed", "months": "m"}
#: Attributes of the parsed arguments that do not change what is computed.
_NOT_CONFIGURATION = {"func", "out", "command", "defaults_", "given_", "markdown",
                      # where and in what chunks it runs never changes a number written:
                      # chunks merge as integer counts, exact sums or in run order
                      # (tests/test_streamed_run.py compares the bytes)
                      "workers", "scheduler", "resume", "chunk_runs",
                      # a side effect (calibrate writes a scenario too), not a setting
                      "write_scenario"}


def default_out(base: str, args: argparse.Namespace) -> Path:
    """The default output folder: one per configuration, so none replaces another's.

    ``results/BASE`` when every option has its default; otherwise ``results/BASE-TAGS``,
    where the tags name what differs — ``runs5000``, ``seed3``, ``m48`` (months), a shipped
    scenario other than the command's default by its name — and an
    8-digit digest stands for everything else (``--set`` overrides, a scenario given as a
    path, grid axes, metric, ...). The same command line always maps to the same folder,
    so a rerun replaces its own results and never another configuration's. The execution
    options (``--workers``, ``--scheduler``, ``--resume``, ``--chunk-runs``) are left out:
    the files they produce are the same, bit for bit. ``main`` records each option's
    default in ``args.defaults_``.
    """
    defaults = getattr(args, "defaults_", {})
    library = set(available_scenarios())
    tags, rest = [], {}
    order = [*_TAGGED, *sorted(k for k in vars(args) if k not in _TAGGED)]
    for key in order:
        if key not in vars(args):
            continue
        value = getattr(args, key)
        if key in _NOT_CONFIGURATION or (key in defaults and value == defaults[key]):
            continue
        if key in _TAGGED:
            tags.append(f"{_TAGGED[key]}{value}")
        elif key == "scenario" and value in library:
            if value != base:  # a shipped scenario is named in the folder (run's BASE is it)
                tags.append(value)
        elif key in ("scenario", "scenarios"):
            names = value if isinstance(value, list) else [value]
            rest[key] = [n if n in library else os.path.abspath(n) for n in names]
        else:
            rest[key] = value
    if rest:
        text = json.dumps(rest, sort_keys=True, default=str)
        tags.append(hashlib.sha256(text.encode()).hexdigest()[:8])
    return results_module.RESULTS_DIR / "-".join([base, *tags])


def describe_configuration(scenario: Scenario, runs: int | None, seed: int) -> str:
    """``3 runs, seed 7, overrides levers.war_demand=0.4``: the configuration a summary or
    figure states (without the runs when ``runs`` is None, for titles that have them)."""
    text = (f"{runs} run{'s' * (runs != 1)}, " if runs is not None else "") + f"seed {seed}"
    if scenario.overrides:
        text += ", overrides " + ", ".join(f"{k}={v if isinstance(v, str) else json.dumps(v)}"
                                            for k, v in scenario.overrides.items())
    return text


def require_months(metric, scenario: Scenario, months: int | None,
                   flag: str = "--metric") -> None:
    """A one-line usage error (naming ``flag``, the option that named the metric) when runs
    of ``months`` months do not define ``metric`` (``treaty_by_36`` in 12-month runs), or
    the scenario's model does not record what it reads (troops without the escalation
    module): refused, never reported as 0."""
    if months is not None and not 1 <= months <= HORIZON_MAX:
        raise UsageError(f"--months: expected a number of months from 1 to {HORIZON_MAX} "
                         f"(the longest horizon a scenario may have), got {months}")
    try:
        metric.require(scenario.horizon if months is None else months, scenario.escalation)
    except ValueError as exc:
        raise UsageError(f"{flag}: {exc}") from None


def add_metric_and_months(parser: argparse.ArgumentParser, what: str) -> None:
    """``--metric`` (from the registry) and ``--months`` (default: the horizon)."""
    parser.add_argument("--metric", default="treaty_by_24",
                        help=f"{what} (default treaty_by_24; one of {', '.join(METRICS)})")
    parser.add_argument("--months", type=months_int, default=None,
                        help=f"months to simulate, 1 to {HORIZON_MAX} (default: the "
                             "scenario's horizon)")


def _round_down(n: int) -> int:
    """``n`` to two significant digits, rounded down (a count that surely fits)."""
    return n - n % 10 ** max(len(str(n)) - 2, 0)


def require_memory(scenarios: list[Scenario], runs: int, months: int | None, *,
                   output: str, chunk_runs: int | None = None) -> None:
    """Refuse in one line an ensemble whose result would not fit in memory.

    ``output``: what the command gathers, ``"table"`` (``run``: the long table, held
    twice while it is built and written) or ``"arrays"`` (``compare``: every scenario's
    arrays, twice while merged). One chunk being simulated comes on top. The message says
    how large it would be, how much is available and how many runs would fit.
    """
    from ..ensemble.footprint import available_memory, footprint, format_bytes
    from ..execution import default_chunk_runs

    room = available_memory()
    if room is None:
        return
    needed, per_run, chunk = 0, 0, 0
    for scenario in scenarios:
        m = scenario.horizon if months is None else months
        size = footprint(scenario)
        per_run += 2 * (size.table(1, m) if output == "table" else size.arrays(1, m))
        chunk = max(chunk, size.chunk(min(runs, chunk_runs or default_chunk_runs(scenario)),
                                      m))
    needed = per_run * runs + chunk
    if needed <= room:
        return
    fit = _round_down(max((room - chunk) // per_run, 0))
    span = months if months is not None else max(s.horizon for s in scenarios)
    what = "the result table" if output == "table" else "the runs of every scenario"
    raise UsageError(f"--runs {runs}: {what} would need about {format_bytes(needed)} of "
                     f"memory and {format_bytes(room)} is available; about {fit:,} runs of "
                     f"{span} months fit: use fewer --runs (or fewer --months)")


def require_points_memory(scenario: Scenario, points: int, runs: int, months: int | None,
                          *, chunk_runs: int | None = None) -> None:
    """Refuse in one line a grid whose per-run values would not fit in memory: one value
    per point and run (8 bytes, twice while merged), and one chunk being simulated."""
    from ..ensemble.footprint import available_memory, footprint, format_bytes
    from ..execution import default_chunk_runs

    room = available_memory()
    if room is None:
        return
    m = scenario.horizon if months is None else months
    chunk = footprint(scenario).chunk(min(points * runs,
                                          chunk_runs or default_chunk_runs(scenario)), m)
    needed = 2 * 8 * points * runs + chunk
    if needed <= room:
        return
    fit = _round_down(max((room - chunk) // (2 * 8 * points), 0))
    raise UsageError(f"--runs {runs}: {points:,} points × {runs:,} runs would need about "
                     f"{format_bytes(needed)} of memory and {format_bytes(room)} is "
                     f"available; use fewer --runs (about {fit:,} fit) or fewer points")


def scenario_from(args: argparse.Namespace, name: str | None = None) -> Scenario:
    """Load the scenario named on the command line, with its --set overrides."""
    overrides = dict(getattr(args, "overrides", []) or [])
    return load_scenario(name or args.scenario, overrides)


def progress_bar(total: int, desc: str):
    """A tqdm bar on stderr (silent when stderr is not a terminal)."""
    return tqdm(total=total, desc=desc, unit="step", disable=None, leave=False)
