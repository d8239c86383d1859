"""The dashboard: turn the levers, watch the alliance evolve (Mesa's SolaraViz).

Serve it with ``python run.py dashboard [SCENARIO]`` or ``solara run model/dashboard/app.py``
(the scenario then comes from ``ALLIANCE_SIM_SCENARIO``, else ``calibrated`` where it
exists, else ``baseline``). The page holds:

- the controls (sidebar): scenario, the six levers, each actor's rule and ``lam``, seed,
  ensemble size; defaults from the scenario file;
- one Mesa run, stepped with Mesa's Step / Play / Reset (SolaraViz's controller), with its
  state so far drawn as the run figures are (months, calendar);
- the ensemble, rerun and redrawn on every change of a control;
- the game at the stepped run's month: payoff tables, pure equilibria, QRE;
- export of the setting as a scenario file plus the ensemble's figures.

A bad value (out of range, a scenario file that fails validation) shows a one-line error
and the page keeps the last good setting.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

if __package__ in (None, ""):  # `solara run model/dashboard/app.py` loads this file by path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    __package__ = "model.dashboard"  # noqa: A001 - lets the relative imports below resolve

import solara
from mesa.visualization.solara_viz import ModelController, ShowSteps

from ..abm.model import AllianceModel
from ..core.scenario import Scenario, available_scenarios
from ..core.schema import ScenarioError
from .controls import Controls
from .ensemble_view import EnsembleResult, EnsembleView
from .export import EXPORT_DIR, ExportPanel
from .game_view import GameView
from .run_panels import SteppedRunView
from .settings import Applied, Settings, apply, initial

SCENARIO_ENV = "ALLIANCE_SIM_SCENARIO"  # set by `python run.py dashboard SCENARIO`
EXPORT_ENV = "ALLIANCE_SIM_EXPORT_DIR"
TITLE = "Russia–North Korea alliance"
PLAY_INTERVAL_MS = 300  # between months while ▶ plays the stepped run


def starting_scenario() -> str:
    """The scenario the page opens with: ``$ALLIANCE_SIM_SCENARIO``, else ``calibrated``
    where the library has it, else ``baseline``."""
    chosen = os.environ.get(SCENARIO_ENV)
    if chosen:
        return chosen
    return "calibrated" if "calibrated" in available_scenarios() else "baseline"


class SteppedRun(AllianceModel):
    """The dashboard's stepped run: an ``AllianceModel`` that SolaraViz's Reset re-creates
    from the keywords ``alliance`` and ``seed``. (Mesa 3.5's SolaraViz hands a model keyword
    named ``scenario`` its own Scenario object, so this one is named otherwise.)"""

    def __init__(self, alliance: Scenario, seed: int) -> None:
        super().__init__(alliance, seed=seed)


def new_run(applied: Applied) -> AllianceModel:
    """The stepped Mesa run of a setting (month 0)."""
    return SteppedRun(applied.scenario, seed=applied.settings.seed)


@solara.component
def SteppedRunControls(model: solara.Reactive[AllianceModel], applied: Applied):
    """Mesa's Step / ▶ / Reset for the stepped run and its step count (the controls
    SolaraViz shows, without its empty parameter card and page tabs)."""
    ModelController(model, model_parameters={"alliance": applied.scenario,
                                             "seed": applied.settings.seed},
                    play_interval=solara.use_reactive(PLAY_INTERVAL_MS),
                    render_interval=solara.use_reactive(1),
                    use_threads=solara.use_reactive(False))
    ShowSteps(model.value)


@solara.component
def Dashboard(scenario: str | None = None, runs: int | None = None,
              export_dir: str | Path | None = None):
    """The whole page; ``scenario`` defaults to :func:`starting_scenario`, ``runs`` (the
    starting ensemble size) to 1,000, exports to ``results/dashboard``."""
    first = solara.use_memo(lambda: initial(scenario or starting_scenario(), runs), [])
    applied = solara.use_reactive(first)  # the last good setting
    error = solara.use_reactive("")
    resets = solara.use_reactive(0)  # remounts the controls on the last good setting
    version = solara.use_reactive(0)  # bumps on every good change: rerun, remount
    model = solara.use_reactive(solara.use_memo(lambda: new_run(first), []))
    result = solara.use_ref(None)

    def on_error(message: str) -> None:
        error.set(message)
        resets.set(resets.value + 1)

    def on_settings(settings: Settings) -> None:
        try:
            good = apply(settings)
        except ScenarioError as exc:
            on_error(str(exc))
            return
        error.set("")
        applied.set(good)
        model.set(new_run(good))
        version.set(version.value + 1)

    def on_result(value: EnsembleResult) -> None:
        result.current = value

    current = applied.value
    with solara.AppBar():
        solara.AppBarTitle(f"{TITLE} — scenario '{current.scenario.name}'")
    with solara.Sidebar():
        with solara.Card("Stepped run (one Mesa run)", margin=0):
            SteppedRunControls(model, current).key(f"run-{version.value}")
        Controls(current.settings, on_settings=on_settings, on_error=on_error,
                 revision=resets.value)

    with solara.Column(style={"padding": "4px 12px 96px 12px"}):  # clear of the Solara badge
        if error.value:
            solara.Error(error.value, classes=["dashboard-error"])
            solara.Text("The page keeps the last good setting; the controls show it.",
                        style={"font-size": "12px"})
        EnsembleView(current.scenario, current.settings.runs, current.settings.seed,
                     current.overrides, version.value, on_result=on_result)
        solara.Text(f"One Mesa run, stepped (seed {current.settings.seed}): Step / ▶ / "
                    "Reset in the sidebar", style={"font-size": "20px", "font-weight": "500"})
        SteppedRunView(model.value)
        GameView(model.value)
        ExportPanel(current, lambda: result.current,
                    export_dir or os.environ.get(EXPORT_ENV) or EXPORT_DIR)


def warn_if_assets_missing() -> None:
    """Say on the server's console when the offline front-end assets are not installed."""
    from . import assets

    gone = assets.missing(assets.cache_dir())
    if gone:
        print(f"warning: dashboard front-end assets missing ({', '.join(gone)}); without "
              "internet the page stays blank: run python -m model.dashboard.assets",
              file=sys.stderr)


# Solara warns (ten lines, on every page load) that a session cookie served over plain
# http falls back to samesite=lax; that is the right cookie for a page served on this
# machine, so the warning says nothing to act on here.
warnings.filterwarnings("ignore", message="Cookies with samesite=none require https",
                        category=UserWarning)
warn_if_assets_missing()
page = Dashboard()
