"""pyabc's ABC-SMC with whole batches of particles simulated in one call.

pyabc (0.13) evaluates particles one at a time: its samplers call ``simulate_one()``,
which proposes a parameter (from the prior or by perturbing the last population, with
numpy's global random state), simulates it through the model's ``sample`` and accepts or
rejects it. One call of the vectorized driver per particle would cost far more than the
model does, so :class:`BatchSampler` (a ``pyabc.sampler.Sampler``, the library's public
extension point) runs each batch in two passes over the same random state:

1. *propose*: call ``simulate_one()`` ``size`` times with :class:`BatchModel` recording
   each proposed parameter and stopping the call there (no simulation, no distance);
2. rewind numpy's global random state (``numpy.random.get_state``/``set_state``) to
   where pass 1 began, simulate all recorded proposals in one call of ``simulate``, and
   call ``simulate_one()`` again until the population is full: pyabc draws the same
   proposals in the same order, and the model answers each from the batch. The model
   checks that every replayed proposal is the recorded one, so the two passes cannot
   drift apart silently.

Everything pyabc decides (proposals, distances, thresholds, acceptance, importance
weights) is its own code; only where the simulations are computed changes. A batch is
sized from the acceptance rate so far to fill the population with little overshoot; the
proposals past the last one the population needs are simulated but never replayed
(counted in :attr:`BatchSampler.simulated`, not in pyabc's evaluations).

Requires a deterministic acceptor and distance (pyabc's defaults: ``UniformAcceptor``
and a function distance): a stochastic acceptor would draw random numbers in pass 2 only.

Most of pyabc's remaining per-particle cost is its scipy-based prior density and
pandas-based kernel, far more than a simulation in a batch costs
(``benchmarks/bench_calibration.py``). :class:`BoxPrior`, :class:`OneModel` and
:class:`NormalKernel` are the same distributions through pyabc's public base classes
(``DistributionBase``, ``RVBase``, ``Transition``) in plain numpy: independent uniforms;
the one model; and the multivariate normal kernel of ``MultivariateNormalTransition``
(weighted covariance of the population times Silverman's factor squared, or times a
given ``scale``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pyabc


class BoxPrior(pyabc.DistributionBase):
    """Independent uniform priors on ``[low, high]`` per parameter (a box)."""

    def __init__(self, bounds: dict[str, tuple[float, float]]) -> None:
        self.keys = tuple(bounds)
        self.low = np.array([bounds[k][0] for k in self.keys], dtype=float)
        self.high = np.array([bounds[k][1] for k in self.keys], dtype=float)
        self.density = float(1.0 / np.prod(self.high - self.low))

    def rvs(self, *args, **kwargs) -> pyabc.Parameter:
        values = self.low + (self.high - self.low) * np.random.uniform(size=len(self.keys))
        return pyabc.Parameter(dict(zip(self.keys, values.tolist())))

    def pdf(self, x) -> float:
        values = np.array([x[k] for k in self.keys], dtype=float)
        inside = bool(np.all((values >= self.low) & (values <= self.high)))
        return self.density if inside else 0.0


class OneModel(pyabc.RVBase):
    """The model prior when there is one model: model 0 with probability 1."""

    def copy(self) -> OneModel:
        return OneModel()

    def rvs(self, *args, **kwargs) -> int:
        return 0

    def pmf(self, x, *args, **kwargs) -> float:
        return 1.0 if x == 0 else 0.0

    def pdf(self, x, *args, **kwargs) -> float:
        return self.pmf(x)

    def cdf(self, x, *args, **kwargs) -> float:
        return 1.0 if x >= 0 else 0.0


class NormalKernel(pyabc.transition.Transition):
    """Perturb a particle drawn by weight with a multivariate normal whose covariance is
    the population's weighted covariance times ``scale``; by default Silverman's factor
    squared (what pyabc's ``MultivariateNormalTransition`` does, in numpy)."""

    def __init__(self, scale: float | None = None) -> None:
        self.scale = scale

    def fit(self, X, w) -> None:
        if len(X) <= len(X.columns):
            raise pyabc.transition.NotEnoughParticles(
                f"{len(X)} particles cannot fit a kernel over {len(X.columns)} parameters")
        self.columns = list(X.columns)
        self.points = X.to_numpy(dtype=float)
        self.cumulative = np.cumsum(w) / np.sum(w)
        self.weights = np.asarray(w, dtype=float) / np.sum(w)
        dim = self.points.shape[1]
        scale = self.scale
        if scale is None:
            scale = pyabc.transition.silverman_rule_of_thumb(
                1 / np.sum(self.weights ** 2), dim) ** 2
        cov = np.atleast_2d(np.cov(self.points, aweights=self.weights, rowvar=False))
        self.factor = np.linalg.cholesky(cov * scale)
        self.norm = ((2 * np.pi) ** (-dim / 2)) / np.prod(np.diag(self.factor))

    def rvs_single(self) -> pyabc.Parameter:
        i = min(int(np.searchsorted(self.cumulative, np.random.uniform())),
                len(self.points) - 1)
        x = self.points[i] + self.factor @ np.random.standard_normal(len(self.columns))
        return pyabc.Parameter(dict(zip(self.columns, x.tolist())))

    def pdf(self, x):
        if hasattr(x, "columns"):
            return np.array([self._density(row) for row in x[self.columns].to_numpy()])
        return self._density(np.array([x[k] for k in self.columns], dtype=float))

    def _density(self, x: np.ndarray) -> float:
        z = np.linalg.solve(self.factor, (x - self.points).T)
        return float(self.norm * (self.weights * np.exp(-0.5 * (z * z).sum(axis=0))).sum())


class FallingQuantile(pyabc.epsilon.Epsilon):
    """Each round's threshold: the weighted ``alpha``-quantile of the last population's
    distances (pyabc's ``QuantileEpsilon``) snapped down to a distance the population
    holds, but always below the last threshold. With
    distances that take few values (sums of rule scores), the quantile can sit on the
    last threshold, where pyabc's would stay for ever; then the largest distance below
    it is taken (or ``alpha`` times it when there is none)."""

    def __init__(self, alpha: float = 0.5) -> None:
        super().__init__()
        self.alpha = float(alpha)
        self.thresholds: dict[int, float] = {}

    def requires_calibration(self) -> bool:
        return True

    def is_adaptive(self) -> bool:
        return True

    def initialize(self, t, get_weighted_distances, get_all_records, max_nr_populations,
                   acceptor_config) -> None:
        self._update(t, get_weighted_distances())

    def update(self, t, get_weighted_distances, get_all_records, acceptance_rate,
               acceptor_config) -> None:
        self._update(t, get_weighted_distances())

    def __call__(self, t: int) -> float:
        return self.thresholds[t]

    def _update(self, t: int, table) -> None:
        distances = table["distance"].to_numpy(dtype=float)
        weights = table["w"].to_numpy(dtype=float)
        threshold = float(pyabc.weighted_statistics.weighted_quantile(
            points=distances, weights=weights / weights.sum(), alpha=self.alpha))
        # snapped to the largest distance at or below it (the same runs are accepted;
        # the interpolated quantile can sit a rounding error below a shared value)
        at_or_below = distances[distances <= threshold * (1 + 1e-12)]
        if at_or_below.size:
            threshold = float(at_or_below.max())
        last = self.thresholds.get(t - 1)
        if last is not None and threshold >= last:
            below = distances[distances < last]
            threshold = float(below.max()) if below.size else self.alpha * last
        self.thresholds[t] = threshold


class _Proposed(Exception):
    """Raised by the model in the propose pass: the proposal is recorded, stop here."""


class BatchModel(pyabc.Model):
    """A pyabc model whose simulations are computed by :class:`BatchSampler` in batches:
    it records proposals (pass 1) and answers them from the batch's results (pass 2)."""

    def __init__(self, keys: Sequence[str], name: str = "model") -> None:
        super().__init__(name)
        self.keys = tuple(keys)
        self._recorded: list[list[float]] | None = None
        self._answers: list[tuple[np.ndarray, dict]] = []

    def propose(self, simulate_one: Callable[[], object], size: int) -> np.ndarray:
        """Let pyabc propose ``size`` parameters: ``(size, len(keys))``."""
        self._recorded = []
        try:
            for _ in range(size):
                try:
                    simulate_one()
                except _Proposed:
                    continue
                raise RuntimeError("pyabc evaluated a particle without simulating it")
            return np.array(self._recorded, dtype=float).reshape(size, len(self.keys))
        finally:
            self._recorded = None

    def answer(self, proposals: np.ndarray, results: Sequence[dict]) -> None:
        """The next simulations ``sample`` returns, in the order they were proposed."""
        self._answers = list(zip(proposals, results))[::-1]

    def sample(self, pars) -> dict:
        values = [float(pars[k]) for k in self.keys]
        if self._recorded is not None:
            self._recorded.append(values)
            raise _Proposed
        if not self._answers:
            raise RuntimeError("pyabc asked for more simulations than were proposed")
        expected, result = self._answers.pop()
        if not np.array_equal(expected, values):
            raise RuntimeError(f"pyabc's replayed proposal {values} differs from the "
                               f"recorded {expected.tolist()}: its proposals are not "
                               "reproducible from numpy's global random state")
        return result


class BatchSampler(pyabc.sampler.Sampler):
    """A pyabc sampler that simulates whole batches of proposals at once.

    ``simulate(proposals, batch_index)`` takes ``(size, len(keys))`` parameter values and
    returns one summary-statistics dict per row; ``batch_index`` counts the batches of the
    whole inference (0, 1, ...), for seeding. Pass ``sampler.model`` to ``pyabc.ABCSMC`` as
    its model. ``max_batch`` bounds a batch (memory), ``min_batch`` keeps late batches
    from being too small to be efficient; ``log`` receives a line per round.
    """

    def __init__(self, keys: Sequence[str],
                 simulate: Callable[[np.ndarray, int], Sequence[dict]], *,
                 max_batch: int = 20_000, min_batch: int = 100,
                 log: Callable[[str], object] | None = None) -> None:
        super().__init__()
        self.log = log
        self.model = BatchModel(keys)
        self.simulate = simulate
        self.max_batch, self.min_batch = int(max_batch), int(min_batch)
        self.batches = 0      # simulate calls so far
        self.simulated = 0    # parameters simulated so far (evaluated or not)
        self._rate = 1.0      # the last population's acceptance rate

    def _batch_size(self, needed: int, accepted: int, evaluated: int, all_accepted: bool,
                    room: float) -> int:
        if all_accepted:
            size = needed
        else:
            rate = accepted / evaluated if accepted else self._rate
            size = math.ceil(1.1 * needed / max(rate, 1e-6)) + 10
        return int(max(1, min(size if all_accepted else max(size, self.min_batch),
                              self.max_batch, room)))

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf,
                                all_accepted=False, ana_vars=None):
        sample = self._create_empty_sample()
        evaluated = 0
        while sample.n_accepted < n and evaluated < max_eval:
            size = self._batch_size(n - sample.n_accepted, sample.n_accepted, evaluated,
                                    all_accepted, max_eval - evaluated)
            state = np.random.get_state()
            proposals = self.model.propose(simulate_one, size)
            np.random.set_state(state)
            self.model.answer(proposals, self.simulate(proposals, self.batches))
            self.batches += 1
            self.simulated += size
            for _ in range(size):
                particle = simulate_one()
                evaluated += 1
                sample.append(particle)
                if sample.n_accepted >= n:
                    break
            self.model.answer(proposals[:0], [])
        self.nr_evaluations_ = evaluated
        if sample.n_accepted < n:
            sample.ok = False
        self._rate = max(sample.n_accepted, 1) / max(evaluated, 1)
        if self.log is not None and t >= 0 and ana_vars is not None:
            self.log(f"round {t + 1}: threshold {ana_vars.eps(t):.3g}, {evaluated} "
                     "simulations")
        return sample
