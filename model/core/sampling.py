"""Random streams: what each run draws from its own seeded generator, in what order.

A run's generator (``numpy.random.default_rng(seed)``, the one ``mesa.Model`` makes)
is consumed in a fixed layout, identical in both drivers:

1. at construction, one uniform per parameter given as a distribution (in parameter
   table order), turned into the run's value by the inverse CDF; then, if the scenario
   carries a joint sample (``[sample]``, e.g. a calibration posterior), one more uniform
   that picks the run's particle (inverse CDF of the weights) — its values replace the
   scenario's for the sample's keys, except keys overridden or set again below it;
2. every month, ``DRAWS_PER_MONTH`` uniforms: one per action dimension (in
   ``DIMENSIONS`` order; rules that need no randomness still consume theirs), one for
   interdiction and one for the pair's treaty decision; with the escalation module on
   (``escalation = true``), ``ESCALATION_DRAWS`` more after them, one per escalation
   dimension (in ``ESCALATION_DIMENSIONS`` order). With it off the layout is the
   article's, so those runs are bit-identical to runs of a model without the module.

Because the layout never depends on the batch size, on the rules or on other runs,
run i of an ensemble equals a Mesa run with the same seed by construction.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from .actions import ACTION_COLUMNS, ESCALATION_COLUMNS
from .parameters import SPECS
from .schema import HORIZON_MAX, Distribution, Scenario

DRAWS_PER_MONTH = len(ACTION_COLUMNS) + 2
INTERDICTION_SLOT = len(ACTION_COLUMNS)
TREATY_SLOT = len(ACTION_COLUMNS) + 1
ESCALATION_DRAWS = len(ESCALATION_COLUMNS)


def monthly_draws(escalation: bool = False) -> int:
    """Uniforms a run draws each month: ``DRAWS_PER_MONTH``, plus the escalation module's."""
    return DRAWS_PER_MONTH + (ESCALATION_DRAWS if escalation else 0)


def derive_seeds(seed: int, runs: int) -> np.ndarray:
    """Per-run seeds from one ensemble seed: ``SeedSequence(seed).generate_state(runs)``.

    64-bit words, so collisions are negligible; the first ``k`` seeds do not depend on
    ``runs``, so run i is the same run in an ensemble of any size.
    """
    return np.random.SeedSequence(seed).generate_state(runs, dtype=np.uint64)


def check_runs(runs: int | None, seeds=None) -> tuple[int, np.ndarray | None]:
    """The number of runs and the per-run seeds (None: derive them from the ensemble
    seed) that an ensemble's ``runs`` and ``seeds`` arguments ask for, checked once for
    every driver and job: ``runs`` a positive integer, or ``seeds`` a non-empty list of
    integers (and ``runs``, if also given, its length)."""
    if seeds is None:
        if runs is None or runs < 1:
            raise ValueError(f"runs must be a positive integer, got {runs!r}")
        return int(runs), None
    seeds = np.asarray(seeds, dtype=np.uint64)
    if seeds.ndim != 1 or len(seeds) == 0:
        raise ValueError(f"seeds must be a non-empty list of integers, got {len(seeds)} seeds")
    if runs is not None and runs != len(seeds):
        raise ValueError(f"runs={runs} but {len(seeds)} seeds were given")
    return len(seeds), seeds


def check_months(scenario: Scenario, months: int | None) -> int:
    """The months an ensemble simulates: ``months``, or the scenario's horizon when None;
    from 0 to ``HORIZON_MAX``."""
    months = scenario.horizon if months is None else int(months)
    if not 0 <= months <= HORIZON_MAX:
        raise ValueError(f"months must be from 0 to {HORIZON_MAX} (the longest horizon), "
                         f"got {months}")
    return months


def draw_from_uniform(dist: Distribution, u: np.ndarray, key: str) -> np.ndarray:
    """Inverse-CDF transform of uniforms ``u`` into draws of ``dist``.

    Normal draws are clipped into the parameter's allowed range.
    """
    if dist.dist == "uniform":
        return dist.low + u * (dist.high - dist.low)
    if dist.dist == "triangular":
        low, mode, high = dist.low, dist.mode, dist.high
        cut = (mode - low) / (high - low)
        left = low + np.sqrt(u * (high - low) * (mode - low))
        right = high - np.sqrt((1.0 - u) * (high - low) * (high - mode))
        return np.where(u < cut, left, right)
    spec = SPECS[key]
    return np.clip(dist.mean + dist.sd * ndtri(u), spec.low, spec.high)


#: The column of the result table holding each run's particle (scenarios with a sample).
PARTICLE_COLUMN = "particle"


def construction_draws(scenario: Scenario) -> int:
    """Uniforms a run draws at construction: one per distribution, one for a particle."""
    return len(scenario.distributions()) + (scenario.sample is not None)


def draw_parameters(scenario: Scenario, uniforms: np.ndarray) -> dict[str, np.ndarray]:
    """Per-run parameter values from ``uniforms`` shaped ``(runs, construction_draws)``.

    With a joint sample, the result also holds ``particle`` (each run's particle index,
    as a float so that both drivers record it alike).
    """
    dists = scenario.distributions()
    drawn = {key: draw_from_uniform(dist, uniforms[:, i], key)
             for i, (key, dist) in enumerate(dists.items())}
    sample = scenario.sample
    if sample is not None:
        index = sample.pick(uniforms[:, len(dists)])
        for key in sample.active_keys(scenario.overrides):
            drawn[key] = sample.column(key)[index]
        drawn[PARTICLE_COLUMN] = index.astype(float)
    return drawn
