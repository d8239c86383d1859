"""A joint parameter sample (``[sample]``, e.g. a calibration posterior): particles with
weights, each run drawing one (``model.core.sampling``)."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from .parameters import SPECS

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
