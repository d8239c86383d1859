"""The scenario schema: what a valid scenario holds, with pydantic validation.

Every number is a ``Param``: a value (a number, a distribution, or for war demand a
schedule) with its provenance — article locators and/or ``assumption`` with a ``why``.
Ranges and meanings come from ``model.core.parameters``; loading files, inheritance and
overrides live in ``model.core.scenario``; the posture and option schedules are checked in
``model.core.posture``, a joint parameter sample in ``model.core.joint_sample``.
"""

from __future__ import annotations

import math
import re
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

from .actions import Actor, dimensions_of, escalation_dimensions_of
from .calendar import parse_start
from .errors import UserError
from .joint_sample import SAMPLE_SUMMARY, JointSample
from .names import check_name
from .parameters import (
    ACTOR_RULE,
    ASSUMPTION,
    DYNAMICS,
    INITIAL,
    LEVERS,
    LOCATORS,
    RECORD,
    SPECS,
    WEIGHTS,
    ParamSpec,
)
from .posture import FREE, Posture, check_posture, option_schedule
from .rules import RULE_NAMES

__all__ = ["FREE", "SAMPLE_SUMMARY", "HORIZON_MAX", "Distribution", "JointSample", "Param",
           "Posture", "Scenario", "ScenarioError", "check_name"]

#: Longest horizon a scenario may ask for, in months.
HORIZON_MAX = 600


class ScenarioError(UserError):
    """A scenario file or override is wrong; the message is one line meant for users."""


class Distribution(BaseModel):
    """An uncertain parameter: each run draws its own value (see ``model.core.sampling``)."""

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
        """The interval draws fall in (unbounded for a normal before clipping)."""
        if self.dist == "normal":
            return (-math.inf, math.inf)
        return (self.low, self.high)


class Param(BaseModel):
    """A number with its provenance: article locators and/or ``assumption`` + why."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    value: Any  # a float or a Distribution, checked by the validator below
    source: str | list[str]
    why: str | None = None
    #: The record's event ids behind a ``record`` source, e.g. ``["R02", "R06"]``.
    events: list[str] | None = None

    @field_validator("events")
    @classmethod
    def _event_ids(cls, events: list[str] | None) -> list[str] | None:
        for event in events or []:
            if not re.fullmatch(r"R\d{2,}", event):
                raise ValueError(f"bad event id {event!r}; allowed: ids of the record such "
                                 "as 'R02'")
        return events

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
        allowed = [*LOCATORS, ASSUMPTION, RECORD]
        for item in items:
            if item not in allowed:
                raise ValueError(f"unknown source {item!r}; allowed: {', '.join(allowed)}")
        if not items:
            raise ValueError("source must name at least one locator or 'assumption'")
        return items

    @model_validator(mode="after")
    def _assumptions_explained(self) -> Param:
        for source in (ASSUMPTION, RECORD):
            if source in self.source and not (self.why and self.why.strip()):
                raise ValueError(f"a parameter whose source is {source!r} needs a 'why'")
        return self

    def provenance(self) -> str:
        """Locators, and the reason when it rests on an assumption."""
        text = " + ".join(self.source)
        if self.events:
            text += f" ({', '.join(self.events)})"
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
        low, high = value.support() if isinstance(value, Distribution) else (value, value)
        if isinstance(value, Distribution) and value.dist == "normal":
            return param  # draws are clipped into the allowed range (model.core.sampling)
        if low < spec.low or high > spec.high:
            raise ValueError(f"out of range; allowed {spec.allowed()}")
        return param
    return AfterValidator(check)


def _section(name: str, specs: dict[str, ParamSpec]) -> type[BaseModel]:
    fields = {key: (Annotated[Param, _within(spec)], ...) for key, spec in specs.items()}
    return create_model(name, __config__=ConfigDict(extra="forbid"), **fields)


class Lever(Param):
    """A lever may be a number, a distribution, or a schedule ``[[month, value], ...]``.

    A schedule is a step function: from each listed month on, the lever takes the listed
    value until the next entry. It must start at month 0 and increase strictly; its values
    are checked against the lever's range (``_within``).
    """

    @field_validator("value", mode="plain")
    @classmethod
    def _number_or_distribution(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return _number_or_distribution(value)
        shape = ("allowed: [[0, value], [month, value], ...] with integer months increasing "
                 "from 0")
        if not value:
            raise ValueError(f"schedule is empty; {shape}")
        for entry in value:
            if (not isinstance(entry, list | tuple) or len(entry) != 2
                    or isinstance(entry[0], bool)
                    or not isinstance(entry[0], int)):
                raise ValueError(f"schedule entry {entry!r} is not [month, value]; {shape}")
            _finite_number(entry[1])
        months = [m for m, _ in value]
        if any(b <= a for a, b in zip(months, months[1:])):
            order = ("months out of order" if any(b < a for a, b in zip(months, months[1:]))
                     else "a month listed twice")
            raise ValueError(f"schedule has {order}: list entries in increasing order of "
                             f"month, so that months increase strictly (got {value!r}); "
                             f"{shape}")
        if months[0] != 0:
            raise ValueError(f"schedule must start at month 0 (got {value!r}); {shape}")
        return [(int(m), float(v)) for m, v in value]


def _lever_within(spec: ParamSpec):
    """A lever's range check: every entry of a schedule, else the value as ``_within``."""
    plain = _within(spec).func

    def check(param: Param) -> Param:
        if isinstance(param.value, list):
            for _, level in param.value:
                if not spec.low <= level <= spec.high:
                    raise ValueError(f"schedule value {level:g} out of range; allowed "
                                     f"{spec.allowed()} in every entry")
            return param
        return plain(param)
    return AfterValidator(check)


_lever_fields: dict[str, Any] = {
    key: (Annotated[Lever, _lever_within(spec)], ...) for key, spec in LEVERS.items()}
Levers = create_model("Levers", __config__=ConfigDict(extra="forbid"), **_lever_fields)
Dynamics = _section("Dynamics", DYNAMICS)
Initial = _section("Initial", INITIAL)


def _actor_model(actor: Actor) -> type[BaseModel]:
    weights = _section(f"{actor.value}_weights", WEIGHTS[actor.value])
    dims = dimensions_of(actor)
    # an action may also pin the escalation module's dimensions (checked against the
    # scenario's ``escalation`` switch by the scenario)
    pinnable = dims + escalation_dimensions_of(actor)

    class ActorConfig(BaseModel):
        model_config = ConfigDict(extra="forbid")
        rule: str = "logit"
        lam: Annotated[Param, _within(ACTOR_RULE["lam"])]
        action: str | dict[str, str | list] | None = None
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
            if not isinstance(action, dict):
                raise ValueError(f"expected a table of dimension = option, got {action!r}")
            schedules = {k: option_schedule(pinnable, k, v) for k, v in action.items()
                         if isinstance(v, list)}
            plain = {k: v for k, v in action.items() if k not in schedules}
            return {**check_posture(pinnable, plain, partial=True), **schedules}

        @model_validator(mode="after")
        def _fixed_needs_action(self):
            if self.rule == "fixed":
                if self.action is None:
                    raise ValueError("rule 'fixed' needs an 'action'")
                scheduled = [k for k, v in self.action.items() if isinstance(v, list)]
                if scheduled:
                    raise ValueError(f"rule 'fixed' needs one option per dimension, got a "
                                     f"schedule for {scheduled[0]!r}; allowed: a schedule "
                                     "pins a dimension for another rule (e.g. logit)")
                names = {d.name for d in dims}
                try:
                    check_posture(dims, {k: v for k, v in self.action.items() if k in names})
                except ValueError as exc:
                    raise ValueError(f"rule 'fixed' needs an option for every dimension in "
                                     f"'action': {exc}") from None
            return self

    ActorConfig.__name__ = f"{actor.value}_config"
    return ActorConfig


_ActorModels = {actor: _actor_model(actor) for actor in Actor}


class Scenario(BaseModel):
    """A validated scenario: levers, actors, dynamics, initial state and posture."""

    model_config = ConfigDict(extra="forbid")
    name: str
    description: str
    horizon: int = Field(ge=1, le=HORIZON_MAX)
    #: the calendar month of month 0, ``YYYY-MM``
    start: str = "2023-07"
    #: the escalation module (troops, military technology, the treaty in force): off in
    #: the article's world, inherited by the scenarios that extend one that turns it on
    escalation: bool = False
    levers: Levers  # type: ignore[valid-type]
    russia: _ActorModels[Actor.RUSSIA]  # type: ignore[valid-type]
    north_korea: _ActorModels[Actor.NORTH_KOREA]  # type: ignore[valid-type]
    united_states: _ActorModels[Actor.UNITED_STATES]  # type: ignore[valid-type]
    china: _ActorModels[Actor.CHINA]  # type: ignore[valid-type]
    dynamics: Dynamics  # type: ignore[valid-type]
    initial: Initial  # type: ignore[valid-type]
    posture: Posture
    # A joint parameter sample (e.g. a calibration posterior): each run draws one particle.
    sample: JointSample | None = None
    # Where the scenario came from, and what was overridden (recorded in manifests).
    path: str | None = None
    overrides: dict[str, Any] = Field(default_factory=dict)

    @field_validator("start")
    @classmethod
    def _valid_start(cls, start: str) -> str:
        parse_start(start)
        return start

    @field_validator("name", mode="plain")
    @classmethod
    def _plain_name(cls, name: Any) -> str:
        return str(check_name(name))

    @model_validator(mode="after")
    def _ordered_levels(self) -> Scenario:
        d = self.dynamics
        names = ("level_diplomatic", "level_arms_trade", "level_tech_transfer")
        values = [getattr(d, n).value for n in names]
        for name in names:
            value = getattr(d, name).value
            if isinstance(value, Distribution):
                raise ValueError(f"key dynamics.{name}: alliance level thresholds must be "
                                 f"numbers, not distributions (got {value.dist} distribution)")
        for name in ("treaty_steps", "treaty_drafting", "treaty_notice"):  # whole counts
            value = getattr(d, name).value
            if isinstance(value, Distribution) or value != int(value):
                got = (f"a {value.dist} distribution" if isinstance(value, Distribution)
                       else format(value, "g"))
                raise ValueError(f"key dynamics.{name}: must be a whole number (got {got}); "
                                 "allowed: an integer in its range (run.py params)")
        for (lower, a), (name, b) in zip(zip(names, values), zip(names[1:], values[1:])):
            if b <= a:
                raise ValueError(f"key dynamics.{name}: level thresholds must increase, so it "
                                 f"must exceed dynamics.{lower} ({a:g}) "
                                 f"(got {b:g}); allowed: " + " < ".join(names))
        return self

    @model_validator(mode="after")
    def _escalation_pins_need_the_module(self) -> Scenario:
        if self.escalation:
            return self
        for actor in Actor:
            action = self.actor(actor).action or {}
            for dim in escalation_dimensions_of(actor):
                if dim.name in action:
                    raise ValueError(f"key {actor.value}.action.{dim.name}: the escalation "
                                     f"module's dimension needs escalation = true (got "
                                     f"{action[dim.name]!r}); allowed: set escalation = true "
                                     "or leave it out")
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

    @model_validator(mode="after")
    def _sample_or_distribution(self) -> Scenario:
        if self.sample is not None:
            for key in self.sample.active_keys(self.overrides):
                if isinstance(self.param(key).value, Distribution):
                    raise ValueError(f"key {key}: is both a distribution and a column of the "
                                     f"joint sample {self.sample.file}; allowed: one of them")
        return self

    def distributions(self) -> dict[str, Distribution]:
        """Parameters given as distributions, by dotted key, in table order."""
        return {k: self.param(k).value for k in SPECS
                if isinstance(self.param(k).value, Distribution)}

    def lever_schedules(self) -> dict[str, list[tuple[int, float]]]:
        """The levers given as schedules: ``{name: [(month, value), ...]}``."""
        return {name: getattr(self.levers, name).value for name in LEVERS
                if isinstance(getattr(self.levers, name).value, list)}

    def war_demand_schedule(self) -> list[tuple[int, float]] | None:
        """The ``[(month, value), ...]`` schedule of war demand, or None for a constant."""
        return self.lever_schedules().get("war_demand")
