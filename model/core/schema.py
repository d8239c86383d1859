"""The scenario schema: what a valid scenario holds, with pydantic validation.

Every number is a ``Param``: a value (a number, a distribution, or for war demand a
schedule) with its provenance — article locators and/or ``assumption`` with a ``why``.
Ranges and meanings come from ``model.core.parameters``; loading files, inheritance and
overrides live in ``model.core.scenario``.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationError,
    create_model,
    field_serializer,
    field_validator,
    model_serializer,
    model_validator,
)

from .actions import Actor, dimensions_of
from .calendar import parse_start
from .errors import UserError
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
from .rules import RULE_NAMES

#: Longest horizon a scenario may ask for, in months.
HORIZON_MAX = 600
#: A scenario name is a plain identifier: it names the results folder, so it can never
#: be a path (no separators, no dots, nothing hidden). Letters of any script are fine.
NAME_PATTERN = re.compile(r"[^\W_][\w-]{0,79}")
NAME_RULE = ("letters, digits, '_' and '-', starting with a letter or digit, at most 80 "
             "characters")


def check_name(name: Any) -> str:
    """``name`` if it is a plain identifier (see ``NAME_PATTERN``); ``ValueError`` if not."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"not a plain identifier (got {name!r}); allowed: {NAME_RULE}")
    return name


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
            schedules = {k: _option_schedule(dims, k, v) for k, v in action.items()
                         if isinstance(v, list)}
            plain = {k: v for k, v in action.items() if k not in schedules}
            return {**_check_posture(dims, plain, partial=True), **schedules}

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
                try:
                    _check_posture(dims, self.action)
                except ValueError as exc:
                    raise ValueError(f"rule 'fixed' needs an option for every dimension in "
                                     f"'action': {exc}") from None
            return self

    ActorConfig.__name__ = f"{actor.value}_config"
    return ActorConfig


#: In an option schedule, the months where the actor's rule decides.
FREE = "free"


def _option_schedule(dims, name: str, value: list) -> list[tuple[int, str]]:
    """An option schedule ``[[month, option or "free"], ...]``: from each listed month on
    the dimension plays that option (``"free"``: its rule decides), before the first
    listed month its rule decides."""
    names = [d.name for d in dims]
    if name not in names:
        raise ValueError(f"unknown dimension {name!r}; allowed: {', '.join(names)}")
    dim = dims[names.index(name)]
    allowed = ", ".join((*dim.options, FREE))
    shape = f"allowed: [[month, option], ...] with months increasing and options {allowed}"
    if not value:
        raise ValueError(f"schedule for {name!r} is empty; {shape}")
    out = []
    for entry in value:
        if (not isinstance(entry, list | tuple) or len(entry) != 2 or isinstance(entry[0], bool)
                or not isinstance(entry[0], int) or entry[0] < 0):
            raise ValueError(f"schedule entry {entry!r} for {name!r} is not [month, option]; "
                             f"{shape}")
        if entry[1] != FREE and entry[1] not in dim.options:
            raise ValueError(f"unknown option {entry[1]!r} for {name!r} in its schedule; "
                             f"{shape}")
        out.append((int(entry[0]), str(entry[1])))
    months = [m for m, _ in out]
    if any(b <= a for a, b in zip(months, months[1:])):
        raise ValueError(f"schedule for {name!r} has months out of order or repeated "
                         f"(got {value!r}); {shape}")
    return out


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


#: ``model_dump(context={SAMPLE_SUMMARY: True})`` writes a joint sample as its file, keys and
#: particle count (manifests); without it the dump holds every particle and round-trips.
SAMPLE_SUMMARY = "sample_summary"


class JointSample(BaseModel):
    """A joint sample of parameters: particles (rows) with weights, read from a CSV file
    beside the scenario (``[sample] file = "..."``; columns ``weight`` and dotted keys).

    Each run draws one particle, with probability proportional to its weight, from its
    own generator (``model.core.sampling``); the particle's values replace the scenario's
    for those keys in that run. A key that is overridden (``--set``) or set again by a
    scenario that extends this one is taken out of the sample (``fixed``): the new value
    then holds in every run.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)
    file: str
    keys: tuple[str, ...]
    weights: tuple[float, ...]
    values: tuple[tuple[float, ...], ...]
    fixed: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> JointSample:
        if not self.keys:
            raise ValueError("a sample needs at least one parameter column")
        for key in self.keys:
            if key not in SPECS:
                raise ValueError(f"unknown parameter column {key!r}; allowed: any key of "
                                 "`python run.py params`")
        if len(set(self.keys)) != len(self.keys):
            raise ValueError("parameter columns must not repeat")
        if not self.values or len(self.values) != len(self.weights):
            raise ValueError("a sample needs one weight per particle and at least one")
        for i, row in enumerate(self.values):
            if len(row) != len(self.keys):
                raise ValueError(f"particle {i} has {len(row)} values for {len(self.keys)} "
                                 "columns")
            for key, value in zip(self.keys, row):
                spec = SPECS[key]
                if not spec.low <= value <= spec.high:
                    raise ValueError(f"particle {i}: {key} = {value:g} out of range; "
                                     f"allowed {spec.allowed()}")
        if any(w < 0 for w in self.weights) or not sum(self.weights) > 0:
            raise ValueError("weights must be ≥ 0 with a positive sum")
        for key in self.fixed:
            if key not in self.keys:
                raise ValueError(f"fixed key {key!r} is not a column of the sample")
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo):
        data = handler(self)
        if (info.context or {}).get(SAMPLE_SUMMARY):  # where the sample is, not its numbers
            return {"file": self.file, "keys": list(self.keys), "particles": len(self.values),
                    "fixed": list(self.fixed)}
        return data

    def active_keys(self, overrides: dict[str, Any] | None = None) -> list[str]:
        """The columns the runs take from the sample: all but fixed or overridden keys."""
        skip = set(self.fixed) | set(overrides or ())
        return [k for k in self.keys if k not in skip]

    def pick(self, u):
        """Particle indices for uniforms ``u`` (inverse CDF of the normalized weights)."""
        cdf = np.cumsum(np.asarray(self.weights, dtype=float))
        cdf /= cdf[-1]
        return np.minimum(np.searchsorted(cdf, np.asarray(u), side="right"),
                          len(self.weights) - 1)

    def column(self, key: str):
        """All particles' values of ``key`` as an array."""
        j = self.keys.index(key)
        return np.array([row[j] for row in self.values])


class Scenario(BaseModel):
    """A validated scenario: levers, actors, dynamics, initial state and posture."""

    model_config = ConfigDict(extra="forbid")
    name: str
    description: str
    horizon: int = Field(ge=1, le=HORIZON_MAX)
    #: the calendar month of month 0, ``YYYY-MM``
    start: str = "2023-07"
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
