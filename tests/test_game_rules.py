"""The stage game of a month and the rules that solve it (`nash`, `qre`).

``GameRuleContract`` is what every game-solving rule promises (reproducible under the
same uniforms, valid options, a truthful ``stochastic`` flag); each rule's own class
adds what is specific to it.
"""

from __future__ import annotations

import numpy as np
import pytest
from contracts import GameRuleContract, month_game, random_state
from support import cli, in_process

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

    def test_the_equilibria_command_solves_next_month_s_levers_and_pins(self):
        """The game a run's ``nash`` solves — and ``run.py equilibria`` reports — is next
        month's: a lever scheduled from month 1 is in it, and so is the month's pinned play
        (the same game as the stand-alone ``stage_game`` at that month with those pins)."""
        from model.analysis.equilibria import analyse

        scheduled = load_scenario("baseline", {"levers.war_demand": [[0, 0.8], [1, 0.0]],
                                               "russia.action.arms": [[0, "free"], [1, "large"]]})
        model = AllianceModel(scheduled, seed=4)
        assert model.month_game().pinned == {"russia.arms": 2}
        want = stage_game(scheduled, month=1, pinned={"russia.arms": 2}).payoffs
        np.testing.assert_array_equal(model.stage_game().payoffs, want)
        np.testing.assert_array_equal(analyse(model, 1.0).game.payoffs, want)
        unscheduled = stage_game(load_scenario("baseline")).payoffs
        assert not np.array_equal(want, unscheduled)


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


@pytest.mark.slow
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
def test_equilibria_bad_input_is_one_line(args, message, tmp_path, capsys):
    status, _, err = in_process(capsys, "equilibria", *args, "--out", str(tmp_path / "x"))
    assert status == 2
    assert len(err.strip().splitlines()) == 1 and message in err
    assert not (tmp_path / "x").exists()


# ---------------------------------------------------------------- batched = per run


class ReferenceMonthGame(MonthGame):
    """The per-run implementation the batched rules replace (the test oracle): every
    run's dense stage game, its pure equilibria by ``model.games.pure_nash_equilibria``,
    ``select_equilibrium`` one run at a time, and the QRE traced from ``lam = 0`` by
    ``model.games.logit_qre`` with Russia's marginals summed from its 36 joint options."""

    @property
    def selected(self):
        out = np.full((self.runs, len(PLAYERS)), -1, dtype=np.int64)
        last = np.stack([p.joint_index(self.previous) for p in OPTIONS], axis=1)
        for r in range(self.runs):
            found = np.array(pure_nash_equilibria(self.payoffs[r], tol=1e-9))
            if len(found):
                out[r] = select_equilibrium(found, self.payoffs[r], last[r])
        return out

    def marginals(self, lam, rows=None):
        rows = np.arange(self.runs) if rows is None else np.asarray(rows)
        out = [np.empty((len(rows), d.size)) for d in DIMENSIONS]
        for n, r in enumerate(rows):
            value = float(lam[r, 0]) if isinstance(lam, np.ndarray) else float(lam)
            strategies = self.qre(int(r), value)
            slot = 0
            for player, strategy in zip(OPTIONS, strategies):
                for j, dim in enumerate(player.dimensions):
                    out[slot][n] = [strategy[player.combos[:, j] == o].sum()
                                    for o in range(dim.size)]
                    slot += 1
        return out


ALL_ON = {rule: {f"{a.value}.rule": rule for a in Actor} for rule in ("nash", "qre")}


@pytest.mark.parametrize("overrides", [
    ALL_ON["nash"], ALL_ON["qre"],
    {**ALL_ON["qre"], "levers.international_pressure": {"dist": "uniform", "low": 0.2,
                                                        "high": 0.9},
     "russia.lam": {"dist": "uniform", "low": 1.0, "high": 6.0}},
    {**ALL_ON["nash"], "levers.war_demand": 0.3, "levers.international_pressure": 0.95},
    {"russia.rule": "nash", "united_states.rule": "qre", "china.rule": "nash",
     "north_korea.rule": "qre"},
], ids=["nash", "qre", "qre-distributions", "nash-low-demand", "mixed"])
def test_batched_rules_draw_what_the_per_run_reference_draws(overrides, monkeypatch):
    """Same seeds, same months: the batched rules choose exactly the options the per-run
    implementation chooses (selected equilibria and QRE draws alike)."""
    import model.ensemble.driver as ensemble
    import model.kernels.month as month_step  # the step both drivers take

    scenario = load_scenario("baseline", overrides)
    seeds, months = [3, 17, 2024], 12
    batched = ensemble.simulate(scenario, np.array(seeds, dtype=np.uint64), months)
    monkeypatch.setattr(month_step, "MonthGame", ReferenceMonthGame)
    reference = ensemble.simulate(scenario, np.array(seeds, dtype=np.uint64), months)
    for key in batched.choice:
        np.testing.assert_array_equal(batched.choice[key], reference.choice[key], err_msg=key)
    for column in batched.state:
        np.testing.assert_allclose(batched.state[column], reference.state[column],
                                   rtol=0, atol=1e-12)


def test_qre_marginals_equal_the_traced_branch_along_trajectories(monkeypatch):
    """Every month's batched QRE (followed from lam = 0 by the batch) is within 1e-8 of the
    branch traced from lam = 0, and every QRE is a fixed point (regret check)."""
    import model.ensemble.driver as ensemble
    import model.kernels.month as month_step  # the step both drivers take

    checked = []

    class Checking(MonthGame):
        def marginals(self, lam, rows=None):
            got = super().marginals(lam, rows)
            want = ReferenceMonthGame.marginals(self, lam, rows)
            for a, b in zip(got, want):
                np.testing.assert_allclose(a, b, rtol=0, atol=1e-8)
            checked.append(len(got[0]))
            return got

    monkeypatch.setattr(month_step, "MonthGame", Checking)
    scenario = load_scenario("baseline", {**ALL_ON["qre"], "china.lam": 2.0})
    arrays = ensemble.simulate(scenario, np.arange(4, dtype=np.uint64), 10)
    assert sum(checked) >= 4 * 10 * 2  # two values of lam each month
    assert arrays.choice["russia.arms"].shape == (11, 4)


INDIFFERENT_CHINA = {f"china.weights.{w}": 0.0 for w in (
    "rivalry", "counter_us", "instability_cost", "secondary_sanctions_risk", "influence_loss",
    "switching_cost")}


@pytest.mark.parametrize("overrides", [{}, INDIFFERENT_CHINA], ids=["baseline", "ties"])
def test_batched_selection_equals_select_equilibrium_on_many_runs(overrides):
    """Random states; with an indifferent China most games have three equilibria (ties
    everywhere in China's payoff): the batched selection is the per-run one, run by run."""
    runs = 300
    params = kernel_params(load_scenario("baseline", overrides)).as_columns()
    state = random_state(runs, np.random.default_rng(21))
    rng = np.random.default_rng(4)
    previous = {d.key: rng.integers(0, d.size, runs) for d in DIMENSIONS}
    game = MonthGame(state, params, previous)
    reference = ReferenceMonthGame(state, params, previous)
    np.testing.assert_array_equal(game.selected, reference.selected)
    expected = np.zeros((runs, int(np.prod(SHAPE))), dtype=bool)
    for r in range(runs):
        for e in pure_nash_equilibria(reference.payoffs[r]):
            expected[r, np.ravel_multi_index(e, SHAPE)] = True
    np.testing.assert_array_equal(game.equilibria.reshape(runs, -1), expected)
    if overrides:
        assert (expected.sum(axis=1) > 1).mean() > 0.5


def test_batched_selection_on_hand_made_ties():
    """Degenerate games: all-zero payoffs (every profile an equilibrium, beyond
    MAX_CANDIDATES), equal totals, Pareto ties; integer games with many equilibria."""
    rng = np.random.default_rng(8)
    payoffs = rng.integers(-1, 2, size=(30, len(PLAYERS), *SHAPE)).astype(float)
    payoffs[0] = 0.0
    payoffs[1, :, :, :, :, :] = rng.integers(0, 2, size=(len(PLAYERS), 1, 3, 3, 3))
    previous = {d.key: rng.integers(0, d.size, 30) for d in DIMENSIONS}
    state = random_state(30)
    params = kernel_params(load_scenario("baseline")).as_columns()
    game = MonthGame(state, params, previous, payoffs=payoffs)
    reference = ReferenceMonthGame(state, params, previous, payoffs=payoffs)
    np.testing.assert_array_equal(game.selected, reference.selected)
    assert (game.selected >= 0).all(axis=1).sum() >= 2


def test_every_months_qre_is_counted_by_method(baseline):
    """The Mesa driver's batch of one solves one QRE a month (all actors share ``lam``),
    by the batch's continuation, or traced where that stops at a turning point."""
    scenario = load_scenario("baseline", ALL_ON["qre"])
    model = AllianceModel(scenario, seed=5)
    model.run(6)
    stats = model.game_memory.stats
    assert set(stats) == {"continued", "traced"}
    assert stats["continued"] + stats["traced"] == 6
    assert stats["continued"] >= 5


def test_sparse_stage_game_equals_the_dense_one(baseline):
    """The solvers' game (each player's payoff over the players it depends on, evaluated
    on broadcast grids with the runs last) holds the dense stage game's numbers, bit for
    bit, at every profile; with per-run parameters too."""
    from model.kernels.stage import probe_layout, sparse_from_dense, sparse_stage_game

    state = random_state(50, np.random.default_rng(31))
    params = kernel_params(load_scenario("baseline", {"levers.war_demand": {
        "dist": "uniform", "low": 0.1, "high": 1.0}}), {"levers.war_demand": np.linspace(
            0.1, 1.0, 50)}).as_columns()
    layout = probe_layout(state, params)
    # North Korea: Russia's arms (its shells count only when bought), aid, tech, US, China
    assert layout.separable and len(layout.deps[4]) == 5
    dense, _ = sparse_from_dense(stage_payoffs(state, params), layout)
    for got, want in zip(sparse_stage_game(state, params, layout).tensors, dense.tensors):
        np.testing.assert_array_equal(got, want)
