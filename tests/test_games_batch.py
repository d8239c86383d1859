"""Tests for model.games.batch, pure_batch and sparse: games on a run axis against the
one-game functions.

The oracle is ``model.games``: ``pure_nash_equilibria`` (checked there against brute
force, nashpy and quantecon) and ``logit_qre`` (the principal branch traced from
``lam = 0``). Batches mix generic games (normal payoffs), tie-rich integer games, games
with no pure equilibrium, symmetric games at a bifurcation and games whose branch folds.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model import games
from model.games import batch as qb
from model.games import pure_batch
from model.games.sparse import SparseGame, uniqueness_bound

SETTINGS = settings(max_examples=25, deadline=None)
QRE_ATOL = 1e-8


def sparse(payoffs: np.ndarray) -> SparseGame:
    """A batch ``(runs, n, *counts)`` of dense games as a ``SparseGame``."""
    return SparseGame.from_tensors([payoffs[:, i] for i in range(payoffs.shape[1])],
                                      payoffs.shape[2:])


def traced(payoffs: np.ndarray, lam: float) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.concatenate(games.logit_qre(payoffs, lam))


def random_batch(seed: int, runs: int, counts, integer: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (runs, len(counts), *counts)
    if integer:
        return rng.integers(-2, 3, size=shape).astype(float)
    return rng.normal(size=shape)


def with_ignored_players(payoffs: np.ndarray, seed: int) -> np.ndarray:
    """Make each player's payoff ignore a random other player (sparse dependencies)."""
    rng = np.random.default_rng(seed)
    out = payoffs.copy()
    n = payoffs.shape[1]
    for i in range(n):
        j = int(rng.integers(n))
        if j != i:
            out[:, i] = np.take(out[:, i], [0], axis=1 + j).repeat(payoffs.shape[2 + j],
                                                                  axis=1 + j)
    return out


counts_strategy = st.lists(st.integers(1, 3), min_size=2, max_size=4).map(tuple)


# ------------------------------------------------------------------- the sparse game


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), counts=counts_strategy)
def test_dependencies_are_exactly_where_payoffs_vary(seed, counts):
    u = with_ignored_players(random_batch(seed, 3, counts), seed)
    game = sparse(u)
    for i, deps in enumerate(game.deps):
        for k in range(len(counts)):
            varies = not np.array_equal(u[:, i], np.take(u[:, i], [0], axis=1 + k).repeat(
                counts[k], axis=1 + k))
            assert (k in deps) == (varies and k != i)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), counts=counts_strategy)
def test_residual_and_jacobian(seed, counts):
    """H(x) = x - log L(exp x) with L the logit response of model.games; dH/dx matches
    central differences."""
    u = with_ignored_players(random_batch(seed, 2, counts), seed + 1)
    game = sparse(u)
    rng = np.random.default_rng(seed)
    x = np.log(rng.dirichlet(np.ones(game.size), size=2))
    x = np.concatenate([np.log(np.exp(x[:, s]) / np.exp(x[:, s]).sum(1, keepdims=True))
                        for s in game.slices], axis=1)
    lam = np.array([0.7, 2.5])
    residual, jac = game.evaluate(x, lam)
    for r in range(2):
        strategies = [np.exp(x[r, s]) for s in game.slices]
        response = np.concatenate(games.logit_response(u[r], strategies, lam[r]))
        np.testing.assert_allclose(residual[r], x[r] - np.log(response), atol=1e-12)
        h = 1e-6
        one = game.take(np.array([r]))
        for c in range(game.size):
            step = np.zeros(game.size)
            step[c] = h
            up = one.evaluate(x[r:r + 1] + step, lam[r:r + 1], jacobian=False)[0][0]
            down = one.evaluate(x[r:r + 1] - step, lam[r:r + 1], jacobian=False)[0][0]
            np.testing.assert_allclose(jac[r, :, c], (up - down) / (2 * h), atol=1e-6)


def test_a_batch_of_one_gives_the_same_bits():
    u = random_batch(3, 6, (3, 2, 3))
    lam = np.linspace(0.5, 3.0, 6)
    whole = qb.solve(sparse(u), lam)
    for r in range(6):
        one = qb.solve(sparse(u[r:r + 1]), lam[r:r + 1])
        assert one.method[0] == whole.method[r]
        assert np.array_equal(one.x[0], whole.x[r])


# ------------------------------------------------------------------- pure equilibria


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), counts=counts_strategy, integer=st.booleans())
def test_pure_equilibria_equal_the_one_game_function(seed, counts, integer):
    """Integer payoffs in -2..2 make ties and games without pure equilibria common."""
    u = with_ignored_players(random_batch(seed, 5, counts, integer), seed)
    mask = pure_batch.pure_equilibria(sparse(u))
    for r in range(5):
        assert [tuple(int(a) for a in e) for e in np.argwhere(mask[r])] == \
            games.pure_nash_equilibria(u[r])


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), integer=st.booleans())
def test_groups_are_separable_joint_players(seed, integer):
    """A group of players whose payoff is one separable sum equals one joint player."""
    rng = np.random.default_rng(seed)
    runs = 4  # actions (2, 3, 3): players 0 and 1 form a group; 2 is alone
    draw = (lambda *s: rng.integers(-2, 3, size=s).astype(float)) if integer else \
        (lambda *s: rng.normal(size=s))
    f0, f1, other = draw(runs, 2, 3), draw(runs, 3, 3), draw(runs, 2, 3, 3)
    joint = np.zeros((runs, 2, 6, 3))  # the joint player has 2 x 3 options
    for a in range(2):
        for b in range(3):
            joint[:, 0, a * 3 + b] = f0[:, a] + f1[:, b]
            joint[:, 1, a * 3 + b] = other[:, a, b]
    tensors = [f0[:, :, None, :], f1[:, None, :, :], other]
    mask = pure_batch.pure_equilibria(SparseGame.from_tensors(tensors, (2, 3, 3)), [[0, 1], [2]])
    for r in range(runs):
        expected = games.pure_nash_equilibria(joint[r])
        assert [(int(a) * 3 + int(b), int(c)) for a, b, c in np.argwhere(mask[r])] == expected


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), integer=st.booleans())
def test_equilibrium_candidates_equal_the_full_mask(seed, integer):
    u = with_ignored_players(random_batch(seed, 8, (3, 2, 3), integer), seed)
    game = sparse(u)
    found = pure_batch.equilibrium_candidates(game, [[0], [1], [2]])
    if found is None:
        return
    actions, valid, exact = found
    profiles = np.stack(actions, axis=-1)
    mask = pure_batch.pure_equilibria(game)
    for r in np.flatnonzero(exact):
        got = sorted(tuple(int(a) for a in p) for p in profiles[r][valid[r]])
        assert got == [tuple(int(a) for a in e) for e in np.argwhere(mask[r])]


# ------------------------------------------------------------------- the logit QRE


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), counts=counts_strategy,
       lam=st.floats(0.0, 6.0))
def test_qre_equals_the_traced_branch(seed, counts, lam):
    u = with_ignored_players(random_batch(seed, 4, counts), seed)
    result = qb.solve(sparse(u), lam)
    for r in np.flatnonzero(result.ok):
        np.testing.assert_allclose(np.exp(result.x[r]), traced(u[r], lam), atol=QRE_ATOL)


def test_continuation_reaches_most_generic_games():
    u = random_batch(7, 40, (3, 3, 2))
    result = qb.solve(sparse(u), 3.0)
    assert result.ok.mean() >= 0.9
    for r in np.flatnonzero(result.ok):
        np.testing.assert_allclose(np.exp(result.x[r]), traced(u[r], 3.0), atol=QRE_ATOL)


def test_warm_start_follows_a_drifting_game():
    """Month by month the game moves a little; each warm-started solution is last
    month's branch point carried along, and equals the traced branch."""
    rng = np.random.default_rng(11)
    start, end = rng.normal(size=(2, 6, 3, 3, 3, 2))
    lam = 2.0
    last = None
    methods = []
    for t in np.linspace(0.0, 1.0, 21):
        u = (1 - t) * start + t * end
        result = qb.solve(sparse(u), lam, None if last is None else last.x,
                          None if last is None else last.ok)
        methods.append(result.method)
        for r in np.flatnonzero(result.ok):
            np.testing.assert_allclose(np.exp(result.x[r]), traced(u[r], lam), atol=QRE_ATOL)
        last = result
    assert (np.array(methods[1:]) == qb.WARM).mean() > 0.9


def with_a_switch(payoffs: np.ndarray, seed: int, size: float = 2.0) -> np.ndarray:
    """The games of next month after a jump like the model's switching costs: each
    player's payoff gains ``size`` on one random own option (an own-action term), and
    each player's payoffs are rescaled a little (which keeps the games' dependencies)."""
    rng = np.random.default_rng(seed)
    runs, n = payoffs.shape[:2]
    scale = 1.0 + 0.05 * rng.normal(size=(runs, n) + (1,) * (payoffs.ndim - 2))
    out = payoffs * scale
    for i in range(n):
        m = payoffs.shape[2 + i]
        bonus = size * (np.arange(m) == rng.integers(m, size=(runs, 1)))  # (runs, m)
        shape = [runs] + [m if k == i else 1 for k in range(n)]
        out[:, i] += bonus.reshape(shape)
    return out


def test_a_jump_in_the_game_is_followed_by_the_game_homotopy():
    """One Newton step from last month's QRE is refused after a jump, but the homotopy
    from last month's game (``last``) follows it in steps: the runs stay warm, and every
    solution is the traced branch's."""
    before = random_batch(12, 30, (3, 3, 2))
    after = with_a_switch(before, 13)
    lam = 1.5
    old = qb.solve(sparse(before), lam)
    assert old.ok.all()
    one_step = qb.solve(sparse(after), lam, old.x, old.ok)
    homotopy = qb.solve(sparse(after), lam, old.x, old.ok, sparse(before).flat)
    assert (one_step.method == qb.WARM).mean() <= 0.5  # the jump defeats a single step ...
    assert (homotopy.method == qb.WARM).mean() >= 0.9  # ... not the homotopy
    for r in np.flatnonzero(homotopy.ok):
        np.testing.assert_allclose(np.exp(homotopy.x[r]), traced(after[r], lam),
                                   atol=QRE_ATOL)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), counts=counts_strategy, lam=st.floats(0.5, 6.0),
       size=st.floats(0.0, 4.0))
def test_game_homotopy_lands_on_the_traced_branch(seed, counts, lam, size):
    """Whatever the jump, a run the batch accepts (warm or from lam = 0) is on the
    traced branch, and its QRE solves the equations (regret check)."""
    before = with_ignored_players(random_batch(seed, 4, counts), seed)
    after = with_a_switch(before, seed + 1, size)
    old = qb.solve(sparse(before), lam)
    game = sparse(after)
    result = qb.solve(game, lam, old.x, old.ok, sparse(before).flat)
    for r in np.flatnonzero(result.ok):
        np.testing.assert_allclose(np.exp(result.x[r]), traced(after[r], lam), atol=QRE_ATOL)
        strategies = [np.exp(result.x[r, s]) for s in game.slices]
        gap = max(np.abs(a - b).max() for a, b in zip(
            games.logit_response(after[r], strategies, lam), strategies))
        assert gap <= 1e-10


def test_last_games_must_match_the_batch():
    u = random_batch(1, 3, (2, 3))
    with pytest.raises(ValueError, match="last must have shape"):
        qb.solve(sparse(u), 1.0, sparse(u).uniform(), None, np.zeros((3, 2)))


@pytest.mark.parametrize("seed, before, after", [(549, 4.0, 4.15), (18, 16.8, 17.0)])
def test_warm_start_is_refused_where_the_branch_folds(seed, before, after):
    """In these games the principal branch turns back just before ``after``: the point
    that ``logit_qre`` returns jumps to a far sheet. ``QRE(cU, lam) = QRE(U, c lam)``, so
    scaling the payoffs by ``after / before`` is a month's change that crosses the fold.
    The warm start must not be accepted (nor continuation from 0): the run is left to
    the tracer."""
    u = np.random.default_rng(seed).normal(size=(1, 2, 3, 3))
    old, new = traced(u[0], before), traced(u[0], after)
    assert np.abs(old - new).max() > 0.2  # the first crossing jumps
    result = qb.solve(sparse(u), after, np.log(old)[None], np.array([True]))
    assert result.method[0] == qb.FAILED
    # the same change as a homotopy in the game: U(t) from U * before / after at lam = after
    # is the branch of U from lam = before to lam = after, across the fold: refused too
    last = sparse(u * (before / after)).flat
    result = qb.solve(sparse(u), after, np.log(old)[None], np.array([True]), last)
    assert result.method[0] == qb.FAILED
    unguarded, ok = qb.newton(sparse(u), np.array([after]), np.log(old)[None],
                              guarded=False, max_iterations=50)
    assert not (ok[0] and np.abs(np.exp(unguarded[0]) - new).max() < QRE_ATOL)


def test_a_far_point_of_the_right_game_is_not_accepted_as_a_warm_start():
    """Coordination at large lam has three QREs: the principal one near (0, 0), one near
    (1, 1) with det(dH/dx) > 0 and a mixed one with det(dH/dx) < 0. From the mixed one
    Newton stays put, but it is a backward point of a branch: refused."""
    u = np.array([[[[3.0, 0.0], [0.0, 2.0]], [[3.0, 0.0], [0.0, 2.0]]]])
    lam = 8.0
    mixed = np.log(np.array([[0.4, 0.6, 0.4, 0.6]]))
    # polish the mixed QRE without guards, then offer it as a warm start
    x, ok = qb.newton(sparse(u), np.array([lam]), mixed, guarded=False, max_iterations=50)
    assert ok[0] and np.exp(x[0, 0]) < 0.9
    assert np.linalg.slogdet(sparse(u).evaluate(x, np.array([lam]))[1])[0][0] < 0
    result = qb.solve(sparse(u), lam, x, np.array([True]))
    assert result.method[0] != qb.WARM
    np.testing.assert_allclose(np.exp(result.x[0]), traced(u[0], lam), atol=QRE_ATOL)


def test_symmetric_games_at_a_bifurcation_match_the_tracer_or_fail():
    """Mirrored payoffs (a pure coordination game) put a bifurcation on the branch: the
    batch never returns a point the tracer does not."""
    u = np.array([[[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]]] * 3)
    for lam in (1.0, 3.0, 5.0):
        result = qb.solve(sparse(u), lam)
        for r in np.flatnonzero(result.ok):
            np.testing.assert_allclose(np.exp(result.x[r]), traced(u[r], lam),
                                       atol=QRE_ATOL)


def test_games_without_pure_equilibria():
    """Matching pennies-like games: no pure equilibrium; the QRE is found and matches."""
    rng = np.random.default_rng(5)
    found = []
    while len(found) < 6:
        u = rng.normal(size=(2, 3, 3))
        if not games.pure_nash_equilibria(u):
            found.append(u)
    u = np.array(found)
    assert not pure_batch.pure_equilibria(sparse(u)).any()
    result = qb.solve(sparse(u), 2.0)
    assert result.ok.any()
    for r in np.flatnonzero(result.ok):
        np.testing.assert_allclose(np.exp(result.x[r]), traced(u[r], 2.0), atol=QRE_ATOL)
        strategies = [np.exp(result.x[r, s]) for s in sparse(u).slices]
        gap = max(np.abs(a - b).max() for a, b in zip(
            games.logit_response(u[r], strategies, 2.0), strategies))
        assert gap <= 1e-10


def test_uniqueness_bound_certifies_small_lam():
    """Below the bound the QRE is unique: continuation always succeeds and agrees."""
    u = random_batch(2, 20, (3, 3, 3))
    game = sparse(u)
    rho = uniqueness_bound(game, 1.0)
    lam = 0.9 / rho  # rho scales with lam
    assert (uniqueness_bound(game, lam) < 1).all()
    result = qb.solve(game, lam)
    assert result.ok.all()
    for r in range(20):
        np.testing.assert_allclose(np.exp(result.x[r]), traced(u[r], lam[r]), atol=QRE_ATOL)


# ------------------------------------------------------------------- speed paths, same bits


def test_identical_runs_are_solved_once_with_the_same_bits(monkeypatch):
    """Runs with byte-identical inputs share one solve; each copy gets the bits a batch
    without copies gives it, also when the hash of two different runs collides."""
    u = random_batch(4, 4, (3, 2, 3))
    lam = np.array([1.5, 2.5, 1.5, 3.0])
    copies = np.array([0, 1, 0, 2, 3, 1, 0])
    alone = qb.solve(sparse(u), lam)
    warm = np.where(alone.ok[:, None], alone.x, 0.0)
    warm_ok = np.array([True, True, False, True])
    alone_warm = qb.solve(sparse(u), lam * 1.1, warm, warm_ok)
    for collide in (False, True):
        if collide:  # every run hashes alike: the byte comparison must separate them
            monkeypatch.setattr(qb, "_row_hashes", lambda words: np.zeros(len(words)))
        first, _ = qb._distinct_runs(sparse(u[copies]), lam[copies], None, None)
        assert len(first) == 4
        merged = qb.solve(sparse(u[copies]), lam[copies])
        assert np.array_equal(merged.x, alone.x[copies])
        assert np.array_equal(merged.method, alone.method[copies])
        merged = qb.solve(sparse(u[copies]), lam[copies] * 1.1, warm[copies], warm_ok[copies])
        assert np.array_equal(merged.x, alone_warm.x[copies])
        assert np.array_equal(merged.method, alone_warm.method[copies])


@pytest.mark.parametrize("max_rounds", [3, 200])
def test_spare_solves_do_not_change_the_continuation(monkeypatch, max_rounds):
    """With or without the spare (half-step) solves, every run takes the same rounds:
    the same points, successes and failures, bit for bit."""
    rng = np.random.default_rng(21)
    u = random_batch(21, 12, (3, 3, 2)) * 3.0
    lam = rng.uniform(0.5, 12.0, 12)
    results = []
    for below in (0, 10**6):
        monkeypatch.setattr(qb, "SPECULATE_BELOW", below)
        results.append(qb.continuation(sparse(u), lam, max_rounds=max_rounds))
    (x0, ok0), (x1, ok1) = results
    assert np.array_equal(ok0, ok1) and np.array_equal(x0, x1)
    if max_rounds == 200:
        assert ok0.any()


def test_evaluate_gives_each_run_the_bits_of_a_batch_of_one():
    u = with_ignored_players(random_batch(8, 5, (3, 2, 3, 2)), 8)
    game = sparse(u)
    rng = np.random.default_rng(8)
    x = np.log(rng.dirichlet(np.ones(game.size), size=5))
    lam = np.linspace(0.5, 4.0, 5)
    residual, jac = game.evaluate(x, lam)
    for r in range(5):
        one = game.take(np.array([r])).evaluate(x[r:r + 1], lam[r:r + 1])
        assert np.array_equal(one[0][0], residual[r])
        assert np.array_equal(one[1][0], jac[r])
