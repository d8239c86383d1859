"""The sidebar controls: scenario, the six levers, each actor's rule and ``lam``, seed and
ensemble size. Every default comes from the scenario file (``settings.control_defaults``);
every change goes to one callback, which validates it and keeps the last good setting
if it is bad."""

from __future__ import annotations

from collections.abc import Callable

import solara
from mesa.visualization import Slider
from mesa.visualization.solara_viz import UserInputs

from ..core.actions import Actor, dimensions_of
from ..core.parameters import LEVERS
from ..core.scenario import available_scenarios, load_scenario
from ..core.schema import ScenarioError
from .settings import RULES, Settings, control_defaults, file_notes, lever_range, slider_step

HINT = {"font-size": "12px", "color": "#666", "margin": "-10px 0 4px 0"}
ACTOR_NAMES = {Actor.RUSSIA: "Russia", Actor.NORTH_KOREA: "North Korea",
               Actor.UNITED_STATES: "United States", Actor.CHINA: "China"}


def lever_sliders(settings: Settings) -> dict[str, Slider]:
    """Mesa ``Slider`` user parameters for every lever at its current value."""
    sliders = {}
    for name in LEVERS:
        key = f"levers.{name}"
        value = float(settings.values[key])
        low, high = lever_range(name, value)
        sliders[key] = Slider(name, value=value, min=low, max=high,
                              step=slider_step(low, high, value), dtype=float)
    return sliders


def scenario_settings(name: str, current: Settings) -> Settings:
    """A scenario's file values for every control, keeping the seed and ensemble size."""
    defaults = control_defaults(load_scenario(name))
    return Settings(name, dict(defaults), seed=current.seed, runs=current.runs)


@solara.component
def Controls(settings: Settings, on_settings: Callable[[Settings], None],
             on_error: Callable[[str], None], revision: int = 0):
    """Every control of the dashboard; ``on_settings`` receives each new setting. A new
    ``revision`` (after a rejected input) builds every field afresh from ``settings``, so
    the fields show the last good setting, not the rejected value."""
    with solara.Column(gap="0px").key(f"controls-{revision}"):
        _Fields(settings, on_settings, on_error)


@solara.component
def _Fields(settings: Settings, on_settings: Callable[[Settings], None],
            on_error: Callable[[str], None]):
    path_text = solara.use_reactive("")

    def choose_scenario(name: str) -> None:
        try:
            on_settings(scenario_settings(name, settings))
        except ScenarioError as exc:
            on_error(str(exc))

    def open_file(path: str) -> None:
        path_text.set(path)
        if path.strip():
            choose_scenario(path.strip())

    with solara.Card("Scenario", margin=0):
        library = available_scenarios()
        solara.Select("scenario", values=library,
                      value=settings.scenario if settings.scenario in library else None,
                      on_value=choose_scenario)
        solara.InputText("or a scenario file (.toml path, Enter to load)", value=path_text.value,
                         on_value=open_file, continuous_update=False)
        try:
            notes = file_notes(load_scenario(settings.scenario))
        except ScenarioError:
            notes = {}

    with solara.Card("Levers", margin=0):
        def on_change(key: str, value: float) -> None:
            on_settings(settings.with_value(key, float(value)))

        solara.Checkbox(label="escalation module (troops, military technology, the treaty "
                              "in force)", value=bool(settings.values["escalation"]),
                        on_value=lambda v: on_settings(settings.with_value("escalation",
                                                                           bool(v))))
        solara.Text("off: the article's world; on: North Korea may send soldiers and Russia "
                    "military technology (russia_territory_attacked acts only with it on)",
                    style=HINT)

        for key, slider in lever_sliders(settings).items():
            name = key.split(".")[1]
            UserInputs({key: slider}, on_change=on_change)  # Mesa's user-parameter inputs
            hint = (f"{slider.value:g} — {LEVERS[name].meaning}"
                    + (f" ({notes[key]})" if key in notes else ""))
            solara.Text(hint, style=HINT)

    with solara.Card("Actors", margin=0):
        for actor in Actor:
            ActorControls(actor, settings, on_settings)

    with solara.Card("Runs", margin=0):
        solara.InputInt("seed", value=settings.seed, continuous_update=False,
                        on_value=lambda v: on_settings(_replace(settings, seed=v)))
        solara.InputInt("ensemble runs", value=settings.runs, continuous_update=False,
                        on_value=lambda v: on_settings(_replace(settings, runs=v)))


def _replace(settings: Settings, **changes) -> Settings:
    from dataclasses import replace

    return replace(settings, **changes)


@solara.component
def ActorControls(actor: Actor, settings: Settings,
                  on_settings: Callable[[Settings], None]):
    """One actor's decision rule, its rationality ``lam`` and, for ``fixed``, its options."""
    prefix = actor.value
    rule = settings.values[f"{prefix}.rule"]
    with solara.Row(style={"align-items": "baseline"}):
        solara.Text(ACTOR_NAMES[actor], style={"min-width": "95px", "font-weight": "bold"})
        solara.Select("rule", values=list(RULES), value=rule,
                      on_value=lambda v: on_settings(settings.with_value(f"{prefix}.rule", v)))
        solara.InputFloat("lam", value=settings.values[f"{prefix}.lam"],
                          continuous_update=False,
                          on_value=lambda v: on_settings(settings.with_value(f"{prefix}.lam", v)))
    if rule == "fixed":
        action = dict(settings.values[f"{prefix}.action"])
        with solara.Row():
            for dim in dimensions_of(actor):
                def pick(option, dim=dim):
                    on_settings(settings.with_value(f"{prefix}.action",
                                                    {**action, dim.name: option}))
                solara.Select(dim.name, values=list(dim.options), value=action[dim.name],
                              on_value=pick)
