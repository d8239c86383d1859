"""The execution layer: *what to run* (chunks, as data) apart from *where it runs*.

Every command that runs many runs or parameter points goes through here. An experiment
is a **job**: a plan of chunks (``plan.py``: points × runs, cut by ``chunk_runs`` only,
each run's seed fixed by the global seed and its position), ``compute(chunk)`` (runs on
any process) and ``merge(parts)`` (on the client, in chunk order). An :class:`Executor`
runs jobs in-process (default), on a ``LocalCluster`` of N processes (``workers=N``) or
on a running Dask cluster (``scheduler=ADDRESS``), optionally keeping every finished
chunk in a resumable :class:`ChunkStore` (``store=DIR``). Same plan + chunk order ⇒ the
same numbers on every back end, bit for bit; and every merge here is independent of the
chunk size too (tables and per-run values joined in run order, per-month statistics as
integer counts and exact sums), so ``chunk_runs`` changes memory and progress, never a
number.

The API for analyses and commands (calibration and discovery included)::

    from model.execution import Executor, evaluate_points, ensemble_summary

    with Executor(workers=4, store="results/store/x") as ex:   # or Executor() in-process
        values = evaluate_points(scenario, keys, points, metrics, runs, seed, months,
                                 executor=ex)        # {metric: (n_points, runs)}
        frame = ensemble_summary(scenario, 10**6, seed, executor=ex)  # bounded memory

- :func:`evaluate_points` — metrics (objects with ``name`` mapping ``EnsembleArrays`` to
  one value per run, e.g. ``model.analysis.metrics.Metric`` or :class:`NamedOutcome`) at
  each row of a design matrix, common seeds at every point. What sweeps, sensitivity,
  calibration and discovery need.
- :func:`ensemble_table` / :func:`ensemble_summary` / :func:`ensemble_arrays` /
  :func:`ensemble_job` (``output="metrics"``) — one scenario's ensemble as the long
  table, per-month summary (merged from per-chunk histograms), raw arrays, or per-run
  outcomes; equal to ``model.ensemble.run_ensemble``. ``output="statistics"`` gives the
  mergeable ``MonthlyStatistics`` and per-run outcomes, and with ``table=True, sink=f``
  hands each chunk's table columns to ``f`` in order (how a streamed ``run`` writes its
  Parquet dataset without gathering it).
- :func:`run_jobs` — several jobs with all their chunks in flight together (compare,
  claims). Your own job: any object with ``name``, ``spec()`` (JSON-able identity),
  ``chunks()``, ``compute(chunk) -> dict[str, ndarray]`` and ``merge(iterator)``.
- From the command line: ``model.cli.common.add_execution_options(parser)`` adds
  ``--workers/--scheduler/--resume/--chunk-runs`` and ``executor_from(args)`` returns
  the matching ``Executor`` (use it as a context manager around the work).
- ``Executor.client`` is the ``dask.distributed.Client`` (None in-process) and
  ``Executor.scheduler_address`` its address, for libraries that take a Dask cluster:
  ELFI's ``elfi.clients.dask.Client()`` connects to whatever ``dask.config``'s
  ``scheduler-address`` names, so ``with dask.config.set({"scheduler-address":
  ex.scheduler_address}): elfi.set_client(elfi.clients.dask.Client())`` shares it.

Jobs are pickled to workers: keep them plain data plus importable (or cloudpickle-able)
functions; a ``Scenario`` travels as its JSON dump and is re-validated on the worker.
"""

from .executor import ExecutionError, Executor, Job, compute_chunk
from .jobs import (
    EnsembleJob,
    NamedOutcome,
    PointsJob,
    ensemble_arrays,
    ensemble_job,
    ensemble_summary,
    ensemble_table,
    evaluate_points,
    run_jobs,
)
from .plan import Chunk, chunk_seeds, default_chunk_runs, plan_chunks
from .store import ChunkStore

__all__ = [
    "ChunkStore", "Chunk", "EnsembleJob", "ExecutionError", "Executor", "Job", "NamedOutcome",
    "PointsJob", "chunk_seeds", "compute_chunk", "default_chunk_runs", "ensemble_arrays",
    "ensemble_job", "ensemble_summary", "ensemble_table", "evaluate_points", "plan_chunks",
    "run_jobs",
]
