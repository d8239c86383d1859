"""What a new user ran into (issue 24): a hang, a memory blow-up, a signal that leaves
debris, flags that silently lose, reports that claim too much. Each test runs the
command as a user would (in this process or as ``python run.py``) and checks that the
mistake gets one line naming the flag, the value and what is allowed, and that nothing
is left behind."""

from __future__ import annotations

import http.server
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from support import ROOT, in_process

from model.execution import executor as executor_module
from model.output.results import LOCK_NAME, STAGING_PREFIX

SHORT = ("--runs", "2", "--months", "3")


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# ---------------------------------------------------------------- --scheduler: not Dask


@pytest.fixture
def silent_server():
    """A TCP port on 127.0.0.1 that accepts connections (the kernel completes them from
    the backlog) and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    server.close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the library's signature
        pass  # its log lines would land in the command's captured stderr


@pytest.fixture
def web_server():
    """``python -m http.server`` on 127.0.0.1, in a thread of this process."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), QuietHandler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("server", ["silent_server", "web_server"])
def test_a_scheduler_address_where_something_else_listens_times_out_in_one_line(
        server, request, monkeypatch, capsys, tmp_path):
    address = request.getfixturevalue(server)
    monkeypatch.setattr(executor_module, "CONNECT_TIMEOUT", 0.5)  # waited out in full
    monkeypatch.setattr(executor_module, "HANDSHAKE_GRACE", 0.5)
    started = time.monotonic()
    status, _, err = in_process(capsys, "run", "baseline", *SHORT, "--scheduler", address,
                                "--out", str(tmp_path / "o"))
    assert time.monotonic() - started < 15
    assert status == 2
    line = one_line(err)
    assert f"--scheduler {address}" in line
    assert "Dask scheduler" in line or "cannot connect" in line
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------------------- --resume


def test_resume_into_a_file_names_the_flag_once(capsys, tmp_path):
    (tmp_path / "file").write_text("x")
    status, _, err = in_process(capsys, "run", "baseline", *SHORT, "--resume",
                                str(tmp_path / "file"), "--out", str(tmp_path / "o"))
    assert status == 2
    line = one_line(err)
    assert line.count("--resume") == 1 and line.count(str(tmp_path / "file")) == 1, line
    assert "not a folder" in line


def test_resume_refuses_a_folder_of_the_users_own_files(capsys, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my notes")
    status, _, err = in_process(capsys, "run", "baseline", *SHORT, "--resume", str(mine),
                                "--out", str(tmp_path / "o"))
    assert status == 2
    line = one_line(err)
    assert f"--resume {mine}" in line and "notes.txt" in line
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]  # nothing written there
    assert (mine / "notes.txt").read_text() == "my notes"
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------------------- SIGTERM


def _run_killed_at(hook: str, out: Path, *args: str) -> subprocess.CompletedProcess:
    """``run.py run baseline ARGS --out OUT`` in a child that sends itself SIGTERM at
    ``hook``: ``"compute"`` (as a chunk starts: the folder is claimed and locked) or
    ``"staging"`` (just after the staging folder is made, with a file in it)."""
    code = textwrap.dedent(f"""
        import os, runpy, signal, sys
        from pathlib import Path
        if {hook!r} == "compute":
            import model.execution.executor as ex
            real = ex.compute_chunk
            def compute_chunk(job, chunk):
                os.kill(os.getpid(), signal.SIGTERM)
                return real(job, chunk)
            ex.compute_chunk = compute_chunk
        else:
            real = Path.mkdir
            def mkdir(self, *a, **k):
                real(self, *a, **k)
                if self.name.startswith({STAGING_PREFIX!r}):
                    (self / "ensemble.parquet").write_bytes(b"x" * 100_000)
                    os.kill(os.getpid(), signal.SIGTERM)
            Path.mkdir = mkdir
        sys.argv = ["run.py", *sys.argv[1:]]
        runpy.run_path("run.py", run_name="__main__")
    """)
    return subprocess.run([sys.executable, "-c", code, "run", "baseline", *args,
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every entry but the lock file (which holds the last holder's process id)."""
    return {p.name: p.read_bytes() if p.is_file() else b"<folder>" for p in folder.iterdir()
            if p.name != LOCK_NAME}


@pytest.mark.slow  # a real `python run.py` that receives the signal
@pytest.mark.parametrize("hook", ["compute", "staging"])
def test_sigterm_into_a_new_folder_leaves_nothing(hook, tmp_path):
    out = tmp_path / "new"
    result = _run_killed_at(hook, out, *SHORT)
    assert result.returncode == 128 + signal.SIGTERM, result.stderr
    assert "terminated" in one_line(result.stderr)
    assert not out.exists()  # not even a folder holding only the lock


@pytest.mark.slow  # a real `python run.py` that receives the signal
def test_sigterm_over_an_earlier_result_leaves_it_as_it_was(tmp_path, capsys, no_figures):
    """The signal comes while the new result is being staged beside the old one."""
    out = tmp_path / "old"
    status, _, err = in_process(capsys, "run", "baseline", *SHORT, "--out", str(out))
    assert status == 0, err
    before = _snapshot(out)
    result = _run_killed_at("staging", out, "--runs", "3", "--months", "3")
    assert result.returncode == 128 + signal.SIGTERM, result.stderr
    assert _snapshot(out) == before  # no .staging-*, every file unchanged


@pytest.mark.slow  # a real `python run.py` that receives the signal
def test_sigterm_from_outside_during_a_long_run_is_clean(tmp_path):
    """As ``timeout`` or ``kill`` would: the signal comes from another process while the
    ensemble is being simulated."""
    out = tmp_path / "long"
    child = subprocess.Popen([sys.executable, "run.py", "run", "baseline", "--runs", "20000",
                              "--out", str(out)], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240  # the libraries load slowly on a busy machine
    while not (out / LOCK_NAME).exists() and child.poll() is None \
            and time.monotonic() < deadline:
        time.sleep(0.02)
    assert (out / LOCK_NAME).exists()  # the folder is claimed: the simulation is under way
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 128 + signal.SIGTERM, err
    assert "terminated (SIGTERM)" in one_line(err)
    assert not out.exists()


def test_sigterm_while_the_libraries_load_is_one_line(tmp_path):
    """Before ``main`` runs (the imports take seconds) nothing is written yet; the signal
    still ends the command with one line and status 143, not a silent death."""
    code = textwrap.dedent("""
        import os, runpy, signal, sys
        class Kill:
            def find_spec(self, name, path=None, target=None):
                if name == "numpy":
                    sys.meta_path.remove(self)
                    os.kill(os.getpid(), signal.SIGTERM)
        sys.meta_path.insert(0, Kill())
        sys.argv = ["run.py", "run", "--runs", "2", "--out", sys.argv[1]]
        runpy.run_path("run.py", run_name="__main__")
    """)
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path / "o")], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 128 + signal.SIGTERM, result.stderr
    assert "terminated" in one_line(result.stderr)
    assert not (tmp_path / "o").exists()


def test_a_killed_writers_debris_is_cleared_by_the_next_run(capsys, tmp_path, no_figures):
    """SIGKILL cannot be handled: what it leaves (a lock, a staging folder with a table)
    is removed by the next command that writes the folder."""
    out = tmp_path / "o"
    (out / f"{STAGING_PREFIX}12345").mkdir(parents=True)
    (out / f"{STAGING_PREFIX}12345" / "ensemble.parquet").write_bytes(b"x" * 1000)
    (out / LOCK_NAME).write_text("12345")
    status, _, err = in_process(capsys, "run", "baseline", *SHORT, "--out", str(out))
    assert status == 0, err
    assert not [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]


def test_a_folder_holding_only_a_killed_writers_lock_is_removed_on_failure(capsys, tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / LOCK_NAME).write_text("12345")
    (tmp_path / "file").write_text("x")
    status, _, err = in_process(capsys, "run", "baseline", *SHORT, "--resume",
                                str(tmp_path / "file"), "--out", str(out))
    assert status == 2 and "--resume" in one_line(err)  # fails after the folder is claimed
    assert not out.exists()


def test_the_signal_handlers_are_restored_after_main(capsys):
    before = signal.getsignal(signal.SIGTERM)
    in_process(capsys, "scenarios")
    assert signal.getsignal(signal.SIGTERM) is before


# ---------------------------------------------------------------- flags that silently lose


@pytest.fixture
def results_dir(tmp_path, monkeypatch) -> Path:
    """The default results folder, redirected under ``tmp_path``."""
    from model.output import results as results_module

    folder = tmp_path / "results"
    monkeypatch.setattr(results_module, "RESULTS_DIR", folder)
    return folder


def written_folder(out: str) -> str:
    """The folder named by a command's closing ``wrote DIR/ (...)`` line."""
    (line,) = [line for line in out.splitlines() if line.startswith("wrote ")]
    return line.split()[1].rstrip("/")


SENSITIVITY = ("sensitivity", "--method", "morris", "--n", "2", "--months", "12",
               "--metric", "treaty_by_12")


def test_sensitivity_runs_and_replicates_are_one_setting(results_dir, capsys, no_figures):
    status, out, err = in_process(capsys, *SENSITIVITY, "--replicates", "3")
    assert status == 0, err
    by_replicates = written_folder(out)
    status, out, err = in_process(capsys, *SENSITIVITY, "--runs", "3")
    assert status == 0, err
    assert written_folder(out) == by_replicates  # the same experiment, the same folder
    assert "runs3" in Path(by_replicates).name
    assert "× 3 replicates" in (Path(by_replicates) / "report.md").read_text()
    assert sorted(p.name for p in results_dir.iterdir()) == [Path(by_replicates).name]


def test_sensitivity_runs_and_replicates_that_disagree_are_refused(results_dir, capsys):
    status, _, err = in_process(capsys, *SENSITIVITY, "--runs", "2", "--replicates", "4")
    assert status == 2
    line = one_line(err)
    assert "--runs 2" in line and "--replicates 4" in line
    assert not results_dir.exists()


def test_equilibria_refuses_runs_it_would_ignore(results_dir, capsys):
    status, _, err = in_process(capsys, "equilibria", "--runs", "5")
    assert status == 2
    line = one_line(err)
    assert "--runs" in line and "--seed" in line
    assert not results_dir.exists()


def test_claims_names_one_folder_after_the_scenario_whichever_spelling(results_dir,
                                                                       capsys, no_figures):
    folders = []
    for spelling in (["calibrated"], ["--scenario", "calibrated"]):
        status, out, err = in_process(capsys, "claims", *spelling, "--runs", "2")
        assert status in (0, 1), err  # 1: a claim fails on two runs
        folders.append(Path(written_folder(out)))
    assert folders[0] == folders[1] == results_dir / "claims-runs2-calibrated"
    assert [p.name for p in results_dir.iterdir()] == ["claims-runs2-calibrated"]


def test_claims_with_two_different_scenarios_is_refused(results_dir, capsys):
    status, _, err = in_process(capsys, "claims", "baseline", "--scenario", "calibrated")
    assert status == 2 and "give one" in one_line(err)
    assert not results_dir.exists()


def test_compare_with_one_scenario_is_refused(results_dir, capsys):
    status, _, err = in_process(capsys, "compare", "baseline", "--runs", "2")
    assert status == 2
    line = one_line(err)
    assert "one scenario" in line and "run baseline" in line
    assert not results_dir.exists()


# ---------------------------------------------------------------- compare's findings


def _shifted(arrays, column: str, delta: float):
    """``arrays`` with ``column`` raised by ``delta`` in every run and month."""
    from dataclasses import replace

    state = dict(arrays.state)
    state[column] = arrays.state[column] + delta
    return replace(arrays, state=state)


def test_extremes_are_named_only_when_the_paired_intervals_separate_them():
    import numpy as np

    from model import load_scenario
    from model.analysis.compare import Comparison, Extremes, extremes, outcome_table
    from model.ensemble.driver import simulate

    base = simulate(load_scenario("baseline"), np.arange(30, dtype=np.uint64), 24)
    arrays = {"base": base, "same": base, "up": _shifted(base, "nk_tech_level", 0.01)}
    names = list(arrays)
    result = Comparison(names, arrays, outcome_table(names, arrays), 30, 0, "2023-01")
    ends = extremes(result, "nk_tech_final")
    assert ends.highest == "up"  # above both others in every run
    assert ends.lowest is None  # base and same tie: neither is the lowest
    for outcome in ("treaty_by_12", "treaty_by_24", "munitions_total"):  # all three equal
        assert extremes(result, outcome) == Extremes(None, None), outcome
    pair = {"base": base, "up": arrays["up"]}
    two = Comparison(list(pair), pair, outcome_table(list(pair), pair), 30, 0, "2023-01")
    assert extremes(two, "nk_tech_final") == Extremes("up", "base")


def test_compare_report_ranks_nothing_between_equal_scenarios(tmp_path, capsys, no_figures):
    out = tmp_path / "c"
    status, _, err = in_process(capsys, "compare", "baseline", "baseline", "--runs", "20",
                                "--months", "24", "--out", str(out))
    assert status == 0, err
    report = (out / "report.md").read_text()
    findings = report.split("## Findings")[1].split("\n\n")[1].splitlines()
    assert [line.split("`")[1] for line in findings] == [
        "treaty_by_12", "treaty_by_24", "treaty_by_36", "munitions_total", "nk_tech_final",
        "sanctions_integrity_final", "evasion_months"]
    assert "highest in" not in report and "lowest in" not in report
    assert "moving average" not in report
    assert "mean across runs" in report


# ---------------------------------------------------------------- months and memory


@pytest.mark.parametrize("command", [
    ["run", "baseline"],
    ["compare", "baseline", "china_enables"],
    ["sweep", "--x", "levers.war_demand=0:1:2", "--metric", "treaty_by_12"],
    ["sensitivity", "--method", "morris", "--n", "2", "--metric", "treaty_by_12"],
    ["discover", "--outcome", "treaty_by_12"],
    ["robust", "--outcome", "treaty_by_12:min"],
])
@pytest.mark.parametrize("months", ["601", "100000"])
def test_months_past_the_longest_horizon_are_refused_by_every_command(command, months,
                                                                      results_dir, capsys):
    from model.core.schema import HORIZON_MAX

    status, _, err = in_process(capsys, *command, "--runs", "2", "--months", months)
    assert status == 2
    line = one_line(err)
    assert "--months" in line and months in line and f"1 to {HORIZON_MAX}" in line
    assert not results_dir.exists()


def test_the_flag_and_the_scenario_file_share_one_limit(tmp_path, results_dir, no_rendering,
                                                        capsys):
    from model import ScenarioError, load_scenario
    from model.core.schema import HORIZON_MAX

    with pytest.raises(ScenarioError, match=f"from 1 to {HORIZON_MAX}"):
        load_scenario("baseline", {"horizon": HORIZON_MAX + 1})
    assert load_scenario("baseline", {"horizon": HORIZON_MAX}).horizon == HORIZON_MAX
    status, _, err = in_process(capsys, "run", "baseline", "--runs", "2", "--months",
                                str(HORIZON_MAX), "--out", str(tmp_path / "longest"))
    assert status == 0, err
    import pandas as pd

    table = pd.read_parquet(tmp_path / "longest" / "ensemble.parquet", columns=["month"])
    assert table["month"].max() == HORIZON_MAX


def test_the_library_refuses_months_past_the_limit_too():
    from model import load_scenario
    from model.core.schema import HORIZON_MAX
    from model.ensemble import run_ensemble
    from model.execution import ensemble_table

    scenario = load_scenario("baseline")
    for call in (run_ensemble, ensemble_table):
        with pytest.raises(ValueError, match=str(HORIZON_MAX)):
            call(scenario, runs=1, months=HORIZON_MAX + 1)


@pytest.mark.parametrize("command, what", [
    (["run", "baseline"], "result table"),
    (["compare", "baseline", "china_enables"], "every scenario"),
    (["sweep", "--x", "levers.war_demand=0:1:50", "--y", "levers.international_pressure=0:1:50",
      "--metric", "treaty_by_12"], "points"),
    (["sensitivity", "--metric", "treaty_by_12"], "points"),
])
def test_a_result_that_cannot_fit_in_memory_is_refused_before_any_work(command, what,
                                                                       results_dir, capsys):
    """10^10 runs of a 600-month ensemble is petabytes: refused at once, in one line that
    says how large it would be, how much there is, and what would fit."""
    from model.ensemble.footprint import available_memory

    assert available_memory() is not None  # Linux: MemAvailable
    started = time.monotonic()
    status, _, err = in_process(capsys, *command, "--runs", "10000000000", "--months", "600")
    assert time.monotonic() - started < 10  # nothing was simulated
    assert status == 2
    line = one_line(err)
    assert line.startswith("error: --runs 10000000000:") and what in line
    assert " TB of memory" in line or " PB of memory" in line
    assert "is available" in line and " fit" in line
    assert not results_dir.exists()


def test_the_footprint_matches_what_is_built():
    import numpy as np

    from model import load_scenario
    from model.ensemble.driver import simulate, to_table
    from model.ensemble.footprint import footprint

    for name in ("baseline", "calibrated"):  # calibrated draws parameters per run
        scenario = load_scenario(name)
        size = footprint(scenario)
        arrays = simulate(scenario, np.arange(7, dtype=np.uint64), 5)
        held = sum(a.nbytes for a in (*arrays.state.values(), *arrays.choice.values(),
                                      *arrays.drawn.values(), arrays.seeds))
        assert size.arrays(7, 5) == held
        table = to_table(arrays)
        codes = sum(table[c].cat.codes.nbytes if table[c].dtype == "category"
                    else table[c].nbytes for c in table.columns)
        assert size.table(7, 5) == codes
