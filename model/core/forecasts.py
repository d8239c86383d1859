"""Dated yes/no forecasts of the record (``experiments/record/forecasts.toml``), read and
validated.

A forecast is a question with a window of months whose answer the record gives: "is the
treaty signed in months 9–12?" Each has the condition on a run's table that makes it true
(the observation rules' ``when`` grammar, ``model.core.record.parse_condition``), a test
over its window (``kind``), its outcome (1 happened, 0 did not), the event ids the outcome
rests on, a reason, and ``state``: whether the condition held in the world, month by
month, as a schedule ``[[month, 0 or 1], ...]`` read off the record. The schedule must
give the stated outcome under the forecast's own test (checked here), and the persistence
reference of ``python run.py score`` carries it on from an origin.

This module only reads data; what a forecast means for a run, and the scores, are
computed by ``model.analysis.score``. Every problem is a ``ForecastError`` whose one-line
message names the file, the forecast, the key, the bad value and what is allowed.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from .actions import ESCALATION_COLUMNS
from .errors import UserError
from .names import entry_id
from .record import RECORD_DIR, Condition, Observations, load_observations, parse_condition
from .state import ESCALATION_STATE_COLUMNS

FORECASTS_FILE = RECORD_DIR / "forecasts.toml"
#: How a forecast's condition is tested over its window ``[from, to]``:
#: ``any`` holds in at least one month; ``all`` in every month; ``share`` in a share of
#: months within ``[min_share, max_share]``; ``first`` first holds (counting from month 0)
#: inside the window, i.e. it starts there.
FORECAST_KINDS = ("any", "all", "share", "first")
_KEYS = {"id", "question", "kind", "when", "from", "to", "outcome", "events", "reason",
         "state"}
_SHARE_KEYS = {"min_share", "max_share"}
_TOP = {"observations", "persistence_confidence", "persistence_why", "forecast"}


class ForecastError(UserError):
    """A bad forecast file or forecast; the message is one line meant for users."""


@dataclass(frozen=True)
class Forecast:
    """One dated yes/no question of the record (see the module docstring)."""

    id: str
    question: str
    kind: str
    when: Condition
    start: int
    end: int
    outcome: int
    events: tuple[str, ...]
    reason: str
    state: tuple[tuple[int, int], ...]
    min_share: float | None = None
    max_share: float | None = None

    def state_series(self, months: int) -> np.ndarray:
        """The record's state of the condition in months ``0..months``: 0/1 ``(months+1,)``."""
        series = np.zeros(months + 1, dtype=bool)
        for month, value in self.state:
            series[month:] = bool(value)
        return series

    def describe(self) -> str:
        """The test in a few words, e.g. ``alliance_level == treaty first in months 9–12``."""
        span = f"months {self.start}–{self.end}"
        if self.kind == "any":
            return f"{self.when.text} in some month of {span}"
        if self.kind == "all":
            return f"{self.when.text} in every month of {span}"
        if self.kind == "first":
            return f"{self.when.text} first in {span}"
        share = f"≥ {self.min_share:g}" + (f", ≤ {self.max_share:g}"
                                            if self.max_share is not None else "")
        return f"share of {span} with {self.when.text} {share}"


def window_test(forecast: Forecast, ok: np.ndarray) -> np.ndarray:
    """Whether the forecast comes true, given where its condition holds: ``ok`` is a
    boolean ``(months+1, runs)`` array (month by run); returns ``(runs,)`` booleans.

    The one definition of a forecast's test, used for the runs, for the record's
    ``state`` and for the persistence reference alike."""
    ok = np.asarray(ok, dtype=bool)
    if ok.shape[0] <= forecast.end:
        raise ValueError(f"forecast {forecast.id} looks at month {forecast.end} but the "
                         f"series end at month {ok.shape[0] - 1}")
    window = ok[forecast.start:forecast.end + 1]
    if forecast.kind == "any":
        return window.any(axis=0)
    if forecast.kind == "all":
        return window.all(axis=0)
    if forecast.kind == "first":
        first = np.where(ok.any(axis=0), ok.argmax(axis=0), ok.shape[0])
        return (first >= forecast.start) & (first <= forecast.end)
    share = window.mean(axis=0)
    met = share >= forecast.min_share - 1e-12
    if forecast.max_share is not None:
        met &= share <= forecast.max_share + 1e-12
    return met


@dataclass(frozen=True)
class Forecasts:
    """The forecast file: its forecasts, the record they rest on, and the confidence the
    persistence reference states."""

    path: Path
    forecasts: tuple[Forecast, ...]
    observations: Observations
    persistence_confidence: float
    persistence_why: str

    @property
    def last_month(self) -> int:
        """The last month any forecast looks at."""
        return max(f.end for f in self.forecasts)

    def after(self, origin: int) -> tuple[Forecast, ...]:
        """The forecasts an origin at month ``origin`` can score: windows starting later."""
        return tuple(f for f in self.forecasts if f.start > origin)

    def for_model(self, escalation: bool) -> Forecasts:
        """The forecasts a model can make: without the escalation module, not those about
        its columns (troops, military technology); the record's rules likewise."""
        if escalation:
            return self
        keep = tuple(f for f in self.forecasts
                     if f.when.column not in (*ESCALATION_COLUMNS, *ESCALATION_STATE_COLUMNS))
        return replace(self, forecasts=keep,
                       observations=self.observations.for_model(escalation))


def _integer(entry: dict, key: str, where: str, low: int, high: int) -> int:
    value = entry[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ForecastError(f"{where}: key {key}: got {value!r}; allowed: an integer from "
                            f"{low} to {high}")
    return value


def _share(entry: dict, key: str, where: str, low: float) -> float:
    value = entry[key]
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not math.isfinite(value) or not low <= value <= 1):
        raise ForecastError(f"{where}: key {key}: got {value!r}; allowed: a number from "
                            f"{low:g} to 1")
    return float(value)


def _state(value: Any, where: str, months: int) -> tuple[tuple[int, int], ...]:
    allowed = ("a schedule [[month, 0 or 1], ...] starting at month 0, months increasing, "
               f"up to {months}")
    if not isinstance(value, list) or not value:
        raise ForecastError(f"{where}: key state: got {value!r}; allowed: {allowed}")
    steps, last = [], -1
    for step in value:
        ok = (isinstance(step, list) and len(step) == 2
              and all(isinstance(x, int) and not isinstance(x, bool) for x in step)
              and step[1] in (0, 1) and last < step[0] <= months)
        if not ok or (not steps and step[0] != 0):
            raise ForecastError(f"{where}: key state: got {step!r}; allowed: {allowed}")
        steps.append((step[0], step[1]))
        last = step[0]
    return tuple(steps)


def _parse_forecast(entry: Any, index: int, path: Path, observations: Observations
                    ) -> Forecast:
    where = f"forecast file {path}: forecast {index}"
    if not isinstance(entry, dict):
        raise ForecastError(f"{where}: expected a table ([[forecast]])")
    ident = entry_id(entry, where, ForecastError, "treaty_by_july_2024")
    where = f"forecast file {path}: forecast {ident}"
    kind = entry.get("kind")
    if kind not in FORECAST_KINDS:
        raise ForecastError(f"{where}: key kind: got {kind!r}; allowed: "
                            f"{', '.join(FORECAST_KINDS)}")
    allowed = _KEYS | (_SHARE_KEYS if kind == "share" else set())
    for key in entry:
        if key not in allowed:
            raise ForecastError(f"{where}: unknown key {key!r} for kind {kind}; allowed: "
                                f"{', '.join(sorted(allowed))}")
    required = _KEYS | ({"min_share"} if kind == "share" else set())
    for key in sorted(required):
        if key not in entry:
            raise ForecastError(f"{where}: key {key}: missing; a {kind} forecast needs "
                                f"{', '.join(sorted(required))}")
    for key in ("question", "reason"):
        if not isinstance(entry[key], str) or not entry[key].strip():
            raise ForecastError(f"{where}: key {key}: got {entry[key]!r}; allowed: a "
                                "non-empty string")
    try:
        when = parse_condition(entry["when"])
    except ValueError as exc:
        raise ForecastError(f"{where}: key when: {exc}") from None
    months = observations.months
    start = _integer(entry, "from", where, 1, months)
    end = _integer(entry, "to", where, start, months)
    outcome = entry["outcome"]
    if isinstance(outcome, bool) or outcome not in (0, 1):
        raise ForecastError(f"{where}: key outcome: got {outcome!r}; allowed: 1 (it happened) "
                            "or 0 (it did not)")
    ids = entry["events"]
    if not isinstance(ids, list) or not ids or not all(isinstance(e, str) for e in ids):
        raise ForecastError(f"{where}: key events: got {ids!r}; allowed: a non-empty list of "
                            "event ids")
    for e in ids:
        if e not in observations.events:
            raise ForecastError(f"{where}: key events: unknown event {e!r}; allowed: "
                                f"{', '.join(observations.events)}")
    shares = {}
    if kind == "share":
        shares["min_share"] = _share(entry, "min_share", where, 0.0)
        if "max_share" in entry:
            shares["max_share"] = _share(entry, "max_share", where, shares["min_share"])
    forecast = Forecast(ident, entry["question"].strip(), kind, when, start, end, outcome,
                        tuple(ids), entry["reason"].strip(),
                        _state(entry["state"], where, months), **shares)
    implied = int(window_test(forecast, forecast.state_series(months)[:, None])[0])
    if implied != outcome:
        raise ForecastError(f"{where}: key outcome: got {outcome}, but its state schedule "
                            f"{[list(s) for s in forecast.state]} gives {implied}; allowed: "
                            "an outcome and a state that agree")
    return forecast


def load_forecasts(path: str | Path = FORECASTS_FILE) -> Forecasts:
    """Read ``forecasts.toml`` and the observation rules (the record) it names; check every
    forecast against the record."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ForecastError(f"forecast file {path}: cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ForecastError(f"forecast file {path}: not valid TOML ({exc})") from None
    for key in raw:
        if key not in _TOP:
            raise ForecastError(f"forecast file {path}: unknown key {key!r}; allowed: "
                                f"{', '.join(sorted(_TOP))}")
    for key in sorted(_TOP):
        if key not in raw:
            raise ForecastError(f"forecast file {path}: key {key}: missing; a forecast file "
                                f"needs {', '.join(sorted(_TOP))}")
    observations = load_observations(path.parent / str(raw["observations"]))
    confidence = raw["persistence_confidence"]
    if (isinstance(confidence, bool) or not isinstance(confidence, int | float)
            or not 0.5 <= confidence < 1):
        raise ForecastError(f"forecast file {path}: key persistence_confidence: got "
                            f"{confidence!r}; allowed: a number from 0.5 to below 1")
    if not isinstance(raw["persistence_why"], str) or not raw["persistence_why"].strip():
        raise ForecastError(f"forecast file {path}: key persistence_why: must be a non-empty "
                            "string saying why")
    entries = raw["forecast"]
    if not isinstance(entries, list) or not entries:
        raise ForecastError(f"forecast file {path}: key forecast: expected [[forecast]] "
                            "tables")
    forecasts = tuple(_parse_forecast(entry, i, path, observations)
                      for i, entry in enumerate(entries, start=1))
    seen: set[str] = set()
    for forecast in forecasts:
        if forecast.id in seen:
            raise ForecastError(f"forecast file {path}: forecast {forecast.id}: key id: "
                                f"duplicate id {forecast.id!r}")
        seen.add(forecast.id)
    return Forecasts(path, forecasts, observations, float(confidence),
                     raw["persistence_why"].strip())
