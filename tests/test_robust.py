"""Robust policies: regret and percentile metrics on hand-made tables, policy parsing,
the no-response pins, and the `robust` command end to end."""

from __future__ import annotations

import importlib.util
import json

import pandas as pd
import pytest
from support import ROOT, cli

from model.analysis.robust import (
    COLUMNS,
    Policy,
    RobustError,
    default_policies,
    overall_ranking,
    parse_policy,
    pinned,
    regret,
    robustness,
)
from model.cli.main import main
from model.core.scenario import parse_override_value


def hand_table() -> pd.DataFrame:
    """Three policies in four futures; ``cost`` is better low, ``gain`` better high."""
    return pd.DataFrame({
        "policy": ["a"] * 4 + ["b"] * 4 + ["c"] * 4,
        "future": [0, 1, 2, 3] * 3,
        "cost": [1.0, 2.0, 3.0, 4.0, 2.0, 2.0, 2.0, 2.0, 0.0, 5.0, 0.0, 5.0],
        "gain": [1.0, 1.0, 1.0, 1.0, 0.0, 2.0, 0.0, 2.0, 0.5, 0.5, 0.5, 3.0],
    })


def test_regret_is_the_distance_to_each_futures_best():
    wide = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 0.0]})
    pd.testing.assert_frame_equal(regret(wide, "min"), pd.DataFrame({"a": [0.0, 2.0],
                                                                     "b": [2.0, 0.0]}))
    pd.testing.assert_frame_equal(regret(wide, "max"), pd.DataFrame({"a": [2.0, 0.0],
                                                                     "b": [0.0, 2.0]}))
    with pytest.raises(RobustError, match="better must be 'min' or 'max'"):
        regret(wide, "up")


def test_robustness_on_a_hand_made_table():
    summary = robustness(hand_table(), {"cost": "min", "gain": "max"})
    assert list(summary.columns) == list(COLUMNS)
    cost = summary[summary.outcome == "cost"].set_index("policy")
    # cost regrets: a = [1, 0, 3, 2], b = [2, 0, 2, 0], c = [0, 3, 0, 3]
    assert cost.loc["a", "mean"] == 2.5 and cost.loc["c", "mean"] == 2.5
    assert cost.loc["a", "p10"] == pytest.approx(1.3) and cost.loc["a", "p90"] == \
        pytest.approx(3.7)  # linear interpolation between order statistics
    assert cost.max_regret.to_dict() == {"a": 3.0, "b": 2.0, "c": 3.0}
    assert cost.loc["b", "p90_regret"] == pytest.approx(2.0)
    assert cost.loc["a", "p90_regret"] == pytest.approx(2.7)
    assert cost.best_share.to_dict() == {"a": 0.25, "b": 0.5, "c": 0.5}
    assert cost.most_robust.to_dict() == {"a": False, "b": True, "c": False}
    gain = summary[summary.outcome == "gain"].set_index("policy")
    # gain regrets: a = [0, 1, 0, 2], b = [1, 0, 1, 1], c = [0.5, 1.5, 0.5, 0]
    assert gain.max_regret.to_dict() == {"a": 2.0, "b": 1.0, "c": 1.5}
    assert gain.loc["b", "most_robust"] and gain.best_share.to_dict() == \
        {"a": 0.5, "b": 0.25, "c": 0.25}
    ranking = overall_ranking(summary)
    assert ranking.policy.tolist()[0] == "b"
    assert ranking.set_index("policy").loc["b", "outcomes_most_robust"] == 2


def test_minimax_regret_ties_break_on_p90_then_mean():
    table = pd.DataFrame({"policy": ["a", "a", "b", "b"], "future": [0, 1, 0, 1],
                          "x": [0.0, 1.0, 1.0, 1.0]})
    # regrets a = [0, 0], b = [1, 0]: a wins outright; flip to tie the maxima
    summary = robustness(table, {"x": "min"}).set_index("policy")
    assert summary.most_robust.to_dict() == {"a": True, "b": False}
    tied = pd.DataFrame({"policy": ["a", "a", "b", "b"], "future": [0, 1, 0, 1],
                         "x": [0.0, 2.0, 1.0, 1.0]})
    # regrets a = [0, 1], b = [1, 0]: same max and p90 (0.9 each); b's mean is lower? no,
    # both means are 1.0, so the first listed wins — a stable, documented order
    summary = robustness(tied, {"x": "min"}).set_index("policy")
    assert summary.most_robust.to_dict() == {"a": True, "b": False}


def test_robustness_rejects_unbalanced_tables():
    table = hand_table().iloc[:-1]
    with pytest.raises(RobustError, match="exactly once in every future"):
        robustness(table, {"cost": "min"})
    with pytest.raises(RobustError, match="no column 'missing'"):
        robustness(hand_table(), {"missing": "min"})
    with pytest.raises(RobustError, match="better must be"):
        robustness(hand_table(), {"cost": "lower"})


def test_parse_policy():
    policy = parse_policy("press=united_states.action.pressure=coalition_enforcement,"
                          "levers.war_demand=[[0, 0.8], [12, 0.2]]", parse_override_value)
    assert policy.name == "press"
    assert policy.overrides == {"united_states.action.pressure": "coalition_enforcement",
                                "levers.war_demand": [[0, 0.8], [12, 0.2]]}
    assert policy.actors == {"united_states"}
    assert parse_policy("as_is=").overrides == {}
    for bad in ("no_equals", "=x=1", "p=keyonly"):
        with pytest.raises(RobustError, match="expected") as err:
            parse_policy(bad)
        assert "\n" not in str(err.value)


def test_default_policies_pin_each_us_option():
    policies = default_policies()
    assert [p.name for p in policies] == ["us_adaptive", "us_status_quo",
                                          "us_secondary_sanctions", "us_coalition_enforcement"]
    assert policies[3].overrides == {"united_states.action.pressure": "coalition_enforcement"}


def test_no_response_pins_fix_every_other_actor(baseline):
    from model.core.scenario import validated

    pins = {"russia": {"arms": "limited", "aid": "food", "tech": "none", "sanctions": "evade"},
            "north_korea": {"munitions": "limited"}, "united_states": {"pressure": "status_quo"},
            "china": {"stance": "neutral"}}
    policy = pinned(Policy("p", {"united_states.action.pressure": "coalition_enforcement"}),
                    pins)
    assert policy.overrides["russia.rule"] == "fixed"
    assert "united_states.rule" not in policy.overrides
    scenario = validated(baseline, policy.overrides, "test")
    assert scenario.actor("russia").action == pins["russia"]
    assert scenario.actor("united_states").rule == baseline.actor("united_states").rule


@pytest.mark.slow
def test_robust_end_to_end(tmp_path):
    out = tmp_path / "r"
    result = cli("robust", "baseline", "--policy", "quo=united_states.action.pressure="
                 "status_quo", "--policy", "enforce=united_states.action.pressure="
                 "coalition_enforcement", "--outcome", "munitions_total:min", "--outcome",
                 "sanctions_integrity_final:max", "--samples", "12", "--runs", "2",
                 "--months", "12", "--out", str(out))
    assert result.returncode == 0, result.stderr
    for name in ("report.md", "policy_outcomes.png", "regret.png", "robustness.csv",
                 "outcomes.csv", "manifest.json"):
        assert (out / name).stat().st_size > 0, name
    summary = pd.read_csv(out / "robustness.csv")
    assert len(summary) == 4 and summary.groupby("outcome").most_robust.sum().eq(1).all()
    outcomes = pd.read_csv(out / "outcomes.csv")
    assert len(outcomes) == 24 and "levers.war_demand" in outcomes.columns
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["respond"] is True and manifest["outcomes"] == {
        "munitions_total": "min", "sanctions_integrity_final": "max"}
    # pinning the US to enforcement never delivers more munitions than status quo on the
    # same futures and seeds, on average over the futures
    wide = outcomes.pivot(index="future", columns="policy", values="munitions_total")
    assert wide["enforce"].mean() <= wide["quo"].mean()
    report = (out / "report.md").read_text()
    assert "met by the other actors' decision rules" in report


@pytest.mark.slow
def test_robust_no_respond_pins_the_others(tmp_path):
    out = tmp_path / "n"
    result = cli("robust", "baseline", "--no-respond", "--samples", "6", "--runs", "2",
                 "--months", "6", "--outcome", "munitions_total:min", "--out", str(out))
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["respond"] is False
    assert set(manifest["no_response_pins"]) == {"russia", "north_korea", "united_states",
                                                 "china"}
    assert "no one responds" in (out / "report.md").read_text()


@pytest.mark.parametrize(("args", "message"), [
    (("--outcome", "munitions_total"), "say which way is better"),
    (("--outcome", "nope:min"), "--outcome: unknown metric 'nope'; allowed:"),
    (("--policy", "a=", "--policy", "a=china.action=enable"), "is used twice"),
    (("--policy", "only="), "at least two policies"),
    (("--policy", "a=", "--policy", "b=united_states.action.pressure=bombing"),
     "--policy b"),
    # issue 24, item 15: one policy with a bad value names the value, not the count
    (("--policy", "b=united_states.action.pressure=bombing"), "'bombing'"),
    # issue 24, item 9: the same outcome both ways was decided by the last flag
    (("--outcome", "munitions_total:min", "--outcome", "munitions_total:max"),
     "--outcome munitions_total is given as both munitions_total:min and munitions_total:max"),
    (("--outcome", "treaty_by_24:max"), "--outcome: metric treaty_by_24 needs runs of at least"),
])
def test_robust_bad_input_is_one_line(args, message, capsys):
    status = main(["robust", "baseline", "--samples", "4", "--runs", "1", "--months", "3",
                   *args])
    err = capsys.readouterr().err
    assert status == 2
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_headline_script_runs_small(tmp_path, no_rendering):
    script = ROOT / "experiments" / "robust_us_posture.py"
    spec = importlib.util.spec_from_file_location("robust_us_posture", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    best = module.main(samples=6, runs=2, months=6, out=tmp_path / "u")
    assert best in {p.name for p in default_policies()}
    assert (tmp_path / "u" / "regret.png").exists()
