"""What-ifs from a month on: one history before the branch, exact accounts of what carried
the change, conditioning on the record, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from support import cli, run_py

from model import load_scenario
from model.analysis.conditioning import (
    condition_runs,
    effective_sample_size,
    weighted_mean_interval,
)
from model.analysis.whatif import (
    HEADLINES,
    branch_overrides,
    carried,
    decision_inputs,
    headlines,
    paired_differences,
    run_whatif,
    term_sums,
)
from model.core.actions import DIMENSIONS, Actor
from model.core.questions import QuestionError, available_questions, load_question
from model.core.record import load_observations
from model.ensemble.driver import simulate
from model.kernels.payoffs import option_payoffs, state_columns

ROOT = Path(__file__).resolve().parents[1]
RUNS, SEED = 60, 4


@pytest.fixture(scope="module")
def ceasefire():
    return run_whatif(load_scenario("calibrated"), "2026-12", {"levers.war_demand": 0.0},
                      RUNS, SEED, months=50, condition="none")


def test_null_branch_is_identical_and_differs_nowhere():
    result = run_whatif(load_scenario("calibrated"), "2026-12", {}, RUNS, SEED, months=45,
                        condition="none")
    for key in result.base.arrays.state:
        assert np.array_equal(result.base.arrays.state[key], result.changed.arrays.state[key])
    for key in result.base.arrays.choice:
        assert np.array_equal(result.base.arrays.choice[key], result.changed.arrays.choice[key])
    assert (paired_differences(result)["difference"] == 0).all()
    assert carried(result).empty


def test_rows_before_the_branch_are_the_base(ceasefire):
    m = ceasefire.month
    assert m == 41
    for key, base in ceasefire.base.arrays.state.items():
        assert np.array_equal(base[:m], ceasefire.changed.arrays.state[key][:m]), key
    changed = ceasefire.changed.arrays.state["war_demand"]
    assert (changed[m:] == 0).all() and (changed[:m] > 0).all()


def test_ceasefire_moves_the_right_way(ceasefire):
    table = paired_differences(ceasefire).set_index(["outcome", "when"])
    assert table.loc[("russia_buying", "+6 months"), "difference"] < -0.3
    assert table.loc[("munitions_flow", "horizon"), "difference"] < 0


def test_the_term_split_adds_up_to_the_total(ceasefire):
    explained = carried(ceasefire)
    assert not explained.empty
    for _, rows in explained.groupby("key"):
        assert rows["change"].sum() == pytest.approx(rows["total"].iloc[0], abs=1e-9)
    # and the total is the change in the whole payoff gap (terms summed per option first)
    arms = explained[explained.key == "russia.arms"]
    gained, lost = arms.gained.iloc[0], arms.lost.iloc[0]
    options = ["none", "limited", "large"]
    w = ceasefire.conditioning.weights / ceasefire.conditioning.weights.sum()
    gaps = []
    months = ceasefire.horizon + 1 - ceasefire.month
    for world in (ceasefire.base, ceasefire.changed):
        sums = term_sums(world, ceasefire.month, [Actor.RUSSIA])["russia.arms"]
        mean = w @ sums.sum(axis=-1) / months  # (options,)
        gaps.append(mean[options.index(gained)] - mean[options.index(lost)])
    assert arms["total"].iloc[0] == pytest.approx(gaps[1] - gaps[0], abs=1e-9)
    # the ceasefire removes the munitions' value first of all
    assert arms.iloc[0]["term"] == "munitions_value"


def test_equal_weights_give_the_unweighted_numbers():
    values = np.random.default_rng(0).normal(size=500)
    mean, low, high = weighted_mean_interval(values, np.ones(500))
    sd = values.std(ddof=1) / np.sqrt(500)
    assert mean == pytest.approx(values.mean(), abs=1e-12)
    assert high - mean == pytest.approx(1.96 * sd, rel=1e-9)
    assert effective_sample_size(np.ones(37)) == pytest.approx(37)
    kept = np.r_[np.ones(10), np.zeros(5)]
    assert effective_sample_size(kept) == pytest.approx(10)


def test_conditioning_picks_the_runs_that_agree_with_a_made_up_record(ceasefire, tmp_path):
    """On a made-up record whose only hard fact is 'Russia evades in month 8', the weights
    are exactly the runs that evade then."""
    source = (ROOT / "experiments/record/observations.toml").read_text()
    head = source.replace("hard = true\n", "")  # the shipped rules, none of them hard
    rule = ('[[rule]]\nid = "made_up"\nevents = ["R13"]\nkind = "share"\n'
            'when = "russia.sanctions == evade"\nfrom = 8\nto = 8\nmin_share = 1.0\n'
            'tolerance = 1.0\nweight = 0\nhard = true\nreason = "a made-up fact"\n')
    path = tmp_path / "observations.toml"
    path.write_text(head + "\n" + rule)
    (tmp_path / "events.csv").write_text((ROOT / "experiments/record/events.csv").read_text())
    observations = load_observations(path)
    conditioning = condition_runs(ceasefire.base.arrays, "record", observations)
    evading = ceasefire.base.arrays.choice["russia.sanctions"][8] == 1
    assert np.array_equal(conditioning.weights, evading.astype(float))
    assert conditioning.effective_runs == evading.sum()
    none = condition_runs(ceasefire.base.arrays, "none")
    assert (none.weights == 1).all()


def test_branch_overrides_keep_the_past_and_refuse_what_cannot_branch():
    scenario = load_scenario("ukraine_ceasefire")  # war demand already a schedule
    out = branch_overrides(scenario, 24, {"levers.war_demand": 0.5,
                                          "china.action.stance": "restrain"})
    assert out["levers.war_demand"] == [[0, 0.8], [18, 0.15], [24, 0.5]]
    assert out["china.action.stance"] == [[24, "restrain"]]
    calibrated = load_scenario("calibrated")
    with pytest.raises(ValueError, match="draws this lever per run"):
        branch_overrides(calibrated, 41, {"levers.russia_reputation_cost": 1.0})
    with pytest.raises(ValueError, match="only levers"):
        branch_overrides(calibrated, 41, {"dynamics.alliance_decay": 0.1})
    with pytest.raises(ValueError, match="unknown dimension"):
        branch_overrides(calibrated, 41, {"china.action.posture": "enable"})


def test_every_shipped_question_loads_and_branches():
    names = available_questions()
    assert {"ceasefire_2027", "us_russia_detente_2027", "china_presses_2027",
            "enforcement_tightens_2027", "war_intensifies_2027"} <= set(names)
    for name in names:
        q = load_question(name)
        scenario = load_scenario(q.scenario)
        branch_overrides(scenario, 41, q.changes)
        assert all(q.provenance[k] for k in q.changes)


def test_bad_question_files_get_one_line_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('description = "x"\nscenario = "calibrated"\nat = "2026-13"\n'
                   '[set]\n"levers.war_demand" = { value = 0, source = "mba.1" }\n')
    with pytest.raises(QuestionError, match="bad.toml.*YYYY-MM"):
        load_question(bad)
    bad.write_text('description = "x"\nscenario = "calibrated"\nat = "2026-12"\n'
                   '[set]\n"levers.war_demand" = { value = 0, source = "nowhere" }\n')
    with pytest.raises(QuestionError, match="set.levers.war_demand.*unknown source"):
        load_question(bad)


def _cli(*args):
    return cli(*args)


@pytest.mark.parametrize("args, message", [
    (["--at", "2023-06", "--set", "levers.war_demand=0"], "--at 2023-06 is month -1"),
    (["--at", "2031-01", "--set", "levers.war_demand=0"], "allowed: Aug 2023 to Dec 2028"),
    (["--at", "2026-12", "--set", "levers.nothing=0"], "unknown lever"),
    (["--at", "2026-12", "--set", "levers.war_demand=3"], "out of range"),
    (["--at", "2026-12", "--set", "russia.weights.aid_cost=1"], "only levers"),
    (["--set", "levers.war_demand=0"], "--at: missing"),
])
def test_whatif_bad_input_is_one_line(args, message, tmp_path):
    done = _cli("whatif", "calibrated", *args, "--runs", "5", "--out", str(tmp_path / "o"))
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_whatif_command_writes_its_folder(tmp_path):
    """End to end, as a user runs it (a real interpreter)."""
    out = tmp_path / "w"
    done = run_py("whatif", "--question", "china_presses_2027", "--runs", "40", "--months",
                "48", "--condition", "none", "--out", str(out))
    assert done.returncode == 0, done.stderr
    files = {p.name for p in out.iterdir()}
    assert {"whatif_worlds.png", "whatif_differences.png", "differences.csv", "carried.csv",
            "weights.csv", "report.md", "manifest.json"} <= files
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["branch"] == "Dec 2026" and manifest["question"] == "china_presses_2027"
    report = (out / "report.md").read_text()
    assert "North Korean food gap" in report and "What carried it" in report
    assert len(HEADLINES) == 6
    # a world with the escalation module reports its troops, technology and treaty too
    assert [h.name for h in headlines(load_scenario("calibrated"))][6:] == [
        "troops_in_combat", "mil_tech", "treaty_in_force"]
    assert headlines(load_scenario("baseline")) == HEADLINES


def test_rebuilt_decision_inputs_are_what_the_actors_decided_on():
    """Under best replies (no noise) every recorded choice is the best option of the payoffs
    rebuilt from the recorded runs (state, levers, beliefs): the account of what carried a
    change reads the payoffs the decisions used. A schedule and a pin keep it honest."""
    scenario = load_scenario("baseline", {
        **{f"{a.value}.rule": "best_response" for a in Actor},
        "levers.war_demand": [[0, 0.8], [10, 0.3]],
        "china.action.stance": [[12, "restrain"]]})
    arrays = simulate(scenario, np.arange(30, dtype=np.uint64), 20)
    state, params, beliefs = decision_inputs(scenario, arrays, 5)
    view, params_view = state_columns(state), params.as_columns()
    free = [d for d in DIMENSIONS if d.key != "china.stance"]
    for actor in Actor:
        payoffs = option_payoffs(actor, beliefs, view, params_view)
        for d in free:
            if d.actor is not actor:
                continue
            best = np.argmax(payoffs[d.key], axis=1)
            chosen = arrays.choice[d.key][5:].reshape(-1)
            top = payoffs[d.key].max(axis=1)
            tie = (np.sort(payoffs[d.key], axis=1)[:, -2] >= top - 1e-12)
            assert np.array_equal(best[~tie], chosen[~tie]), d.key
