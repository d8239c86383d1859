"""Scenario files: loading, inheritance, overrides and validation.

A scenario is a TOML file in ``experiments/scenarios/``. Every number is written as
``{ value = ..., source = "mba.1" }`` or ``{ value = ..., source = "assumption",
why = "..." }`` so its provenance sits next to it. A file may start from another with
``extends = "baseline"`` and change only what differs; a parameter table in the child
replaces the parent's whole (value *and* provenance), so the two cannot drift apart.
"""

from __future__ import annotations

import copy
import math
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_serializer,
    field_validator,
    model_validator,
)

from .actions import Actor, dimensions_of
from .parameters import (
    ACTOR_RULE,
    ASSUMPTION,
    DYNAMICS,
    INITIAL,
    LEVERS,
    LOCATORS,
    SPECS,
    WEIGHTS,
    ParamSpec,
)

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "experiments" / "scenarios"
RULE_NAMES = ("logit", "best_response", "fixed", "nash", "qre")


class ScenarioError(ValueError):
    """A scenario file or override is wrong; the message is one line meant for users."""


class Distribution(BaseModel):
    """An uncertain parameter: each run draws its own value (see ``model.sampling``)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    dist: Literal["uniform", "normal", "triangular"]
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    mean: float | None = None
    sd: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _complete(self) -> Distribution:
        need = {"uniform": ("low", "high"), "triangular": ("low", "mode", "high"),
                "normal": ("mean", "sd")}[self.dist]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"{self.dist} distribution needs {', '.join(need)}")
        if self.dist in ("uniform", "triangular") and not self.low < self.high:
            raise ValueError("distribution needs low < high")
        if self.dist == "triangular" and not self.low <= self.mode <= self.high:
            raise ValueError("triangular distribution needs low ≤ mode ≤ high")
        return self

    def support(self) -> tuple[float, float]:
        if self.dist == "normal":
            return (-math.inf, math.inf)
        return (self.low, self.high)


class Param(BaseModel):
    """A number with its provenance: article locators and/or ``assumption`` + why."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    value: Any  # a float or a Distribution, checked by the validator below
    source: str | list[str]
    why: str | None = None

    @field_validator("value", mode="plain")
    @classmethod
    def _number_or_distribution(cls, value: Any) -> float | Distribution:
        return _number_or_distribution(value)

    @field_serializer("value")
    def _dump_value(self, value: Any) -> Any:
        if isinstance(value, Distribution):
            return value.model_dump(exclude_none=True)
        return value

    @field_validator("source")
    @classmethod
    def _known_sources(cls, source: str | list[str]) -> list[str]:
        items = [source] if isinstance(source, str) else list(source)
        allowed = [*LOCATORS, ASSUMPTION]
        for item in items:
            if item not in allowed:
                raise ValueError(f"unknown source {item!r}; allowed: {', '.join(allowed)}")
        if not items:
            raise ValueError("source must name at least one locator or 'assumption'")
        return items

    @model_validator(mode="after")
    def _assumptions_explained(self) -> Param:
        if ASSUMPTION in self.source and not (self.why and self.why.strip()):
            raise ValueError("a parameter whose source is 'assumption' needs a 'why'")
        return self

    def provenance(self) -> str:
        """Locators, and the reason when it rests on an assumption."""
        text = " + ".join(self.source)
        return f"{text}: {self.why}" if self.why else text


def _finite_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("expected a number")
    if not math.isfinite(value):
        raise ValueError("expected a finite number")
    return float(value)


def _number_or_distribution(value: Any) -> float | Distribution:
    if isinstance(value, dict):
        try:
            return Distribution.model_validate(value)
        except ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in err["loc"])
            raise ValueError(f"bad distribution ({where + ': ' if where else ''}"
                             f"{err['msg'].removeprefix('Value error, ')}); allowed: "
                             "{dist = 'uniform', low, high}, {dist = 'triangular', low, mode, "
                             "high} or {dist = 'normal', mean, sd}") from None
    return _finite_number(value)


def _within(spec: ParamSpec):
    def check(param: Param) -> Param:
        value = param.value
        if isinstance(value, list):  # a war-demand schedule, checked entry by entry
            return param
        low, high = value.support() if isinstance(value, Distribution) else (value, value)
        if isinstance(value, Distribution) and value.dist == "normal":
            return param  # draws are clipped into the allowed range (model.sampling)
        if low < spec.low or high > spec.high:
            raise ValueError(f"out of range; allowed {spec.allowed()}")
        return param
    return AfterValidator(check)


def _section(name: str, specs: dict[str, ParamSpec]) -> type[BaseModel]:
    fields = {key: (Annotated[Param, _within(spec)], ...) for key, spec in specs.items()}
    return create_model(name, __config__=ConfigDict(extra="forbid"), **fields)


class WarDemand(Param):
    """``war_demand`` may be a number or a schedule ``[[month, value], ...]``.

    A schedule is a step function: from each listed month on, war demand takes the
    listed value until the next entry. It must start at month 0 and increase strictly.
    """

    @field_validator("value", mode="plain")
    @classmethod
    def _number_or_distribution(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return _number_or_distribution(value)
        if not value:
            raise ValueError("schedule is empty; give [[0, value], [month, value], ...]")
        for entry in value:
            if (not isinstance(entry, list | tuple) or len(entry) != 2
                    or isinstance(entry[0], bool)
                    or not isinstance(entry[0], int)):
                raise ValueError(f"schedule entry {entry!r} is not [month, value]; give "
                                 "[[0, value], [month, value], ...] with integer months")
            level = _finite_number(entry[1])
            if not 0.0 <= level <= 1.0:
                raise ValueError(f"schedule value {level:g} out of range; allowed 0 ≤ value ≤ 1")
        months = [m for m, _ in value]
        if months[0] != 0:
            raise ValueError("schedule must start at month 0")
        if any(b <= a for a, b in zip(months, months[1:])):
            raise ValueError("schedule months must increase strictly")
        return [(int(m), float(v)) for m, v in value]


_lever_fields: dict[str, Any] = {
    key: (Annotated[Param, _within(spec)], ...) for key, spec in LEVERS.items()
    if key != "war_demand"
}
_lever_fields["war_demand"] = (Annotated[WarDemand, _within(LEVERS["war_demand"])], ...)
Levers = create_model("Levers", __config__=ConfigDict(extra="forbid"), **_lever_fields)
Dynamics = _section("Dynamics", DYNAMICS)
Initial = _section("Initial", INITIAL)


def _actor_model(actor: Actor) -> type[BaseModel]:
    weights = _section(f"{actor.value}_weights", WEIGHTS[actor.value])
    dims = dimensions_of(actor)

    class ActorConfig(BaseModel):
        model_config = ConfigDict(extra="forbid")
        rule: str = "logit"
        lam: Annotated[Param, _within(ACTOR_RULE["lam"])]
        action: str | dict[str, str] | None = None
        weights: weights  # type: ignore[valid-type]

        @field_validator("rule")
        @classmethod
        def _known_rule(cls, rule: str) -> str:
            if rule not in RULE_NAMES:
                raise ValueError(f"unknown rule {rule!r}; allowed: {', '.join(RULE_NAMES)}")
            return rule

        @field_validator("action")
        @classmethod
        def _known_options(cls, action: Any) -> dict[str, str] | None:
            if action is None:
                return None
            if isinstance(action, str):
                if len(dims) != 1:
                    names = ", ".join(d.name for d in dims)
                    raise ValueError(f"{actor.value} has several dimensions; give a table "
                                     f"with {names}")
                action = {dims[0].name: action}
            return _check_posture(dims, action, partial=True)

        @model_validator(mode="after")
        def _fixed_needs_action(self):
            if self.rule == "fixed":
                if self.action is None:
                    raise ValueError("rule 'fixed' needs an 'action'")
                try:
                    _check_posture(dims, self.action)
                except ValueError as exc:
                    raise ValueError(f"rule 'fixed' needs an option for every dimension in "
                                     f"'action': {exc}") from None
            return self

    ActorConfig.__name__ = f"{actor.value}_config"
    return ActorConfig


def _check_posture(dims, options: dict[str, str], partial: bool = False) -> dict[str, str]:
    """Every key a dimension of the actor, every value one of its options.

    ``partial`` allows leaving dimensions out (an ``action`` that pins only some of
    Russia's dimensions while its rule decides the rest).
    """
    if not isinstance(options, dict):
        raise ValueError(f"expected a table of dimension = option, got {options!r}")
    names = [d.name for d in dims]
    for key in options:
        if key not in names:
            raise ValueError(f"unknown dimension {key!r}; allowed: {', '.join(names)}")
    for dim in dims:
        if dim.name not in options:
            if partial:
                continue
            raise ValueError(f"missing dimension {dim.name!r} (options: {', '.join(dim.options)})")
        dim.index(options[dim.name])
    return dict(options)


class Posture(BaseModel):
    """Options being played at month 0, before the first move."""

    model_config = ConfigDict(extra="forbid")
    russia: dict[str, str]
    north_korea: dict[str, str]
    united_states: dict[str, str]
    china: dict[str, str]

    @field_validator("russia", "north_korea", "united_states", "china")
    @classmethod
    def _valid(cls, options: dict[str, str], info) -> dict[str, str]:
        return _check_posture(dimensions_of(Actor(info.field_name)), options)


_ActorModels = {actor: _actor_model(actor) for actor in Actor}


class Scenario(BaseModel):
    """A validated scenario: levers, actors, dynamics, initial state and posture."""

    model_config = ConfigDict(extra="forbid")
    name: str
    description: str
    horizon: int = Field(ge=1, le=600)
    levers: Levers  # type: ignore[valid-type]
    russia: _ActorModels[Actor.RUSSIA]  # type: ignore[valid-type]
    north_korea: _ActorModels[Actor.NORTH_KOREA]  # type: ignore[valid-type]
    united_states: _ActorModels[Actor.UNITED_STATES]  # type: ignore[valid-type]
    china: _ActorModels[Actor.CHINA]  # type: ignore[valid-type]
    dynamics: Dynamics  # type: ignore[valid-type]
    initial: Initial  # type: ignore[valid-type]
    posture: Posture
    # Where the scenario came from, and what was overridden (recorded in manifests).
    path: str | None = None
    overrides: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ordered_levels(self) -> Scenario:
        d = self.dynamics
        names = ("level_diplomatic", "level_arms_trade", "level_tech_transfer", "level_treaty")
        values = [getattr(d, n).value for n in names]
        for name in (*names, "treaty_dissolve"):
            value = getattr(d, name).value
            if isinstance(value, Distribution):
                raise ValueError(f"key dynamics.{name}: alliance level thresholds must be "
                                 f"numbers, not distributions (got {value.dist} distribution)")
        for (lower, a), (name, b) in zip(zip(names, values), zip(names[1:], values[1:])):
            if b <= a:
                raise ValueError(f"key dynamics.{name}: level thresholds must increase, so it "
                                 f"must exceed dynamics.{lower} ({a:g}) "
                                 f"(got {b:g}); allowed: " + " < ".join(names))
        dissolve = d.treaty_dissolve.value
        if dissolve > values[-1]:
            raise ValueError(f"key dynamics.treaty_dissolve: must be ≤ dynamics.level_treaty "
                             f"({values[-1]:g}) (got {dissolve:g})")
        return self

    def actor(self, actor: Actor | str):
        """The configuration table of one actor."""
        return getattr(self, Actor(actor).value)

    def param(self, key: str) -> Param:
        """The ``Param`` at a dotted key such as ``russia.weights.aid_cost``."""
        node: Any = self
        for part in key.split("."):
            node = getattr(node, part)
        if not isinstance(node, Param):
            raise KeyError(key)
        return node

    def param_keys(self) -> list[str]:
        """Every parameter's dotted key, in table order."""
        return list(SPECS)

    def distributions(self) -> dict[str, Distribution]:
        """Parameters given as distributions, by dotted key, in table order."""
        return {k: self.param(k).value for k in SPECS
                if isinstance(self.param(k).value, Distribution)}

    def war_demand_schedule(self) -> list[tuple[int, float]] | None:
        value = self.levers.war_demand.value
        return value if isinstance(value, list) else None


# ---------------------------------------------------------------- loading


def scenario_path(name_or_path: str | Path) -> Path:
    """Resolve a scenario name (``baseline``) or a path to a ``.toml`` file."""
    text = str(name_or_path)
    if text.endswith(".toml") or "/" in text or "\\" in text:
        return Path(text)
    return SCENARIO_DIR / f"{text}.toml"


def available_scenarios() -> list[str]:
    """Names of the scenario files shipped in ``experiments/scenarios``."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def _read_toml(path: Path, name: str) -> dict[str, Any]:
    if not path.exists():
        if path.parent == SCENARIO_DIR and not name.endswith(".toml"):
            raise ScenarioError(f"unknown scenario {name!r}; available: "
                                f"{', '.join(available_scenarios())} (or a path to a .toml file)")
        raise ScenarioError(f"scenario file {path}: no such file")
    if path.is_dir():
        raise ScenarioError(f"scenario file {path}: is a directory, expected a .toml file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"scenario file {path}: cannot be read ({exc})") from None
    if not text.strip():
        raise ScenarioError(f"scenario file {path}: is empty; expected a TOML scenario")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"scenario file {path}: not valid TOML ({exc})") from None


def _merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Child over parent; tables merge, but a parameter table (has ``value``) replaces."""
    out = copy.deepcopy(parent)
    for key, value in child.items():
        both_tables = isinstance(value, dict) and isinstance(out.get(key), dict)
        if both_tables and "value" not in value:
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _load_raw(name_or_path: str | Path, seen: tuple[Path, ...] = ()) -> tuple[dict, Path]:
    path = scenario_path(name_or_path)
    raw = _read_toml(path, str(name_or_path))
    if path.resolve() in seen:
        chain = " -> ".join(str(p) for p in (*seen, path.resolve()))
        raise ScenarioError(f"scenario file {path}: key extends: circular ({chain})")
    parent_name = raw.pop("extends", None)
    if parent_name is None:
        return raw, path
    if not isinstance(parent_name, str):
        raise ScenarioError(f"scenario file {path}: key extends: got {parent_name!r}; "
                            "allowed: a scenario name or path")
    if not parent_name.endswith(".toml") and "/" not in parent_name:
        parent_path = SCENARIO_DIR / f"{parent_name}.toml"
    else:
        parent_path = (path.parent / parent_name).resolve()
    if not parent_path.exists():
        raise ScenarioError(f"scenario file {path}: key extends: unknown scenario "
                            f"{parent_name!r}; available: {', '.join(available_scenarios())}")
    parent, _ = _load_raw(parent_path, (*seen, path.resolve()))
    return _merge(parent, raw), path


def parse_override_value(text: str) -> Any:
    """A ``--set`` value: a TOML literal (``0.9``, ``[[0, 0.8], [12, 0.2]]``) or a bare word."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _apply_override(raw: dict[str, Any], key: str, value: Any, origin: str) -> None:
    parts = key.split(".")
    node = raw
    for i, part in enumerate(parts[:-1]):
        if not isinstance(node, dict) or part not in node:
            _unknown_key(origin, ".".join(parts[: i + 1]), value, node)
        node = node[part]
    leaf = parts[-1]
    if not isinstance(node, dict):
        _unknown_key(origin, key, value, {})
    target = node.get(leaf)
    if isinstance(target, dict) and "value" in target:
        target["value"] = value
        return
    optional = {"action", "rule"}  # actor keys that may be absent from a file
    if leaf not in node and not (leaf in optional and len(parts) == 2):
        _unknown_key(origin, key, value, node)
    if isinstance(target, dict):
        allowed = ", ".join(f"{key}.{k}" for k in target)
        raise ScenarioError(f"{origin}: key {key}: is a table, not a value (got {value!r}); "
                            f"set one of: {allowed}")
    node[leaf] = value


def _unknown_key(origin: str, key: str, value: Any, node: Any) -> None:
    allowed = ", ".join(sorted(node)) if isinstance(node, dict) else "none"
    raise ScenarioError(f"{origin}: unknown key {key} (got {value!r}); allowed here: {allowed}")


def _shown(value: Any) -> str | None:
    """The offending value, short (a parameter table shows its value); None if too long."""
    if isinstance(value, dict) and "value" in value:
        value = value["value"]
    text = repr(value)
    return text if len(text) <= 100 else None


def _describe_error(err: dict[str, Any]) -> str:
    loc = [str(p) for p in err["loc"]]
    if len(loc) > 1 and loc[-1] == "value":
        loc.pop()
    key = ".".join(loc) or "(top level)"
    msg = err["msg"].removeprefix("Value error, ")
    if not loc and msg.startswith("key "):  # a cross-field check that names its own key
        return msg
    if err["type"] == "extra_forbidden":
        shown = _shown(err["input"]) or "a table"
        return (f"key {key}: unknown key (got {shown}); allowed here: "
                f"{_allowed_keys(loc[:-1])}")
    if err["type"] == "missing":
        return f"key {key}: missing; every scenario must set it (see baseline.toml)"
    value = err.get("input")
    shown = _shown(value)
    got = "" if "(got " in msg or shown is None else f" (got {shown})"
    spec = SPECS.get(key)
    allowed = f"; allowed {spec.allowed()}" if spec and "allowed" not in msg else ""
    return f"key {key}: {msg}{got}{allowed}"


def _allowed_keys(loc: list[str]) -> str:
    """The keys a scenario table at ``loc`` accepts, for 'unknown key' messages."""
    model: Any = Scenario
    for part in loc:
        field = model.model_fields.get(part)
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return "see baseline.toml"
        model = annotation
    return ", ".join(k for k in model.model_fields if k not in {"path", "overrides"})


def load_scenario(name_or_path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load, merge (``extends``), override and validate a scenario.

    ``name_or_path`` is a name in ``experiments/scenarios`` or a path to a ``.toml`` file.
    ``overrides`` maps dotted keys to values, e.g. ``{"levers.war_demand": 0.9,
    "china.rule": "fixed", "china.action": "enable"}``; a parameter's override replaces
    its value and keeps its provenance (the override is recorded on the scenario).
    Raises ``ScenarioError`` with a one-line message naming the file, key, bad value and
    what is allowed.
    """
    raw, path = _load_raw(name_or_path)
    overrides = dict(overrides or {})
    for key, value in overrides.items():
        _apply_override(raw, key, value, origin=f"override {key}={value!r}")
    origin = f"scenario file {path}" + (" (with overrides)" if overrides else "")
    try:
        scenario = Scenario.model_validate({**raw, "path": str(path), "overrides": overrides})
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise ScenarioError(f"{origin}: {_describe_error(first)}") from None
    return scenario


def validated(scenario: Scenario, overrides: dict[str, Any], origin: str) -> Scenario:
    """A copy of ``scenario`` with ``overrides`` (dotted keys) applied and re-validated.

    Used where a scenario is varied programmatically (sweeps, claims); errors are
    ``ScenarioError`` messages that start with ``origin``.
    """
    raw = scenario.model_dump(mode="python", exclude={"path", "overrides"})
    for key, value in overrides.items():
        _apply_override(raw, key, value, origin=origin)
    try:
        return Scenario.model_validate({**raw, "path": scenario.path,
                                        "overrides": {**scenario.overrides, **overrides}})
    except ValidationError as exc:
        raise ScenarioError(f"{origin}: {_describe_error(exc.errors(include_url=False)[0])}"
                            ) from None
