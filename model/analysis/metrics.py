"""Outcome metrics: one number per run, computed from ensemble arrays.

Every metric in ``METRICS`` has a name (used by ``run.py sweep --metric``), a
description with its unit, and a function from ``EnsembleArrays`` to a ``(runs,)``
array. Treaty metrics are 0/1 per run, so their mean is a probability.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..core.actions import DIMENSION_BY_KEY
from ..core.state import AllianceLevel
from ..ensemble.driver import EnsembleArrays


@dataclass(frozen=True)
class Metric:
    """A named per-run outcome."""

    name: str
    description: str
    unit: str
    compute: Callable[[EnsembleArrays], np.ndarray]
    is_probability: bool = False
    #: Months a run must last for the metric to be defined (e.g. 24 for treaty_by_24).
    months_needed: int = 1
    #: Whether it reads a column only the escalation module records.
    needs_escalation: bool = False

    def __call__(self, arrays: EnsembleArrays) -> np.ndarray:
        self.require(arrays.months, "troops_in_combat" in arrays.state)
        return self.compute(arrays)

    def available(self, months: int) -> bool:
        """Whether runs of ``months`` months define this metric."""
        return months >= self.months_needed

    def require(self, months: int, escalation: bool = True) -> None:
        """``ValueError`` (one line) when runs of ``months`` months do not define it, or
        (``escalation`` False) when it needs the escalation module and the runs lack it."""
        if self.needs_escalation and not escalation:
            raise ValueError(f"metric {self.name} reads troops, which only the escalation "
                             "module records; pick another metric or a scenario with "
                             "escalation = true (e.g. escalation, calibrated)")
        if not self.available(months):
            raise ValueError(f"metric {self.name} needs runs of at least {self.months_needed} "
                             f"months, but they last {months}; pick another metric or "
                             f"--months ≥ {self.months_needed}")


def _treaty_by(month: int) -> Callable[[EnsembleArrays], np.ndarray]:
    def compute(arrays: EnsembleArrays) -> np.ndarray:
        if arrays.months < month:  # never a silent 0: the runs end before the month
            raise ValueError(f"treaty_by_{month} needs runs of at least {month} months "
                             f"(they last {arrays.months})")
        levels = arrays.state["alliance_level"][: month + 1]
        return (levels == AllianceLevel.TREATY).any(axis=0).astype(float)
    return compute


def _final(column: str) -> Callable[[EnsembleArrays], np.ndarray]:
    return lambda arrays: arrays.state[column][-1].astype(float)


def _munitions_total(arrays: EnsembleArrays) -> np.ndarray:
    return arrays.state["munitions_flow"][1:].sum(axis=0)


def _arms_trade_stops_by(month: int, window: int = 6) -> Callable[[EnsembleArrays], np.ndarray]:
    """1 when munitions were delivered before the last ``window`` months up to ``month``
    and none in those months (the trade ran, then stopped), else 0."""
    def compute(arrays: EnsembleArrays) -> np.ndarray:
        last = min(month, arrays.months)
        flow = arrays.state["munitions_flow"]
        first = max(1, last - window + 1)
        ran = (flow[1:first] > 0).any(axis=0)
        return (ran & (flow[first:last + 1] == 0).all(axis=0)).astype(float)
    return compute


def _evasion_months(arrays: EnsembleArrays) -> np.ndarray:
    evade = DIMENSION_BY_KEY["russia.sanctions"].index("evade")
    return (arrays.choice["russia.sanctions"][1:] == evade).sum(axis=0).astype(float)


METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("treaty_by_12", "probability a treaty (level 4) is signed by month 12", "probability",
           _treaty_by(12), is_probability=True, months_needed=12),
    Metric("treaty_by_24", "probability a treaty is signed by month 24", "probability",
           _treaty_by(24), is_probability=True, months_needed=24),
    Metric("treaty_by_36", "probability a treaty is signed by month 36", "probability",
           _treaty_by(36), is_probability=True, months_needed=36),
    Metric("arms_trade_stops_by_24", "probability the arms trade has stopped by month 24 "
           "(deliveries before month 19, none in months 19–24)", "probability",
           _arms_trade_stops_by(24), is_probability=True, months_needed=24),
    Metric("munitions_total", "munitions delivered to Russia, months 1 to the horizon",
           "months at large scale", _munitions_total),
    Metric("nk_tech_final", "North Korea's tech level at the horizon", "index 0–1",
           _final("nk_tech_level")),
    Metric("sanctions_integrity_final", "integrity of the UN sanctions regime at the horizon",
           "index 0–1", _final("sanctions_integrity")),
    Metric("evasion_months", "months in which Russia evades UN sanctions", "months",
           _evasion_months),
    Metric("alliance_strength_final", "alliance strength at the horizon", "index 0–1",
           _final("alliance_strength")),
    Metric("troops_in_combat_final", "North Korean troops in combat at the horizon "
           "(escalation module)", "index 0–1 (1 = about 10,000)", _final("troops_in_combat"),
           needs_escalation=True),
    Metric("troop_months", "North Korean troops in combat, summed over months 1 to the "
           "horizon (escalation module)", "deployment-months",
           lambda arrays: arrays.state["troops_in_combat"][1:].sum(axis=0),
           needs_escalation=True),
)}


def get_metric(name: str) -> Metric:
    """The metric called ``name``; ``ValueError`` listing the known names otherwise."""
    try:
        return METRICS[name]
    except KeyError:
        raise ValueError(f"unknown metric {name!r}; allowed: {', '.join(METRICS)}") from None
