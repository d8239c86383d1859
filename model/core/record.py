"""The dated record (``experiments/record/events.csv``) and its observation rules
(``experiments/record/observations.toml``), read and validated.

This module only reads data: what each rule means for a run (its score) is computed by
``model.analysis.calibration_observations``; the plots read the events and the rules'
target months from here (the events themselves are read by ``model.core.record_events``).
Every problem in either file is a ``RecordError`` whose one-line message names the file,
the row or rule, the key and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .actions import ACTION_COLUMNS, DIMENSION_BY_KEY, ESCALATION_COLUMNS
from .names import entry_id
from .record_events import RECORD_DIR, Event, RecordError, load_events
from .state import ESCALATION_STATE_COLUMNS, STATE_COLUMNS, AllianceLevel

__all__ = ["RECORD_DIR", "OBSERVATIONS_FILE", "Event", "RecordError", "Condition", "Rule", "Scale",
           "Observations", "load_events", "load_observations", "parse_condition"]

OBSERVATIONS_FILE = RECORD_DIR / "observations.toml"
RULE_KINDS = ("first", "share", "total")
OPERATORS = (">=", "<=", "==", "!=", ">", "<")
_WHEN = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(>=|<=|==|!=|>|<)\s*(\S+)\s*$")


@dataclass(frozen=True)
class Condition:
    """``column op value`` on one month of a run; ``value`` is a number (an option's index
    for option columns and alliance levels)."""

    column: str
    op: str
    value: float
    text: str


@dataclass(frozen=True)
class Scale:
    """A conversion from a model column to the record's units, with its reason."""

    name: str
    value: float
    unit: str
    why: str
    events: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """One observation rule (see the header of ``observations.toml``)."""

    id: str
    events: tuple[str, ...]
    kind: str
    weight: float
    tolerance: float
    reason: str
    when: Condition | None = None
    earliest: int | None = None
    latest: int | None = None
    start: int | None = None
    end: int | None = None
    min_share: float | None = None
    max_share: float | None = None
    column: str | None = None
    scale: float = 1.0
    scale_name: str | None = None
    low: float | None = None
    high: float | None = None
    #: A hard fact of the record: runs that contradict it are not worlds that could be ours.
    hard: bool = False

    @property
    def window(self) -> tuple[int, int]:
        """The months the rule looks at: ``[earliest, latest]`` or ``[from, to]``."""
        if self.kind == "first":
            return self.earliest, self.latest
        return self.start, self.end

    @property
    def column_name(self) -> str:
        """The result-table column the rule reads."""
        return self.when.column if self.when is not None else self.column

    @property
    def needs_escalation(self) -> bool:
        """Whether the rule reads a column only the escalation module records."""
        return self.column_name in (*ESCALATION_COLUMNS, *ESCALATION_STATE_COLUMNS)

    def describe(self) -> str:
        """The rule in a few words, e.g. ``first munitions_flow >= 0.5 in months 1–3``."""
        lo, hi = self.window
        if self.kind == "first":
            return f"first month with {self.when.text} in {lo}–{hi}"
        if self.kind == "share":
            share = f"≥ {self.min_share:g}" + (f", ≤ {self.max_share:g}"
                                                if self.max_share is not None else "")
            return f"share of months {lo}–{hi} with {self.when.text} {share}"
        bounds = " and ".join(b for b in (f"≥ {self.low:,.0f}" if self.low is not None else "",
                                          f"≤ {self.high:,.0f}" if self.high is not None else "")
                              if b)
        unit = f" ({self.scale_name})" if self.scale_name else ""
        return f"sum of {self.column}{unit} over months {lo}–{hi} {bounds}"


@dataclass(frozen=True)
class Observations:
    """The record and its rules: what ``calibrate`` fits and the plots mark."""

    path: Path
    events: dict[str, Event]
    rules: tuple[Rule, ...]
    scales: dict[str, Scale]
    unexpressed: tuple[dict[str, Any], ...]
    months: int
    forecast_cutoff: dt.date
    record_path: Path = field(default=Path())

    def hard_facts(self) -> tuple[Rule, ...]:
        """The record's hard facts (rules marked ``hard = true``)."""
        return tuple(r for r in self.rules if r.hard)

    def fitted(self) -> tuple[Rule, ...]:
        """Rules that enter the distance (weight > 0)."""
        return tuple(r for r in self.rules if r.weight > 0)

    def for_model(self, escalation: bool) -> Observations:
        """The rules a model can be held to: without the escalation module, not those that
        read its columns (troops, military technology), which no run of it can meet or miss."""
        if escalation:
            return self
        keep = tuple(r for r in self.rules if not r.needs_escalation)
        return Observations(self.path, self.events, keep, self.scales, self.unexpressed,
                            self.months, self.forecast_cutoff, self.record_path)

    def up_to(self, cutoff: dt.date) -> Observations:
        """The rules whose events are all dated on or before ``cutoff`` (report-only rules
        are kept, since they are only reported)."""
        keep = tuple(r for r in self.rules if r.weight == 0
                     or all(self.events[e].date <= cutoff for e in r.events))
        return Observations(self.path, self.events, keep, self.scales, self.unexpressed,
                            self.months, self.forecast_cutoff, self.record_path)


# ------------------------------------------------------------------ observations.toml

_COMMON = {"id", "events", "kind", "weight", "tolerance", "reason"}
#: Keys any rule may add: ``hard = true`` marks a fact a run must agree with to count as
#: a world that could be ours (what-ifs and ``--condition record`` weight runs by them).
_OPTIONAL = {"hard"}
_KIND_KEYS = {
    "first": ({"when", "earliest", "latest"}, set()),
    "share": ({"when", "from", "to", "min_share"}, {"max_share"}),
    "total": ({"column", "from", "to"}, {"min", "max", "scale"}),
}


def parse_condition(text: Any) -> Condition:
    """``"russia.tech >= dual_use"`` -> a ``Condition``; ``ValueError`` saying what is
    allowed otherwise."""
    if not isinstance(text, str):
        raise ValueError(f"got {text!r}; allowed: a string 'COLUMN OP VALUE'")
    match = _WHEN.match(text)
    if not match:
        raise ValueError(f"got {text!r}; allowed: 'COLUMN OP VALUE' with OP one of "
                         f"{' '.join(OPERATORS)}")
    column, op, raw = match.groups()
    if column in DIMENSION_BY_KEY:
        dim = DIMENSION_BY_KEY[column]
        if raw not in dim.options:
            raise ValueError(f"unknown option {raw!r} of {column}; allowed: "
                             f"{', '.join(dim.options)}")
        return Condition(column, op, float(dim.index(raw)), text.strip())
    if column not in (*STATE_COLUMNS, *ESCALATION_STATE_COLUMNS):
        raise ValueError(f"unknown column {column!r}; allowed: a state column "
                         f"({', '.join((*STATE_COLUMNS, *ESCALATION_STATE_COLUMNS))}) or an "
                         f"option column ({', '.join((*ACTION_COLUMNS, *ESCALATION_COLUMNS))})")
    levels = {level.label: int(level) for level in AllianceLevel}
    if column == "alliance_level" and raw in levels:
        return Condition(column, op, float(levels[raw]), text.strip())
    try:
        value = float(raw)
    except ValueError:
        extra = f" or a level name ({', '.join(levels)})" if column == "alliance_level" else ""
        raise ValueError(f"value {raw!r} is not a number{extra}") from None
    if not math.isfinite(value):
        raise ValueError(f"value {raw!r} is not finite")
    return Condition(column, op, value, text.strip())


def _number(entry: dict, key: str, where: str, *, integer: bool = False,
            low: float | None = None, high: float | None = None, above: float | None = None):
    value = entry[key]
    kind = "an integer" if integer else "a number"
    ok = (not isinstance(value, bool) and isinstance(value, int if integer else int | float)
          and math.isfinite(value))
    bounds = []
    if low is not None:
        bounds.append(f"≥ {low:g}")
        ok = ok and value >= low
    if high is not None:
        bounds.append(f"≤ {high:g}")
        ok = ok and value <= high
    if above is not None:
        bounds.append(f"> {above:g}")
        ok = ok and value > above
    if not ok:
        raise RecordError(f"{where}: key {key}: got {value!r}; allowed: {kind}"
                          + (f" {' and '.join(bounds)}" if bounds else ""))
    return int(value) if integer else float(value)


def _kind_args(entry: dict, kind: str, where: str, scales: dict[str, Scale], months: int
               ) -> dict[str, Any]:
    """The keys of a rule that depend on its kind: the window (``first``: earliest and
    latest month; ``share`` and ``total``: from and to), the share bounds and the total's
    column, scale and bounds."""
    out: dict[str, Any] = {}
    if kind == "first":
        out["earliest"] = _number(entry, "earliest", where, integer=True, low=0, high=months)
        out["latest"] = _number(entry, "latest", where, integer=True, low=out["earliest"],
                                high=months)
    else:
        out["start"] = _number(entry, "from", where, integer=True, low=0, high=months)
        out["end"] = _number(entry, "to", where, integer=True, low=out["start"], high=months)
    if kind == "share":
        out["min_share"] = _number(entry, "min_share", where, low=0, high=1)
        if "max_share" in entry:
            out["max_share"] = _number(entry, "max_share", where, low=out["min_share"],
                                       high=1)
    if kind == "total":
        column = entry["column"]
        if column not in STATE_COLUMNS:
            raise RecordError(f"{where}: key column: got {column!r}; allowed: a state column "
                              f"({', '.join(STATE_COLUMNS)})")
        out["column"] = column
        if "scale" in entry:
            name = entry["scale"]
            if name not in scales:
                raise RecordError(f"{where}: key scale: unknown scale {name!r}; allowed: "
                                  f"{', '.join(scales) or 'none defined'}")
            out["scale"], out["scale_name"] = scales[name].value, name
        if "min" not in entry and "max" not in entry:
            raise RecordError(f"{where}: a total rule needs min, max or both")
        if "min" in entry:
            out["low"] = _number(entry, "min", where)
        if "max" in entry:
            out["high"] = _number(entry, "max", where,
                                  low=out.get("low") if out.get("low") is not None else None)
    return out


def _parse_rule(entry: Any, index: int, path: Path, events: dict[str, Event],
                scales: dict[str, Scale], months: int) -> Rule:
    where = f"observations file {path}: rule {index}"
    if not isinstance(entry, dict):
        raise RecordError(f"{where}: expected a table ([[rule]])")
    ident = entry_id(entry, where, RecordError, "treaty_in_window")
    where = f"{where} ({ident})"
    kind = entry.get("kind")
    if kind not in RULE_KINDS:
        raise RecordError(f"{where}: key kind: got {kind!r}; allowed: {', '.join(RULE_KINDS)}")
    required, optional = _KIND_KEYS[kind]
    allowed = _COMMON | required | optional | _OPTIONAL
    for key in entry:
        if key not in allowed:
            raise RecordError(f"{where}: unknown key {key!r} for kind {kind}; allowed: "
                              f"{', '.join(sorted(allowed))}")
    for key in sorted(_COMMON | required):
        if key not in entry:
            raise RecordError(f"{where}: key {key}: missing; a {kind} rule needs "
                              f"{', '.join(sorted(_COMMON | required))}")
    ids = entry["events"]
    if not isinstance(ids, list) or not ids or not all(isinstance(e, str) for e in ids):
        raise RecordError(f"{where}: key events: got {ids!r}; allowed: a non-empty list of "
                          "event ids")
    for e in ids:
        if e not in events:
            raise RecordError(f"{where}: key events: unknown event {e!r}; allowed: "
                              f"{', '.join(events)}")
    reason = entry["reason"]
    if not isinstance(reason, str) or not reason.strip():
        raise RecordError(f"{where}: key reason: must be a non-empty string saying why")
    args: dict[str, Any] = dict(
        id=ident, events=tuple(ids), kind=kind, reason=reason.strip(),
        weight=_number(entry, "weight", where, low=0),
        tolerance=_number(entry, "tolerance", where, above=0))
    if "hard" in entry:
        if not isinstance(entry["hard"], bool):
            raise RecordError(f"{where}: key hard: got {entry['hard']!r}; allowed: true or "
                              "false")
        args["hard"] = entry["hard"]
    if "when" in entry:
        try:
            args["when"] = parse_condition(entry["when"])
        except ValueError as exc:
            raise RecordError(f"{where}: key when: {exc}") from None
    args.update(_kind_args(entry, kind, where, scales, months))
    return Rule(**args)


def _parse_scale(name: str, entry: Any, path: Path, events: dict[str, Event]) -> Scale:
    where = f"observations file {path}: scale {name}"
    if not isinstance(entry, dict):
        raise RecordError(f"{where}: expected a table with value, unit, why, events")
    for key in ("value", "unit", "why", "events"):
        if key not in entry:
            raise RecordError(f"{where}: key {key}: missing; a scale needs value, unit, why "
                              "and events")
    extra = set(entry) - {"value", "unit", "why", "events"}
    if extra:
        raise RecordError(f"{where}: unknown key {sorted(extra)[0]!r}; allowed: value, unit, "
                          "why, events")
    value = _number(entry, "value", where, above=0)
    for e in entry["events"]:
        if e not in events:
            raise RecordError(f"{where}: key events: unknown event {e!r}")
    return Scale(name, value, str(entry["unit"]), str(entry["why"]), tuple(entry["events"]))


def _check_coverage(path: Path, events: dict[str, Event], rules: tuple[Rule, ...],
                    unexpressed: tuple) -> None:
    """Every event is read by a rule or listed under ``[[unexpressed]]`` with a reason."""
    covered = {e for r in rules for e in r.events}
    for i, entry in enumerate(unexpressed, start=1):
        where = f"observations file {path}: unexpressed {i}"
        if not isinstance(entry, dict) or not entry.get("events") or not entry.get("why"):
            raise RecordError(f"{where}: needs events = [...] and why = '...'")
        for e in entry["events"]:
            if e not in events:
                raise RecordError(f"{where}: key events: unknown event {e!r}")
        covered |= set(entry["events"])
    for ident in events:
        if ident not in covered:
            raise RecordError(f"observations file {path}: event {ident} is read by no rule "
                              "and not listed under [[unexpressed]] with why")


def load_observations(path: str | Path = OBSERVATIONS_FILE) -> Observations:
    """Read ``observations.toml`` and the record it names; check every rule against it.

    Every event must be read by a rule or listed under ``[[unexpressed]]`` with a reason.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordError(f"observations file {path}: cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise RecordError(f"observations file {path}: not valid TOML ({exc})") from None
    allowed = {"record", "months", "forecast_cutoff", "scales", "rule", "unexpressed"}
    for key in raw:
        if key not in allowed:
            raise RecordError(f"observations file {path}: unknown key {key!r}; allowed: "
                              f"{', '.join(sorted(allowed))}")
    for key in ("record", "months", "rule"):
        if key not in raw:
            raise RecordError(f"observations file {path}: key {key}: missing")
    record_path = (path.parent / str(raw["record"])).resolve()
    events = load_events(record_path)
    months = _number(raw, "months", f"observations file {path}", integer=True, low=1,
                     high=120)
    try:
        cutoff = dt.date.fromisoformat(str(raw.get("forecast_cutoff", "2024-03-31")))
    except ValueError:
        raise RecordError(f"observations file {path}: key forecast_cutoff: got "
                          f"{raw.get('forecast_cutoff')!r}; allowed: YYYY-MM-DD") from None
    scales_raw = raw.get("scales", {})
    if not isinstance(scales_raw, dict):
        raise RecordError(f"observations file {path}: key scales: expected tables "
                          "[scales.NAME]")
    scales = {name: _parse_scale(name, entry, path, events)
              for name, entry in scales_raw.items()}
    if not isinstance(raw["rule"], list) or not raw["rule"]:
        raise RecordError(f"observations file {path}: key rule: expected [[rule]] tables")
    rules = tuple(_parse_rule(entry, i, path, events, scales, months)
                  for i, entry in enumerate(raw["rule"], start=1))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise RecordError(f"observations file {path}: rule {rule.id}: duplicate id")
        seen.add(rule.id)
    unexpressed = tuple(raw.get("unexpressed", ()))
    _check_coverage(path, events, rules, unexpressed)
    if not any(r.weight > 0 for r in rules):
        raise RecordError(f"observations file {path}: no rule has weight > 0; nothing to fit")
    return Observations(path, events, rules, scales, unexpressed, months, cutoff, record_path)
