"""Where it runs: in this process, on a local Dask cluster, or on an existing one.

An :class:`Executor` takes jobs (``model.execution.jobs``: what to run, as chunks) and
returns each chunk's result in chunk order, whatever the back end:

- in-process (default): chunks run one after another in this process;
- ``workers=N``: a ``dask.distributed.LocalCluster`` of N single-threaded processes,
  started on first use and closed with the executor;
- ``scheduler="tcp://HOST:PORT"``: an existing Dask cluster (``dask scheduler`` and
  ``dask worker`` on several machines, or a SLURM allocation, see README "Running on a
  cluster"); its workers need this package installed. Connecting waits at most
  ``CONNECT_TIMEOUT`` seconds, and a server that accepts but does not answer as a Dask
  scheduler fails ``HANDSHAKE_GRACE`` seconds later (``check_scheduler``), never hangs.

With a ``store`` (``--resume DIR``) finished chunks are read back instead of recomputed
and every newly finished chunk is written there before it is merged. Because chunks
and their seeds are fixed by the plan and results are merged in chunk order, the
numbers are the same for every back end and every number of workers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import numpy as np

from .plan import Chunk
from .store import ChunkStore, fingerprint, report_stderr


class Job(Protocol):
    """What to run: a named, fingerprinted list of chunks and how to compute and merge them.

    ``compute`` runs on a worker (the job is pickled there, so keep it plain data plus
    importable functions); ``merge`` runs on the client and receives the chunk results
    in chunk order as an iterator, so it can reduce them without holding them all.
    """

    name: str

    def spec(self) -> dict[str, Any]: ...

    def chunks(self) -> list[Chunk]: ...

    def compute(self, chunk: Chunk) -> dict[str, np.ndarray]: ...

    def merge(self, parts: Iterator[dict[str, np.ndarray]]) -> Any: ...


class ExecutionError(Exception):
    """The execution back end cannot be used (e.g. no scheduler at the address)."""


#: Seconds to wait for a scheduler to accept a connection; a server that accepts but
#: does not answer as a Dask scheduler gets ``HANDSHAKE_GRACE`` seconds more.
CONNECT_TIMEOUT = 15.0
HANDSHAKE_GRACE = 5.0


def compute_chunk(job: Job, chunk: Chunk) -> dict[str, np.ndarray]:
    """Run one chunk (the function every back end calls, on whichever process)."""
    return job.compute(chunk)


class Executor:
    """Run jobs chunk by chunk in-process or on Dask, optionally resuming from a store.

    ``progress``: show a tqdm bar of chunks done / total on stderr (``None``: only when
    stderr is a terminal). ``report``: where one-line notices go (store problems,
    resumed chunks). Use as a context manager so a local cluster is closed.
    """

    def __init__(self, workers: int | None = None, scheduler: str | None = None,
                 store: str | os.PathLike | ChunkStore | None = None,
                 progress: bool | None = None, chunk_runs: int | None = None,
                 report: Callable[[str], None] = report_stderr,
                 connect_timeout: float | None = None) -> None:
        if workers is not None and scheduler is not None:
            raise ExecutionError("give either workers or a scheduler address, not both")
        if workers is not None and workers < 1:
            raise ExecutionError(f"workers must be ≥ 1, got {workers}")
        self.workers = workers
        self.scheduler = scheduler
        self.report = report
        self.progress = progress
        self.chunk_runs = chunk_runs
        self.connect_timeout = CONNECT_TIMEOUT if connect_timeout is None else connect_timeout
        self.store = (store if isinstance(store, ChunkStore) or store is None
                      else ChunkStore(store, report))
        self._client = None
        self._cluster = None
        self._token = uuid.uuid4().hex[:8]

    # ------------------------------------------------------------------ back end

    @property
    def is_local(self) -> bool:
        """True when chunks run in this process."""
        return self.workers is None and self.scheduler is None

    def describe(self) -> str:
        """The back end in words, e.g. ``"LocalCluster of 2 worker processes"``."""
        if self.scheduler is not None:
            return f"Dask scheduler at {self.scheduler}"
        if self.workers is not None:
            return f"LocalCluster of {self.workers} worker process" + ("es" if self.workers > 1
                                                                       else "")
        return "in-process"

    @property
    def client(self):
        """The ``dask.distributed.Client`` (started on first use), or None in-process.

        Other libraries that take a Dask client (e.g. ELFI's) can use this one, so one
        command uses one cluster.
        """
        if self.is_local:
            return None
        if self._client is None:
            self._client = self._connect()
        return self._client

    @property
    def scheduler_address(self) -> str | None:
        """The Dask scheduler's address (starting a local cluster if need be), or None
        in-process."""
        client = self.client
        return None if client is None else client.scheduler.address

    def _connect(self):
        from dask.distributed import Client, LocalCluster

        if self.scheduler is not None:
            check_scheduler(self.scheduler, self.connect_timeout)
            try:
                return Client(self.scheduler, timeout=self.connect_timeout)
            except (OSError, TimeoutError, ValueError) as exc:
                raise ExecutionError(f"--scheduler {self.scheduler}: cannot connect "
                                     f"({_first_line(exc)})") from None
        import dask

        # forkserver: workers fork from a clean single-threaded server process. Plain fork
        # copies this process with its threads (the Dask event loop, a dashboard server)
        # and can deadlock a worker on a lock held at the fork (seen: a CI run hung
        # starting a 3-worker cluster); spawn re-imports everything in every worker.
        method = "forkserver" if sys.platform == "linux" else None
        config = {"distributed.worker.multiprocessing-method": method} if method else {}
        with dask.config.set(config), warnings.catch_warnings():
            # with the dashboard off, the scheduler still serves /health on a port near 8787
            warnings.filterwarnings("ignore", "Port .* is already in use", UserWarning)
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                         processes=True, dashboard_address=None,
                                         silence_logs=logging.ERROR)
        return Client(self._cluster)

    def close(self) -> None:
        """Close the client and a local cluster (an external scheduler keeps running)."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ running

    def run(self, job: Job) -> Any:
        """Compute every chunk of ``job`` and return ``job.merge`` of the results."""
        return job.merge(self.stream(job))

    def run_all(self, jobs: Sequence[Job]) -> list[Any]:
        """Run several jobs with all their chunks in flight together; merged results."""
        results: list[list[dict[str, np.ndarray]]] = [[] for _ in jobs]
        for (j, _), part in self._iterate(jobs):
            results[j].append(part)
        return [job.merge(iter(parts)) for job, parts in zip(jobs, results)]

    def stream(self, job: Job) -> Iterator[dict[str, np.ndarray]]:
        """Chunk results of ``job`` in chunk order (bounded memory on the client)."""
        for _, part in self._iterate([job]):
            yield part

    def _iterate(self, jobs: Sequence[Job]
                 ) -> Iterator[tuple[tuple[int, int], dict[str, np.ndarray]]]:
        """``((job index, chunk position), result)`` for every chunk, in order."""
        tasks = []  # (job index, job, fingerprint, folder, chunk)
        done: set[int] = set()
        for j, job in enumerate(jobs):
            chunks = job.chunks()
            spec = job.spec()
            fp = fingerprint(spec)
            folder = None
            if self.store is not None:
                folder = self.store.open_job(job.name, fp, spec, len(chunks))
            found = 0
            for chunk in chunks:
                if folder is not None and self.store.exists(folder, chunk.index) and \
                        self.store.load(folder, fp, chunk.index) is not None:
                    done.add(len(tasks))
                    found += 1
                tasks.append((j, job, fp, folder, chunk))
            if found:
                self.report(f"store: {found} of {len(chunks)} chunks of {job.name} already "
                            f"in {folder}; computing {len(chunks) - found}")
        names = sorted({job.name for job in jobs})
        bar = _progress_bar(len(tasks), len(done), ", ".join(names), self.progress)
        try:
            todo = [i for i in range(len(tasks)) if i not in done]
            results = self._compute(tasks, todo, bar)
            for i, (j, job, fp, folder, chunk) in enumerate(tasks):
                if i in done:
                    part = self.store.load(folder, fp, chunk.index)
                    if part is None:  # changed since it was checked: compute it here
                        part = compute_chunk(job, chunk)
                        self.store.save(folder, fp, chunk.index, part)
                else:
                    part = next(results)
                yield (j, chunk.index), part
        finally:
            bar.close()

    def _compute(self, tasks, todo: list[int], bar) -> Iterator[dict[str, np.ndarray]]:
        """Results of the tasks at positions ``todo``, in that order, each saved first."""
        def finish(i: int, part: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            _, _, fp, folder, chunk = tasks[i]
            if folder is not None:
                self.store.save(folder, fp, chunk.index, part)
            bar.update(1)
            return part

        if self.is_local:
            for i in todo:
                _, job, _, _, chunk = tasks[i]
                yield finish(i, compute_chunk(job, chunk))
            return
        yield from self._compute_dask(tasks, todo, finish)

    def _compute_dask(self, tasks, todo, finish) -> Iterator[dict[str, np.ndarray]]:
        from dask.distributed import as_completed

        client = self.client
        threads = sum(client.nthreads().values()) or 1
        window = max(8, 3 * threads)
        queue = iter(todo)
        futures = {}
        ready: dict[int, dict[str, np.ndarray]] = {}
        completed = as_completed()

        def submit() -> bool:
            i = next(queue, None)
            if i is None:
                return False
            _, job, fp, _, chunk = tasks[i]
            future = client.submit(compute_chunk, job, chunk, pure=False,
                                   key=f"{job.name}-{fp[:12]}-{chunk.index}-{self._token}")
            futures[future.key] = (i, future)
            completed.add(future)
            return True

        for _ in range(window):
            if not submit():
                break
        try:
            for position in todo:
                while position not in ready:
                    future = next(completed)
                    i, _ = futures.pop(future.key)
                    ready[i] = finish(i, future.result())
                    future.release()
                    submit()
                yield ready.pop(position)
        finally:
            if futures:
                client.cancel([f for _, f in futures.values()])


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else repr(exc)


def check_scheduler(address: str, timeout: float) -> None:
    """Raise ``ExecutionError`` (one line) unless a Dask scheduler at ``address`` completes
    Dask's handshake: within ``timeout`` seconds to connect and ``HANDSHAKE_GRACE`` more
    to answer.

    ``dask.distributed.Client`` waits for the handshake without a time limit, so a server
    that accepts the connection but is not a Dask scheduler (a web server, a port reused
    by another program) would hang it for good. The check runs on its own thread and
    event loop, so it works inside a running loop (a notebook) too.
    """
    from distributed.comm import connect

    async def handshake() -> None:
        comm = await connect(address, timeout=timeout)
        comm.abort()

    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            asyncio.run(asyncio.wait_for(handshake(), timeout + HANDSHAKE_GRACE))
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - reported to the caller below
            outcome.append(exc)

    thread = threading.Thread(target=attempt, name="scheduler-check", daemon=True)
    thread.start()
    thread.join(timeout + HANDSHAKE_GRACE + 5.0)
    error = outcome[0] if outcome else TimeoutError()
    if error is None:
        return
    if isinstance(error, TimeoutError):  # connected, but no Dask handshake came back
        raise ExecutionError(f"--scheduler {address}: something accepts connections there "
                             f"but did not answer as a Dask scheduler within "
                             f"{timeout + HANDSHAKE_GRACE:g} s; give the address that "
                             "`dask scheduler` printed") from None
    raise ExecutionError(f"--scheduler {address}: cannot connect ({_first_line(error)})"
                         ) from None


def _progress_bar(total: int, initial: int, desc: str, enabled: bool | None):
    from tqdm import tqdm

    disable = (not enabled) if enabled is not None else not sys.stderr.isatty()
    return tqdm(total=total, initial=initial, desc=desc, unit="chunk", disable=disable,
                leave=False, file=sys.stderr)


