"""Turning choice probabilities into options: the logit response and inverse-CDF sampling."""

from __future__ import annotations

import numpy as np


def softmax(payoffs: np.ndarray, lam: float | np.ndarray) -> np.ndarray:
    """Logit choice probabilities: p_j = exp(λ u_j) / Σ_k exp(λ u_k), per row.

    ``lam`` is a scalar or a ``(runs, 1)`` column. Sums run in a fixed order so that
    a single run and a batch give identical numbers.
    """
    z = lam * payoffs
    top = z[..., 0]
    for j in range(1, z.shape[-1]):  # elementwise, much faster than .max over 2-3 options
        top = np.maximum(top, z[..., j])
    z = z - top[..., None]
    e = np.exp(z)
    total = e[..., 0].copy()
    for j in range(1, e.shape[-1]):
        total += e[..., j]
    return e / total[..., None]


def sample(probabilities: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Index j with P[j-1 cumulative] ≤ u < P[j cumulative]: inverse-CDF sampling per row."""
    k = probabilities.shape[-1]
    cumulative = probabilities[..., 0].copy()
    index = np.zeros(uniforms.shape, dtype=np.int64)
    for j in range(1, k):
        index += uniforms >= cumulative
        cumulative += probabilities[..., j]
    return index
