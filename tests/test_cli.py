"""End-to-end runs of the command line (`python run.py ...`) on small sizes."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata

import pandas as pd
import pytest
from support import cli, in_process, run_py

from model import ACTION_COLUMNS, STATE_COLUMNS


@pytest.mark.slow
def test_run_writes_plots_tables_summary_and_manifest(tmp_path):
    """End to end: ``python run.py`` in its own interpreter."""
    out = tmp_path / "out"
    result = run_py("run", "baseline", "--runs", "30", "--months", "12", "--seed", "5",
                 "--set", "levers.war_demand=0.9", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "Treaty" in result.stdout and "month 12" in result.stdout
    for name in ("trajectories.png", "option_shares.png", "ensemble.parquet", "ensemble.csv",
                 "summary.txt", "summary.json", "manifest.json"):
        assert (out / name).stat().st_size > 0, name
    table = pd.read_parquet(out / "ensemble.parquet")
    assert len(table) == 30 * 13
    assert {"run", "month", "seed", *STATE_COLUMNS, *ACTION_COLUMNS} <= set(table.columns)
    assert (table["war_demand"] == 0.9).all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 5 and manifest["runs"] == 30 and manifest["months"] == 12
    assert manifest["overrides"] == {"levers.war_demand": 0.9}
    assert manifest["packages"]["mesa"] == metadata.version("mesa")  # 3.3.1 or 3.5.x
    assert manifest["resolved_scenario"]["levers"]["war_demand"]["value"] == 0.9
    assert manifest["wall_time_seconds"] > 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]  # no staging left


@pytest.mark.slow
def test_same_seed_same_table(tmp_path, no_figures):
    for name in ("a", "b"):
        assert cli("run", "--runs", "10", "--months", "6", "--out", str(tmp_path / name)
                   ).returncode == 0
    a = pd.read_parquet(tmp_path / "a" / "ensemble.parquet")
    b = pd.read_parquet(tmp_path / "b" / "ensemble.parquet")
    pd.testing.assert_frame_equal(a, b)


def test_params_lists_every_parameter_with_provenance():
    from model.core.parameters import SPECS

    result = cli("params", "baseline")
    assert result.returncode == 0, result.stderr
    for key in SPECS:
        assert key in result.stdout
    assert "source: mba.1" in result.stdout and "assumption" in result.stdout
    md = cli("params", "--markdown", "--set", "levers.war_demand=0.3")
    assert md.stdout.count("\n| `") == len(SPECS)
    assert "0.3 (override)" in md.stdout


def test_scenarios_lists_files_with_descriptions():
    result = cli("scenarios")
    assert result.returncode == 0, result.stderr
    assert "baseline" in result.stdout and "Mid-2023" in result.stdout


@pytest.mark.parametrize("args, expected", [
    (["run", "no_such_scenario"], "unknown scenario 'no_such_scenario'"),
    (["run", "--runs", "0"], "--runs"),
    (["run", "--runs", "many"], "--runs"),
    (["run", "--seed", "abc"], "--seed"),
    (["run", "--months", "-3"], "--months"),
    (["run", "--set", "levers.war_demand"], "KEY=VALUE"),
    (["run", "--set", "levers.war_demand=1.5"], "levers.war_demand"),
    (["run", "--set", "levers.war_demand=nan"], "levers.war_demand"),
    (["run", "--set", "levers.nope=1"], "unknown key levers.nope"),
    (["run", "--set", "china.rule=psychic"], "unknown rule 'psychic'"),
    (["run", "--set", "china.rule=fixed", "--set", "china.action=hug"], "unknown option 'hug'"),
    (["run", "--set", "levers.war_demand=[[2, 0.5]]"], "schedule must start at month 0"),
    (["params", "missing.toml"], "no such file"),
    (["frobnicate"], "neither a command (run, params"),
])
def test_bad_input_is_one_line_without_traceback(args, expected, tmp_path, capsys):
    out = ["--out", str(tmp_path / "x")] if args[0] == "run" else []
    status, _, err = in_process(capsys, *args, *out)
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert expected in lines[0]
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("content", ["", "not = = toml", "name = 3\n"])
def test_bad_scenario_file_is_reported_with_its_path(tmp_path, content):
    path = tmp_path / "broken.toml"
    path.write_text(content)
    result = cli("run", str(path), "--runs", "5")
    assert result.returncode == 2
    assert str(path) in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_bad_input_never_touches_earlier_results(tmp_path, no_rendering):
    out = tmp_path / "keep"
    assert cli("run", "--runs", "5", "--months", "3", "--out", str(out)).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    failed = cli("run", "--runs", "5", "--set", "levers.war_demand=2", "--out", str(out))
    assert failed.returncode == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_unwritable_output_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = cli("run", "--runs", "5", "--months", "2", "--out", str(blocker / "sub"))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_help_documents_every_command():
    for command in ("run", "params", "scenarios"):
        result = cli(command, "--help")
        assert result.returncode == 0 and "usage" in result.stdout.lower()


@pytest.mark.slow
def test_pin_one_dimension_from_the_command_line(tmp_path, no_rendering):
    out = tmp_path / "pin"
    result = cli("run", "--runs", "8", "--months", "4", "--set", "russia.action.sanctions=evade",
                 "--out", str(out))
    assert result.returncode == 0, result.stderr
    table = pd.read_parquet(out / "ensemble.parquet")
    assert (table.loc[table.month > 0, "russia.sanctions"] == "evade").all()
    assert table.loc[table.month > 0, "russia.arms"].nunique() > 1  # the rest still decide


@pytest.mark.parametrize("args, expected", [
    (["--out", "/proc/alliance-sim-test"], "cannot write /proc/alliance-sim-test"),
    (["--set", "china.action.mood=happy"], "unknown dimension 'mood'"),
])
def test_more_bad_input_is_one_line(args, expected, capsys):
    status, _, err = in_process(capsys, "run", "--runs", "3", "--months", "2", *args)
    assert status == 2
    assert len(err.strip().splitlines()) == 1 and expected in err


def test_regime_map_rejects_invalid_grid_cells(tmp_path):
    result = cli("equilibria", "--month", "2", "--x", "levers.war_demand=0:1:2", "--y",
                 "dynamics.level_tech_transfer=0:1:2", "--out", str(tmp_path / "eq"))
    assert result.returncode == 2 and "dynamics.level_tech_transfer" in result.stderr
    assert not (tmp_path / "eq").exists()


@pytest.mark.slow
@pytest.mark.parametrize("argv", [["params", "baseline"], ["sweep", "--runs", "0"]])
def test_a_command_loads_only_its_own_libraries(argv):
    """A quick command or a bad flag answers without importing the heavy libraries other
    commands need (pyabc, SALib, EMA Workbench, mesa, solara)."""
    heavy = ("pyabc", "SALib", "ema_workbench", "mesa", "solara")
    code = (f"import sys\nfrom model.cli.main import main\nmain({argv!r})\n"
            f"print(sorted(m for m in {heavy!r} if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout + result.stderr


@pytest.mark.slow
def test_a_scenario_name_alone_runs_it(tmp_path, capsys, no_rendering):
    """`run.py baseline ...` is `run.py run baseline ...`."""
    status, out, err = in_process(capsys, "baseline", "--runs", "4", "--months", "2",
                                  "--out", str(tmp_path / "b"))
    assert status == 0, err
    assert "Scenario 'baseline'" in out and (tmp_path / "b" / "summary.txt").exists()
