"""Start a Dask cluster on SLURM (dask-jobqueue) and print its address for ``--scheduler``.

Run on a login node, inside the project's environment::

    python -m model.execution.slurm --jobs 4 --cores 32 --memory 64GB --walltime 04:00:00 \\
        --queue normal --account myproject --interface ib0

It starts a Dask scheduler on this node, submits ``--jobs`` batch jobs, each running
``--cores`` single-threaded worker processes (``--nthreads 1``: the model is numpy code
that one thread per process uses best), prints the scheduler's address and waits; pass the
address to any command with ``--scheduler``. Ctrl-C cancels the jobs. With
``--print-job-script`` it only prints the batch script it would submit.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any


def cluster_options(cores: int, memory: str, walltime: str, queue: str | None = None,
                    account: str | None = None, interface: str | None = None,
                    python: str | None = None, host: str | None = None,
                    prologue: list[str] | None = None) -> dict[str, Any]:
    """Keyword arguments of ``dask_jobqueue.SLURMCluster`` for one job of ``cores``
    single-threaded workers (``processes=cores``)."""
    options: dict[str, Any] = {
        "cores": cores, "processes": cores, "memory": memory, "walltime": walltime,
        "python": python or sys.executable, "job_name": "alliance-sim",
        "job_script_prologue": prologue or [],
        "scheduler_options": {"dashboard_address": None, **({"host": host} if host else {})},
    }
    if queue:
        options["queue"] = queue
    if account:
        options["account"] = account
    if interface:
        options["interface"] = interface
    return options


def slurm_cluster(**kwargs: Any):
    """A ``dask_jobqueue.SLURMCluster`` built from :func:`cluster_options` arguments."""
    from dask_jobqueue import SLURMCluster

    return SLURMCluster(**cluster_options(**kwargs))


def main(argv: list[str] | None = None) -> int:
    """Command line: start the cluster (or print its job script)."""
    parser = argparse.ArgumentParser(prog="python -m model.execution.slurm",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1, help="SLURM jobs to submit (default 1)")
    parser.add_argument("--cores", type=int, required=True, help="cores (= workers) per job")
    parser.add_argument("--memory", required=True, help="memory per job, e.g. 64GB")
    parser.add_argument("--walltime", required=True, help="time limit per job, e.g. 04:00:00")
    parser.add_argument("--queue", help="partition (#SBATCH -p)")
    parser.add_argument("--account", help="account to charge (#SBATCH -A)")
    parser.add_argument("--interface", help="network interface of the nodes, e.g. ib0")
    parser.add_argument("--prologue", action="append", default=[],
                        help="shell line run before the workers start, e.g. "
                             "'source ~/alliance-sim/.venv/bin/activate' (repeatable)")
    parser.add_argument("--print-job-script", action="store_true",
                        help="print the batch script and exit without submitting")
    args = parser.parse_args(argv)
    cluster = slurm_cluster(cores=args.cores, memory=args.memory, walltime=args.walltime,
                            queue=args.queue, account=args.account, interface=args.interface,
                            prologue=args.prologue)
    try:
        if args.print_job_script:
            print(cluster.job_script())
            return 0
        cluster.scale(jobs=args.jobs)
        print(f"scheduler {cluster.scheduler_address}", flush=True)
        print(f"e.g.: python run.py sensitivity --scheduler {cluster.scheduler_address}",
              flush=True)
        while True:
            time.sleep(60)
    except KeyboardInterrupt:
        return 0
    finally:
        cluster.close()


if __name__ == "__main__":
    sys.exit(main())
