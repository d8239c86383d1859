"""The stage game of a month and the rules that solve it (`nash`, `qre`).

``GameRuleContract`` is what every game-solving rule promises (reproducible under the
same uniforms, valid options, a truthful ``stochastic`` flag); each rule's own class
adds what is specific to it.
"""

from __future__ import annotations

import numpy as np
import pytest
from contracts import GameRuleContract, month_game, random_state
from support import cli

from model import AllianceModel, load_scenario
from model.core.actions import DIMENSIONS, Actor
from model.ensemble import run_ensemble
from model.games import logit_qre, pure_nash_equilibria
from model.kernels import (
    RULES,
    STATE_COLUMNS,
    MonthGame,
    kernel_params,
    option_payoffs,
    state_columns,
)
from model.kernels.game_rules import select_equilibrium
from model.kernels.stage import OPTIONS, PLAYERS, SHAPE, stage_game, stage_payoffs

# ---------------------------------------------------------------- the stage game


def test_stage_game_equals_the_decision_kernel(baseline):
    """Player i's stage payoffs against others' pure play = the option payoffs the belief
    rules see when beliefs are those pure options (one formula, two uses)."""
    params = kernel_params(baseline)
    state = random_state(3)
    u = stage_payoffs(state, params.as_columns())
    rng = np.random.default_rng(5)
    for _ in range(20):
        profile = [int(rng.integers(n)) for n in SHAPE]
        beliefs = {}
        for player, joint in zip(OPTIONS, profile):
            for j, dim in enumerate(player.dimensions):
                onehot = np.eye(dim.size)[player.combos[joint, j]]
                beliefs[dim.key] = np.tile(onehot, (3, 1))
        for i, player in enumerate(OPTIONS):
            seen = option_payoffs(player.actor, beliefs, state_columns(state),
                                  params.as_columns())
            for j, dim in enumerate(player.dimensions):
                for o in range(dim.size):
                    combo = player.combos[profile[i]].copy()
                    combo[j] = o
                    joint = int(np.flatnonzero((player.combos == combo).all(axis=1))[0])
                    index = list(profile)
                    index[i] = joint
                    np.testing.assert_allclose(u[(slice(None), i, *index)],
                                               seen[dim.key][:, o], rtol=0, atol=1e-12)


def test_russias_stage_payoff_is_additive_across_its_dimensions(baseline):
    u = stage_payoffs(random_state(2), kernel_params(baseline).as_columns())[:, 0]
    russia = OPTIONS[0]
    grid = u.reshape(2, *[d.size for d in russia.dimensions], -1)
    # additive in (arms, aid): the interaction contrast vanishes for every other index
    contrast = grid[:, 1:, 1:] - grid[:, 1:, :1] - grid[:, :1, 1:] + grid[:, :1, :1]
    np.testing.assert_allclose(contrast, 0.0, atol=1e-12)


def test_stage_game_labels_and_shape(baseline):
    game = stage_game(baseline)
    assert game.payoffs.shape == (4, 36, 3, 3, 3)
    assert len(set(game.labels[0])) == 36 and game.labels[3] == ["restrain", "neutral",
                                                                  "enable"]
    assert np.isfinite(game.payoffs).all() and game.month == 0
    with pytest.raises(ValueError, match="distributions"):
        stage_game(load_scenario("baseline", {"levers.war_demand":
                                              {"dist": "uniform", "low": 0.5, "high": 1}}))


def test_month_game_equilibria_match_the_games_module(baseline):
    state = random_state(6, np.random.default_rng(9))
    previous = {d.key: np.zeros(6, dtype=np.int64) for d in DIMENSIONS}
    game = MonthGame(state, kernel_params(baseline).as_columns(), previous)
    for r in range(6):
        expected = pure_nash_equilibria(game.payoffs[r])
        assert [tuple(e) for e in np.argwhere(game.equilibria[r])] == expected
        if expected:
            assert tuple(game.selected[r]) in expected
        else:
            assert (game.selected[r] == -1).all()


def test_selection_pareto_then_inertia_then_total():
    payoffs = np.zeros((4, *SHAPE))
    a, b, c = (0, 0, 0, 0), (35, 2, 2, 2), (1, 1, 1, 1)
    for profile, values in ((a, [1, 1, 1, 1]), (b, [2, 2, 2, 2]), (c, [3, 0, 0, 0])):
        payoffs[(slice(None), *profile)] = values
    candidates = np.array([a, b, c])
    # a is Pareto-dominated by b, so it is never chosen, even when it is last month's play;
    # b and c are not Pareto-comparable: the one nearer last month's play wins.
    assert tuple(select_equilibrium(candidates, payoffs, np.array(c))) == c
    assert tuple(select_equilibrium(candidates, payoffs, np.array(b))) == b
    assert tuple(select_equilibrium(candidates, payoffs, np.array(a))) != a
    # equally near last month's play (one dimension changed each), not Pareto-comparable:
    # the higher total payoff wins
    d1, d2 = (0, 0, 0, 1), (0, 0, 0, 2)
    payoffs[(slice(None), *d1)] = [0.5, 0.5, 0.5, 4.0]
    payoffs[(slice(None), *d2)] = [1.0, 1.0, 1.0, 1.0]
    pair = np.array([d2, d1])
    assert tuple(select_equilibrium(pair, payoffs, np.array(a))) == d1
    payoffs[(slice(None), *d2)] = [1.0, 1.0, 1.0, 3.0]
    assert tuple(select_equilibrium(pair, payoffs, np.array(a))) == d2


# ---------------------------------------------------------------- the rule contract


class TestNash(GameRuleContract):
    rule_name = "nash"

    def test_plays_the_unique_equilibrium_whatever_the_uniforms(self, baseline):
        payoffs = np.zeros((5, len(PLAYERS), *SHAPE))
        target = (17, 2, 1, 0)  # each player's strictly dominant option
        for i, own in enumerate(target):
            shape = [1] * len(SHAPE)
            shape[i] = SHAPE[i]
            bonus = np.zeros(SHAPE[i])
            bonus[own] = 1.0
            payoffs[:, i] += bonus.reshape(shape)
        uniforms = {d.key: np.random.default_rng(3).random(5) for d in DIMENSIONS}
        game = month_game(payoffs, baseline)
        for player, own in zip(OPTIONS, target):
            chosen = RULES["nash"].choose_in_game(game, player.actor, 4.0, uniforms)
            for j, dim in enumerate(player.dimensions):
                np.testing.assert_array_equal(chosen[dim.key], player.combos[own, j])

    def test_all_nash_actors_play_an_equilibrium_of_each_month(self):
        scenario = load_scenario("baseline", {f"{a.value}.rule": "nash" for a in Actor})
        model = AllianceModel(scenario, seed=4)
        for _ in range(8):
            game = model.stage_game()
            model.step()
            played = tuple(int(p.joint_index(model.choice)[0]) for p in OPTIONS)
            equilibria = pure_nash_equilibria(game.payoffs)
            if equilibria:
                assert played in equilibria


class TestQRE(GameRuleContract):
    rule_name = "qre"

    def test_choice_frequencies_match_the_qre(self, baseline):
        runs, lam = 300, 1.5
        base = stage_game(baseline).payoffs
        game = month_game(np.repeat(base[None], runs, axis=0), baseline)
        uniforms = {d.key: np.random.default_rng(8).random(runs) for d in DIMENSIONS}
        probs = logit_qre(base, lam)
        for player, strategy in zip(OPTIONS, probs):
            chosen = RULES["qre"].choose_in_game(game, player.actor, lam, uniforms)
            for j, dim in enumerate(player.dimensions):
                marginal = np.array([strategy[player.combos[:, j] == o].sum()
                                     for o in range(dim.size)])
                freq = np.bincount(chosen[dim.key], minlength=dim.size) / runs
                se = np.sqrt(marginal * (1 - marginal) / runs)
                assert (np.abs(freq - marginal) <= 4 * se + 1e-9).all(), (dim.key, freq,
                                                                          marginal)

    def test_lam_zero_is_uniform(self, baseline):
        base = stage_game(baseline).payoffs
        game = month_game(base[None], baseline)
        strategies = game.qre(0, 0.0)
        for strategy in strategies:
            np.testing.assert_allclose(strategy, 1.0 / len(strategy))


# ---------------------------------------------------------------- the drivers


@pytest.mark.parametrize("rules", [
    {"russia.rule": "nash", "north_korea.rule": "nash"},
    {"china.rule": "qre", "united_states.rule": "nash"},
])
def test_game_rules_give_identical_trajectories_in_both_drivers(rules):
    scenario = load_scenario("baseline", rules)
    seeds = [11, 12]
    table = run_ensemble(scenario, seeds=seeds, months=6)
    for i, seed in enumerate(seeds):
        model = AllianceModel(scenario, seed=seed)
        model.run(6)
        mesa = model.table()
        run = table[table.run == i].reset_index(drop=True)
        np.testing.assert_allclose(mesa[list(STATE_COLUMNS)].to_numpy(float),
                                   run[list(STATE_COLUMNS)].to_numpy(float), rtol=0, atol=1e-12)
        for dim in DIMENSIONS:
            assert list(mesa[dim.key]) == list(run[dim.key].astype(str))


# ---------------------------------------------------------------- the command


def test_equilibria_command_prints_tables_and_writes_figures(tmp_path):
    out = tmp_path / "eq"
    result = cli("equilibria", "--month", "6", "--lam", "3", "--x",
                 "levers.international_pressure=0:1:3", "--y", "levers.war_demand=0:1:3",
                 "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "<- best" in result.stdout and "Pure Nash equilibria at month 6" in result.stdout
    assert "Logit QRE at lam = 3" in result.stdout and "regret" in result.stdout
    for name in ("equilibria.txt", "qre_branch.png", "regime_map.png", "manifest.json"):
        assert (out / name).stat().st_size > 0


@pytest.mark.parametrize("args, message", [
    (["--month", "99"], "beyond the horizon"),
    (["--month", "-1"], "--month"),
    (["--lam", "-2"], "--lam"),
    (["--lam", "nan"], "--lam"),
    (["--x", "levers.war_demand=0:1:3", "--y", "levers.war_demand=0:1:3"], "same parameter"),
])
def test_equilibria_bad_input_is_one_line(args, message, tmp_path):
    result = cli("equilibria", *args, "--out", str(tmp_path / "x"))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
    assert not (tmp_path / "x").exists()
