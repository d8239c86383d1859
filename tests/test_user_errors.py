"""Error messages in the user's terms (issue 15): each names the key, the bad value and
what is allowed, without internal class names or library wording."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model import ScenarioError, load_scenario
from model.cli import main

ROOT = Path(__file__).resolve().parent.parent


def error_for(tmp_path, body: str = "", overrides: dict | None = None) -> str:
    path = tmp_path / "s.toml"
    path.write_text('extends = "baseline"\nname = "s"\ndescription = "x"\n' + body)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_schedule_out_of_order_says_order(tmp_path):
    message = error_for(tmp_path, '[levers]\nwar_demand = { value = [[24, 0.2], [0, 0.8]], '
                                  'source = "mba.1" }\n')
    assert "key levers.war_demand" in message and "increasing order" in message
    assert "must start at month 0" not in message
    assert "[[24, 0.2], [0, 0.8]]" in message
    assert "allowed 0 ≤ value ≤ 1" not in message  # the range is not the problem


def test_schedule_not_starting_at_zero_still_says_so(tmp_path):
    message = error_for(tmp_path, overrides={"levers.war_demand": [[2, 0.5]]})
    assert "must start at month 0" in message


@pytest.mark.parametrize("key", ["war_demand", "nk_food_crisis"])
def test_bare_number_instead_of_a_parameter_table(tmp_path, key):
    message = error_for(tmp_path, f"[levers]\n{key} = 0.3\n")
    assert f"key levers.{key}" in message and "(got 0.3)" in message
    assert "instance of" not in message and "WarDemand" not in message
    assert "Param" not in message
    assert "value = " in message and "source = " in message


@pytest.mark.parametrize("value, allowed", [(0, "1"), (601, "600"), (2.5, "whole")])
def test_horizon_out_of_range_in_the_users_terms(tmp_path, value, allowed):
    message = error_for(tmp_path, overrides={"horizon": value})
    assert "key horizon" in message and f"(got {value})" in message
    assert "Input should be" not in message
    assert "months" in message and allowed in message


@pytest.mark.parametrize("key", ["levers.nk_tech_appetite", "levers.circumvention_learning"])
def test_infinite_value_is_not_called_allowed(tmp_path, key):
    message = error_for(tmp_path, overrides={key: float("inf")})
    assert key in message and "(got inf)" in message
    assert "∞" not in message
    assert "finite number ≥ 0" in message


def test_unbounded_ranges_read_as_finite():
    from model.core.parameters import SPECS

    assert SPECS["levers.nk_tech_appetite"].allowed() == "a finite number ≥ 0"
    assert SPECS["levers.war_demand"].allowed() == "0 ≤ value ≤ 1"


# ---------------------------------------------------------------- scenario names

TRAVERSALS = ["../../x", "../x", "..", ".", "a/b", "/tmp/alliance_abs", "a\\b", "x/../../y",
              " ", "", ".hidden", "a b"]


@pytest.mark.parametrize("name", TRAVERSALS)
def test_scenario_names_are_plain_identifiers(name, tmp_path):
    path = tmp_path / "evil.toml"
    path.write_text(f'extends = "baseline"\nname = {json.dumps(name)}\ndescription = "x"\n')
    for source, overrides in ((path, None), ("baseline", {"name": name})):
        with pytest.raises(ScenarioError) as info:
            load_scenario(source, overrides)
        message = str(info.value)
        assert "key name" in message and "plain identifier" in message
        assert repr(name) in message and "\n" not in message


@pytest.mark.parametrize("name", TRAVERSALS[:6])
def test_traversal_names_write_nothing(name, tmp_path):
    """End to end: `--set name=../../x` and a file's `name` are refused before any write."""
    path = tmp_path / "evil.toml"
    path.write_text(f'extends = "baseline"\nname = {json.dumps(name)}\ndescription = "x"\n')
    before = {p for p in tmp_path.rglob("*")}
    for args in (["run", str(path)], ["run", "baseline", "--set", f"name={json.dumps(name)}"]):
        status = main([*args, "--runs", "2", "--months", "1"])
        assert status == 2
    assert {p for p in tmp_path.rglob("*")} == before
    assert not Path("/tmp/alliance_abs").exists()
    assert not (ROOT.parent / "x").exists() and not (ROOT / "results" / "a").exists()


def test_names_of_any_script_are_fine():
    assert load_scenario("baseline", {"name": "中国_enables"}).name == "中国_enables"
    assert load_scenario("baseline", {"name": "ceasefire-2025"}).name == "ceasefire-2025"


def test_name_defaults_to_the_file_stem(tmp_path):
    path = tmp_path / "my_variant.toml"
    path.write_text('extends = "baseline"\ndescription = "no name of its own"\n')
    assert load_scenario(path).name == "my_variant"
    named = tmp_path / "other.toml"
    named.write_text('extends = "baseline"\nname = "chosen"\ndescription = "x"\n')
    assert load_scenario(named).name == "chosen"


def test_file_stem_that_is_not_an_identifier_is_one_line(tmp_path):
    path = tmp_path / "my variant.toml"
    path.write_text('extends = "baseline"\ndescription = "x"\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "'my variant'" in message and "file name" in message and "\n" not in message


def test_shipped_scenarios_are_named_after_their_files():
    from model import available_scenarios

    for name in available_scenarios():
        assert load_scenario(name).name == name


# --------------------------------------------------------------------------- one error type

def _user_errors() -> list[type]:
    """Every user-error class the package defines (imported where they live)."""
    from model.analysis.prim import DiscoveryError
    from model.analysis.robust import RobustError
    from model.analysis.sensitivity import SensitivityError
    from model.cli.common import UsageError
    from model.core.record import RecordError
    from model.output.results import OutputFolderError

    return [ScenarioError, RecordError, OutputFolderError, DiscoveryError, RobustError,
            SensitivityError, UsageError]


@pytest.mark.parametrize("error", _user_errors(), ids=lambda e: e.__name__)
def test_every_user_error_is_caught_once_by_the_command_line(error, monkeypatch, capsys):
    """Whatever module raises it, the command line prints its one line and exits 2."""
    import model.cli.scenarios as command
    from model.core.errors import UserError

    assert issubclass(error, UserError)

    def fail(args):
        """Fail as a module would."""
        raise error(f"the one line of {error.__name__}")

    monkeypatch.setattr(command, "execute", fail)
    assert main(["scenarios"]) == 2
    assert capsys.readouterr().err == f"error: the one line of {error.__name__}\n"


def test_an_internal_error_in_sensitivity_is_not_called_a_usage_error(monkeypatch, tmp_path):
    """A bug inside the simulation (here a ValueError from the evaluation) keeps its
    traceback; it used to be turned into `error: sensitivity: ...` (exit 2)."""
    import model.analysis.sensitivity as sensitivity

    def broken(*args, **kwargs):
        raise ValueError("an internal bug")

    monkeypatch.setattr(sensitivity, "evaluate_points", broken)
    with pytest.raises(ValueError, match="an internal bug"):
        main(["sensitivity", "--method", "morris", "--n", "2", "--runs", "1", "--months", "3",
              "--metric", "munitions_total",
              "--out", str(tmp_path / "s")])


def test_a_bad_sensitivity_request_is_still_one_line(tmp_path, capsys):
    assert main(["sensitivity", "--n", "3", "--runs", "1", "--months", "3",
                 "--metric", "munitions_total",
                 "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: n=3 is not allowed for Sobol' sampling") and \
        err.count("\n") == 1
