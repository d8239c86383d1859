"""The execution layer: the same numbers on any back end, resumable, robust to crashes.

Clusters cost seconds to start, so they are shared: the session's local cluster
(``cluster_address`` in ``conftest.py``, reached through ``--scheduler``), one started
by ``--workers 2``, and an external cluster (``dask scheduler`` + ``dask worker``
subprocesses) for the test that kills one of its workers.
Sizes are tiny: the tests check equality and recovery, not speed (see benchmarks/).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model import load_scenario
from model.analysis.metrics import METRICS
from model.analysis.sensitivity import run_sobol
from model.analysis.sweep import parse_axis, sweep
from model.ensemble import run_ensemble
from model.execution import (
    ChunkStore,
    Executor,
    ensemble_summary,
    ensemble_table,
    evaluate_points,
    plan_chunks,
)
from model.execution.store import from_parquet_table, to_parquet_table
from model.output.results import LOCK_NAME

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
MONTHS = 12


@pytest.fixture(scope="module")
def scenario():
    # a parameter drawn per run, so the per-run parameter streams are exercised too
    return load_scenario("baseline", {"levers.war_demand":
                                      {"dist": "uniform", "low": 0.4, "high": 1.0}})


def experiments(scenario, executor) -> dict:
    """The library calls behind run, sweep and sensitivity, small, on ``executor``."""
    x = parse_axis("levers.international_pressure=0:1:7")
    return {
        "table": ensemble_table(scenario, 90, seed=4, months=MONTHS, executor=executor),
        "summary": ensemble_summary(scenario, 90, seed=4, months=MONTHS, executor=executor),
        "sweep": sweep(scenario, x, None, METRICS["munitions_total"], 30, seed=2,
                       months=MONTHS, executor=executor).table,
        "sobol": run_sobol(scenario, METRICS["alliance_strength_final"], n=4, replicates=5,
                           seed=1, months=MONTHS,
                           keys=("levers.international_pressure", "levers.nk_food_crisis"),
                           executor=executor).table,
    }


@pytest.fixture(scope="module")
def reference(scenario):
    """In-process results with chunks of 25 runs (several chunks per experiment)."""
    with Executor(chunk_runs=25) as executor:
        return experiments(scenario, executor)


def assert_identical(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)


def test_default_chunking_equals_the_ensemble_driver(scenario):
    """With the default chunk size, the execution layer is ``run_ensemble`` exactly."""
    pd.testing.assert_frame_equal(ensemble_table(scenario, 50, seed=3, months=MONTHS),
                                  run_ensemble(scenario, 50, seed=3, months=MONTHS),
                                  check_exact=True)
    pd.testing.assert_frame_equal(
        ensemble_summary(scenario, 50, seed=3, months=MONTHS),
        run_ensemble(scenario, 50, seed=3, months=MONTHS, summary=True), check_exact=True)


@pytest.mark.parametrize("rule, chunk", [("logit", 20_000), ("nash", 20_000), ("qre", 500)])
def test_only_the_qre_rule_gets_small_chunks(rule, chunk):
    """``qre`` costs ~50x ``logit`` a run-month and is chunked finely; ``nash`` (~3x) is
    not, so its QRE fallback's fixed cost is paid once per 20,000 runs, not per 500."""
    from model.execution.plan import default_chunk_runs

    scenario = load_scenario("baseline", {"china.rule": rule})
    assert default_chunk_runs(scenario) == chunk


def test_a_scenario_carrying_a_joint_sample_runs_in_chunks_like_the_driver():
    """The calibrated scenario's posterior travels with the chunks (not a summary of it)."""
    calibrated = load_scenario("calibrated")
    assert calibrated.sample is not None
    with Executor(chunk_runs=7) as executor:
        chunked = ensemble_table(calibrated, 20, seed=5, months=MONTHS, executor=executor)
    pd.testing.assert_frame_equal(chunked, run_ensemble(calibrated, 20, seed=5, months=MONTHS),
                                  check_exact=True)


@pytest.mark.cluster
def test_a_cluster_gives_identical_results(cluster_address, scenario, reference):
    with Executor(scheduler=cluster_address, chunk_runs=25) as executor:
        assert_identical(experiments(scenario, executor), reference)


@pytest.mark.parametrize("chunk_runs", [7, 1000])
def test_tables_do_not_depend_on_the_chunk_size(chunk_runs, scenario, reference):
    """Per-run results are batch-independent, so only summaries' float sums see the cut."""
    with Executor(chunk_runs=chunk_runs) as executor:
        got = experiments(scenario, executor)
    for name in ("table", "sweep", "sobol"):
        pd.testing.assert_frame_equal(got[name], reference[name], check_exact=True, obj=name)


@settings(deadline=None)
@given(st.integers(1, 30), st.integers(1, 50), st.integers(1, 60))
def test_chunks_cover_every_point_and_run_once(n_points, runs, chunk_runs):
    chunks = plan_chunks(n_points, runs, chunk_runs)
    seen = np.zeros((n_points, runs), dtype=int)
    for i, c in enumerate(chunks):
        assert c.index == i
        assert 0 < c.n_points * c.n_runs <= chunk_runs
        seen[c.point_start:c.point_stop, c.run_start:c.run_stop] += 1
    assert (seen == 1).all()


# ---------------------------------------------------------------- the store


def test_chunk_files_round_trip_every_dtype():
    arrays = {"f": np.linspace(0, 1, 12).reshape(3, 4), "i8": np.arange(5, dtype=np.int8),
              "u64": np.array([2**64 - 1, 3], dtype=np.uint64), "one": np.array([7])}
    back, info = from_parquet_table(to_parquet_table(arrays, {"job": "x", "chunk": 3}))
    assert info["job"] == "x" and info["chunk"] == 3
    for name, a in arrays.items():
        assert back[name].dtype == a.dtype and np.array_equal(back[name], a), name


def test_resume_reuses_chunks_and_recomputes_corrupt_and_foreign_ones(tmp_path, scenario):
    metrics = [METRICS["treaty_by_12"], METRICS["evasion_months"]]
    points = np.linspace(0.1, 0.9, 6)[:, None]

    def evaluate(notes):
        with Executor(store=tmp_path / "store", chunk_runs=20, report=notes.append) as executor:
            return evaluate_points(scenario, ["levers.nk_food_crisis"], points, metrics, 10,
                                   seed=8, months=MONTHS, executor=executor)

    first = evaluate([])
    (job,) = [p for p in (tmp_path / "store").iterdir() if p.is_dir()]
    files = sorted(job.glob("chunk-*.parquet"))
    assert len(files) == 3 and not list(job.glob(".*"))  # no temporary files left
    stamps = [f.stat().st_mtime_ns for f in files]
    notes: list[str] = []
    again = evaluate(notes)
    assert notes == [f"store: 3 of 3 chunks of points already in {job}; computing 0"]
    assert [f.stat().st_mtime_ns for f in files] == stamps  # read, not rewritten
    # chunk 0: truncated (corrupt); chunk 1: a copy of chunk 2 (foreign: other chunk);
    # chunk 2: another job's chunk file (foreign: other job)
    files[0].write_bytes(files[0].read_bytes()[:200])
    shutil.copy(files[2], files[1])
    other = ChunkStore(tmp_path / "other")
    folder = other.open_job("points", "f" * 64, {"x": 1}, 3)
    other.save(folder, "f" * 64, 2, {"treaty_by_12": np.zeros((2, 10)),
                                     "evasion_months": np.zeros((2, 10))})
    shutil.copy(other.chunk_path(folder, 2), files[2])
    notes = []
    third = evaluate(notes)
    assert len(notes) == 3, notes
    assert "chunk-00000.parquet is corrupt" in notes[0]
    assert "chunk-00001.parquet is foreign" in notes[1] and "chunk 2" in notes[1]
    assert "chunk-00002.parquet is foreign" in notes[2] and "ffffffffffffffff" in notes[2]
    for result in (again, third):
        for name in first:
            np.testing.assert_array_equal(result[name], first[name])
    notes = []
    evaluate(notes)  # the recomputed chunks were written back
    assert notes == [f"store: 3 of 3 chunks of points already in {job}; computing 0"]


def test_a_changed_experiment_gets_its_own_folder(tmp_path, scenario):
    with Executor(store=tmp_path) as executor:
        ensemble_summary(scenario, 20, seed=1, months=MONTHS, executor=executor)
        ensemble_summary(scenario, 20, seed=2, months=MONTHS, executor=executor)
    assert len([p for p in tmp_path.iterdir() if p.is_dir()]) == 2


# ---------------------------------------------------------------- the command line

RUN = ("run", "--runs", "40", "--months", "12", "--seed", "2")
SWEEP = ("sweep", "--x", "levers.international_pressure=0:1:6", "--metric", "munitions_total",
         "--runs", "20", "--months", "12", "--seed", "3")
SENSITIVITY = ("sensitivity", "--n", "4", "--replicates", "4", "--months", "12",
               "--metric", "alliance_strength_final")
COMPARE = ("compare", "baseline", "china_enables", "--runs", "30", "--months", "12")
CLAIMS = ("claims", "--runs", "20")
#: A sweep of 16 chunks, long enough to be interrupted.
LONG_SWEEP = ("sweep", "--x", "levers.war_demand=0:1:16", "--metric", "treaty_by_24",
              "--runs", "200", "--seed", "5", "--chunk-runs", "200")
VOLATILE = ("wall_time_seconds", "created", "argv", "git_commit", "execution")


def stable(data: object) -> object:
    """JSON data without the entries that differ between identical runs (times, argv)."""
    if isinstance(data, dict):
        return {k: stable(v) for k, v in data.items() if k not in VOLATILE}
    return data


def outputs(folder: Path) -> dict[str, object]:
    """Every file of an output folder; the manifest without its volatile entries (the
    hidden lock file holds the writer's process id, so it is left out)."""
    files = {}
    for path in sorted(folder.iterdir()):
        if path.name == LOCK_NAME:
            continue
        if path.name == "manifest.json":
            files[path.name] = stable(json.loads(path.read_text()))
        else:
            files[path.name] = path.read_bytes()
    return files


def main_cli(*args: str) -> int:
    from model.cli.main import main

    return main(list(args))


@pytest.fixture(scope="module")
def in_process(tmp_path_factory) -> dict[str, dict]:
    """Outputs of every command in this process (the reference)."""
    root = tmp_path_factory.mktemp("in_process")
    out = {}
    for command in (RUN, SWEEP, SENSITIVITY, COMPARE, CLAIMS, LONG_SWEEP):
        folder = root / command[0] / str(len(out))
        assert main_cli(*command, "--out", str(folder)) in (0, 1)
        out[command] = outputs(folder)
    return out


@pytest.fixture(scope="module")
def external_cluster(tmp_path_factory):
    """A scheduler and two workers started as separate processes (``dask scheduler`` and
    ``dask worker``), as on several machines; yields (address, client, start_worker)."""
    from dask.distributed import Client

    folder = tmp_path_factory.mktemp("cluster")
    scheduler_file = folder / "scheduler.json"
    processes = [subprocess.Popen(
        [PY, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
         "--no-dashboard", "--scheduler-file", str(scheduler_file)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]

    def start_worker(name: str) -> subprocess.Popen:
        proc = subprocess.Popen(
            [PY, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
             "--no-nanny", "--no-dashboard", "--name", name],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(proc)
        return proc

    try:
        deadline = time.monotonic() + 120
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        address = json.loads(scheduler_file.read_text())["address"]
        for i in range(2):
            start_worker(f"worker-{i}")
        client = Client(address, timeout="60s")
        client.wait_for_workers(2, timeout=120)
        yield address, client, start_worker
        client.close()
    finally:
        for proc in reversed(processes):
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 5  # a process still up by then is killed
        for proc in processes:
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.mark.cluster
@pytest.mark.parametrize("command", [RUN, SWEEP, SENSITIVITY, COMPARE, CLAIMS],
                         ids=lambda c: c[0])
def test_a_scheduler_gives_identical_outputs(command, cluster_address, in_process, tmp_path):
    out = tmp_path / "o"
    assert main_cli(*command, "--scheduler", cluster_address, "--out", str(out)) in (0, 1)
    assert outputs(tmp_path / "o") == in_process[command]


@pytest.mark.cluster
def test_workers_option_gives_identical_outputs(in_process, tmp_path):
    assert main_cli(*SWEEP, "--workers", "2", "--out", str(tmp_path / "o")) == 0
    assert outputs(tmp_path / "o") == in_process[SWEEP]


@pytest.mark.cluster
def test_killing_a_worker_mid_task_changes_nothing(external_cluster, in_process, tmp_path):
    address, client, start_worker = external_cluster
    victim = start_worker("victim")
    client.wait_for_workers(3, timeout=120)
    (victim_address,) = [a for a, pid in client.run(os.getpid).items() if pid == victim.pid]
    killed = threading.Event()

    def kill_when_busy() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if client.processing().get(victim_address):
                victim.send_signal(signal.SIGKILL)
                killed.set()
                return
            time.sleep(0.005)

    killer = threading.Thread(target=kill_when_busy, daemon=True)
    killer.start()
    assert main_cli(*LONG_SWEEP, "--scheduler", address, "--out", str(tmp_path / "o")) == 0
    killer.join(timeout=5)
    assert killed.is_set() and victim.wait(timeout=10) == -signal.SIGKILL
    assert outputs(tmp_path / "o") == in_process[LONG_SWEEP]


@pytest.mark.slow
def test_killed_client_resumes_to_the_uninterrupted_result(in_process, tmp_path):
    store, out = tmp_path / "store", tmp_path / "o"
    args = [PY, str(ROOT / "run.py"), *LONG_SWEEP, "--resume", str(store), "--out", str(out)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while len(list(store.glob("*/chunk-*.parquet"))) < 3 and time.monotonic() < deadline:
            assert proc.poll() is None, "the sweep finished before it could be killed"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    chunks = sorted(store.glob("*/chunk-*.parquet"))
    assert 3 <= len(chunks) < 16 and not (out / "report.md").exists()  # claimed, not written
    chunks[1].write_bytes(b"not parquet")  # and one finished chunk damaged since
    resumed = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(chunks) - 1} of 16 chunks of sweep already in" in resumed.stderr
    damaged = [line for line in resumed.stderr.splitlines() if chunks[1].name in line]
    assert len(damaged) == 1 and "corrupt" in damaged[0], resumed.stderr
    assert pq.read_table(chunks[1]).num_rows == 1  # recomputed and written back
    assert len(list(store.glob("*/chunk-*.parquet"))) == 16
    assert outputs(out) == in_process[LONG_SWEEP]


@pytest.mark.parametrize("args, expected", [
    (["--workers", "0"], "--workers"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"], "not allowed with"),
    (["--scheduler", "nonsense"], "--scheduler nonsense"),
])
def test_bad_execution_options_are_one_line_errors(args, expected, capsys, tmp_path):
    assert main_cli(*SWEEP, *args, "--out", str(tmp_path / "o")) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "o").exists()


def test_resume_into_a_file_is_a_one_line_error(capsys, tmp_path):
    (tmp_path / "file").write_text("x")
    assert main_cli(*SWEEP, "--resume", str(tmp_path / "file")) == 2
    err = capsys.readouterr().err.strip()
    assert "--resume" in err and len(err.splitlines()) == 1, err


# ---------------------------------------------------------------- SLURM


@pytest.mark.filterwarnings("ignore:Port .* is already in use:UserWarning")
@pytest.mark.slow  # starts (and stops) a Dask scheduler for the SLURM cluster
def test_slurm_job_script_runs_single_threaded_workers_of_this_environment():
    pytest.importorskip("dask_jobqueue")
    from model.execution.slurm import slurm_cluster

    cluster = slurm_cluster(cores=8, memory="16GB", walltime="02:00:00", queue="normal",
                            account="myproject", host="127.0.0.1",
                            prologue=["source /opt/alliance-sim/.venv/bin/activate"])
    try:
        script = cluster.job_script()
        address = cluster.scheduler_address
    finally:
        cluster.close()
    lines = script.splitlines()
    assert lines[0] == "#!/usr/bin/env bash"
    for directive in ("#SBATCH -J alliance-sim", "#SBATCH -p normal", "#SBATCH -A myproject",
                      "#SBATCH --cpus-per-task=8", "#SBATCH -t 02:00:00"):
        assert directive in lines, directive
    assert "source /opt/alliance-sim/.venv/bin/activate" in lines
    (worker,) = [line for line in lines if "dask_worker" in line]
    assert worker.startswith(f"{sys.executable} -m distributed.cli.dask_worker {address}")
    assert "--nthreads 1" in worker and "--nworkers 8" in worker
