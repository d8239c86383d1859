"""Tests for model.games: properties over random games, peers (nashpy, quantecon), textbooks.

Payoff arrays are shaped ``(n_players, *action_counts)``. Integer payoffs make ties (and
so degenerate games) common; continuous payoffs make games generic.
"""

from __future__ import annotations

import doctest
import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from model import games

SETTINGS = settings(deadline=None)
FIXED_POINT_TOL = 1e-8

PRISONERS_DILEMMA = [[[3, 0], [5, 1]], [[3, 5], [0, 1]]]  # 0 = cooperate, 1 = defect
MATCHING_PENNIES = [[[1, -1], [-1, 1]], [[-1, 1], [1, -1]]]
BATTLE_OF_THE_SEXES = [[[2, 0], [0, 1]], [[1, 0], [0, 2]]]


def volunteers_dilemma() -> np.ndarray:
    """3 players; 1 = volunteer. Everyone gets 2 if someone volunteers; volunteering costs 1.

    Pure equilibria: exactly one volunteer. (With nobody volunteering each player gains by
    volunteering; with two or three, a volunteer gains by stopping.)
    """
    payoffs = np.zeros((3, 2, 2, 2))
    for profile in itertools.product(range(2), repeat=3):
        for i in range(3):
            payoffs[(i, *profile)] = 2 * any(profile) - profile[i]
    return payoffs


# --------------------------------------------------------------------------- strategies


@st.composite
def payoff_arrays(draw, min_players=2, max_players=4, max_actions=3, integer=None):
    """Random payoff arrays: small integers (ties are common) or bounded floats."""
    n_players = draw(st.integers(min_players, max_players))
    counts = tuple(draw(st.integers(1, max_actions)) for _ in range(n_players))
    if integer is None:
        integer = draw(st.booleans())
    if integer:
        elements = st.integers(-3, 3)
        dtype = int
    else:
        elements = st.floats(-5, 5, allow_nan=False, allow_infinity=False, width=64)
        dtype = float
    array = draw(hnp.arrays(dtype, (n_players, *counts), elements=elements))
    return array.astype(float)


@st.composite
def seeded_games(draw, min_players=2, max_players=4, max_actions=4):
    """Generic games: standard normal payoffs from a seeded numpy Generator."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n_players = draw(st.integers(min_players, max_players))
    counts = tuple(draw(st.integers(1, max_actions)) for _ in range(n_players))
    return rng.normal(size=(n_players, *counts))


def brute_force_pure_nash(payoffs, tol=1e-9):
    """Check every profile and every unilateral deviation with plain Python loops."""
    counts = payoffs.shape[1:]
    found = []
    for profile in itertools.product(*(range(m) for m in counts)):
        stable = True
        for i, m in enumerate(counts):
            here = payoffs[(i, *profile)]
            for b in range(m):
                deviation = list(profile)
                deviation[i] = b
                if payoffs[(i, *deviation)] - tol > here:  # a gain of more than tol
                    stable = False
        if stable:
            found.append(profile)
    return found


def one_hot(profile, counts):
    return [np.eye(m)[a] for a, m in zip(profile, counts, strict=True)]


def fixed_point_gap(payoffs, strategies, lam):
    response = games.logit_response(payoffs, strategies, lam)
    return max(float(np.abs(r - s).max()) for r, s in zip(response, strategies, strict=True))


def strictly_dominant_game(rng, counts, separable=False):
    """A game in which a random action of each player is strictly dominant.

    With ``separable`` each payoff is own-action term + others' term, so a player's payoff
    differences do not depend on the others' play.
    """
    n = len(counts)
    payoffs = rng.integers(-3, 4, size=(n, *counts)).astype(float)
    for i, m in enumerate(counts):
        dominant = int(rng.integers(m))
        if separable:
            own = rng.integers(-3, 1, size=m).astype(float)
            own[dominant] = rng.integers(1, 4)
            shape = [1] * n
            shape[i] = m
            others = np.moveaxis(payoffs[i], i, 0)[0]  # any term not depending on a_i
            payoffs[i] = own.reshape(shape) + np.expand_dims(others, i)
        else:
            view = np.moveaxis(payoffs[i], i, 0)  # a view: writes go to payoffs[i]
            rivals = np.delete(view, dominant, axis=0).max(axis=0)
            view[dominant] = rivals + rng.integers(1, 4, size=rivals.shape)
    return payoffs


# --------------------------------------------------------------------------- documentation


@pytest.mark.parametrize("module", [games.validation, games.pure, games.qre, games.game])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 1
    assert result.failed == 0


# --------------------------------------------------------------------------- pure equilibria


@SETTINGS
@given(payoff_arrays())
def test_pure_equilibria_equal_brute_force(payoffs):
    assert games.pure_nash_equilibria(payoffs) == brute_force_pure_nash(payoffs)


@SETTINGS
@given(payoff_arrays(min_players=1, max_players=3, max_actions=4), st.floats(0, 2))
def test_pure_equilibria_equal_brute_force_with_tolerance(payoffs, tol):
    assert games.pure_nash_equilibria(payoffs, tol) == brute_force_pure_nash(payoffs, tol)


@SETTINGS
@given(
    payoff_arrays(integer=True),
    st.data(),
    st.floats(-100, 100),
    st.floats(0.01, 100),
)
def test_pure_equilibria_invariant_under_affine_change_of_one_player(payoffs, data, shift, scale):
    player = data.draw(st.integers(0, payoffs.shape[0] - 1))
    changed = payoffs.copy()
    changed[player] = scale * changed[player] + shift
    assert games.pure_nash_equilibria(changed) == games.pure_nash_equilibria(payoffs)


@SETTINGS
@given(payoff_arrays())
def test_pure_equilibria_are_sorted_tuples_of_ints(payoffs):
    found = games.pure_nash_equilibria(payoffs)
    assert found == sorted(found)
    assert all(type(a) is int for profile in found for a in profile)


@SETTINGS
@given(payoff_arrays())
def test_profile_is_equilibrium_iff_everyone_best_responds(payoffs):
    counts = payoffs.shape[1:]
    equilibria = set(games.pure_nash_equilibria(payoffs))
    for profile in itertools.product(*(range(m) for m in counts)):
        responses = games.best_responses(payoffs, profile)
        assert len(responses) == len(counts)
        assert all(r == sorted(r) and r for r in responses)
        stable = all(a in r for a, r in zip(profile, responses, strict=True))
        assert stable == (profile in equilibria)


@SETTINGS
@given(payoff_arrays())
def test_regret_is_zero_exactly_at_pure_equilibria(payoffs):
    counts = payoffs.shape[1:]
    equilibria = set(games.pure_nash_equilibria(payoffs, tol=0.0))
    for profile in itertools.product(*(range(m) for m in counts)):
        value = games.regret(payoffs, one_hot(profile, counts))
        if profile in equilibria:
            assert value == 0.0
        else:
            assert value > 0.0


# --------------------------------------------------------------------------- mixed strategies


@st.composite
def games_with_strategies(draw):
    payoffs = draw(payoff_arrays())
    strategies = []
    for m in payoffs.shape[1:]:
        weights = np.array(draw(st.lists(st.floats(0.01, 1), min_size=m, max_size=m)))
        strategies.append(weights / weights.sum())
    return payoffs, strategies


@SETTINGS
@given(games_with_strategies())
def test_expected_payoffs_equal_explicit_sum(case):
    payoffs, strategies = case
    counts = payoffs.shape[1:]
    values = games.expected_payoffs(payoffs, strategies)
    for i, m in enumerate(counts):
        explicit = np.zeros(m)
        for profile in itertools.product(*(range(k) for k in counts)):
            weight = np.prod([strategies[k][a] for k, a in enumerate(profile) if k != i])
            explicit[profile[i]] += weight * payoffs[(i, *profile)]
        np.testing.assert_allclose(values[i], explicit, atol=1e-12)


@SETTINGS
@given(games_with_strategies())
def test_regret_is_non_negative_and_bounds_every_unilateral_gain(case):
    payoffs, strategies = case
    value = games.regret(payoffs, strategies)
    assert value >= 0.0
    for i, v in enumerate(games.expected_payoffs(payoffs, strategies)):
        assert v.max() - strategies[i] @ v <= value + 1e-12


@SETTINGS
@given(games_with_strategies(), st.floats(0, 50))
def test_logit_response_is_a_distribution_ranking_actions_by_payoff(case, lam):
    payoffs, strategies = case
    responses = games.logit_response(payoffs, strategies, lam)
    for response, v in zip(responses, games.expected_payoffs(payoffs, strategies), strict=True):
        assert response.sum() == pytest.approx(1.0)
        better = v[:, None] > v[None, :]
        assert (response[:, None] >= response[None, :])[better].all()


# --------------------------------------------------------------------------- logit QRE


@SETTINGS
@given(payoff_arrays())
def test_qre_is_uniform_at_lam_zero(payoffs):
    for sigma, m in zip(games.logit_qre(payoffs, 0.0), payoffs.shape[1:], strict=True):
        np.testing.assert_array_equal(sigma, np.full(m, 1.0 / m))


def assert_valid_qre(payoffs, strategies, lam):
    for sigma, m in zip(strategies, payoffs.shape[1:], strict=True):
        assert sigma.shape == (m,)
        assert (sigma > 0).all()
        assert sigma.sum() == pytest.approx(1.0, abs=1e-12)
    assert fixed_point_gap(payoffs, strategies, lam) <= FIXED_POINT_TOL


@SETTINGS
@given(payoff_arrays(), st.floats(0, 50))
@pytest.mark.filterwarnings("ignore:logit_qre. passed a bifurcation:RuntimeWarning")
def test_qre_satisfies_fixed_point(payoffs, lam):
    assert_valid_qre(payoffs, games.logit_qre(payoffs, lam), lam)


@SETTINGS
@given(payoff_arrays(max_actions=4), st.lists(st.floats(0, 50), min_size=1, max_size=6))
@pytest.mark.filterwarnings("ignore:logit_qre. passed a bifurcation:RuntimeWarning")
def test_qre_branch_satisfies_fixed_point_at_every_lam(payoffs, lams):
    lams = sorted(lams)
    path = games.qre_branch(payoffs, lams)
    assert len(path) == payoffs.shape[0]
    for i, m in enumerate(payoffs.shape[1:]):
        assert path[i].shape == (len(lams), m)
    for k, lam in enumerate(lams):
        assert_valid_qre(payoffs, [p[k] for p in path], lam)


@SETTINGS
@given(seeded_games(), st.floats(0, 50))
def test_qre_on_generic_games_needs_no_fallback(payoffs, lam):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        strategies = games.logit_qre(payoffs, lam)
    assert_valid_qre(payoffs, strategies, lam)


@SETTINGS
@given(st.integers(0, 2**32 - 1), st.integers(2, 4))
def test_regret_falls_with_lam_when_payoff_gaps_do_not_depend_on_others(seed, n_players):
    """Own-action-separable game with a strictly dominant action per player.

    v_i is then fixed up to a constant, sigma_i = softmax(lam v_i), and
    d/dlam (sigma_i . v_i) = Var_sigma_i(v_i) >= 0, so every player's regret falls.
    """
    rng = np.random.default_rng(seed)
    counts = tuple(int(m) for m in rng.integers(2, 4, size=n_players))
    payoffs = strictly_dominant_game(rng, counts, separable=True)
    assert len(games.pure_nash_equilibria(payoffs)) == 1
    lams = np.linspace(0, 20, 41)
    path = games.qre_branch(payoffs, lams)
    regrets = [games.regret(payoffs, [p[k] for p in path]) for k in range(len(lams))]
    assert np.all(np.diff(regrets) <= 1e-12)
    assert regrets[-1] < 1e-6


@SETTINGS
@given(st.integers(0, 2**32 - 1), st.integers(2, 4))
def test_regret_vanishes_at_large_lam_with_strictly_dominant_actions(seed, n_players):
    rng = np.random.default_rng(seed)
    counts = tuple(int(m) for m in rng.integers(2, 4, size=n_players))
    payoffs = strictly_dominant_game(rng, counts)
    (equilibrium,) = games.pure_nash_equilibria(payoffs)
    strategies = games.logit_qre(payoffs, 30.0)
    assert games.regret(payoffs, strategies) < 1e-6
    assert tuple(int(np.argmax(s)) for s in strategies) == equilibrium


def test_regret_can_rise_with_lam_even_with_strictly_dominant_actions():
    """Regret is not monotone in lam in general, even in dominance-solvable games.

    Both players' action 0 is strictly dominant. At lam = 0 the column player's payoff
    gaps are averaged over a uniform row player; as lam grows the row player moves to its
    action 0, against which the column player's gaps are larger (10 and 9, not 1 and 1),
    and the column player's regret first rises before it falls.
    """
    payoffs = np.array([[[1, -1, 9], [0, -2, -8]], [[4, -6, -5], [-8, -9, -9]]], dtype=float)
    assert games.pure_nash_equilibria(payoffs) == [(0, 0)]
    lams = [0.0, 0.025, 0.05, 1.0, 5.0]
    path = games.qre_branch(payoffs, lams)
    regrets = [games.regret(payoffs, [p[k] for p in path]) for k in range(len(lams))]
    assert regrets[0] == pytest.approx(3.5)
    assert regrets[1] > regrets[0] + 0.01
    assert regrets[-1] < regrets[0]


@SETTINGS
@given(seeded_games(max_players=3, max_actions=3), st.floats(0.1, 30))
def test_qre_is_invariant_to_player_shifts_and_scales_lam_inversely(payoffs, lam):
    shifted = payoffs + np.arange(payoffs.shape[0]).reshape((-1,) + (1,) * (payoffs.ndim - 1))
    base = games.logit_qre(payoffs, lam)
    for a, b in zip(base, games.logit_qre(shifted, lam), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-8)
    for a, b in zip(base, games.logit_qre(2.0 * payoffs, lam / 2.0), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-8)


def test_qre_branch_equals_separate_calls_on_textbook_games():
    lams = [0.0, 0.3, 1.0, 4.0, 4.0, 25.0]
    for payoffs in (PRISONERS_DILEMMA, MATCHING_PENNIES, volunteers_dilemma()):
        path = games.qre_branch(payoffs, lams)
        for k, lam in enumerate(lams):
            for i, sigma in enumerate(games.logit_qre(payoffs, lam)):
                np.testing.assert_allclose(path[i][k], sigma, atol=1e-9)


def test_qre_on_the_benchmark_sized_game():
    payoffs = np.random.default_rng(2023).normal(size=(4, 36, 3, 3, 3))
    for lam in (1.0, 5.0, 20.0):
        assert_valid_qre(payoffs, games.logit_qre(payoffs, lam), lam)


def test_qre_passes_a_bifurcation_with_a_warning():
    """Pure coordination: uniform play is a QRE at every lam, and at lam = 2 two branches
    bifurcate from it. The tracer warns and continues straight through."""
    coordination = [[[1, 0], [0, 1]], [[1, 0], [0, 1]]]
    with pytest.warns(RuntimeWarning, match="bifurcation"):
        strategies = games.logit_qre(coordination, 5.0)
    for sigma in strategies:
        np.testing.assert_allclose(sigma, [0.5, 0.5], atol=1e-12)


def test_qre_falls_back_with_a_warning_when_continuation_stalls(monkeypatch):
    monkeypatch.setattr(games.qre, "_MAX_STEPS", 0)
    with pytest.warns(RuntimeWarning, match="damped fixed-point iteration"):
        strategies = games.logit_qre(PRISONERS_DILEMMA, 3.0)
    assert_valid_qre(np.asarray(PRISONERS_DILEMMA, float), strategies, 3.0)


def test_qre_handles_trivial_games():
    single_player = [[3.0, 1.0, 3.0]]
    np.testing.assert_allclose(
        games.logit_qre(single_player, 2.0)[0], np.exp([6, 2, 6]) / np.exp([6, 2, 6]).sum()
    )
    indifferent = np.zeros((3, 2, 3, 2))
    for sigma, m in zip(games.logit_qre(indifferent, 10.0), (2, 3, 2), strict=True):
        np.testing.assert_allclose(sigma, np.full(m, 1.0 / m))
    one_action_each = np.ones((2, 1, 1))
    assert [s.tolist() for s in games.logit_qre(one_action_each, 5.0)] == [[1.0], [1.0]]
    assert [p.shape for p in games.qre_branch(PRISONERS_DILEMMA, [])] == [(0, 2), (0, 2)]


# --------------------------------------------------------------------------- peers


@SETTINGS
@given(payoff_arrays(min_players=2, max_players=2, max_actions=4, integer=True))
def test_pure_equilibria_agree_with_nashpy_best_responses(payoffs):
    nash = pytest.importorskip("nashpy")
    game = nash.Game(payoffs[0], payoffs[1])
    counts = payoffs.shape[1:]
    theirs = [
        profile
        for profile in itertools.product(*(range(m) for m in counts))
        if all(game.is_best_response(*one_hot(profile, counts)))
    ]
    assert games.pure_nash_equilibria(payoffs, tol=0.0) == theirs


@SETTINGS
@given(seeded_games(min_players=2, max_players=2, max_actions=4))
def test_pure_equilibria_agree_with_nashpy_support_enumeration(payoffs):
    nash = pytest.importorskip("nashpy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        equilibria = list(nash.Game(payoffs[0], payoffs[1]).support_enumeration())
    theirs = sorted(
        (int(np.argmax(row)), int(np.argmax(col)))
        for row, col in equilibria
        if row.max() > 1 - 1e-9 and col.max() > 1 - 1e-9
    )
    assert games.pure_nash_equilibria(payoffs) == theirs


def quantecon_game(payoffs):
    """quantecon's layout: player i's array has its own action first, then players
    i+1, ..., n-1, 0, ..., i-1 (see quantecon/game_theory/normal_form_game.py)."""
    qe = pytest.importorskip("quantecon.game_theory")
    n = payoffs.shape[0]
    players = [
        qe.Player(np.transpose(payoffs[i], [(i + k) % n for k in range(n)])) for i in range(n)
    ]
    return qe.NormalFormGame(players)


@pytest.mark.slow
@SETTINGS
@given(payoff_arrays(min_players=2, max_players=4))
def test_pure_equilibria_agree_with_quantecon(payoffs):
    qe = pytest.importorskip("quantecon.game_theory")
    theirs = sorted(qe.pure_nash_brute(quantecon_game(payoffs), tol=1e-9))
    assert games.pure_nash_equilibria(payoffs, tol=1e-9) == theirs


def test_quantecon_layout_conversion_on_an_asymmetric_game():
    # Player 0 wants to match player 1, who wants to match player 2, who wants to mismatch
    # player 0; shapes differ so that a wrong axis order would fail loudly.
    qe = pytest.importorskip("quantecon.game_theory")
    payoffs = np.zeros((3, 2, 3, 2))
    for a in itertools.product(range(2), range(3), range(2)):
        payoffs[(0, *a)] = a[0] == a[1]
        payoffs[(1, *a)] = a[1] == a[2]
        payoffs[(2, *a)] = a[2] != a[0]
    ours = games.pure_nash_equilibria(payoffs)
    assert ours == sorted(qe.pure_nash_brute(quantecon_game(payoffs)))
    assert ours == []
    payoffs[2] = 1 - payoffs[2]  # now player 2 wants to match player 0
    assert games.pure_nash_equilibria(payoffs) == [(0, 0, 0), (1, 1, 1)]


# --------------------------------------------------------------------------- textbook games


def test_prisoners_dilemma():
    assert games.pure_nash_equilibria(PRISONERS_DILEMMA) == [(1, 1)]
    assert games.best_responses(PRISONERS_DILEMMA, (0, 1)) == [[1], [1]]
    assert games.regret(PRISONERS_DILEMMA, one_hot((1, 1), (2, 2))) == 0.0
    # Defection is dominant, so the branch heads to (defect, defect).
    strategies = games.logit_qre(PRISONERS_DILEMMA, 20.0)
    assert all(s[1] > 1 - 1e-6 for s in strategies)


def test_matching_pennies():
    assert games.pure_nash_equilibria(MATCHING_PENNIES) == []
    for lam in (0.0, 0.5, 3.0, 50.0):
        for sigma in games.logit_qre(MATCHING_PENNIES, lam):
            np.testing.assert_allclose(sigma, [0.5, 0.5], atol=1e-12)
    assert games.regret(MATCHING_PENNIES, [[0.5, 0.5], [0.5, 0.5]]) == 0.0


def test_battle_of_the_sexes():
    assert games.pure_nash_equilibria(BATTLE_OF_THE_SEXES) == [(0, 0), (1, 1)]
    assert games.best_responses(BATTLE_OF_THE_SEXES, (0, 1)) == [[1], [0]]
    # The mixed equilibrium: row plays (2/3, 1/3), column (1/3, 2/3).
    assert games.regret(BATTLE_OF_THE_SEXES, [[2 / 3, 1 / 3], [1 / 3, 2 / 3]]) < 1e-15
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a symmetric, non-generic game
        strategies = games.logit_qre(BATTLE_OF_THE_SEXES, 3.0)
    assert fixed_point_gap(BATTLE_OF_THE_SEXES, strategies, 3.0) <= FIXED_POINT_TOL


def test_volunteers_dilemma_three_players():
    payoffs = volunteers_dilemma()
    assert games.pure_nash_equilibria(payoffs) == [(0, 0, 1), (0, 1, 0), (1, 0, 0)]
    assert games.best_responses(payoffs, (0, 0, 0)) == [[1], [1], [1]]
    assert games.best_responses(payoffs, (1, 1, 0)) == [[0], [0], [0]]
    strategies = games.logit_qre(payoffs, 10.0)
    assert_valid_qre(payoffs, strategies, 10.0)
    # Symmetric game, symmetric branch.
    np.testing.assert_allclose(strategies[0], strategies[1], atol=1e-9)
    np.testing.assert_allclose(strategies[0], strategies[2], atol=1e-9)


def test_game_wrapper_delegates():
    game = games.Game(PRISONERS_DILEMMA)
    assert game.action_counts == (2, 2)
    assert game.pure_nash_equilibria() == [(1, 1)]
    assert game.best_responses((0, 0)) == [[1], [1]]
    assert game.regret([[0, 1], [0, 1]]) == 0.0
    assert [v.tolist() for v in game.expected_payoffs([[1, 0], [1, 0]])] == [[3, 5], [3, 5]]
    np.testing.assert_allclose(game.logit_qre(2.0)[0], games.logit_qre(PRISONERS_DILEMMA, 2.0)[0])
    assert game.qre_branch([0.0, 1.0])[0].shape == (2, 2)
    with pytest.raises(ValueError):
        game.payoffs[0, 0, 0] = 7.0


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "payoffs, message",
    [
        ([1.0, 2.0], "ndim >= 2"),
        (5.0, "ndim >= 2"),
        (np.zeros((3, 2, 2)), "shape\\[0\\] == ndim - 1"),
        (np.zeros((2, 2)), "shape\\[0\\] == ndim - 1"),
        (np.zeros((2, 0, 2)), "at least one action"),
        ([[[1, np.nan], [0, 0]], [[0, 0], [0, 0]]], "finite"),
        ([[[1, np.inf], [0, 0]], [[0, 0], [0, 0]]], "finite"),
        ([[[1, -np.inf], [0, 0]], [[0, 0], [0, 0]]], "finite"),
        ([["a", "b"], ["c", "d"]], "numeric"),
        ([[[1j, 0], [0, 0]], [[0, 0], [0, 0]]], "numeric"),
    ],
)
def test_bad_payoffs_raise_value_error(payoffs, message):
    with pytest.raises(ValueError, match=message):
        games.validate_payoffs(payoffs)
    for call in (
        lambda: games.pure_nash_equilibria(payoffs),
        lambda: games.logit_qre(payoffs, 1.0),
        lambda: games.qre_branch(payoffs, [1.0]),
    ):
        with pytest.raises(ValueError):
            call()


@pytest.mark.parametrize("lam", [-1.0, -1e-12, np.nan, np.inf, -np.inf, "x", None])
def test_bad_lam_raises_value_error(lam):
    with pytest.raises(ValueError, match="lam"):
        games.logit_qre(PRISONERS_DILEMMA, lam)
    with pytest.raises(ValueError, match="lam"):
        games.qre_branch(PRISONERS_DILEMMA, [0.0, lam])


def test_bad_arguments_raise_value_error():
    with pytest.raises(ValueError, match="non-decreasing"):
        games.qre_branch(PRISONERS_DILEMMA, [2.0, 1.0])
    with pytest.raises(ValueError, match="tol"):
        games.pure_nash_equilibria(PRISONERS_DILEMMA, tol=-1.0)
    with pytest.raises(ValueError, match="profile"):
        games.best_responses(PRISONERS_DILEMMA, (0, 2))
    with pytest.raises(ValueError, match="profile"):
        games.best_responses(PRISONERS_DILEMMA, (0,))
    with pytest.raises(ValueError, match="one strategy per player"):
        games.expected_payoffs(PRISONERS_DILEMMA, [[1, 0]])
    with pytest.raises(ValueError, match="shape"):
        games.regret(PRISONERS_DILEMMA, [[1, 0], [0.5, 0.25, 0.25]])
    with pytest.raises(ValueError, match="sum to 1"):
        games.regret(PRISONERS_DILEMMA, [[1, 0], [0.5, 0.6]])
    with pytest.raises(ValueError, match=">= 0"):
        games.logit_response(PRISONERS_DILEMMA, [[1, 0], [1.5, -0.5]], 1.0)
