"""Property tests of the numpy kernels: payoffs, choice sampling, dynamics and beliefs.

States, beliefs, choices and (per run) every scenario parameter are drawn at random
within their allowed ranges; the kernels must keep their invariants for all of them, and
a batch of N runs must give bit-identical numbers to evaluating each run on its own —
the property that makes the Mesa and ensemble drivers agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from model import load_scenario
from model.core.actions import DIMENSION_BY_KEY, DIMENSIONS, Actor, dimensions_of
from model.core.parameters import SPECS
from model.core.state import STATE_BY_NAME
from model.kernels import (
    MEMORY_KEYS,
    RULES,
    STATE_COLUMNS,
    ActorPolicy,
    advance,
    alliance_level,
    decide,
    initial_state,
    kernel_params,
    option_payoffs,
    posture_indices,
    sample,
    softmax,
    state_columns,
    update_beliefs,
    with_memory,
)
from model.kernels.dynamics import treaty_denounced, treaty_doubt

UNIT_COLUMNS = tuple(c for c in STATE_COLUMNS if c != "alliance_level")
PARAM_KEYS = tuple(SPECS)
PARAM_LOW = np.array([SPECS[k].low for k in PARAM_KEYS])
PARAM_HIGH = np.array([min(SPECS[k].high, 20.0) for k in PARAM_KEYS])  # ∞ → 20
UNIT = st.floats(0.0, 1.0, allow_nan=False)
UNIFORM = st.floats(0.0, 1.0, exclude_max=True, allow_nan=False)
PROPERTY = settings(deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


@dataclass
class Batch:
    """A batch of runs: state, beliefs, this month's choices and uniforms, parameters."""

    runs: int
    state: dict[str, np.ndarray]
    beliefs: dict[str, np.ndarray]
    choice: dict[str, np.ndarray]
    uniforms: dict[str, np.ndarray]
    interdiction: np.ndarray
    treaty: np.ndarray
    drawn: dict[str, np.ndarray]

    def params(self, scenario, run: slice | None = None):
        """Kernel parameters with this batch's per-run draws (optionally for some runs)."""
        drawn = self.drawn if run is None else {k: v[run] for k, v in self.drawn.items()}
        return kernel_params(scenario, drawn)

    def take(self, run: slice) -> Batch:
        def cut(d):
            return {k: v[run] for k, v in d.items()}
        return Batch(len(range(*run.indices(self.runs))), cut(self.state), cut(self.beliefs),
                     cut(self.choice), cut(self.uniforms), self.interdiction[run],
                     self.treaty[run], cut(self.drawn))


def probability_rows(draw, runs: int, size: int) -> np.ndarray:
    weights = draw(arrays(np.float64, (runs, size), elements=UNIT))
    weights[weights.sum(axis=1) == 0.0] = 1.0
    return weights / weights.sum(axis=1, keepdims=True)


SIZES = [d.size for d in DIMENSIONS]
EDGES = [int(e) for e in np.cumsum([0, *SIZES])]


@st.composite
def batches(draw, max_runs: int = 4, random_params: bool = True) -> Batch:
    runs = draw(st.integers(1, max_runs), label="runs")
    # few, wide draws (one array per kind) keep example generation fast
    unit = draw(arrays(np.float64, (runs, len(UNIT_COLUMNS)), elements=UNIT), label="state")
    state = {c: unit[:, i].copy() for i, c in enumerate(UNIT_COLUMNS)}
    state["alliance_level"] = draw(arrays(np.int64, runs, elements=st.integers(0, 4)))
    last = draw(arrays(np.int64, (runs, len(DIMENSIONS)), elements=st.integers(0, 5)))
    state = with_memory(state, {d.key: last[:, i] % d.size for i, d in enumerate(DIMENSIONS)})
    weights = draw(arrays(np.float64, (runs, EDGES[-1]), elements=UNIT), label="beliefs")
    beliefs = {}
    for d, a, b in zip(DIMENSIONS, EDGES[:-1], EDGES[1:]):
        w = weights[:, a:b].copy()
        w[w.sum(axis=1) == 0.0] = 1.0
        beliefs[d.key] = w / w.sum(axis=1, keepdims=True)
    picks = draw(arrays(np.int64, (runs, len(DIMENSIONS)), elements=st.integers(0, 5)))
    choice = {d.key: picks[:, i] % d.size for i, d in enumerate(DIMENSIONS)}
    u = draw(arrays(np.float64, (runs, len(DIMENSIONS) + 2), elements=UNIFORM), label="uniforms")
    uniforms = {d.key: u[:, i].copy() for i, d in enumerate(DIMENSIONS)}
    interdiction, treaty = u[:, -2].copy(), u[:, -1].copy()
    drawn = {}
    if random_params:
        # a seed rather than ~80 floats per run: keeps generation fast
        seed = draw(st.integers(0, 2**32 - 1), label="params seed")
        u = np.random.default_rng(seed).random((runs, len(PARAM_KEYS)))
        u[:, draw(st.integers(0, len(PARAM_KEYS) - 1))] = draw(st.sampled_from([0.0, 1.0]))
        values = PARAM_LOW + u * (PARAM_HIGH - PARAM_LOW)
        drawn = {k: values[:, i] for i, k in enumerate(PARAM_KEYS)}
    return Batch(runs, state, beliefs, choice, uniforms, interdiction, treaty, drawn)


def all_payoffs(batch: Batch, scenario) -> dict[str, np.ndarray]:
    S, K = state_columns(batch.state), batch.params(scenario).as_columns()
    out = {}
    for actor in Actor:
        out.update(option_payoffs(actor, batch.beliefs, S, K))
    return out


def one_hot(beliefs: dict[str, np.ndarray], key: str, option: str) -> dict[str, np.ndarray]:
    """Beliefs with ``key`` believed to be played as ``option`` for sure."""
    dim = DIMENSION_BY_KEY[key]
    runs = beliefs[key].shape[0]
    return {**beliefs, key: np.tile(np.eye(dim.size)[dim.index(option)], (runs, 1))}


# ---------------------------------------------------------------- payoffs


@PROPERTY
@given(batch=batches())
def test_option_payoffs_are_finite_and_shaped(batch, baseline):
    S, K = state_columns(batch.state), batch.params(baseline).as_columns()
    for actor in Actor:
        payoffs = option_payoffs(actor, batch.beliefs, S, K)
        assert list(payoffs) == [d.key for d in dimensions_of(actor)]
        for dim in dimensions_of(actor):
            assert payoffs[dim.key].shape == (batch.runs, dim.size)
            assert np.isfinite(payoffs[dim.key]).all()


@PROPERTY
@given(batch=batches(), other=st.data())
def test_russia_payoffs_are_separable_across_its_dimensions(batch, other, baseline):
    """Beliefs about Russia's other dimensions shift a dimension's payoffs by a constant."""
    S, K = state_columns(batch.state), batch.params(baseline).as_columns()
    before = option_payoffs(Actor.RUSSIA, batch.beliefs, S, K)
    for dim in dimensions_of(Actor.RUSSIA):
        changed = dict(batch.beliefs)
        for other_dim in dimensions_of(Actor.RUSSIA):
            if other_dim is not dim:
                changed[other_dim.key] = probability_rows(other.draw, batch.runs, other_dim.size)
        after = option_payoffs(Actor.RUSSIA, changed, S, K)[dim.key]
        np.testing.assert_allclose(after - after[:, :1], before[dim.key] - before[dim.key][:, :1],
                                   rtol=1e-9, atol=1e-9)
        # beliefs about the dimension itself are not used at all
        own = {**batch.beliefs, dim.key: probability_rows(other.draw, batch.runs, dim.size)}
        np.testing.assert_array_equal(option_payoffs(Actor.RUSSIA, own, S, K)[dim.key],
                                      before[dim.key])


GRID = 9


def varied(batch: Batch, column: str, values: np.ndarray, **fixed: float) -> Batch:
    """Run 0 of ``batch`` repeated once per value of ``column`` (other columns fixed)."""
    one = batch.take(slice(0, 1))
    state = {c: np.repeat(v, len(values)) for c, v in one.state.items()}
    state[column] = np.asarray(values, dtype=float)
    for c, v in fixed.items():
        state[c] = np.full(len(values), v)
    beliefs = {k: np.repeat(v, len(values), axis=0) for k, v in one.beliefs.items()}
    return Batch(len(values), state, beliefs, one.choice, one.uniforms, one.interdiction,
                 one.treaty, {})


def advantage(payoffs: np.ndarray, better: int, worse: int) -> np.ndarray:
    return payoffs[:, better] - payoffs[:, worse]


@PROPERTY
@given(batch=batches(max_runs=1, random_params=False))
def test_war_demand_raises_russias_advantage_of_large_purchases(batch, baseline_params):
    b = varied(batch, "war_demand", np.linspace(0.0, 1.0, GRID))
    beliefs = one_hot(b.beliefs, "north_korea.munitions", "large")
    u = option_payoffs(Actor.RUSSIA, beliefs, state_columns(b.state),
                       baseline_params.as_columns())["russia.arms"]
    assert (np.diff(advantage(u, 2, 0)) > 0).all()


@PROPERTY
@given(batch=batches(max_runs=1, random_params=False),
       reputation=st.floats(0.05, 1.0))
def test_reputation_cost_lowers_russias_advantage_of_large_purchases(batch, reputation,
                                                                     baseline):
    b = varied(batch, "russia_reputation", np.full(GRID, reputation))
    costs = np.linspace(0.0, 5.0, GRID)
    K = kernel_params(baseline, {"levers.russia_reputation_cost": costs}).as_columns()
    beliefs = one_hot(b.beliefs, "north_korea.munitions", "large")
    u = option_payoffs(Actor.RUSSIA, beliefs, state_columns(b.state), K)["russia.arms"]
    assert (np.diff(advantage(u, 2, 0)) < 0).all()


@PROPERTY
@given(batch=batches(max_runs=1, random_params=False), war_demand=st.floats(0.05, 1.0))
def test_food_gap_raises_north_koreas_advantage_of_supplying(batch, war_demand,
                                                             baseline_params):
    b = varied(batch, "nk_food_gap", np.linspace(0.0, 1.0, GRID), war_demand=war_demand)
    beliefs = one_hot(b.beliefs, "russia.aid", "food")
    u = option_payoffs(Actor.NORTH_KOREA, beliefs, state_columns(b.state),
                       baseline_params.as_columns())["north_korea.munitions"]
    assert (np.diff(advantage(u, 2, 0)) > 0).all()
    assert (np.diff(advantage(u, 1, 0)) > 0).all()


@PROPERTY
@given(batch=batches(max_runs=1, random_params=False))
def test_isolation_raises_russias_advantage_of_food_aid(batch, baseline_params):
    b = varied(batch, "isolation_russia", np.linspace(0.0, 1.0, GRID))
    u = option_payoffs(Actor.RUSSIA, b.beliefs, state_columns(b.state),
                       baseline_params.as_columns())["russia.aid"]
    assert (np.diff(advantage(u, 1, 0)) > 0).all()


# ---------------------------------------------------------------- softmax and sampling


@st.composite
def payoff_rows(draw):
    runs, size = draw(st.integers(1, 5)), draw(st.integers(2, 4))
    payoffs = draw(arrays(np.float64, (runs, size), elements=st.floats(-10, 10)))
    if draw(st.booleans()):
        lam = draw(st.floats(0.0, 100.0))
    else:
        lam = draw(arrays(np.float64, (runs, 1), elements=st.floats(0.0, 100.0)))
    return payoffs, lam


@PROPERTY
@given(rows=payoff_rows())
def test_softmax_rows_are_probability_vectors(rows):
    payoffs, lam = rows
    p = softmax(payoffs, lam)
    assert p.shape == payoffs.shape
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert (p >= 0).all()
    spread = np.broadcast_to(lam * np.ptp(payoffs, axis=1, keepdims=True), p.shape)
    assert (p[spread < 700] > 0).all()  # positive unless exp() underflows
    # higher payoff, no lower probability
    for i, j in [(a, b) for a in range(p.shape[1]) for b in range(p.shape[1])]:
        higher = payoffs[:, i] > payoffs[:, j]
        assert (p[higher, i] >= p[higher, j]).all()


@PROPERTY
@given(data=st.data())
def test_sample_is_inverse_cdf(data):
    runs, size = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 4))
    p = probability_rows(data.draw, runs, size)
    u = data.draw(arrays(np.float64, runs, elements=UNIFORM))
    index = sample(p, u)
    assert index.shape == (runs,)
    assert ((index >= 0) & (index < size)).all()
    cumulative = np.cumsum(p, axis=1)
    expected = [min(int(np.searchsorted(cumulative[r], u[r], side="right")), size - 1)
                for r in range(runs)]
    np.testing.assert_array_equal(index, expected)


def test_sample_partitions_the_unit_interval():
    p = np.array([[0.2, 0.0, 0.5, 0.3]])
    u = np.array([0.0, 0.19, 0.2, 0.69, 0.7, 0.999])
    index = sample(np.repeat(p, len(u), axis=0), u)
    np.testing.assert_array_equal(index, [0, 0, 2, 2, 3, 3])  # never the 0-probability option


# ---------------------------------------------------------------- dynamics and beliefs


@PROPERTY
@given(batch=batches(), month=st.integers(1, 60))
def test_advance_keeps_states_in_range(batch, month, baseline):
    K = batch.params(baseline)
    new = advance(batch.state, batch.choice, batch.interdiction, K, month, batch.treaty)
    assert list(new) == [*STATE_COLUMNS, *MEMORY_KEYS]
    for key in MEMORY_KEYS:  # the memory is this month's play
        np.testing.assert_array_equal(new[key], batch.choice[key.removeprefix("last.")])
    for c in UNIT_COLUMNS:
        low, high = STATE_BY_NAME[c].low, STATE_BY_NAME[c].high
        assert new[c].shape == (batch.runs,), c
        assert ((new[c] >= low) & (new[c] <= high)).all(), (c, new[c])
    level = new["alliance_level"]
    assert np.issubdtype(level.dtype, np.integer)
    assert ((level >= 0) & (level <= 4)).all()
    assert (new["nk_tech_level"] >= batch.state["nk_tech_level"]).all()
    purchases = DIMENSION_BY_KEY["russia.arms"].values()[batch.choice["russia.arms"]]
    supply = DIMENSION_BY_KEY["north_korea.munitions"].values()[
        batch.choice["north_korea.munitions"]]
    assert (new["munitions_flow"] <= np.minimum(purchases, supply)).all()


@PROPERTY
@given(batch=batches(), month=st.integers(1, 60))
def test_treaty_holds_until_denounced(batch, month, baseline):
    """A signed treaty holds whatever strength does, until a side has wanted out for the
    notice period; it is never crossed into."""
    K = batch.params(baseline)
    new = advance(batch.state, batch.choice, batch.interdiction, K, month, batch.treaty)
    held = batch.state["alliance_level"] == 4
    denounced = held & treaty_denounced(treaty_doubt(batch.state, K), K)
    assert (new["alliance_level"][held & ~denounced] == 4).all()
    assert (new["alliance_level"][denounced] < 4).all()
    assert (new["treaty_talks"][denounced] == 0).all()
    signed = (~held) & (new["alliance_level"] == 4)
    steps = np.broadcast_to(K.dynamics.treaty_steps, (batch.runs,))
    assert (new["treaty_talks"][signed] >= steps[signed]).all()
    assert (new["treaty_talks"] - batch.state["treaty_talks"] <= 1.0 + 1e-12)[~denounced].all()


def test_treaty_is_signed_by_decision_and_ends_only_when_denounced(baseline_params):
    """No strength crosses into a treaty; once signed it holds at any strength until
    denounced."""
    up = np.linspace(0.0, 1.0, 101)
    assert (alliance_level(up, None, baseline_params) < 4).all()
    assert (alliance_level(up, np.full(101, 3), baseline_params) < 4).all()
    signed = alliance_level(up, None, baseline_params, np.ones(101, dtype=bool))
    assert (signed == 4).all()
    held = alliance_level(up, np.full(101, 4), baseline_params)
    assert (held == 4).all()
    ended = alliance_level(up, np.full(101, 4), baseline_params, None, np.ones(101, bool))
    np.testing.assert_array_equal(ended, alliance_level(up, None, baseline_params))


@PROPERTY
@given(strength=arrays(np.float64, 5, elements=UNIT),
       previous=arrays(np.int64, 5, elements=st.integers(0, 4)))
def test_alliance_level_below_treaty_follows_thresholds(strength, previous, baseline_params):
    d = baseline_params.dynamics
    level = alliance_level(strength, previous, baseline_params)
    fresh = alliance_level(strength, None, baseline_params)
    by_threshold = ((strength >= d.level_diplomatic).astype(int) + (strength >= d.level_arms_trade)
                    + (strength >= d.level_tech_transfer))
    np.testing.assert_array_equal(fresh, by_threshold)
    not_treaty = previous != 4
    np.testing.assert_array_equal(level[not_treaty], fresh[not_treaty])


def test_advance_follows_war_demand_schedule():
    scenario = load_scenario("baseline", {"levers.war_demand": [[0, 0.9], [6, 0.3]]})
    K = kernel_params(scenario)
    choice = posture_indices(scenario)
    state = initial_state(K, choice, runs=1)
    assert state["war_demand"][0] == 0.9
    seen = {}
    for month in (1, 5, 6, 7, 30):
        seen[month] = advance(state, choice, np.zeros(1), K, month, np.ones(1))["war_demand"][0]
    assert seen[1] == seen[5] == 0.9
    assert seen[6] == seen[7] == seen[30] == 0.3


@PROPERTY
@given(batch=batches())
def test_beliefs_stay_probability_vectors(batch, baseline):
    new = update_beliefs(batch.beliefs, batch.choice, batch.params(baseline))
    assert list(new) == [d.key for d in DIMENSIONS]
    for d in DIMENSIONS:
        assert new[d.key].shape == (batch.runs, d.size)
        assert (new[d.key] >= 0).all()
        np.testing.assert_allclose(new[d.key].sum(axis=1), 1.0, rtol=0, atol=1e-12)
        # the option just played gains weight
        played = new[d.key][np.arange(batch.runs), batch.choice[d.key]]
        before = batch.beliefs[d.key][np.arange(batch.runs), batch.choice[d.key]]
        assert (played >= before - 1e-12).all()


# ---------------------------------------------------------------- batch = runs one by one


def policies() -> list[ActorPolicy]:
    """Every rule for every actor (``fixed`` pins every dimension), and a partial pin."""
    out = []
    for rule in RULES.values():
        for actor in Actor:
            pinned = {} if rule.needs_payoffs else {d.key: d.size - 1
                                                   for d in dimensions_of(actor)}
            out.append(ActorPolicy(actor, rule, pinned))
    out.append(ActorPolicy(Actor.RUSSIA, RULES["logit"], {"russia.sanctions": 1}))
    return out


@PROPERTY
@given(batch=batches(max_runs=5))
def test_batch_is_bit_identical_to_single_runs(batch, baseline):
    K_batch = batch.params(baseline)
    payoffs = all_payoffs(batch, baseline)
    S, Kc = state_columns(batch.state), K_batch.as_columns()
    decisions = [decide(p, batch.beliefs, S, Kc, batch.uniforms) for p in policies()]
    new = advance(batch.state, batch.choice, batch.interdiction, K_batch, 3, batch.treaty)
    beliefs = update_beliefs(batch.beliefs, batch.choice, K_batch)
    lam = Kc.lam["russia"]
    probabilities = softmax(payoffs["russia.arms"], lam)
    sampled = sample(probabilities, batch.uniforms["russia.arms"])

    for r in range(batch.runs):
        run = slice(r, r + 1)
        one = batch.take(run)
        K_one = one.params(baseline)
        S1, K1 = state_columns(one.state), K_one.as_columns()
        for key, value in all_payoffs(one, baseline).items():
            assert np.array_equal(value, payoffs[key][run]), key
        for policy, decided in zip(policies(), decisions):
            alone = decide(policy, one.beliefs, S1, K1, one.uniforms)
            for key, value in alone.items():
                assert np.array_equal(value, decided[key][run]), (policy.rule.name, key)
        alone = advance(one.state, one.choice, one.interdiction, K_one, 3, one.treaty)
        for c in (*STATE_COLUMNS, *MEMORY_KEYS):
            assert np.array_equal(alone[c], new[c][run]), c
        for key, value in update_beliefs(one.beliefs, one.choice, K_one).items():
            assert np.array_equal(value, beliefs[key][run]), key
        p1 = softmax(payoffs["russia.arms"][run], K1.lam["russia"])
        assert np.array_equal(p1, probabilities[run])
        assert np.array_equal(sample(p1, one.uniforms["russia.arms"]), sampled[run])


@pytest.mark.parametrize("runs", [1, 7, 64])
def test_payoffs_shape_for_scalar_parameters(runs, baseline_params):
    rng = np.random.default_rng(runs)
    state = with_memory({c: rng.random(runs) for c in STATE_COLUMNS},
                        {d.key: rng.integers(0, d.size, runs) for d in DIMENSIONS})
    beliefs = {d.key: rng.dirichlet(np.ones(d.size), runs) for d in DIMENSIONS}
    payoffs = option_payoffs(Actor.CHINA, beliefs, state_columns(state),
                             baseline_params.as_columns())
    assert payoffs["china.stance"].shape == (runs, 3)


def test_switching_picks_the_same_number_as_the_sum_over_options():
    """Play common to all runs takes a shortcut (the probability of last month's option);
    it equals the sum over options bit for bit, for pure and mixed play."""
    from types import SimpleNamespace

    from model.kernels.switching import switching

    rng = np.random.default_rng(3)
    last = rng.integers(0, 3, size=(50, 1))
    for play in (np.eye(3)[rng.integers(0, 3, 40)], rng.dirichlet(np.ones(3), size=40),
                 np.eye(3)):
        fast = switching({"russia.arms": play}, SimpleNamespace(**{"last.russia.arms": last}),
                         "russia.arms")
        floats = SimpleNamespace(**{"last.russia.arms": last.astype(float)})
        slow = switching({"russia.arms": play}, floats, "russia.arms")
        assert fast.shape == slow.shape == (50, len(play))
        assert np.array_equal(fast, slow)


def test_switches_of_several_dimensions_is_the_sum_in_order_bit_for_bit():
    """Play common to all runs is looked up in a table of every combination of last
    options; it equals the sum of each dimension's switching probability, in order."""
    from types import SimpleNamespace

    from model.kernels.switching import switches, switching

    rng = np.random.default_rng(5)
    sizes = {"russia.arms": 3, "russia.aid": 2, "russia.tech": 3}
    keys = tuple(sizes)
    last = {k: rng.integers(0, m, size=(60, 1)) for k, m in sizes.items()}
    for pure in (True, False):
        play = {k: (np.eye(m)[rng.integers(0, m, 24)] if pure
                    else rng.dirichlet(np.ones(m), size=24)) for k, m in sizes.items()}
        state = SimpleNamespace(**{f"last.{k}": v for k, v in last.items()})
        table = switches(play, state, keys)
        in_order = (switching(play, state, "russia.arms") + switching(play, state, "russia.aid")
                    + switching(play, state, "russia.tech"))
        as_floats = SimpleNamespace(**{f"last.{k}": v.astype(float) for k, v in last.items()})
        assert np.array_equal(table, in_order)
        assert np.array_equal(table, switches(play, as_floats, keys))
        # the runs last: play (profiles, 1, options) on a grid axis, last options (runs,)
        grid = {k: v[:, None, :] for k, v in play.items()}
        rows = SimpleNamespace(**{f"last.{k}": v[:, 0] for k, v in last.items()})
        assert np.array_equal(switches(grid, rows, keys), table.T)
        assert np.array_equal(switching(grid, rows, "russia.aid"),
                              switching(play, state, "russia.aid").T)
        if pure:
            assert set(np.unique(table)) <= {0.0, 1.0, 2.0, 3.0}


def test_a_free_exit_costs_nothing_in_the_table_and_in_the_sum_alike():
    """Where the state makes leaving last month's option free (``exit_free.<key>``), moving
    to the dimension's rest option counts no change, any other move one; the table shortcut
    for play common to all runs equals the sum over options bit for bit (China's rest
    option is neutral, the others' their first)."""
    from types import SimpleNamespace

    from model.core.actions import DIMENSION_BY_KEY
    from model.kernels.switching import exit_key, switches, switching

    keys = ("russia.arms", "russia.aid", "china.stance")
    rng = np.random.default_rng(11)
    last = {k: rng.integers(0, DIMENSION_BY_KEY[k].size, size=(60, 1)) for k in keys}
    free = {k: (rng.random((60, 1)) < 0.5) & (last[k] != DIMENSION_BY_KEY[k].rest)
            for k in keys}
    state = SimpleNamespace(**{f"last.{k}": v for k, v in last.items()},
                            **{exit_key(k): v.astype(np.int64) for k, v in free.items()})
    floats = SimpleNamespace(**{f"last.{k}": v.astype(float) for k, v in last.items()},
                             **{exit_key(k): v.astype(np.int64) for k, v in free.items()})
    for pure in (True, False):
        play = {k: (np.eye(DIMENSION_BY_KEY[k].size)[rng.integers(0, DIMENSION_BY_KEY[k].size,
                                                                  24)] if pure
                    else rng.dirichlet(np.ones(DIMENSION_BY_KEY[k].size), size=24))
                for k in keys}
        table = switches(play, state, keys)
        assert np.array_equal(table, sum_in_order := (switching(play, state, keys[0])
                                                      + switching(play, state, keys[1])
                                                      + switching(play, state, keys[2])))
        assert np.array_equal(table, switches(play, floats, keys))
        grid = {k: v[:, None, :] for k, v in play.items()}
        rows = SimpleNamespace(**{f"last.{k}": v[:, 0] for k, v in last.items()},
                               **{exit_key(k): v[:, 0].astype(np.int64) for k, v in free.items()})
        assert np.array_equal(switches(grid, rows, keys), sum_in_order.T)
    stance = DIMENSION_BY_KEY["china.stance"]
    to_each = {"china.stance": np.eye(3)}
    held_restraint = SimpleNamespace(**{"last.china.stance": np.array([[0], [0]]),
                                        exit_key("china.stance"): np.array([[1], [0]])})
    # leaving restraint for neutrality is free only where the flag says so; enabling costs
    assert switching(to_each, held_restraint, "china.stance").tolist() == [[0, 0, 1], [0, 1, 1]]
    assert stance.options[stance.rest] == "neutral"
