"""Outputs a user can trust (issue 15): nothing written outside the chosen folder, nothing
clobbered or left stale, nothing mislabelled, and Ctrl-C handled from the first second.

Commands run in-process through ``model.cli.main`` (fast); the default results folder is
redirected into ``tmp_path`` and every file-system write is watched with an audit hook.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from support import in_process

import model.output.results as results_module
from model.analysis.metrics import METRICS

ROOT = Path(__file__).resolve().parent.parent
SMALL = ("--runs", "3", "--months", "2")


cli = in_process  # every test here runs the command line in this process


@pytest.fixture()
def results_dir(tmp_path, monkeypatch) -> Path:
    """The default results folder, redirected under ``tmp_path/repo/results``."""
    folder = tmp_path / "repo" / "results"
    monkeypatch.setattr(results_module, "RESULTS_DIR", folder)
    return folder


@pytest.fixture(autouse=True)
def no_rendering(monkeypatch):
    """Figures are built but not rendered: these tests check commands and files, and
    drawing PNGs would dominate their time (figures are tested in test_figures.py)."""
    from matplotlib.figure import Figure

    def save(fig, path, *args, **kwargs):
        Path(path).write_bytes(b"\x89PNG\r\n\x1a\n (not rendered in this test)")

    monkeypatch.setattr(Figure, "savefig", save)


# ---------------------------------------------------------------- watching writes

_WATCH: list[list[tuple[str, str]]] = []
_WRITE_EVENTS = {"os.mkdir", "os.rename", "os.replace", "os.remove", "os.rmdir",
                 "shutil.rmtree", "os.symlink", "os.link", "os.truncate", "os.chmod"}


def _audit(event: str, args: tuple) -> None:
    if not _WATCH:
        return
    paths: list = []
    if event == "open":
        path, mode, flags = args
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
        if writing and isinstance(path, str | bytes | os.PathLike):
            paths = [path]
    elif event in _WRITE_EVENTS:
        paths = [a for a in args[:2] if isinstance(a, str | bytes | os.PathLike)]
    for path in paths:
        _WATCH[-1].append((event, os.fsdecode(path)))


sys.addaudithook(_audit)


class WriteWatch:
    """Records every path the process writes, creates, renames or removes."""

    def __enter__(self) -> list[tuple[str, str]]:
        _WATCH.append([])
        return _WATCH[-1]

    def __exit__(self, *exc) -> None:
        _WATCH.pop()


def outside(writes: list[tuple[str, str]], folder: Path) -> list[tuple[str, str]]:
    """Writes that are not inside ``folder`` (byte-code caches aside)."""
    folder = folder.resolve()
    bad = []
    for event, path in writes:
        resolved = Path(os.path.abspath(path))
        if "__pycache__" in resolved.parts or resolved.is_relative_to(folder):
            continue
        if event == "os.mkdir" and folder.is_relative_to(resolved):
            continue  # creating the chosen folder's parents is creating the chosen folder
        bad.append((event, path))
    return bad


def visible(folder: Path) -> list[str]:
    """The files of a result folder (hidden machinery such as the lock file aside)."""
    return [p.name for p in folder.iterdir() if not p.name.startswith(".")]


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


# ---------------------------------------------------------------- never outside


@pytest.mark.slow
def test_no_write_ever_leaves_the_chosen_folder(tmp_path, capsys):
    out = tmp_path / "parent" / "chosen"
    cli(capsys, "run", "baseline", *SMALL, "--out", str(tmp_path / "warm"))  # caches, imports
    with WriteWatch() as writes:
        status, _, err = cli(capsys, "run", "baseline", *SMALL, "--out", str(out))
        assert status == 0, err
        status, _, err = cli(capsys, "run", "baseline", *SMALL, "--seed", "1", "--out", str(out))
        assert status == 0, err
    assert writes, "the audit hook saw nothing"
    assert outside(writes, out) == []
    assert tree(tmp_path / "parent") == {"chosen", *(f"chosen/{n}" for n in tree(out))}


@pytest.mark.slow
def test_no_write_leaves_the_default_folder(results_dir, capsys):
    cli(capsys, "run", "baseline", *SMALL, "--out", str(results_dir.parent / "warm"))
    with WriteWatch() as writes:
        status, out, err = cli(capsys, "run", "baseline", *SMALL)
    assert status == 0, err
    written = [Path(p) for p in tree(results_dir)]
    folders = {p.parts[0] for p in written}
    assert len(folders) == 1
    assert outside(writes, results_dir / folders.pop()) == []


def test_name_defaults_to_the_file_stem(tmp_path, results_dir, capsys, no_figures):
    path = tmp_path / "my_variant.toml"
    path.write_text('extends = "baseline"\ndescription = "no name of its own"\n')
    from model import load_scenario

    assert load_scenario(path).name == "my_variant"
    status, out, err = cli(capsys, "run", str(path), *SMALL)
    assert status == 0, err
    assert "'my_variant'" in out and "'baseline'" not in out
    assert not (results_dir / "baseline").exists()
    (folder,) = results_dir.iterdir()
    assert folder.name.startswith("my_variant")


# ---------------------------------------------------------------- default folders


@pytest.mark.slow
def test_default_folder_is_per_configuration(results_dir, capsys, no_figures):
    status, _, err = cli(capsys, "run", "baseline", *SMALL)
    assert status == 0, err
    (first,) = results_dir.iterdir()
    before = {p.name: p.read_bytes() for p in first.iterdir()}
    status, _, err = cli(capsys, "run", "baseline", *SMALL, "--set", "levers.war_demand=0.4")
    assert status == 0, err
    assert first.name == "baseline-runs3-m2"
    folders = sorted(results_dir.iterdir())
    assert len(folders) == 2
    assert {p.name: p.read_bytes() for p in first.iterdir()} == before  # untouched
    (second,) = [f for f in folders if f != first]
    summary = (second / "summary.txt").read_text()
    assert "levers.war_demand=0.4" in summary and "seed 0" in summary and "3 runs" in summary
    assert "levers.war_demand" not in (first / "summary.txt").read_text()
    # the same configuration again goes to the same folder
    status, _, _ = cli(capsys, "run", "baseline", *SMALL, "--set", "levers.war_demand=0.4")
    assert status == 0 and len(list(results_dir.iterdir())) == 2


@pytest.mark.slow
def test_another_shipped_scenario_gets_its_own_default_folder(results_dir, capsys, no_figures):
    """`sweep` on the baseline and on `calibrated` with the same flags never share a folder;
    discovery too gets a folder per configuration."""
    sweep = ("--x", "levers.war_demand=0:1:2", "--metric", "munitions_total", *SMALL)
    assert cli(capsys, "sweep", *sweep)[0] == 0
    assert cli(capsys, "sweep", "calibrated", *sweep)[0] == 0
    names = sorted(p.name for p in results_dir.iterdir())
    assert len(names) == 2 and "calibrated" in names[1] and "calibrated" not in names[0]
    discover = ("--outcome", "munitions_total", "--above", "0.25", "--samples", "20",
                "--runs", "1", "--months", "2", "--no-china")
    for scenario in ("baseline", "calibrated"):
        status, _, err = cli(capsys, "discover", scenario, *discover)
        assert status == 0, err
    assert len(list(results_dir.glob("discover_munitions_total*"))) == 2


# ---------------------------------------------------------------- one run per folder


@pytest.mark.slow
def test_a_rerun_leaves_no_stale_files(tmp_path, capsys, monkeypatch, no_figures):
    out = tmp_path / "out"
    assert cli(capsys, "run", "baseline", *SMALL, "--out", str(out))[0] == 0
    assert (out / "ensemble.csv").exists()
    monkeypatch.setattr(results_module, "CSV_MAX_ROWS", 1)  # the big run: Parquet only
    status, stdout, err = cli(capsys, "run", "baseline", *SMALL, "--seed", "1", "--out", str(out))
    assert status == 0, err
    assert not (out / "ensemble.csv").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(manifest["files"]) == sorted(visible(out))
    # another command into the same folder replaces the run's files entirely
    status, _, err = cli(capsys, "equilibria", "--month", "1", "--x",
                         "levers.war_demand=0:1:2", "--y", "levers.nk_food_crisis=0:1:2",
                         "--out", str(out))
    assert status == 0, err
    assert not (out / "ensemble.parquet").exists() and (out / "equilibria.txt").exists()


def test_an_existing_folder_of_other_files_is_refused(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("precious")
    status, _, err = cli(capsys, "run", "baseline", *SMALL, "--out", str(out))
    assert status == 2 and len(err.strip().splitlines()) == 1 and str(out) in err
    assert (out / "notes.txt").read_text() == "precious"
    assert sorted(visible(out)) == ["notes.txt"]


def test_output_paths_are_checked_before_simulating(tmp_path, capsys, monkeypatch):
    import importlib

    def boom(*args, **kwargs):
        raise AssertionError("simulated before checking the output folder")

    for name in ("model.cli.run", "model.analysis.compare", "model.analysis.claims",
                 "model.analysis.sweep", "model.ensemble.driver", "model.execution.jobs"):
        module = importlib.import_module(name)
        for function in ("run_ensemble", "simulate"):
            if hasattr(module, function):
                monkeypatch.setattr(module, function, boom)
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    for out in (blocker, blocker / "sub"):
        for args in (["run", "baseline"], ["compare", "baseline", "china_enables"],
                     ["claims"], ["sweep", "--x", "levers.war_demand=0:1:2"]):
            status, _, err = cli(capsys, *args, "--runs", "3", "--out", str(out))
            assert status == 2, (args, err)
            assert len(err.strip().splitlines()) == 1 and str(blocker) in err
    assert blocker.read_text() == "x"


@pytest.mark.slow
def test_a_second_writer_to_the_same_folder_is_refused(tmp_path, capsys, no_figures):
    out = tmp_path / "busy"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from model.output.results import claim_folder
            with claim_folder({str(out)!r}):
                print("locked", flush=True)
                sys.stdin.readline()
        """)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        status, _, err = cli(capsys, "run", "baseline", *SMALL, "--out", str(out))
        assert status == 2
        assert len(err.strip().splitlines()) == 1 and "another" in err and str(out) in err
    finally:
        holder.communicate("\n", timeout=60)
    assert holder.returncode == 0
    assert cli(capsys, "run", "baseline", *SMALL, "--out", str(out))[0] == 0  # released


# ---------------------------------------------------------------- labels


@pytest.mark.slow
def test_every_figure_title_and_the_summary_state_the_configuration(tmp_path, capsys,
                                                                   monkeypatch):
    from matplotlib.figure import Figure

    titles = []
    save = Figure.savefig

    def recording(fig, *args, **kwargs):
        titles.append(fig._suptitle.get_text() if fig._suptitle else
                      " ".join(ax.get_title() for ax in fig.axes))
        return save(fig, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", recording)
    out = tmp_path / "o"
    status, stdout, err = cli(capsys, "run", "baseline", *SMALL, "--seed", "7",
                              "--set", "levers.war_demand=0.4", "--out", str(out))
    assert status == 0, err
    summary = (out / "summary.txt").read_text()
    assert len(titles) == 2
    for text in (summary, *titles):
        for part in ("levers.war_demand=0.4", "seed 7", "3 runs"):
            assert part in text, text


@pytest.mark.slow
def test_the_wrote_line_lists_every_file_written(tmp_path, capsys, no_figures):
    commands = {
        "run": ["run", "baseline", *SMALL],
        "compare": ["compare", "baseline", "china_enables", *SMALL],
        "equilibria": ["equilibria", "--month", "1", "--x", "levers.war_demand=0:1:2", "--y",
                       "levers.nk_food_crisis=0:1:2"],
        "claims": ["claims", "--runs", "3"],
    }
    for name, args in commands.items():
        out = tmp_path / name
        status, stdout, err = cli(capsys, *args, "--out", str(out))
        assert status in (0, 1), err
        line = [x for x in stdout.splitlines() if x.startswith("wrote ")][-1]
        listed = line.split("(", 1)[1].split(")", 1)[0].split(", ")
        assert sorted(listed) == sorted(visible(out)), name


@pytest.mark.slow
def test_compare_a_scenario_with_itself_is_labelled_apart(tmp_path, capsys, no_figures):
    out = tmp_path / "same"
    status, stdout, err = cli(capsys, "compare", "baseline", "baseline", *SMALL, "--out",
                              str(out))
    assert status == 0, err
    table = pd.read_csv(out / "outcomes.csv")
    labels = list(dict.fromkeys(table["scenario"]))
    assert len(labels) == 2 and labels[0] != labels[1]
    assert (table["difference"].dropna() == 0).all()


def test_two_files_with_one_name_are_labelled_apart(tmp_path, capsys, no_figures):
    for stem in ("a", "b"):
        (tmp_path / f"{stem}.toml").write_text(
            'extends = "baseline"\nname = "same"\ndescription = "x"\n')
    out = tmp_path / "o"
    status, _, err = cli(capsys, "compare", str(tmp_path / "a.toml"), str(tmp_path / "b.toml"),
                         *SMALL, "--out", str(out))
    assert status == 0, err
    assert pd.read_csv(out / "outcomes.csv")["scenario"].nunique() == 2


def test_outcomes_past_the_horizon_are_not_available(tmp_path, capsys, no_figures):
    out = tmp_path / "short"
    status, stdout, err = cli(capsys, "compare", "baseline", "china_enables", "--runs", "5",
                              "--months", "12", "--out", str(out))
    assert status == 0, err
    table = pd.read_csv(out / "outcomes.csv")
    late = table[table.outcome.isin(["treaty_by_24", "treaty_by_36"])]
    assert late["estimate"].isna().all() and late["ci_high"].isna().all()
    assert table.loc[table.outcome == "treaty_by_12", "estimate"].notna().all()
    report = (out / "report.md").read_text()
    assert "not available" in report
    assert "treaty_by_24 (probability) | baseline | 0 [" not in report


@pytest.mark.parametrize("command", [
    ["sweep", "--x", "levers.war_demand=0:1:2"],
    ["sensitivity", "--method", "morris", "--n", "2"],
])
def test_a_metric_past_the_horizon_is_refused(command, tmp_path, capsys):
    status, _, err = cli(capsys, *command, "--metric", "treaty_by_36", "--months", "12",
                         "--runs", "2", "--out", str(tmp_path / "x"))
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert "treaty_by_36" in err and "36" in err and "12" in err
    assert not (tmp_path / "x").exists()


def test_metrics_know_the_months_they_need():
    assert METRICS["treaty_by_24"].months_needed == 24
    assert METRICS["munitions_total"].months_needed == 1


# ---------------------------------------------------------------- Ctrl-C


def test_ctrl_c_while_importing_is_one_line():
    """KeyboardInterrupt raised inside the first import (as SIGINT would) is handled."""
    code = textwrap.dedent("""
        import runpy, sys
        class Interrupt:
            def find_spec(self, name, path=None, target=None):
                if name == "numpy":
                    raise KeyboardInterrupt
        sys.meta_path.insert(0, Interrupt())
        sys.argv = ["run.py", "run", "--runs", "2"]
        runpy.run_path("run.py", run_name="__main__")
    """)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 130
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "interrupted" in result.stderr


def test_ctrl_c_signal_during_imports_is_one_line(tmp_path):
    """A real SIGINT, sent as soon as the first heavy import starts."""
    import signal

    # a terminal's Ctrl-C: Python's own SIGINT handler even when the test runner was
    # started in the background (where the shell leaves SIGINT ignored, and children too)
    code = textwrap.dedent("""
        import runpy, signal, sys
        signal.signal(signal.SIGINT, signal.default_int_handler)
        class Ready:
            def find_spec(self, name, path=None, target=None):
                if name == "numpy":
                    print("importing", flush=True)
                    sys.meta_path.remove(self)
        sys.meta_path.insert(0, Ready())
        sys.argv = ["run.py", "run", "--runs", "2", "--out", sys.argv[1]]
        runpy.run_path("run.py", run_name="__main__")
    """)
    child = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "o")], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "importing"
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 130, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
