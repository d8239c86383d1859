"""Scenario files: loading, provenance, ``extends`` inheritance, overrides and validation."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import ROOT

from model import Actor, ScenarioError, available_scenarios, load_scenario
from model.core.parameters import ASSUMPTION, LOCATORS, RECORD, SPECS
from model.core.scenario import parse_override_value
from model.core.schema import Distribution
from model.kernels import RULES

#: docs/source.md's table of locators: each locator and the levers its "used for" column names
SOURCE_PAGE = dict(re.findall(r"^\| `([\w.]+)` \|(.*)$",
                              (ROOT / "docs" / "source.md").read_text(encoding="utf-8"), re.M))
DOCUMENTED_LOCATORS = set(SOURCE_PAGE)
#: the article locators each lever rests on (at least one of these), as docs/source.md says
LEVER_SOURCES = {
    lever: {locator for locator, row in SOURCE_PAGE.items() if f"`levers.{lever}`" in row}
    for lever in ("war_demand", "international_pressure", "nk_food_crisis", "nk_tech_appetite",
                  "russia_reputation_cost", "circumvention_learning")
}


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


# ---------------------------------------------------------------- baseline and provenance


def test_baseline_loads(baseline):
    assert "baseline" in available_scenarios()
    assert baseline.name == "baseline"
    assert baseline.horizon >= 1
    assert baseline.param_keys() == list(SPECS)
    assert baseline.overrides == {}
    assert Path(baseline.path).name == "baseline.toml"
    for actor in Actor:
        assert baseline.actor(actor).rule in RULES


def test_locators_are_the_articles_paragraphs():
    assert set(LOCATORS) == DOCUMENTED_LOCATORS
    assert ASSUMPTION not in LOCATORS


@pytest.mark.parametrize("name", available_scenarios())
def test_every_parameter_has_provenance(name):
    scenario = load_scenario(name)
    for key in SPECS:
        param = scenario.param(key)
        assert param.source, f"{name}: {key} has no source"
        for item in param.source:
            assert item in LOCATORS or item in (ASSUMPTION, RECORD), f"{name}: {key} cites {item!r}"
        if ASSUMPTION in param.source or RECORD in param.source:
            assert param.why and param.why.strip(), f"{name}: {key} ({param.source}) has no why"
        assert param.provenance()


def test_baseline_levers_cite_the_documented_locators(baseline):
    for lever, locators in LEVER_SOURCES.items():
        assert locators, f"docs/source.md names no paragraph for levers.{lever}"
        sources = set(baseline.param(f"levers.{lever}").source)
        assert sources & locators, (f"levers.{lever} cites {sources}, docs/source.md says "
                                    f"{locators}")


def test_baseline_values_within_their_ranges(baseline):
    for key, spec in SPECS.items():
        value = baseline.param(key).value
        if isinstance(value, int | float):
            assert spec.low <= value <= spec.high, key


# ---------------------------------------------------------------- extends


CHILD = """\
extends = "baseline"
name = "child"
description = "baseline with low war demand and an enabling China"

[levers]
war_demand = { value = 0.3, source = "mba.1" }

[china]
rule = "fixed"
action = "enable"
"""


def test_child_changes_only_what_it_sets(tmp_path, baseline):
    child = load_scenario(write(tmp_path / "child.toml", CHILD))
    assert child.name == "child"
    assert child.levers.war_demand.value == 0.3
    # the child's parameter table replaces the parent's whole: no inherited `why`
    assert child.levers.war_demand.source == ["mba.1"]
    assert child.levers.war_demand.why is None
    assert child.china.rule == "fixed"
    assert child.china.action == {"stance": "enable"}
    assert child.china.lam == baseline.china.lam
    assert child.china.weights == baseline.china.weights
    for key in SPECS:
        if key != "levers.war_demand":
            assert child.param(key) == baseline.param(key), key
    for actor in ("russia", "north_korea", "united_states"):
        assert child.actor(actor) == baseline.actor(actor)
    assert child.posture == baseline.posture
    assert child.horizon == baseline.horizon
    assert child.dynamics == baseline.dynamics and child.initial == baseline.initial


def test_grandchild_extends_a_relative_path(tmp_path, baseline):
    write(tmp_path / "child.toml", CHILD)
    grandchild = load_scenario(write(tmp_path / "grandchild.toml", """\
extends = "child.toml"
name = "grandchild"
horizon = 12
"""))
    assert grandchild.name == "grandchild"
    assert grandchild.horizon == 12
    assert grandchild.levers.war_demand.value == 0.3  # from the child
    assert grandchild.china.rule == "fixed"  # from the child
    assert grandchild.levers.international_pressure == baseline.levers.international_pressure


def test_child_posture_table_merges_with_parent(tmp_path, baseline):
    child = load_scenario(write(tmp_path / "c.toml", """\
extends = "baseline"
[posture]
china = { stance = "enable" }
"""))
    assert child.posture.china == {"stance": "enable"}
    assert child.posture.russia == baseline.posture.russia


def test_child_parameter_without_source_is_rejected(tmp_path):
    path = write(tmp_path / "c.toml", """\
extends = "baseline"
[levers]
war_demand = { value = 0.3 }
""")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "levers.war_demand.source" in message
    assert "c.toml" in message
    assert "\n" not in message


def test_circular_extends_rejected(tmp_path):
    write(tmp_path / "a.toml", 'extends = "b.toml"\n')
    write(tmp_path / "b.toml", 'extends = "a.toml"\n')
    with pytest.raises(ScenarioError, match="circular") as info:
        load_scenario(str(tmp_path / "a.toml"))
    assert "extends" in str(info.value) and "\n" not in str(info.value)


def test_self_extends_rejected(tmp_path):
    with pytest.raises(ScenarioError, match="circular"):
        load_scenario(write(tmp_path / "me.toml", 'extends = "me.toml"\n'))


def test_extends_unknown_parent_rejected(tmp_path):
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path / "c.toml", 'extends = "no_such_parent"\n'))
    message = str(info.value)
    assert "extends" in message and "no_such_parent" in message and "baseline" in message


# ---------------------------------------------------------------- overrides


SCHEDULE = [[0, 0.9], [6, 0.3]]
UNIFORM = {"dist": "uniform", "low": 0.2, "high": 0.8}
RUSSIA_ACTION = {"arms": "large", "aid": "food", "tech": "none", "sanctions": "evade"}

OVERRIDES = [
    pytest.param({"levers.war_demand": 0.9},
                 lambda s: s.levers.war_demand.value == 0.9, id="lever"),
    pytest.param({"russia.weights.aid_cost": 1.25},
                 lambda s: s.russia.weights.aid_cost.value == 1.25, id="weight"),
    pytest.param({"north_korea.lam": 0.0}, lambda s: s.north_korea.lam.value == 0.0, id="lam"),
    pytest.param({"dynamics.alliance_decay": 0.1},
                 lambda s: s.dynamics.alliance_decay.value == 0.1, id="dynamics"),
    pytest.param({"china.rule": "fixed", "china.action": "enable"},
                 lambda s: s.china.rule == "fixed" and s.china.action == {"stance": "enable"},
                 id="rule+action"),
    pytest.param({"russia.rule": "fixed", "russia.action": RUSSIA_ACTION},
                 lambda s: s.russia.rule == "fixed" and s.russia.action == RUSSIA_ACTION,
                 id="rule+action-table"),
    pytest.param({"russia.action": {"sanctions": "evade"}},
                 lambda s: s.russia.rule == "logit" and s.russia.action == {"sanctions": "evade"},
                 id="partial-action"),
    pytest.param({"russia.rule": "best_response"},
                 lambda s: s.russia.rule == "best_response", id="rule"),
    pytest.param({"posture.china.stance": "enable"},
                 lambda s: s.posture.china == {"stance": "enable"}, id="posture"),
    pytest.param({"horizon": 12}, lambda s: s.horizon == 12, id="horizon"),
    pytest.param({"levers.war_demand": SCHEDULE},
                 lambda s: s.war_demand_schedule() == [(0, 0.9), (6, 0.3)], id="schedule"),
    pytest.param({"levers.international_pressure": UNIFORM},
                 lambda s: s.distributions() == {
                     "levers.international_pressure": Distribution(**UNIFORM)},
                 id="distribution"),
]


@pytest.mark.parametrize(("overrides", "check"), OVERRIDES)
def test_override_applies_and_is_recorded(overrides, check, baseline):
    scenario = load_scenario("baseline", dict(overrides))
    assert check(scenario)
    assert scenario.overrides == overrides
    for key in SPECS:  # provenance is kept; untouched parameters are unchanged
        assert scenario.param(key).source == baseline.param(key).source
        if key not in overrides:
            assert scenario.param(key) == baseline.param(key), key


def test_overrides_do_not_leak_into_later_loads(baseline):
    load_scenario("baseline", {"levers.war_demand": 0.1, "china.rule": "fixed",
                               "china.action": "restrain"})
    assert load_scenario("baseline") == baseline


@pytest.mark.parametrize(("text", "value"), [
    ("0.9", 0.9), ("12", 12), ("[[0, 0.8], [12, 0.2]]", [[0, 0.8], [12, 0.2]]),
    ("enable", "enable"), ('{ dist = "uniform", low = 0.1, high = 0.5 }',
                           {"dist": "uniform", "low": 0.1, "high": 0.5}),
])
def test_parse_override_value(text, value):
    assert parse_override_value(text) == value


# ---------------------------------------------------------------- bad input


def _file(name: str, content: str | bytes | None):
    """A scenario file in tmp_path (``None``: a directory of that name)."""
    def make(tmp_path: Path):
        path = tmp_path / name
        if content is None:
            path.mkdir()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return str(path), None
    return make


def _child(body: str):
    return _file("bad.toml", 'extends = "baseline"\n' + body)


def _override(overrides: dict):
    return lambda tmp_path: ("baseline", overrides)


def _missing(tmp_path: Path):
    return str(tmp_path / "missing.toml"), None


def allowed(key: str) -> str:
    return SPECS[key].allowed()


BAD = [
    ("unknown-name", lambda tmp_path: ("no_such_scenario", None),
     ["no_such_scenario", "baseline"]),
    ("missing-file", _missing, ["missing.toml", "no such file"]),
    ("directory", _file("dir.toml", None), ["dir.toml", "directory"]),
    ("empty-file", _file("empty.toml", ""), ["empty.toml", "empty"]),
    ("not-toml", _file("bad.toml", "name = = 'x'\n[levers\n"), ["bad.toml", "toml"]),
    ("not-utf8", _file("bytes.toml", b"name = \"\xff\xfe\"\n"), ["bytes.toml", "utf-8"]),
    ("unknown-top-key-override", _override({"colour": "red"}),
     ["colour", "'red'", "levers"]),
    ("unknown-top-key-file", _child('colour = "red"\n'), ["bad.toml", "colour", "red", "levers"]),
    ("unknown-nested-key-override", _override({"levers.war_demnd": 0.5}),
     ["levers.war_demnd", "0.5", "war_demand"]),
    ("unknown-nested-key-file",
     _child('[russia.weights]\nbribes = { value = 1.0, source = "mba.1" }\n'),
     ["russia.weights.bribes", "1.0", "aid_cost"]),
    ("unknown-param-field-file",
     _child('[levers]\nwar_demand = { value = 0.5, source = "mba.1", unit = "x" }\n'),
     ["levers.war_demand.unit", "why"]),
    ("wrong-type-param", _override({"levers.international_pressure": "high"}),
     ["levers.international_pressure", "'high'", allowed("levers.international_pressure")]),
    ("wrong-type-bool", _override({"russia.lam": True}),
     ["russia.lam", "True", allowed("russia.lam")]),
    ("wrong-type-horizon", _override({"horizon": "long"}), ["horizon", "'long'", "integer"]),
    ("nan", _override({"levers.nk_food_crisis": math.nan}),
     ["levers.nk_food_crisis", "nan", allowed("levers.nk_food_crisis")]),
    ("inf", _override({"dynamics.alliance_growth": math.inf}),
     ["dynamics.alliance_growth", "inf", allowed("dynamics.alliance_growth")]),
    ("out-of-range-high", _override({"levers.international_pressure": 1.5}),
     ["levers.international_pressure", "1.5", allowed("levers.international_pressure")]),
    ("out-of-range-negative", _override({"russia.weights.aid_cost": -0.25}),
     ["russia.weights.aid_cost", "-0.25", allowed("russia.weights.aid_cost")]),
    ("horizon-zero", _override({"horizon": 0}), ["horizon", "0", "1"]),
    ("schedule-not-from-0", _override({"levers.war_demand": [[1, 0.9], [6, 0.3]]}),
     ["levers.war_demand", "[[1, 0.9], [6, 0.3]]", "month 0"]),
    ("schedule-not-increasing", _override({"levers.war_demand": [[0, 0.9], [6, 0.3], [6, 0.1]]}),
     ["levers.war_demand", "[6, 0.1]", "increase"]),
    ("schedule-value-out-of-range", _override({"levers.war_demand": [[0, 0.9], [6, 1.3]]}),
     ["levers.war_demand", "1.3", "0 ≤ value ≤ 1"]),
    ("schedule-month-not-integer", _override({"levers.war_demand": [[0, 0.9], [2.5, 0.3]]}),
     ["levers.war_demand", "2.5", "integer"]),
    ("schedule-empty", _override({"levers.war_demand": []}), ["levers.war_demand", "[[0,"]),
    ("unknown-rule", _override({"china.rule": "tit_for_tat"}),
     ["china.rule", "tit_for_tat", *RULES]),
    ("fixed-without-action", _override({"china.rule": "fixed"}), ["china", "fixed", "action"]),
    ("unknown-option-in-action", _override({"china.rule": "fixed", "china.action": "invade"}),
     ["china.action", "invade", "restrain", "neutral", "enable"]),
    ("unknown-dimension-in-action",
     _override({"china.rule": "fixed", "china.action": {"stanse": "enable"}}),
     ["china.action", "stanse", "stance"]),
    ("fixed-action-missing-dimension",
     _override({"russia.rule": "fixed", "russia.action": {"arms": "large"}}),
     ["russia", "'aid'", "none", "food"]),
    ("unknown-option-in-posture", _override({"posture.russia.arms": "huge"}),
     ["posture.russia", "huge", "none", "limited", "large"]),
    ("unknown-source-locator", _child('[levers]\nwar_demand = { value = 0.5, source = "mba.9" }\n'),
     ["levers.war_demand.source", "mba.9", "mba.1", "assumption"]),
    ("unknown-source-in-list",
     _child('[levers]\nwar_demand = { value = 0.5, source = ["mba.1", "blog"] }\n'),
     ["levers.war_demand.source", "blog", "mba.1"]),
    ("assumption-without-why",
     _child('[levers]\nwar_demand = { value = 0.5, source = "assumption" }\n'),
     ["levers.war_demand", "assumption", "why"]),
    ("assumption-blank-why",
     _child('[levers]\nwar_demand = { value = 0.5, source = "assumption", why = " " }\n'),
     ["levers.war_demand", "assumption", "why"]),
    ("distribution-low-above-high",
     _override({"levers.international_pressure": {"dist": "uniform", "low": 0.8, "high": 0.2}}),
     ["levers.international_pressure", "low < high", "uniform"]),
    ("distribution-unknown-dist",
     _override({"levers.international_pressure": {"dist": "beta", "low": 0.2, "high": 0.8}}),
     ["levers.international_pressure", "uniform", "triangular", "normal"]),
    ("distribution-outside-range",
     _override({"levers.international_pressure": {"dist": "uniform", "low": 0.5, "high": 1.5}}),
     ["levers.international_pressure", allowed("levers.international_pressure")]),
    ("thresholds-out-of-order", _override({"dynamics.level_arms_trade": 0.1}),
     ["dynamics.level_arms_trade", "0.1", "increase"]),
    ("threshold-as-distribution",
     _override({"dynamics.level_tech_transfer": {"dist": "uniform", "low": 0.5, "high": 0.7}}),
     ["dynamics.level_tech_transfer", "distribution"]),
    ("steps-as-distribution",
     _override({"dynamics.treaty_steps": {"dist": "uniform", "low": 3, "high": 6}}),
     ["dynamics.treaty_steps", "distribution", "whole number"]),
    ("notice-not-whole", _override({"dynamics.treaty_notice": 6.5}),
     ["dynamics.treaty_notice", "6.5", "whole number"]),
]


@pytest.mark.parametrize(("make", "expected"),
                         [pytest.param(m, e, id=i, marks=marks) for i, m, e, *marks in BAD])
def test_bad_input_is_one_line_naming_key_value_and_allowed(make, expected, tmp_path):
    source, overrides = make(tmp_path)
    with pytest.raises(ScenarioError) as info:
        load_scenario(source, overrides)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert message.strip() and "\n" not in message and "\r" not in message, message
    for part in expected:
        assert part.lower() in message.lower(), f"{part!r} not in {message!r}"


def test_distribution_low_above_high_names_the_values():
    with pytest.raises(ScenarioError) as info:
        load_scenario("baseline", {"levers.international_pressure":
                                   {"dist": "uniform", "low": 0.8, "high": 0.2}})
    assert "0.8" in str(info.value) and "0.2" in str(info.value)


def test_unknown_distribution_names_the_value():
    with pytest.raises(ScenarioError) as info:
        load_scenario("baseline", {"levers.international_pressure":
                                   {"dist": "beta", "low": 0.2, "high": 0.8}})
    assert "beta" in str(info.value)


# ---------------------------------------------------------------- property-based

ORDERED = {"dynamics.level_diplomatic", "dynamics.level_arms_trade",
           "dynamics.level_tech_transfer"}
#: Counts: whole numbers only (checked in their own test above).
WHOLE = {"dynamics.treaty_steps", "dynamics.treaty_drafting", "dynamics.treaty_notice"}
BOUNDED_KEYS = sorted(k for k, s in SPECS.items()
                      if math.isfinite(s.high) and k not in ORDERED | WHOLE)
PROPERTY = settings(deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(data=st.data())
def test_any_in_range_override_validates(data):
    key = data.draw(st.sampled_from(BOUNDED_KEYS), label="key")
    spec = SPECS[key]
    value = data.draw(st.floats(spec.low, spec.high, allow_nan=False), label="value")
    scenario = load_scenario("baseline", {key: value})
    assert scenario.param(key).value == value
    assert scenario.overrides == {key: value}


@PROPERTY
@given(key=st.sampled_from(sorted(SPECS)),
       below=st.floats(min_value=1e-9, max_value=1e9, allow_nan=False))
def test_any_override_below_range_is_rejected(key, below):
    value = SPECS[key].low - below
    if value >= SPECS[key].low:  # below is lost in rounding at large magnitudes
        return
    with pytest.raises(ScenarioError) as info:
        load_scenario("baseline", {key: value})
    assert key in str(info.value)
    assert "\n" not in str(info.value)
