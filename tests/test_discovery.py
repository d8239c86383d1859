"""Scenario discovery: PRIM and CART on synthetic tables with a known box, the futures
sampler, the case marking, and the `discover` command end to end."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from support import ROOT, cli

from model.analysis.cart import cart_tree
from model.analysis.discovery import label, mark_cases
from model.analysis.futures import CHINA, CHINA_LEVELS, default_ranges, sample_futures
from model.analysis.metrics import METRICS
from model.analysis.prim import DiscoveryError, check_cases, prim_boxes, select_step
from model.cli.main import main


def synthetic(n: int = 800, seed: int = 3, inside: float = 0.9, outside: float = 0.04):
    """Uniform inputs on [0, 1]^4 and a category; cases concentrate where a > 0.6 and
    b < 0.5 (probability ``inside``) and are rare elsewhere (``outside``)."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.random((n, 4)), columns=["a", "b", "c", "d"])
    x["kind"] = pd.Categorical(rng.choice(["p", "q", "r"], n))
    box = ((x.a > 0.6) & (x.b < 0.5)).to_numpy()
    y = np.where(box, rng.random(n) < inside, rng.random(n) < outside)
    return x, y, box


@pytest.mark.slow
def test_prim_recovers_a_known_box():
    x, y, box = synthetic()
    true_coverage, true_density = y[box].sum() / y.sum(), y[box].mean()
    boxes = prim_boxes(x, y, max_boxes=1, ranges={c: (0.0, 1.0) for c in "abcd"})
    assert len(boxes) == 1
    found = boxes[0]
    assert {r.name for r in found.restrictions} == {"a", "b"}
    limits = {r.name: r for r in found.restrictions}
    assert limits["a"].low == pytest.approx(0.6, abs=0.05) and limits["a"].high == 1.0
    assert limits["b"].high == pytest.approx(0.5, abs=0.05) and limits["b"].low == 0.0
    assert found.coverage == pytest.approx(true_coverage, abs=0.08)
    assert found.density == pytest.approx(true_density, abs=0.08)
    assert all(r.qp < 0.05 for r in found.restrictions)
    # the statistics agree with the box's own limits
    inside = (x.a >= limits["a"].low) & (x.b <= limits["b"].high)
    assert found.n == inside.sum() and found.k == y[inside].sum()
    sentence = found.sentence("y happens", {"a": "alpha"})
    assert sentence.startswith(f"y happens in {found.density:.0%} of the futures where ")
    assert "alpha > 0.6" in sentence and "b < 0.5" in sentence
    assert f"hold {found.coverage:.0%} of all such cases" in sentence


@pytest.mark.slow
def test_prim_finds_a_second_box_on_a_category_and_stops():
    rng = np.random.default_rng(8)
    n = 900
    x = pd.DataFrame(rng.random((n, 3)), columns=["a", "b", "c"])
    x["kind"] = pd.Categorical(rng.choice(["p", "q", "r"], n))
    first = (x.a > 0.7).to_numpy()
    second = ((x.c > 0.7) & (x.kind == "p")).to_numpy() & ~first
    y = (first | second) & (rng.random(n) < 0.95)
    boxes = prim_boxes(x, y, max_boxes=3)
    assert [r.name for r in boxes[0].restrictions] == ["a"]
    assert {r.name for r in boxes[1].restrictions} == {"c", "kind"}
    kind = next(r for r in boxes[1].restrictions if r.name == "kind")
    assert kind.categories == ("p",) and kind.all_categories == ("p", "q", "r")
    assert "kind is p" in kind.text()
    assert len(boxes) == 2  # nothing significant is left after the two boxes
    assert boxes[0].coverage + boxes[1].coverage == pytest.approx(1.0, abs=0.1)


def test_a_later_box_states_its_share_of_the_cases_left():
    """Issue 24, item 7: "of all such cases not in an earlier box" is a share of the cases
    outside box 1, not of all cases (both are stated)."""
    rng = np.random.default_rng(8)
    n = 900
    x = pd.DataFrame(rng.random((n, 3)), columns=["a", "b", "c"])
    first = (x.a > 0.7).to_numpy()
    second = (x.c > 0.7).to_numpy() & ~first
    y = (first | second) & (rng.random(n) < 0.95)
    boxes = prim_boxes(x, y, max_boxes=2)
    assert len(boxes) == 2
    later = boxes[1]
    left = int(y[~boxes_members(x, boxes[0])].sum())
    assert later.left == left
    sentence = later.sentence("y happens")
    assert f"hold {later.k / left:.0%} of such cases not in an earlier box " \
           f"({later.k / y.sum():.0%} of all such cases)" in sentence
    assert later.k / left > later.coverage + 0.2  # the two shares differ here


def boxes_members(x: pd.DataFrame, box) -> np.ndarray:
    """Rows inside ``box`` (numeric restrictions only)."""
    inside = np.ones(len(x), dtype=bool)
    for r in box.restrictions:
        inside &= (x[r.name] >= r.low).to_numpy() & (x[r.name] <= r.high).to_numpy()
    return inside


def test_a_box_below_the_base_rate_is_not_called_a_concentration():
    """Issue 24, item 7: box 2 is significant among the futures left outside box 1 but
    rarer than the outcome among all futures; it must not read as a concentration."""
    rng = np.random.default_rng(5)
    n = 1500
    x = pd.DataFrame(rng.random((n, 3)), columns=["a", "b", "c"])
    first = (x.a > 0.6).to_numpy()
    second = (x.b > 0.5).to_numpy() & ~first
    p = np.where(first, 1.0, np.where(second, 0.3, 0.03))
    y = rng.random(n) < p
    boxes = prim_boxes(x, y, max_boxes=2)
    assert len(boxes) == 2 and boxes[0].concentrates
    later = boxes[1]
    assert later.density < y.mean() and not later.concentrates
    assert later.density > later.base_rate  # it does stand out among the futures left
    sentence = later.sentence("y happens")
    assert "does not concentrate here" in sentence and f"({y.mean():.0%})" in sentence
    assert "does not concentrate" not in boxes[0].sentence("y happens")


@pytest.mark.slow
def test_same_table_same_boxes():
    x, y, _ = synthetic(500)
    a, b = prim_boxes(x, y, max_boxes=2), prim_boxes(x, y, max_boxes=2)
    assert len(a) == len(b) >= 1
    for first, second in zip(a, b):
        pd.testing.assert_frame_equal(first.limits(), second.limits())
        assert (first.coverage, first.density) == (second.coverage, second.density)


@pytest.mark.slow
def test_cart_agrees_on_the_main_split():
    x, y, _ = synthetic()
    boxes = prim_boxes(x, y, max_boxes=1)
    tree = cart_tree(x, y, seed=0)
    assert tree.root["parameter"] in {r.name for r in boxes[0].restrictions}
    boundary = {"a": 0.6, "b": 0.5}[tree.root["parameter"]]
    assert tree.root["threshold"] == pytest.approx(boundary, abs=0.05)
    densest = tree.leaves.iloc[0]
    a_low = float(re.search(r"a > ([0-9.]+)", densest.rule).group(1))
    b_high = float(re.search(r"b ≤ ([0-9.]+)", densest.rule).group(1))
    assert densest.density > 0.8 and abs(a_low - 0.6) < 0.05 and abs(b_high - 0.5) < 0.05
    assert tree.leaves.futures.sum() == len(x) and tree.leaves.cases.sum() == y.sum()
    assert cart_tree(x, y, seed=0).text == tree.text


def test_select_step_rules():
    trajectory = pd.DataFrame({"coverage": [1.0, 0.9, 0.6, 0.3],
                               "density": [0.2, 0.4, 0.7, 0.9]})
    assert select_step(trajectory) == 2  # 0.42 is the largest coverage × density
    assert select_step(trajectory, min_density=0.8) == 3
    assert select_step(trajectory, min_density=0.35) == 1
    assert select_step(trajectory, min_density=0.95) == 3  # none reaches it: densest


def test_empty_and_full_selections_are_one_line_errors():
    x = pd.DataFrame({"a": np.linspace(0, 1, 10)})
    for flags, word in ((np.zeros(10, bool), "no future"), (np.ones(10, bool), "every future")):
        with pytest.raises(DiscoveryError, match=word) as err:
            check_cases(x, flags)
        assert "\n" not in str(err.value)
    with pytest.raises(DiscoveryError, match="one flag per row"):
        check_cases(x, np.zeros(3, bool))
    treaty = METRICS["treaty_by_24"]
    with pytest.raises(DiscoveryError, match="no future has treaty_by_24 above 2"):
        mark_cases(np.linspace(0, 1, 10), treaty, 2.0, None)
    with pytest.raises(DiscoveryError, match="every future has"):
        mark_cases(np.linspace(0, 1, 10), treaty, None, 5.0)


def test_mark_cases_defaults():
    values = np.array([0.1, 0.4, 0.6, 0.9])
    cases, direction, threshold, rule = mark_cases(values, METRICS["treaty_by_24"], None, None)
    assert (direction, threshold) == ("above", 0.5) and cases.tolist() == [0, 0, 1, 1]
    cases, _, threshold, rule = mark_cases(values * 10, METRICS["munitions_total"], None, None)
    assert threshold == 5.0 and "median" in rule and cases.sum() == 2
    cases, direction, _, _ = mark_cases(values, METRICS["treaty_by_24"], None, 0.5)
    assert direction == "below" and cases.tolist() == [1, 1, 0, 0]


def test_futures_are_a_latin_hypercube_with_balanced_categories():
    ranges = default_ranges(["levers.war_demand", "dynamics.alliance_growth"])
    table = sample_futures(40, 7, ranges, {CHINA: CHINA_LEVELS})
    for key, (low, high) in ranges.items():
        strata = np.floor((table[key] - low) / (high - low) * 40).astype(int)
        assert sorted(strata) == list(range(40)), key  # one future per stratum
    assert table[CHINA].value_counts().tolist() == [10] * 4
    pd.testing.assert_frame_equal(table, sample_futures(40, 7, ranges, {CHINA: CHINA_LEVELS}))
    assert not table.equals(sample_futures(40, 8, ranges, {CHINA: CHINA_LEVELS}))


def test_joint_sample_rows_stay_together():
    joint = pd.DataFrame({"dynamics.alliance_growth": [0.1, 0.2, 0.3],
                          "dynamics.alliance_decay": [0.01, 0.02, 0.03]})
    table = sample_futures(50, 1, default_ranges(["levers.war_demand",
                                                  "dynamics.alliance_growth"]), joint=joint)
    assert list(table.columns) == ["levers.war_demand", "dynamics.alliance_growth",
                                   "dynamics.alliance_decay"]
    ratio = table["dynamics.alliance_decay"] / table["dynamics.alliance_growth"]
    assert np.allclose(ratio, 0.1)  # each future is one whole row of the joint sample


def test_labels():
    assert label("levers.war_demand") == "war demand"
    assert label("russia.weights.munitions_value") == "Russia's munitions value"
    assert label("levers.russia_reputation_cost") == "Russia's reputation cost"
    assert label("levers.nk_food_crisis") == "North Korea's food crisis"
    assert label(CHINA) == "China's stance"


@pytest.mark.slow
def test_discover_end_to_end(tmp_path, monkeypatch):
    out = tmp_path / "d"
    args = ("discover", "baseline", "--outcome", "alliance_strength_final", "--samples", "120",
            "--runs", "2", "--months", "12", "--seed", "4", "--boxes", "2")
    result = cli(*args, "--out", str(out))
    assert result.returncode == 0, result.stderr
    for name in ("report.md", "peeling.png", "boxes.png", "futures.csv", "boxes.csv",
                 "cart.txt", "manifest.json"):
        assert (out / name).stat().st_size > 0, name
    futures = pd.read_csv(out / "futures.csv")
    assert len(futures) == 120 and {"levers.war_demand", CHINA, "case"} <= set(futures.columns)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "discover" and manifest["samples"] == 120
    assert manifest["threshold"] == pytest.approx(futures.alliance_strength_final.median())
    report = (out / "report.md").read_text()
    assert "## Boxes (PRIM)" in report and "CART" in report
    for box in manifest["boxes"]:
        assert box["sentence"] in report
    with monkeypatch.context() as patch:  # again, in this process (its figures not drawn)
        patch.setattr(Figure, "savefig", lambda fig, path, *a, **k: Path(path).write_bytes(b""))
        assert main([*args, "--out", str(tmp_path / "e")]) == 0
    assert json.loads((tmp_path / "e" / "manifest.json").read_text())["boxes"] == \
        manifest["boxes"]  # same seed, same boxes
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "e" / "futures.csv"), futures)


@pytest.mark.slow
def test_headline_script_runs_small(tmp_path, no_rendering):
    script = ROOT / "experiments" / "discover_treaty_and_stop.py"
    spec = importlib.util.spec_from_file_location("discover_treaty_and_stop", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = module.main(samples=60, runs=2, months=24, out=tmp_path / "h")
    assert set(found) == {"treaty_by_12", "arms_trade_stops_by_24"}
    for name in found:
        assert (tmp_path / "h" / name / "report.md").exists()


@pytest.mark.parametrize(("args", "message"), [
    (("--outcome", "treaty_by_99"), "--outcome: unknown metric 'treaty_by_99'; allowed:"),
    (("--outcome", "treaty_by_3", "--above", "2"), "unknown metric 'treaty_by_3'"),
    # issue 24, item 15: the flag that named the metric is --outcome, not --metric
    (("--outcome", "treaty_by_24"), "--outcome: metric treaty_by_24 needs runs of at least 24"),
    (("--above", "0.2", "--below", "0.3"), "not allowed with argument"),
])
def test_discover_bad_input_is_one_line(args, message, capsys):
    status = main(["discover", "baseline", "--samples", "30", "--runs", "1", "--months", "3",
                   "--no-china", *args])
    err = capsys.readouterr().err
    assert status == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_arms_trade_stops_metric_on_hand_made_flows():
    from model.ensemble.driver import EnsembleArrays

    flow = np.zeros((25, 4))
    flow[3, 0] = 1.0  # ran early, then stopped: a stop
    flow[3, 1], flow[20, 1] = 1.0, 0.5  # resumed in month 20: no stop
    flow[18, 3] = 0.5  # last delivery in month 18: a stop
    arrays = EnsembleArrays(seeds=np.arange(4), state={"munitions_flow": flow}, choice={},
                            drawn={})
    metric = METRICS["arms_trade_stops_by_24"]
    assert metric(arrays).tolist() == [1.0, 0.0, 0.0, 1.0]  # run 2 never traded
    assert metric.is_probability


def test_a_scenarios_joint_sample_feeds_the_futures_with_its_weights():
    from types import SimpleNamespace

    from model.analysis.futures import joint_sample

    keys = ("dynamics.alliance_growth", "levers.war_demand")

    class Sample(SimpleNamespace):
        def active_keys(self, overrides):
            return [k for k in self.keys if k not in (overrides or {})]

    sample = Sample(keys=keys, weights=(0.0, 1.0, 3.0),
                    values=((0.1, 0.5), (0.2, 0.6), (0.3, 0.7)))
    assert joint_sample(SimpleNamespace()) is None  # no sample: plain ranges
    table = joint_sample(SimpleNamespace(sample=sample, overrides={"levers.war_demand": 0.9}))
    assert list(table.columns) == ["dynamics.alliance_growth", "weight"]  # overridden: out
    futures = sample_futures(400, 2, default_ranges(["levers.nk_food_crisis"]),
                             joint=joint_sample(SimpleNamespace(sample=sample, overrides={})))
    assert "weight" not in futures.columns
    growth = futures["dynamics.alliance_growth"]
    assert not (growth == 0.1).any()  # weight 0 is never drawn
    assert (growth == 0.3).mean() == pytest.approx(0.75, abs=0.07)
    assert np.allclose(futures["levers.war_demand"] - growth, 0.4)  # rows stay whole
