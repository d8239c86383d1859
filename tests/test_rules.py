"""Decision rules, tested the axelrod way: one contract every rule's tests inherit.

``RuleContract`` checks what every rule in ``model.kernels.RULES`` promises — a seeded
(same uniforms) choice is reproducible, choices are valid option indices, and the
declared ``stochastic`` and ``needs_payoffs`` flags are truthful. Each rule's own class
adds what is specific to it. ``TestEveryRegisteredRule`` runs the contract over the whole
registry, so a newly registered rule is tested without writing anything.
"""

from __future__ import annotations

from importlib import import_module

import numpy as np
import pytest
from contracts import PROPERTY, GameRuleContract, RuleContract, choose, decide_batch, rows
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from model.core.actions import Actor
from model.kernels import (
    RULES,
    ActorPolicy,
    softmax,
)


def test_registry_names_match_rules():
    for name, rule in RULES.items():
        assert rule.name == name
        assert isinstance(rule.stochastic, bool) and isinstance(rule.needs_payoffs, bool)
        assert rule.description


def test_every_fact_about_a_rule_comes_from_the_one_registry():
    """Names, classifiers and the slow flag live in ``model.core.rules``: the kernels'
    rules, the names a scenario may use and the rules the execution layer chunks small."""
    from model.core import schema
    from model.core.rules import RULE_INFO, RULE_NAMES, SLOW_RULES
    from model.execution import plan

    assert tuple(RULES) == RULE_NAMES == schema.RULE_NAMES
    for name, info in RULE_INFO.items():
        rule = RULES[name]
        assert (rule.stochastic, rule.needs_payoffs, rule.needs_game, rule.description) == \
            (info.stochastic, info.needs_payoffs, info.needs_game, info.description)
    assert plan.SLOW_RULES is SLOW_RULES and SLOW_RULES == ("qre",)


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


def test_policies_read_beliefs_only_when_replying_to_them_with_a_free_dimension():
    for name, rule in RULES.items():
        policy = ActorPolicy(Actor.RUSSIA, rule, {})
        assert policy.reads_beliefs == (name in ("logit", "best_response"))
    pinned = {"russia.arms": 0, "russia.aid": 0, "russia.tech": 0, "russia.sanctions": 1}
    assert not ActorPolicy(Actor.RUSSIA, RULES["logit"], pinned).reads_beliefs
    assert ActorPolicy(Actor.RUSSIA, RULES["logit"], {"russia.aid": 0}).reads_beliefs


def test_skipping_beliefs_nobody_reads_changes_no_number(monkeypatch):
    """The ensemble driver stops updating beliefs when no policy reads them; forcing the
    updates gives the same table."""
    import pandas as pd

    from model import load_scenario, run_ensemble
    from model.kernels.decisions import ActorPolicy as Policy

    scenario = load_scenario("baseline", {"russia.rule": "nash", "north_korea.rule": "qre",
                                          "united_states.rule": "nash", "china.rule": "nash"})
    skipped = run_ensemble(scenario, runs=6, seed=4, months=8)
    monkeypatch.setattr(Policy, "reads_beliefs", property(lambda self: True))
    pd.testing.assert_frame_equal(skipped, run_ensemble(scenario, runs=6, seed=4, months=8),
                                  check_exact=True)


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
    import_module("test_game_rules")  # the game rules' classes live there (also when run alone)
    contract = GameRuleContract if RULES[name].needs_game else RuleContract
    classes = [cls for cls in contract.__subclasses__() if cls.rule_name == name]
    assert classes, f"rule {name!r} has no {contract.__name__} subclass with its own tests"


def test_scenario_schema_accepts_exactly_the_registered_rules():
    from model.core.schema import RULE_NAMES

    assert set(RULE_NAMES) == set(RULES)
