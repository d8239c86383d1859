"""Decision rules, tested the axelrod way: one contract every rule's tests inherit.

``RuleContract`` checks what every rule in ``model.kernels.RULES`` promises — a seeded
(same uniforms) choice is reproducible, choices are valid option indices, and the
declared ``stochastic`` and ``needs_payoffs`` flags are truthful. Each rule's own class
adds what is specific to it. ``TestEveryRegisteredRule`` runs the contract over the whole
registry, so a newly registered rule is tested without writing anything.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from model.actions import DIMENSIONS, Actor, dimensions_of
from model.kernels import (
    RULES,
    STATE_COLUMNS,
    ActorPolicy,
    decide,
    kernel_params,
    softmax,
    state_columns,
)
from model.kernels import decisions as decisions_module

LAM = 5.0
FIXED = 1  # the option index handed to every rule (only `fixed` uses it)
ROW = np.array([0.0, 0.3, 0.1])  # a non-degenerate payoff row: no option dominates at LAM
PROPERTY = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def choose(rule, payoffs, uniforms, lam=LAM, fixed=FIXED):
    return rule.choose(payoffs, np.asarray(uniforms, dtype=float), lam, fixed)


def rows(row, n: int) -> np.ndarray:
    return np.tile(np.asarray(row, dtype=float), (n, 1))


def test_registry_names_match_rules():
    for name, rule in RULES.items():
        assert rule.name == name
        assert isinstance(rule.stochastic, bool) and isinstance(rule.needs_payoffs, bool)
        assert rule.description


class RuleContract:
    """What every decision rule promises. Subclasses set ``rule_name``."""

    rule_name: str = ""

    @pytest.fixture
    def rule(self):
        return RULES[self.rule_name]

    def test_reproducible_for_the_same_uniforms(self, rule):
        rng = np.random.default_rng(2023)
        payoffs = rng.normal(size=(200, 3))
        uniforms = np.random.default_rng(7).random(200)
        first = choose(rule, payoffs, uniforms)
        again = choose(rule, payoffs.copy(), np.random.default_rng(7).random(200))
        np.testing.assert_array_equal(first, again)

    # The contract uses many seeded random payoff rows rather than hypothesis: hypothesis
    # refuses a @given method inherited by several classes (differing executors).

    @pytest.mark.parametrize("size", [2, 3, 4])
    @pytest.mark.parametrize("lam", [0.0, 0.7, 5.0, 100.0])
    def test_choices_are_valid_indices(self, rule, size, lam):
        rng = np.random.default_rng(size)
        payoffs = rng.normal(scale=10.0, size=(300, size))
        payoffs[:20] = 0.0  # all tied
        payoffs[20:40, 0] = 1e6  # one option far ahead
        uniforms = rng.random(300)
        uniforms[:5] = 0.0
        uniforms[5:10] = np.nextafter(1.0, 0.0)
        index = choose(rule, payoffs, uniforms, lam, fixed=size - 1)
        assert index.shape == (300,)
        assert np.issubdtype(index.dtype, np.integer)
        assert ((index >= 0) & (index < size)).all()

    def test_stochastic_flag_is_truthful(self, rule):
        uniforms = np.linspace(0.0, 1.0, 101, endpoint=False)
        chosen = choose(rule, rows(ROW, len(uniforms)), uniforms)
        varies = len(np.unique(chosen)) > 1
        assert varies == rule.stochastic, (rule.name, np.unique(chosen))

    @pytest.mark.parametrize("lam", [0.0, 1.0, 100.0])
    def test_uniforms_matter_only_for_stochastic_rules(self, rule, lam):
        payoffs = np.random.default_rng(3).normal(size=(200, 3))
        chosen = [choose(rule, payoffs, np.full(200, u), lam)
                  for u in np.linspace(0.0, 1.0, 11, endpoint=False)]
        same = all(np.array_equal(other, chosen[0]) for other in chosen[1:])
        if not rule.stochastic:
            assert same
        elif lam <= 1.0:  # far from best response: some row must react to its uniform
            assert not same

    def test_needs_payoffs_is_truthful(self, rule):
        uniforms = np.full(3, 0.5)
        favours = -10.0 * np.ones((3, 3)) + 20.0 * np.eye(3)  # row j strongly favours j
        chosen = choose(rule, favours, uniforms, lam=50.0)
        if rule.needs_payoffs:
            assert len(np.unique(chosen)) > 1, "payoffs should matter"
        else:
            assert len(np.unique(chosen)) == 1
            np.testing.assert_array_equal(choose(rule, None, uniforms, lam=50.0), chosen)

    def test_decide_computes_payoffs_only_when_needed(self, rule, monkeypatch, baseline):
        """``decide`` skips the payoff kernel for rules that declare they need none."""
        calls = []
        real = decisions_module.option_payoffs

        def counting(*args, **kwargs):
            calls.append(args[0])
            return real(*args, **kwargs)

        monkeypatch.setattr(decisions_module, "option_payoffs", counting)
        actor = Actor.RUSSIA
        pinned = {d.key: FIXED for d in dimensions_of(actor)} if not rule.needs_payoffs else {}
        chosen = decide_batch(ActorPolicy(actor, rule, pinned), baseline)
        assert set(chosen) == {d.key for d in dimensions_of(actor)}
        assert bool(calls) == rule.needs_payoffs


def decide_batch(policy: ActorPolicy, scenario, runs: int = 4) -> dict[str, np.ndarray]:
    """``decide`` on a neutral state with uniform beliefs and spread-out uniforms."""
    state = {c: np.full(runs, 0.5) for c in STATE_COLUMNS}
    beliefs = {d.key: np.full((runs, d.size), 1.0 / d.size) for d in DIMENSIONS}
    uniforms = {k: np.linspace(0.05, 0.95, runs) for k in beliefs}
    return decide(policy, beliefs, state_columns(state), kernel_params(scenario).as_columns(),
                  uniforms)


@pytest.mark.parametrize("name", sorted(n for n, r in RULES.items()
                                         if r.needs_payoffs and not r.needs_game))
def test_pinned_dimension_overrides_the_rule(name, baseline):
    """An ``action`` may pin some dimensions; the rule decides the others."""
    policy = ActorPolicy(Actor.RUSSIA, RULES[name], {"russia.sanctions": 1})
    chosen = decide_batch(policy, baseline, runs=50)
    np.testing.assert_array_equal(chosen["russia.sanctions"], 1)
    free = decide_batch(ActorPolicy(Actor.RUSSIA, RULES[name], {}), baseline, runs=50)
    for key in ("russia.arms", "russia.aid", "russia.tech"):
        np.testing.assert_array_equal(chosen[key], free[key])


class TestFixed(RuleContract):
    rule_name = "fixed"

    @PROPERTY
    @given(payoff=arrays(np.float64, (6, 3), elements=st.floats(-5, 5)),
           option=st.integers(0, 2), lam=st.floats(0, 100))
    def test_always_plays_its_option(self, rule, payoff, option, lam):
        uniforms = np.linspace(0.0, 0.99, 6)
        np.testing.assert_array_equal(choose(rule, payoff, uniforms, lam, option), option)

    def test_needs_an_option(self, rule):
        with pytest.raises(ValueError):
            choose(rule, None, np.zeros(2), fixed=None)


class TestBestResponse(RuleContract):
    rule_name = "best_response"

    @PROPERTY
    @given(payoff=arrays(np.float64, (8, 3), elements=st.floats(-5, 5)),
           u=st.floats(0, 1, exclude_max=True))
    def test_picks_a_maximiser(self, rule, payoff, u):
        index = choose(rule, payoff, np.full(8, u))
        chosen = payoff[np.arange(8), index]
        np.testing.assert_array_equal(chosen, payoff.max(axis=1))

    def test_first_maximiser_on_ties(self, rule):
        np.testing.assert_array_equal(choose(rule, np.array([[1.0, 2.0, 2.0]]), [0.9]), [1])


class TestLogit(RuleContract):
    rule_name = "logit"
    DRAWS = 20_000

    def frequencies(self, rule, payoff, lam, seed=0):
        uniforms = np.random.default_rng(seed).random(self.DRAWS)
        chosen = choose(rule, rows(payoff, self.DRAWS), uniforms, lam)
        return np.bincount(chosen, minlength=len(payoff)) / self.DRAWS

    def test_uniform_at_zero_rationality(self, rule):
        freq = self.frequencies(rule, np.array([0.0, 3.0, -2.0]), lam=0.0)
        np.testing.assert_allclose(freq, 1 / 3, atol=0.015)

    def test_approaches_best_response_as_lam_grows(self, rule):
        payoff = np.array([0.0, 0.5, 0.2])
        share_of_best = [self.frequencies(rule, payoff, lam)[1] for lam in (0.0, 2.0, 10.0, 100.0)]
        assert all(b > a for a, b in zip(share_of_best, share_of_best[1:])), share_of_best
        assert share_of_best[-1] > 0.999
        best = RULES["best_response"]
        uniforms = np.random.default_rng(1).random(500)
        payoffs = np.random.default_rng(2).normal(size=(500, 3))
        agree = choose(rule, payoffs, uniforms, 100.0) == choose(best, payoffs, uniforms)
        gap = np.sort(payoffs, axis=1)
        clear = (gap[:, -1] - gap[:, -2]) > 0.1  # at lam=100 a 0.1 gap is e^-10
        assert agree[clear].all()

    @pytest.mark.parametrize("lam", [0.5, 2.0, 5.0])
    def test_frequencies_match_softmax(self, rule, lam):
        payoff = np.array([0.0, 0.4, -0.3])
        p = softmax(payoff[None, :], lam)[0]
        freq = self.frequencies(rule, payoff, lam, seed=11)
        chi2 = self.DRAWS * ((freq - p) ** 2 / p).sum()
        assert chi2 < 13.8, (freq, p)  # 99.9% quantile of chi-square with 2 d.o.f.

    def test_per_run_rationality(self, rule):
        """``lam`` may be a (runs, 1) column: each run uses its own rationality."""
        payoff = rows([0.0, 1.0, 0.0], 4)
        lam = np.array([[0.0], [0.0], [100.0], [100.0]])
        chosen = choose(rule, payoff, np.array([0.01, 0.99, 0.01, 0.99]), lam)
        np.testing.assert_array_equal(chosen, [0, 2, 1, 1])


BELIEF_RULES = sorted(n for n, r in RULES.items() if not r.needs_game)


class TestEveryRegisteredRule(RuleContract):
    """The contract for every belief-based rule in the registry, including ones added
    later (rules that solve the stage game have their own contract in test_game_rules)."""

    @pytest.fixture(params=BELIEF_RULES)
    def rule(self, request):
        return RULES[request.param]


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_rule_has_its_own_test_class(name):
    from test_game_rules import GameRuleContract

    contract = GameRuleContract if RULES[name].needs_game else RuleContract
    classes = [cls for cls in contract.__subclasses__() if cls.rule_name == name]
    assert classes, f"rule {name!r} has no {contract.__name__} subclass with its own tests"


def test_scenario_schema_accepts_exactly_the_registered_rules():
    from model.schema import RULE_NAMES

    assert set(RULE_NAMES) == set(RULES)
