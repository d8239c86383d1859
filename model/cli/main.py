"""The command line behind ``python run.py``: a parser assembled from one module per command.

Each command is the module of the same name in this package; it declares ``HELP``,
``add_arguments(parser)`` and ``execute(args) -> int`` (whose docstring is the command's
description); a new command is a new module and one entry in ``COMMANDS``. Only the command
being run is imported (some load heavy libraries: pyabc, SALib, EMA Workbench, solara), so a
one-line error or a quick command does not wait seconds for the others. Bad input (a
scenario, an override, a flag) raises a ``model.core.errors.UserError``, caught here alone:
one line on stderr naming what is wrong and what is allowed, and exit status 2; nothing
already written is touched. Any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import import_module
from types import ModuleType
from typing import Any

from ..core.errors import UserError
from ..core.scenario import available_scenarios
from .common import DEFAULT_SCENARIO, Parser, UsageError
from .extras import check_extras

#: The commands (each the module of that name), in the order ``--help`` lists them.
COMMANDS = ("run", "params", "compare", "whatif", "sweep", "sensitivity", "equilibria",
            "claims", "scenarios", "dashboard", "discover", "robust", "calibrate", "score")


def command_module(name: str) -> ModuleType:
    """The module of command ``name`` (one of ``COMMANDS``), imported on first use."""
    return import_module(f"{__package__}.{name}")


def build_parser(commands: Sequence[str] = COMMANDS) -> Parser:
    """The ``run.py`` parser with one sub-command per name in ``commands`` (all of them by
    default; ``main`` builds only the one it runs)."""
    parser = Parser(prog="run.py", description="alliance-sim: a game-theory scenario simulator "
                    "of the Russia–North Korea alignment. Without a command: "
                    f"run {DEFAULT_SCENARIO}.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in commands:
        command = command_module(name)
        description = command.execute.__doc__ + getattr(command, "DESCRIPTION_SUFFIX", "")
        sub = subparsers.add_parser(name, help=command.HELP, description=description)
        command.add_arguments(sub)
        sub.set_defaults(func=command.execute)
    return parser


def _command_defaults(parser: argparse.ArgumentParser, command: str | None) -> dict[str, Any]:
    """Every option's default for ``command`` (default output folders are named by what
    differs from them)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            return {a.dest: a.default for a in action.choices[command]._actions}
    return {}


def _names_a_scenario(word: str) -> bool:
    """True for a shipped scenario's name or a scenario file's path."""
    return word in available_scenarios() or word.endswith(".toml")


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP (``timeout``, ``kill``, a batch scheduler's pre-emption, a closed
    terminal), raised where the program is, so it unwinds exactly as Ctrl-C does: staging
    folders removed, a new output folder removed, a local cluster closed."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


#: Signals handled like Ctrl-C (when they have their default action, i.e. not ignored
#: by ``nohup``).
_TERMINATING = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP")
                     if hasattr(signal, name))


@contextmanager
def terminate_like_ctrl_c() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise :class:`Terminated` in the main thread;
    a second one kills at once (the default action). The previous handlers are restored
    on leaving (``main`` runs in-process in tests and notebooks)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        signal.signal(signum, signal.SIG_DFL)  # a second signal is not held up by cleanup
        raise Terminated(signum)

    previous = {sig: signal.getsignal(sig) for sig in _TERMINATING}
    for sig, action in previous.items():
        if action is signal.SIG_DFL:
            signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, action in previous.items():
            signal.signal(sig, action)


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse, dispatch, and turn known errors into one-line messages."""
    with terminate_like_ctrl_c():
        return _main(sys.argv[1:] if argv is None else argv)


def _main(argv: list[str]) -> int:
    try:
        if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
            argv = ["run", *argv]  # no command: run the default scenario
        elif argv[0] not in COMMANDS and not argv[0].startswith("-"):
            if not _names_a_scenario(argv[0]):
                raise UsageError(f"run.py {argv[0]}: neither a command ({', '.join(COMMANDS)}) "
                                 f"nor a scenario ({', '.join(available_scenarios())})")
            argv = ["run", *argv]  # `run.py baseline` is `run.py run baseline`
        # a known command: build its parser alone; else (--help, a typo) all of them
        parser = build_parser([argv[0]] if argv[0] in COMMANDS else COMMANDS)
        args = parser.parse_args(argv)
        args.defaults_ = _command_defaults(parser, args.command)
        check_extras(args)  # a missing optional library: one line naming the pip install
        return args.func(args)
    except UserError as exc:  # every module's one-line errors (UsageError among them)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head`: not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return 0
    except OSError as exc:
        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        print(f"error: cannot write{where}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except Terminated as exc:
        print(f"terminated ({signal.Signals(exc.signum).name}); results already written are "
              "unchanged", file=sys.stderr)
        return 128 + exc.signum
    except KeyboardInterrupt:
        print("interrupted; results already written are unchanged", file=sys.stderr)
        return 130
