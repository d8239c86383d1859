"""What the dashboard's controls hold, where their defaults come from, and how a setting
becomes a validated scenario (and a scenario file).

A :class:`Settings` is a scenario (name or ``.toml`` path), the values of the controls
(dotted scenario keys such as ``levers.war_demand`` or ``china.rule``), a seed and the
number of ensemble runs. Every control's default is read from the scenario file
(:func:`control_defaults`); only the values that differ from the file become overrides,
so what the file says and the controls do not show (a war-demand schedule, a parameter
drawn from a distribution) is kept until its control is moved.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tomli_w

from ..analysis.sensitivity import SENSITIVITY_RANGES
from ..core.actions import Actor, dimensions_of
from ..core.parameters import ACTOR_RULE, LEVERS
from ..core.scenario import load_scenario
from ..core.schema import RULE_NAMES, Distribution, Scenario, ScenarioError

#: Ensemble size and seed the dashboard starts with (the ``run`` command's defaults).
DEFAULT_RUNS = 1000
DEFAULT_SEED = 0
#: Bounds of the typed fields that are not scenario parameters.
MAX_RUNS = 20_000
RULES: tuple[str, ...] = RULE_NAMES


def representative(value: Any) -> float:
    """One number standing for a parameter value: itself, a schedule's month-0 level, or a
    distribution's centre (mode, mean or midpoint)."""
    if isinstance(value, list):
        return float(value[0][1])
    if isinstance(value, Distribution):
        if value.dist == "normal":
            return float(value.mean)
        if value.dist == "triangular":
            return float(value.mode)
        return (float(value.low) + float(value.high)) / 2
    return float(value)


def lever_range(name: str, value: float) -> tuple[float, float]:
    """The slider range of a lever: its documented range where it is finite, otherwise
    the range the sensitivity analysis explores (widened to include ``value``)."""
    spec = LEVERS[name]
    if math.isfinite(spec.high):
        return float(spec.low), float(spec.high)
    low, high, _ = SENSITIVITY_RANGES[f"levers.{name}"]
    return float(spec.low), float(max(high, value))


def slider_step(low: float, high: float, value: float) -> float:
    """A round step (a power of ten, about a hundredth of the range) on whose grid both
    ends and ``value`` lie, so that showing a value never moves it. The step is the exact
    float of ``1eK`` (never a product of divisions, such as 1.0000000000000002e-06): the
    browser's slider takes its decimals from the step's text and rounds to them, so a
    step with a long tail would move the shown value and report it as a change."""
    exponent = math.floor(math.log10((high - low) / 100)) if high > low else 0
    for _ in range(12):
        step = float(f"1e{exponent}")
        if all(abs(x / step - round(x / step)) < 1e-6 for x in (low, high, value)):
            break
        exponent -= 1
    return step


def same_value(value: Any, default: Any) -> bool:
    """Whether a control's value is the file's: equal, or for numbers equal to the ninth
    significant digit (what a slider sends back after rounding to its step)."""
    if isinstance(value, float | int) and isinstance(default, float | int) and not (
            isinstance(value, bool) or isinstance(default, bool)):
        return math.isclose(value, default, rel_tol=1e-9, abs_tol=1e-12)
    return value == default


def control_defaults(scenario: Scenario) -> dict[str, Any]:
    """Every control's value as the scenario file sets it, by dotted key."""
    values: dict[str, Any] = {"escalation": scenario.escalation}
    for name in LEVERS:
        values[f"levers.{name}"] = representative(getattr(scenario.levers, name).value)
    for actor in Actor:
        config = scenario.actor(actor)
        values[f"{actor.value}.rule"] = config.rule
        values[f"{actor.value}.lam"] = representative(config.lam.value)
        values[f"{actor.value}.action"] = fixed_action(scenario, actor)
    return values


def fixed_action(scenario: Scenario, actor: Actor) -> dict[str, str]:
    """The options a ``fixed`` rule plays: the file's ``action`` where it names them,
    the month-0 posture otherwise."""
    config = scenario.actor(actor)
    posture = dict(getattr(scenario.posture, actor.value))
    return {**posture, **(config.action or {})}


def file_notes(scenario: Scenario) -> dict[str, str]:
    """Controls whose file value is richer than one number (shown next to the control)."""
    notes = {}
    for name in LEVERS:
        value = getattr(scenario.levers, name).value
        if isinstance(value, list):
            notes[f"levers.{name}"] = ("the file gives a schedule "
                                       + ", ".join(f"{v:g} from month {m}" for m, v in value)
                                       + "; moving the slider replaces it by one level")
        elif isinstance(value, Distribution):
            notes[f"levers.{name}"] = (f"the file draws it per run ({value.dist}); moving the "
                                       "slider fixes one value")
    return notes


@dataclass(frozen=True)
class Settings:
    """A complete setting of the dashboard's controls."""

    scenario: str
    values: dict[str, Any] = field(default_factory=dict)
    seed: int = DEFAULT_SEED
    runs: int = DEFAULT_RUNS

    def with_value(self, key: str, value: Any) -> Settings:
        """A copy with one control changed."""
        return replace(self, values={**self.values, key: value})


@dataclass(frozen=True)
class Applied:
    """A setting that validated: the scenario it gives and the file defaults it used."""

    settings: Settings
    scenario: Scenario
    defaults: dict[str, Any]
    overrides: dict[str, Any]


def overrides_of(settings: Settings, defaults: dict[str, Any]) -> dict[str, Any]:
    """The controls whose value differs from the file, as ``load_scenario`` overrides.

    An actor's ``action`` is only an override while its rule is ``fixed`` and the options
    differ from the file's.
    """
    out: dict[str, Any] = {}
    for key, value in settings.values.items():
        actor, _, leaf = key.partition(".")
        if leaf == "action":
            rule = settings.values.get(f"{actor}.rule", defaults.get(f"{actor}.rule"))
            if rule == "fixed" and (value != defaults.get(key)
                                    or rule != defaults.get(f"{actor}.rule")):
                out[key] = dict(value)
            continue
        if not same_value(value, defaults.get(key)):
            out[key] = value
    return out


def check_fields(settings: Settings) -> None:
    """Typed fields outside what a scenario checks: seed and runs (one-line errors)."""
    if isinstance(settings.seed, bool) or not isinstance(settings.seed, int) or settings.seed < 0:
        raise ScenarioError(f"seed: got {settings.seed!r}; allowed an integer ≥ 0")
    if (isinstance(settings.runs, bool) or not isinstance(settings.runs, int)
            or not 1 <= settings.runs <= MAX_RUNS):
        raise ScenarioError(f"runs: got {settings.runs!r}; allowed an integer from 1 to "
                            f"{MAX_RUNS}")
    for key, value in settings.values.items():
        if key.endswith(".lam"):
            spec = ACTOR_RULE["lam"]
            if not isinstance(value, int | float) or not spec.low <= value <= spec.high:
                raise ScenarioError(f"{key}: got {value!r}; allowed {spec.allowed()}")


def apply(settings: Settings) -> Applied:
    """Validate ``settings`` into a scenario; ``ScenarioError`` (one line) if it is bad."""
    check_fields(settings)
    defaults = control_defaults(load_scenario(settings.scenario))
    overrides = overrides_of(settings, defaults)
    scenario = load_scenario(settings.scenario, overrides)
    return Applied(settings, scenario, defaults, overrides)


def initial(scenario: str, runs: int | None = None) -> Applied:
    """The dashboard's starting point: ``scenario`` as its file sets it."""
    defaults = control_defaults(load_scenario(scenario))
    return apply(Settings(scenario, dict(defaults), runs=runs or DEFAULT_RUNS))


# ---------------------------------------------------------------- export


def _drop_none(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _drop_none(v) for k, v in node.items() if v is not None}
    if isinstance(node, list | tuple):
        return [_drop_none(v) for v in node]
    return node


def scenario_toml(applied: Applied, name: str, sample_file: str | None = None) -> str:
    """The applied setting as a self-contained scenario file (TOML text).

    Every parameter keeps its provenance; a value changed in the dashboard says so in its
    ``why``, with the file's value, so the exported file stays honest about its sources.
    A joint sample is named by ``sample_file`` (a file beside the exported scenario;
    default: the scenario's own sample file name, without its folder).
    """
    scenario = applied.scenario
    data = scenario.model_dump(mode="json", exclude={"path", "overrides"})
    data = _drop_none(data)
    data["name"] = name
    if scenario.sample is not None:
        # the same joint sample file; a sampled parameter changed here holds in every run
        # (``set_below`` is how an extending scenario's own values leave the sample)
        held = set(scenario.sample.fixed) | (set(applied.overrides) & set(scenario.sample.keys))
        data["sample"] = {"file": sample_file or Path(scenario.sample.file).name,
                          "set_below": sorted(held)}
    changed = ", ".join(f"{k} = {v!r}" for k, v in applied.overrides.items()) or "nothing"
    data["description"] = (f"{scenario.description} (exported from the dashboard; "
                           f"changed: {changed})")
    for key, value in applied.overrides.items():
        node = data
        parts = key.split(".")
        for part in parts[:-1]:
            node = node[part]
        entry = node[parts[-1]]
        if isinstance(entry, dict) and "value" in entry:
            was = applied.defaults.get(key)
            note = f"set to {value:g} in the dashboard (file: {was:g})"
            entry["why"] = f"{entry['why']}; {note}" if entry.get("why") else note
    header = (f"# Exported from the alliance-sim dashboard: scenario {applied.settings.scenario!r}"
              f", seed {applied.settings.seed}, {applied.settings.runs} runs.\n")
    return header + tomli_w.dumps(data)


def write_scenario(applied: Applied, path: str | Path) -> Path:
    """Write :func:`scenario_toml` to ``path`` (its stem becomes the scenario's name). A
    joint sample is copied beside it as ``<stem>.sample.csv`` and named without a folder,
    so the exported files work wherever they are moved together."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sample_file = None
    if applied.scenario.sample is not None:
        sample_file = f"{path.stem}.sample.csv"
        shutil.copyfile(applied.scenario.sample.file, path.parent / sample_file)
    path.write_text(scenario_toml(applied, path.stem, sample_file), encoding="utf-8")
    return path


__all__ = ["Applied", "DEFAULT_RUNS", "DEFAULT_SEED", "RULES", "Settings", "apply",
           "control_defaults", "dimensions_of", "file_notes", "fixed_action", "initial",
           "lever_range", "overrides_of", "representative", "scenario_toml", "write_scenario"]
