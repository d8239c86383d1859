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
from model.games.newton_batch import newton
from model.games.sparse import SparseGame, uniqueness_bound

SETTINGS = settings(deadline=None)
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
def test_runs_last_storage_holds_the_tensors(seed, counts):
    """Stored with the runs last, read back with the runs first; a taken subset, the
    game rebuilt from its storage, and the payoff scales agree with the tensors."""
    u = with_ignored_players(random_batch(seed, 5, counts), seed)
    game = sparse(u)
    for i, deps in enumerate(game.deps):
        want = np.moveaxis(u[:, i], [1 + i, *[1 + k for k in deps]],
                           list(range(1, 2 + len(deps))))
        want = want[(slice(None),) * (2 + len(deps)) + (0,) * (want.ndim - 2 - len(deps))]
        assert np.array_equal(game.tensors[i], want)
        assert np.array_equal(np.moveaxis(game.block(i), -1, 0), want)
    rows = np.array([4, 1, 1])
    taken, rebuilt = game.take(rows), SparseGame.from_runs_last(
        game.flat_runs_last.copy(), game.deps, game.counts)
    for t, r, full in zip(taken.tensors, rebuilt.tensors, game.tensors):
        assert np.array_equal(t, full[rows]) and np.array_equal(r, full)
    flat = [t.reshape(5, -1) for t in game.tensors]
    assert np.array_equal(game.payoff_scale(), np.max([np.abs(f).max(axis=1) for f in flat], 0))
    assert np.array_equal(game.payoff_range(),
                          np.max([f.max(axis=1) - f.min(axis=1) for f in flat], 0))
    with pytest.raises(ValueError, match="C-contiguous"):
        SparseGame.from_runs_last(game.flat_runs_last[:-1], game.deps, game.counts)
    with pytest.raises(ValueError, match="player 0's block"):
        SparseGame.from_blocks([game.block(0).astype(np.float32),
                                *[game.block(i) for i in range(1, game.n)]],
                               game.deps, game.counts)


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


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), counts=counts_strategy)
def test_newton_systems_solved_through_the_schur_complement(seed, counts):
    """``SparseGame.solve`` eliminates the players none of whom depends on another; it
    equals a dense solve, ``det_sign`` the sign of the dense determinant, and a run gets
    the same bits alone as in its batch."""
    u = with_ignored_players(random_batch(seed, 5, counts), seed + 2)
    game = sparse(u)
    rng = np.random.default_rng(seed)
    x = np.log(rng.dirichlet(np.ones(game.size), size=5))
    lam = rng.uniform(0.5, 6.0, 5)
    residual, jac = game.evaluate_rows(None, x, lam)  # runs last
    dense = jac.transpose(2, 0, 1)
    np.testing.assert_allclose(game.solve(jac, -residual),
                               np.linalg.solve(dense, -residual[..., None])[..., 0],
                               rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(game.det_sign(jac), np.linalg.slogdet(dense)[0])
    for r in range(5):
        one = game.take(np.array([r]))
        r_one, j_one = one.evaluate_rows(None, x[r:r + 1], lam[r:r + 1])
        assert np.array_equal(one.solve(j_one, -r_one)[0], game.solve(jac, -residual)[r])


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
    profiles = np.stack([np.broadcast_to(a, valid.shape).T for a in actions], axis=-1)
    valid = valid.T
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


@pytest.mark.parametrize("seed, before, after", [(549, 4.0, 4.15), (18, 16.8, 17.0)])
def test_continuation_stops_at_a_turning_point(seed, before, after):
    """In these games the principal branch turns back between ``before`` and ``after``:
    the point ``logit_qre`` returns at ``after`` is on a far sheet. Continuation from
    ``lam = 0`` must not step across the fold (the run is left to the tracer); Newton
    without the guards, from the point at ``before``, does not find the traced point
    either."""
    u = np.random.default_rng(seed).normal(size=(1, 2, 3, 3))
    old, new = traced(u[0], before), traced(u[0], after)
    assert np.abs(old - new).max() > 0.2  # the first crossing jumps
    assert qb.solve(sparse(u), after).method[0] == qb.FAILED
    unguarded, ok = newton(sparse(u), np.array([after]), np.log(old)[None], guarded=False,
                           max_iterations=50)
    assert not (ok[0] and np.abs(np.exp(unguarded[0]) - new).max() < QRE_ATOL)


def test_a_backward_point_of_a_branch_is_refused():
    """Coordination at large lam has three QREs: the principal one near (0, 0), one near
    (1, 1) with det(dH/dx) > 0 and a mixed one with det(dH/dx) < 0. From the mixed one
    Newton stays put, but it is a backward point of a branch: the guarded solve refuses
    it, and continuation finds the traced point."""
    u = np.array([[[[3.0, 0.0], [0.0, 2.0]], [[3.0, 0.0], [0.0, 2.0]]]])
    lam = 8.0
    mixed = np.log(np.array([[0.4, 0.6, 0.4, 0.6]]))
    x, ok = newton(sparse(u), np.array([lam]), mixed, guarded=False, max_iterations=50)
    assert ok[0] and np.exp(x[0, 0]) < 0.9
    assert np.linalg.slogdet(sparse(u).evaluate(x, np.array([lam]))[1])[0][0] < 0
    assert not newton(sparse(u), np.array([lam]), x)[1][0]
    result = qb.solve(sparse(u), lam)
    np.testing.assert_allclose(np.exp(result.x[0]), traced(u[0], lam), atol=QRE_ATOL)


@pytest.mark.parametrize("seed, runs, counts, lam, scale", [
    (7377, 6, (3, 2), 4.0, 2.0),
    (3327157124, 8, (2, 1, 3, 3), 9.59804040398726, 2.39817125134895),
    (395519095, 8, (3, 2, 3), 7.765150210331722, 2.0409594777372755),
])
def test_steps_across_a_steep_bend_do_not_land_on_another_sheet(seed, runs, counts, lam,
                                                                 scale):
    """Games found by stress tests (``benchmarks/check_qre.py``) where the branch bends
    sharply and a step that passed weaker guards landed on another sheet: the last two
    with the distance measured at the old point only, or at 0.4; the first even with
    the distance and contraction guards as they are, caught by the tangent's turn (the
    tracer's third rule: without it this test fails)."""
    u = with_ignored_players(random_batch(seed, runs, counts), seed) * scale
    result = qb.solve(sparse(u), lam)
    for r in np.flatnonzero(result.ok):
        np.testing.assert_allclose(np.exp(result.x[r]), traced(u[r], lam), atol=QRE_ATOL)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), counts=counts_strategy, lam=st.floats(4.0, 12.0))
def test_precise_play_is_followed_or_left_to_the_tracer(seed, counts, lam):
    """At high precision branches fold often: every run is either on the traced branch or
    reported as failed, never on another sheet."""
    u = with_ignored_players(random_batch(seed, 6, counts), seed) * 2.0
    result = qb.solve(sparse(u), lam)
    for r in np.flatnonzero(result.ok):
        np.testing.assert_allclose(np.exp(result.x[r]), traced(u[r], lam), atol=QRE_ATOL)


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
    for collide in (False, True):
        if collide:  # every run hashes alike: the byte comparison must separate them
            monkeypatch.setattr(qb, "_row_hashes", lambda words: np.zeros(len(words)))
        first, _ = qb._distinct_runs(sparse(u[copies]), lam[copies])
        assert len(first) == 4
        merged = qb.solve(sparse(u[copies]), lam[copies])
        assert np.array_equal(merged.x, alone.x[copies])
        assert np.array_equal(merged.method, alone.method[copies])


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
