"""Likelihood-free calibration: ABC-SMC (pyabc) over the parameters the article cannot
fix, against the observation rules of the record.

One uniform prior per calibrated parameter (its documented range, :data:`PRIORS`); a
particle is one run of ``observations.months`` months with its parameters, scored by every
rule (``model.analysis.calibration_observations``); its distance is the weighted sum of the
scores. pyabc's ABC-SMC (Klinger et al. 2018, Bioinformatics 34:3591) draws a first
population from the prior, then each round perturbs the last population with a
multivariate normal kernel and accepts runs whose distance is at most the threshold: the
median distance of the last population, always below the last threshold
(``model.analysis.abc_batches.FallingQuantile``: distances take few values). It stops
after the round run at threshold 0 or after ``rounds`` rounds. At threshold 0 the
posterior is exactly ``prior × P(a run meets every fitted rule | θ)``, the target of the
earlier ELFI calibration too.

Speed: pyabc asks for one particle at a time; ``model.analysis.abc_batches.BatchSampler``
has it propose a whole batch first, simulates the batch in one call of the vectorized
ensemble driver (or one slice of runs per Dask worker), then lets pyabc evaluate the
particles from the results.

Randomness: pyabc draws its proposals from numpy's global random state, which
:func:`calibrate` seeds from ``seed`` and puts back as it found it afterwards; the runs'
own uniforms come from ``numpy.random.default_rng(SeedSequence([seed, batch_index]))``.
The same seed gives the same posterior, in-process or on a cluster.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.joint_sample import JointSample
from ..core.record import Observations
from ..core.sampling import construction_draws, monthly_draws
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


#: Calibrated parameters (in this order: the posterior's columns) and their priors, the
#: documented ranges of ``model.analysis.sensitivity.SENSITIVITY_RANGES``: the influential
#: assumptions of the Sobol' analysis and the weights the record informs.
PRIORS: dict[str, Prior] = _priors()


def minimum_particles(priors: dict[str, Prior] | None = None) -> int:
    """The smallest population ABC-SMC can move from one round to the next: pyabc's
    perturbation kernel is a normal with the population's weighted covariance, which is
    singular with no more particles than parameters; two per parameter keep it usable."""
    return 2 * len(PRIORS if priors is None else priors)


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


def batch_streams(seed: int, batch_index: int, size: int, n_draws: int,
                  months: int, draws: int) -> Streams:
    """The uniforms of calibration batch ``batch_index`` (``size`` runs): drawn from
    ``(seed, batch_index)`` alone, so a worker can draw them itself and keep its slice."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, batch_index]))
    return Streams(np.zeros(size, dtype=np.uint64), rng.random((size, n_draws)),
                   rng.random((months, size, draws)))


def slice_scores(scenario: Scenario, observations: Observations, seed: int, batch_index: int,
                 size: int, runs: slice, values: dict[str, np.ndarray]) -> np.ndarray:
    """:func:`run_scores` of the batch's runs ``runs`` (a slice), their uniforms drawn on
    the spot (:func:`batch_streams`) rather than shipped to a worker."""
    streams = batch_streams(seed, batch_index, size, construction_draws(scenario),
                            observations.months, monthly_draws(scenario.escalation))
    mine = Streams(streams.seeds[runs], streams.params[runs], streams.monthly[:, runs])
    return run_scores(scenario, observations, mine, values)


def batch_scores(scenario: Scenario, observations: Observations, keys: tuple[str, ...],
                 seed: int, client: Any = None) -> Callable[[np.ndarray, int], np.ndarray]:
    """``scores(params, batch_index)``: parameter rows ``(batch, len(keys))`` in, each
    run's rule scores ``(batch, rules)`` out. One call simulates the whole batch at once
    with the vectorized driver or, given a Dask ``client``, in one slice of runs per
    worker. Runs do not interact and the batch's uniforms are drawn whole before it is
    cut (each worker draws them from the seed and keeps its slice), so the scores are the
    same either way."""
    # a fresh key per call (hash=False): a second fit of the same scenario on the same
    # cluster must not reuse the key the first fit's data is being released under
    shared = None if client is None else client.scatter([scenario, observations],
                                                        broadcast=True, hash=False)

    def scores(params: np.ndarray, batch_index: int) -> np.ndarray:
        size = len(params)
        values = {key: np.ascontiguousarray(params[:, j], dtype=float)
                  for j, key in enumerate(keys)}
        if client is None:
            streams = batch_streams(seed, batch_index, size, construction_draws(scenario),
                                    observations.months, monthly_draws(scenario.escalation))
            return run_scores(scenario, observations, streams, values)
        slices = np.array_split(np.arange(size), max(1, len(client.nthreads())))
        futures = [client.submit(slice_scores, *shared, seed, batch_index, size,
                                 slice(i[0], i[-1] + 1), {k: v[i] for k, v in values.items()},
                                 pure=False)
                   for i in slices if len(i)]
        return np.concatenate(client.gather(futures))

    return scores


def calibrate(scenario: Scenario, observations: Observations, *, particles: int = 1000,
              seed: int = 0, rounds: int = 12, batch_size: int = 20_000,
              priors: dict[str, Prior] | None = None, quantile: float = 0.5,
              kernel_scale: float | None = None,
              log: Callable[[str], Any] | None = None, client: Any = None) -> Posterior:
    """Run ABC-SMC and return the last population as a ``Posterior``.

    ``particles`` is the population size (at least :func:`minimum_particles`), ``rounds``
    the most SMC rounds after the prior's, ``batch_size`` the most particles simulated in
    one call, ``quantile`` the threshold's quantile of the last population's distances.
    With a Dask ``client`` (the command's cluster) each batch's runs are spread over its
    workers; pyabc's loop stays in this process, so the posterior is the same.
    """
    import pyabc  # imported here: slow to import, and only calibration needs it

    from .abc_batches import BatchSampler, BoxPrior, FallingQuantile, NormalKernel, OneModel

    priors = dict(PRIORS if priors is None else priors)
    observations = observations.for_model(scenario.escalation)
    if particles < minimum_particles(priors):
        raise ValueError(f"particles: {particles}; ABC-SMC over {len(priors)} parameters "
                         f"needs at least {minimum_particles(priors)}")
    keys = tuple(priors)
    weights = rule_weights(observations)
    scores = batch_scores(scenario, observations, keys, seed, client)
    sampler = BatchSampler(keys, lambda params, index: [{"scores": row} for row in
                                                          scores(params, index)],
                           max_batch=batch_size, log=log)
    prior = BoxPrior({k: (p.low, p.high) for k, p in priors.items()})
    logging.getLogger("ABC").setLevel(logging.WARNING)  # pyabc's per-round info lines
    started, cpu = time.perf_counter(), time.process_time()
    state = np.random.get_state()
    np.random.seed(np.random.SeedSequence(seed).generate_state(1)[0])
    try:
        abc = pyabc.ABCSMC(sampler.model, prior,
                           lambda x, _: float(distance(x["scores"], weights)),
                           population_size=particles, model_prior=OneModel(),
                           transitions=NormalKernel(kernel_scale), sampler=sampler,
                           eps=FallingQuantile(quantile))
        abc.new("sqlite://", {"scores": np.zeros(len(observations.rules))})
        history = abc.run(minimum_epsilon=0.0, max_nr_populations=rounds)
    finally:
        np.random.set_state(state)
    table, w = history.get_distribution(m=0, t=history.max_t)
    samples = table[list(keys)].to_numpy(dtype=float)
    populations = history.get_all_populations()
    rows = []
    for pop in populations[populations["t"] >= 0].itertuples():
        rows.append({"round": int(pop.t) + 1, "threshold": float(pop.epsilon),
                     "simulations": int(pop.samples)})
    w = np.asarray(w, dtype=float)
    return Posterior(keys, samples, w / w.sum(), priors,
                     tuple(r.id for r in observations.fitted()), rows, sampler.simulated,
                     time.perf_counter() - started, seed, time.process_time() - cpu)


def with_posterior(scenario: Scenario, posterior: Posterior, file: str = "(in memory)"
                   ) -> Scenario:
    """``scenario`` carrying ``posterior`` as its joint sample (each run draws a particle)."""
    sample = JointSample(file=file, keys=posterior.keys,
                         weights=tuple(float(w) for w in posterior.weights),
                         values=tuple(tuple(float(v) for v in row) for row in posterior.samples))
    return scenario.model_copy(update={"sample": sample})
