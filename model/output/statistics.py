"""Confidence intervals for ensemble estimates: Wilson for probabilities, normal for means."""

from __future__ import annotations

import math

import numpy as np


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``successes / n``.

    With p = k/n, the interval is

        (p + z²/2n ± z·sqrt(p(1−p)/n + z²/4n²)) / (1 + z²/n)

    (Wilson 1927, "Probable inference, the law of succession, and statistical
    inference", JASA 22:209). Unlike the normal (Wald) interval it stays inside [0, 1]
    and is not degenerate at k = 0 or k = n. ``z = 1.96`` gives a 95% interval.

    Raises ``ValueError`` when ``n <= 0`` or ``successes`` is outside ``[0, n]``.
    """
    if n <= 0:
        raise ValueError(f"wilson_interval needs n > 0, got n={n}")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be in [0, n={n}], got {successes}")
    p = successes / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1.0 - p) / n + z2 / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def mean_interval(values: np.ndarray, z: float = 1.96) -> tuple[float, float, float]:
    """Mean with a normal-approximation 95% interval: mean ± z · sd / √n.

    For 0/1 values this is the Wald interval; ``compare`` reports Wilson intervals for
    probabilities instead (``wilson_interval``).
    """
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if len(values) < 2:
        return mean, mean, mean
    half = z * float(values.std(ddof=1)) / np.sqrt(len(values))
    return mean, mean - half, mean + half


def estimate(values: np.ndarray, is_probability: bool,
             bounds: tuple[float, float] | None = None) -> tuple[float, float, float]:
    """Mean of per-run ``values`` with its 95% interval: Wilson when the values are 0/1
    outcomes (sensible at 0 and 1), normal otherwise, cut to ``bounds`` (the values' own
    range, e.g. 0 to the horizon for a count of months: a mean cannot leave it)."""
    values = np.asarray(values, dtype=float)
    if is_probability:
        k = int(round(values.sum()))
        lo, hi = wilson_interval(k, len(values))
        return k / len(values), lo, hi
    mean, lo, hi = mean_interval(values)
    if bounds is not None:
        lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
    return mean, lo, hi
