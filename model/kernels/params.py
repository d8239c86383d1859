"""The numbers the kernels read, taken out of a validated scenario.

Each value is a float, or an array with one entry per run when the scenario gives the
parameter a distribution (every run draws its own value; see ``model.sampling``).
Kernels read them by section, e.g. ``params.russia.munitions_value``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from types import SimpleNamespace

import numpy as np

from ..core.parameters import SPECS
from ..core.schema import Distribution, Scenario

SECTIONS = ("levers", "russia", "north_korea", "united_states", "china", "dynamics", "initial")


@dataclass(frozen=True)
class KernelParams:
    """Flat parameter values by section, plus the levers' schedules if any."""

    levers: SimpleNamespace
    russia: SimpleNamespace
    north_korea: SimpleNamespace
    united_states: SimpleNamespace
    china: SimpleNamespace
    dynamics: SimpleNamespace
    initial: SimpleNamespace
    lam: dict[str, float | np.ndarray]
    #: Scheduled levers: name → (months, values), a step function from month 0.
    schedules: dict[str, tuple[np.ndarray, np.ndarray]]
    #: Whether the escalation module is on (``model.kernels.escalation``).
    escalation: bool = False

    def lever(self, name: str, month: int) -> float | np.ndarray:
        """Lever ``name`` in force at ``month`` (its step schedule, or its value)."""
        if name not in self.schedules:
            return getattr(self.levers, name)
        months, values = self.schedules[name]
        return float(values[int(np.searchsorted(months, month, side="right")) - 1])

    def war_demand(self, month: int) -> float | np.ndarray:
        """War demand in force at ``month``."""
        return self.lever("war_demand", month)

    def at(self, month: int) -> KernelParams:
        """The values in force in ``month``: each scheduled lever at its month's value (the
        same object when nothing is scheduled, so unscheduled runs are untouched)."""
        if not self.schedules:
            return self
        levers = SimpleNamespace(**{**vars(self.levers),
                                    **{n: self.lever(n, month) for n in self.schedules}})
        return replace(self, levers=levers)

    def _each_value(self, change) -> KernelParams:
        """A copy with ``change`` applied to every value (sections and ``lam``)."""
        lam = {k: change(v) for k, v in self.lam.items()}
        return replace(self, lam=lam, **{name: SimpleNamespace(
            **{k: change(v) for k, v in vars(getattr(self, name)).items()}) for name in SECTIONS})

    def take(self, rows: np.ndarray) -> KernelParams:
        """The values of the given runs (per-run arrays indexed along their first axis)."""
        return self._each_value(
            lambda v: v[rows] if isinstance(v, np.ndarray) and v.ndim else v)

    def as_columns(self) -> KernelParams:
        """Per-run arrays reshaped to ``(runs, 1)``, to broadcast against option axes."""
        return self._each_value(lambda v: v[:, None] if isinstance(v, np.ndarray) else v)

    def as_rows(self) -> KernelParams:
        """Per-run arrays as ``(runs,)`` (undoing ``as_columns``), to broadcast along a
        trailing run axis."""
        return self._each_value(
            lambda v: v[:, 0] if isinstance(v, np.ndarray) and v.ndim == 2 else v)


def kernel_params(scenario: Scenario,
                  drawn: dict[str, np.ndarray] | None = None) -> KernelParams:
    """Collect the scenario's values; ``drawn`` supplies per-run draws by dotted key."""
    drawn = drawn or {}
    sections: dict[str, dict] = {name: {} for name in SECTIONS}
    lam: dict[str, float | np.ndarray] = {}
    schedules = scenario.lever_schedules()
    for key in SPECS:
        parts = key.split(".")
        if key in drawn:
            value = drawn[key]
        else:
            value = scenario.param(key).value
            if parts[0] == "levers" and parts[-1] in schedules:
                value = float(schedules[parts[-1]][0][1])
            elif isinstance(value, Distribution):
                raise ValueError(f"{key} is a distribution but no per-run draws were given")
            value = float(value)
        if parts[-1] == "lam":
            lam[parts[0]] = value
        else:
            sections[parts[0]][parts[-1]] = value
    # a lever set per run (a draw, a sweep value) replaces its schedule
    steps = {name: (np.array([m for m, _ in sched], dtype=int),
                    np.array([v for _, v in sched], dtype=float))
             for name, sched in schedules.items() if f"levers.{name}" not in drawn}
    return KernelParams(**{k: SimpleNamespace(**v) for k, v in sections.items()}, lam=lam,
                        schedules=steps, escalation=scenario.escalation)
