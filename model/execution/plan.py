"""What to run, as data: the chunks of an experiment and each chunk's seeds.

An experiment is ``n_points`` parameter points × ``runs`` runs (a plain ensemble is one
point). It is cut into chunks of at most ``chunk_runs`` runs, point-major: when a point
has fewer runs than ``chunk_runs`` a chunk holds several whole points, otherwise each
point is split into slices of runs. The cut depends only on ``(n_points, runs,
chunk_runs)`` — never on the number of workers — and run ``r`` of every point always
has the ``r``-th seed of ``derive_seeds(seed, runs)`` (common random numbers across
points). So a chunk computes the same numbers wherever and whenever it runs, and the
results, merged in chunk order, are the same for any back end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.rules import SLOW_RULES
from ..core.sampling import derive_seeds
from ..core.schema import Scenario
from ..ensemble.driver import CHUNK_RUNS

#: Runs per chunk when a scenario uses the ``qre`` rule: about 0.15 ms a run-month (a
#: 500-run chunk is some 3 s), so smaller chunks keep progress and load balance fine.
#: ``nash`` costs about 3x ``logit`` (``benchmarks/RESULTS.md``) and gets ``CHUNK_RUNS``:
#: each chunk pays the QRE fallback's fixed cost (tens of ms), which small chunks multiply.
SLOW_RULE_CHUNK_RUNS = 500


@dataclass(frozen=True)
class Chunk:
    """One unit of work: points ``[point_start, point_stop)`` × runs ``[run_start, run_stop)``.

    ``index`` is the chunk's position in the experiment's plan; results are merged in
    that order.
    """

    index: int
    point_start: int
    point_stop: int
    run_start: int
    run_stop: int

    @property
    def n_points(self) -> int:
        return self.point_stop - self.point_start

    @property
    def n_runs(self) -> int:
        return self.run_stop - self.run_start


def plan_chunks(n_points: int, runs: int, chunk_runs: int) -> list[Chunk]:
    """The chunks of ``n_points`` × ``runs``, each at most ``chunk_runs`` runs (point-major)."""
    if n_points < 1 or runs < 1 or chunk_runs < 1:
        raise ValueError(f"need n_points, runs and chunk_runs ≥ 1, got {n_points}, {runs}, "
                         f"{chunk_runs}")
    chunks: list[Chunk] = []
    if runs <= chunk_runs:
        per = chunk_runs // runs
        for start in range(0, n_points, per):
            chunks.append(Chunk(len(chunks), start, min(start + per, n_points), 0, runs))
    else:
        for point in range(n_points):
            for start in range(0, runs, chunk_runs):
                chunks.append(Chunk(len(chunks), point, point + 1, start,
                                    min(start + chunk_runs, runs)))
    return chunks


def default_chunk_runs(scenario: Scenario) -> int:
    """Runs per chunk unless the user says otherwise: ``CHUNK_RUNS`` (the ensemble
    driver's own batch, so results equal ``run_ensemble``'s), or
    ``SLOW_RULE_CHUNK_RUNS`` when an actor plays ``qre``."""
    slow = any(getattr(scenario, actor).rule in SLOW_RULES
               for actor in ("russia", "north_korea", "united_states", "china"))
    return SLOW_RULE_CHUNK_RUNS if slow else CHUNK_RUNS


def chunk_seeds(seed: int, chunk: Chunk, seeds: np.ndarray | None = None) -> np.ndarray:
    """The per-run seeds of ``chunk``: positions ``run_start..run_stop`` of the experiment's
    seed sequence (``seeds`` when given explicitly, else ``derive_seeds(seed, ·)``)."""
    if seeds is not None:
        return np.asarray(seeds, dtype=np.uint64)[chunk.run_start:chunk.run_stop]
    return derive_seeds(seed, chunk.run_stop)[chunk.run_start:]
