"""`dashboard`: serve the interactive dashboard (Mesa's SolaraViz) in the browser.

The app is ``model/dashboard/app.py``; this command only validates the arguments, tells
the app which scenario to open (environment variable ``ALLIANCE_SIM_SCENARIO``) and
serves it with solara's server, so the command line and the dashboard stay independent
layers (neither imports the other).
"""

from __future__ import annotations

import argparse
import errno
import os
import socket

from ..core.scenario import load_scenario
from .common import UsageError

HELP = "serve the interactive dashboard in the browser (needs the [dashboard] extra)"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
APP = "model.dashboard.app"
#: read by model.dashboard.app.starting_scenario
SCENARIO_ENV = "ALLIANCE_SIM_SCENARIO"


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 1–65535."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, got {text!r}")
    return value


def check_free(host: str, port: int) -> None:
    """A one-line ``UsageError`` when ``host:port`` cannot be bound (in use, or an address
    this machine does not have), before any address is printed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UsageError(f"dashboard: --host {host}: not an address of this machine "
                         f"({exc.strerror or exc}); e.g. 127.0.0.1 or 0.0.0.0") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UsageError(f"dashboard: --port {port}: {host}:{port} is already in "
                                 "use; choose another with --port") from None
            raise UsageError(f"dashboard: --host {host} --port {port}: cannot listen there "
                             f"({exc.strerror or exc})") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """SCENARIO, --port, --host."""
    parser.add_argument("scenario", nargs="?", default=None,
                        help="scenario the page opens with: a name or a .toml path "
                             "(default: calibrated where it exists, else baseline)")
    parser.add_argument("--port", type=port_number, default=DEFAULT_PORT,
                        help=f"port to listen on (default {DEFAULT_PORT})")
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"address to bind (default {DEFAULT_HOST}: this machine only; "
                             "0.0.0.0 serves every network interface)")


def execute(args: argparse.Namespace) -> int:
    """Serve the dashboard: sliders for the levers and rules, a stepped Mesa run, the live
    ensemble's fan charts, the game at the run's month, and export to a scenario file.
    Binds 127.0.0.1 unless --host says otherwise; Ctrl-C stops it. Offline, run
    `python -m model.dashboard.assets` once first (README)."""
    try:
        import solara  # noqa: F401 - fails early without the extra
        import uvicorn
    except ImportError as exc:
        raise UsageError(f"dashboard: {exc.name} is not installed; install the extra: "
                         "pip install -e '.[dashboard]' && python -m model.dashboard.assets"
                         ) from None
    if args.scenario is not None:
        load_scenario(args.scenario)  # a bad scenario is a one-line error before serving
        os.environ[SCENARIO_ENV] = str(args.scenario)
    os.environ["SOLARA_APP"] = APP
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")  # no beacons offline
    check_free(args.host, args.port)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"alliance-sim dashboard at http://{host}:{args.port}/ (Ctrl-C stops it)",
          flush=True)
    uvicorn.run("solara.server.starlette:app", host=args.host, port=args.port,
                log_level="warning")
    return 0
