"""Likelihood-free calibration with ELFI 0.8.8: adaptive-threshold ABC-SMC over the
parameters the article cannot fix, against the observation rules of the record.

The ELFI model is: one uniform prior per calibrated parameter (its documented range,
:data:`PRIORS`), a *batched* simulator (one call of the vectorized ensemble driver runs a
whole batch of particles, one run each, for ``observations.months`` months and returns
every run's rule scores), and a discrepancy that is the weighted sum of the scores
(``model.analysis.calibration_observations.distance``). ``AdaptiveThresholdSMC`` (Simola
et al. 2021, Bayesian Analysis 16:397) picks each round's threshold from a density-ratio
estimate between populations; it stops when the populations stop changing
(``q_threshold``) or after ``rounds`` rounds. With a final threshold of 0 the posterior is
exactly ``prior × P(a run meets every fitted rule | θ)``.

Randomness: ELFI seeds its own prior draws and perturbations from ``seed``; the
simulator draws each batch's uniforms from ``numpy.random.default_rng(SeedSequence([seed,
batch_index]))`` (ELFI's legacy ``RandomState`` argument is not used), so the same seed
gives the same posterior.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.record import Observations
from ..core.sampling import DRAWS_PER_MONTH, construction_draws
from ..core.schema import Scenario
from ..ensemble.driver import Streams, simulate
from .calibration_observations import arrays_from_ensemble, distance, rule_weights, score_matrix


@dataclass(frozen=True)
class Prior:
    """A uniform prior on one parameter, with the reason for its range."""

    key: str
    low: float
    high: float
    why: str


def _priors() -> dict[str, Prior]:
    from .sensitivity import SENSITIVITY_RANGES

    keys = ("dynamics.alliance_growth", "russia.weights.munitions_value",
            "russia.weights.continuation_value", "north_korea.weights.production_cost",
            "north_korea.weights.exchange_share", "levers.russia_reputation_cost",
            "russia.weights.evasion_gain", "united_states.weights.munitions_harm",
            "russia.weights.treaty_value", "north_korea.weights.treaty_value",
            "united_states.weights.pressure_cost")
    return {k: Prior(k, *SENSITIVITY_RANGES[k]) for k in keys}


#: Calibrated parameters (in this order: it fixes ELFI's nodes) and their priors, the
#: documented ranges of ``model.analysis.sensitivity.SENSITIVITY_RANGES``: the influential
#: assumptions of the Sobol' analysis and the weights the record informs.
PRIORS: dict[str, Prior] = _priors()


@dataclass
class Posterior:
    """A weighted joint sample of the calibrated parameters, with how it was obtained."""

    keys: tuple[str, ...]
    samples: np.ndarray  # (particles, len(keys))
    weights: np.ndarray  # (particles,), sums to 1
    priors: dict[str, Prior]
    rules: tuple[str, ...]
    rounds: list[dict[str, float]] = field(default_factory=list)
    simulations: int = 0
    wall_time: float = 0.0
    seed: int = 0
    cpu_time: float = 0.0

    def column(self, key: str) -> np.ndarray:
        """All particles' values of ``key``."""
        return self.samples[:, self.keys.index(key)]

    def quantiles(self, key: str, qs=(0.05, 0.5, 0.95)) -> np.ndarray:
        """Weighted quantiles of one parameter (default: 5%, median, 95%)."""
        return weighted_quantiles(self.column(key), self.weights, qs)

    def write_csv(self, path: str | Path) -> None:
        """Write the sample in the scenario format: header ``weight,KEY,...``, one particle
        a row (what ``[sample] file = ...`` reads)."""
        lines = [",".join(("weight", *self.keys))]
        for w, row in zip(self.weights, self.samples):
            lines.append(",".join([f"{w:.10g}", *(f"{v:.10g}" for v in row)]))
        Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs) -> np.ndarray:
    """Quantiles of a weighted sample (inverse of the weighted empirical CDF, midpoints)."""
    order = np.argsort(values)
    v, w = np.asarray(values)[order], np.asarray(weights, dtype=float)[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(qs, cdf, v)


def run_scores(scenario: Scenario, observations: Observations, streams: Streams,
               values: dict[str, np.ndarray]) -> np.ndarray:
    """Each run's rule scores ``(runs, rules)``: one run per row of ``streams``, with the
    per-run parameter ``values``, for ``observations.months`` months."""
    arrays = simulate(scenario, months=observations.months, streams=streams, values=values)
    return score_matrix(observations, arrays_from_ensemble(arrays))


def batch_simulator(scenario: Scenario, observations: Observations, keys: tuple[str, ...],
                    seed: int, client: Any = None) -> Callable[..., np.ndarray]:
    """The ELFI simulator: parameter arrays in, each run's rule scores ``(batch, rules)``
    out. One call simulates the whole batch at once with the vectorized driver, or, given
    a Dask ``client``, in one slice of runs per worker. Runs do not interact, so the
    scores are the same either way: the batch's uniforms are drawn before it is cut."""
    months = observations.months
    n_draws = construction_draws(scenario)
    shared = None if client is None else client.scatter([scenario, observations],
                                                        broadcast=True)

    def simulate_batch(*params, batch_size: int = 1, random_state=None, meta=None):
        batch_index = 0 if meta is None else int(meta["batch_index"])
        rng = np.random.default_rng(np.random.SeedSequence([seed, batch_index]))
        streams = Streams(np.zeros(batch_size, dtype=np.uint64),
                          rng.random((batch_size, n_draws)),
                          rng.random((months, batch_size, DRAWS_PER_MONTH)))
        values = {key: np.broadcast_to(np.asarray(p, dtype=float).reshape(-1),
                                       (batch_size,)).copy() for key, p in zip(keys, params)}
        if client is None:
            return run_scores(scenario, observations, streams, values)
        slices = np.array_split(np.arange(batch_size), max(1, len(client.nthreads())))
        futures = [client.submit(run_scores, *shared,
                                 Streams(streams.seeds[i], streams.params[i],
                                         streams.monthly[:, i]),
                                 {k: v[i] for k, v in values.items()}, pure=False)
                   for i in slices if len(i)]
        return np.concatenate(client.gather(futures))

    return simulate_batch


def calibrate(scenario: Scenario, observations: Observations, *, particles: int = 1000,
              seed: int = 0, rounds: int = 6, batch_size: int = 5000,
              priors: dict[str, Prior] | None = None, q_threshold: float = 0.99,
              basis: int = 50, log: Callable[[str], Any] | None = None,
              client: Any = None) -> Posterior:
    """Run adaptive-threshold ABC-SMC and return the final population as a ``Posterior``.

    ``particles`` is the population size, ``rounds`` the most SMC rounds, ``batch_size``
    the particles simulated per simulator call, ``basis`` the number of Gaussian basis
    functions of ELFI's density-ratio (KLIEP) estimate that sets each threshold. With a
    Dask ``client`` (the command's cluster) each batch's runs are spread over its workers;
    ELFI's own loop stays in this process, so the posterior is the same as without.
    """
    import elfi  # imported here: slow to import, and only calibration needs it
    from elfi.methods.density_ratio_estimation import DensityRatioEstimation

    logging.getLogger("elfi").setLevel(logging.ERROR)  # its proposal warnings are noise here
    priors = dict(PRIORS if priors is None else priors)
    keys = tuple(priors)
    weights = rule_weights(observations)
    started, cpu = time.perf_counter(), time.process_time()
    model = elfi.new_model()
    nodes = [elfi.Prior("uniform", p.low, p.high - p.low, model=model, name=_node(p.key))
             for p in priors.values()]
    observed = np.zeros((1, len(observations.rules)))
    sim = elfi.Simulator(batch_simulator(scenario, observations, keys, seed, client), *nodes,
                         observed=observed, model=model, name="scores")
    sim.uses_meta = True
    disc = elfi.Discrepancy(lambda scores, observed: distance(scores, weights), sim,
                            model=model, name="distance")
    densratio = DensityRatioEstimation(n=basis, epsilon=0.001, max_iter=200, abs_tol=0.01,
                                       fold=5, optimize=False)
    smc = elfi.AdaptiveThresholdSMC(disc, batch_size=batch_size, seed=seed,
                                    q_threshold=q_threshold, densratio_estimation=densratio)
    result = smc.sample(particles, max_iter=rounds, bar=False)
    samples = np.column_stack([np.asarray(result.samples[_node(k)], dtype=float) for k in keys])
    w = np.asarray(result.weights, dtype=float)
    history = []
    for i, pop in enumerate(result.populations):
        history.append({"round": i + 1, "threshold": float(pop.threshold),
                        "simulations": int(pop.n_sim)})
        if log is not None:
            log(f"round {i + 1}: threshold {float(pop.threshold):.3g}, "
                f"{int(pop.n_sim)} simulations")
    return Posterior(keys, samples, w / w.sum(), priors,
                     tuple(r.id for r in observations.fitted()), history,
                     int(result.n_sim), time.perf_counter() - started, seed,
                     time.process_time() - cpu)


def _node(key: str) -> str:
    return key.replace(".", "__")
