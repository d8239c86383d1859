"""Figures that read right (issue 15), checked on the rendered image: tick labels that do
not collide, legends off the data, points inside their axes, one scale where units agree,
labels that do not overlap, and no missing glyphs."""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.legend import Legend
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from model import load_scenario, run_ensemble

# ---------------------------------------------------------------- image helpers


def render(fig):
    """Draw ``fig`` with Agg; return its renderer."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def all_axes(fig):
    """Every axes of the figure, with child axes (secondary calendar axes) included."""
    out = []
    for ax in fig.axes:
        out.append(ax)
        out.extend(getattr(ax, "child_axes", []))
    return out


def overlapping(boxes, pad: float = 0.0) -> list:
    """Pairs of display boxes that overlap (beyond ``pad`` pixels)."""
    return [(a, b) for a, b in itertools.combinations(boxes, 2)
            if a.x0 + pad < b.x1 and b.x0 + pad < a.x1 and a.y0 + pad < b.y1 and b.y0 + pad < a.y1]


def tick_label_boxes(axis, renderer) -> list:
    return [t.get_window_extent(renderer) for t in axis.get_ticklabels()
            if t.get_visible() and t.get_text()]


def drawn_tick_labels(axis) -> list:
    """The tick labels of ``axis`` that are drawn: visible, not empty, inside the view."""
    lo, hi = sorted(axis.get_view_interval())
    return [t for t, x in zip(axis.get_ticklabels(), axis.get_majorticklocs())
            if t.get_visible() and t.get_text() and lo - 1e-9 <= x <= hi + 1e-9]


def assert_ticks_readable(fig) -> None:
    renderer = render(fig)
    checked = 0
    for ax in all_axes(fig):
        if not ax.get_visible():
            continue
        for axis in (ax.xaxis, ax.yaxis):
            boxes = tick_label_boxes(axis, renderer)
            checked += len(boxes)
            assert not overlapping(boxes), ([t.get_text() for t in
                                           axis.get_ticklabels()])
    assert checked


def assert_legends_off_the_data(fig) -> None:
    """No legend (of the figure or of a panel) covers any panel that holds data."""
    renderer = render(fig)
    legends = [c for c in fig.get_children() if isinstance(c, Legend)]
    legends += [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    assert legends
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.has_data()]
    for legend in legends:
        box = legend.get_window_extent(renderer)
        hits = [ax.get_title() for ax in panels
                if overlapping([box, ax.get_window_extent(renderer)], pad=1.0)]
        assert not hits, hits


# ---------------------------------------------------------------- run figures


@pytest.fixture(scope="module")
def long_table():
    return run_ensemble(load_scenario("baseline"), runs=4, seed=0, months=200)


@pytest.fixture(scope="module")
def table(seed0_table):
    return seed0_table


@pytest.mark.slow
@pytest.mark.parametrize("months", [200, 65, 24, 3])
@pytest.mark.parametrize("which", ["plot_trajectories", "plot_option_shares"])
def test_calendar_ticks_never_collide(long_table, which, months):
    from model.output import plots

    part = long_table[long_table.month <= months]
    fig = getattr(plots, which)(part, "Scenario 'baseline'", start="2023-07")
    assert_ticks_readable(fig)
    labels = [t.get_text() for ax in all_axes(fig) for t in ax.xaxis.get_ticklabels()]
    assert any(str(2023 + (6 + months) // 12) in t or "2023" in t for t in labels)


@pytest.mark.slow
def test_trajectory_legends_are_off_the_data(table):
    from model.output.plots import plot_option_shares, plot_trajectories

    for plot in (plot_trajectories, plot_option_shares):
        assert_legends_off_the_data(plot(table, "Scenario 'baseline'", start="2023-07"))


def test_flows_panel_shows_the_mean_across_runs(table):
    from model.output.plots import plot_trajectories

    fig = plot_trajectories(table, "t", start="2023-07")
    lines = {line.get_label(): line for ax in fig.axes for line in ax.get_lines()}
    for column, label in (("munitions_flow", "Munitions delivered (mean index)"),
                          ("aid_flow", "Food and energy aid (share of runs giving it)")):
        mean = table.groupby("month")[column].mean()
        line = lines[label]
        np.testing.assert_allclose(line.get_xdata(), mean.index)
        np.testing.assert_allclose(line.get_ydata(), mean.to_numpy())


def test_figures_name_chinese_scenarios_without_missing_glyphs(table):
    from model.output.plots import plot_trajectories

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        render(plot_trajectories(table, "Scenario '中国_enables'", start="2023-07"))


# ---------------------------------------------------------------- compare


@pytest.fixture(scope="module")
def comparison8():
    from model import available_scenarios
    from model.analysis.compare import compare

    names = [n for n in available_scenarios()][:8]
    return compare([load_scenario(n) for n in names], runs=6, seed=0, months=30)


@pytest.mark.slow
def test_compare_trajectories_have_a_calendar_and_stay_readable(comparison8):
    from model.analysis.compare import plot_trajectories

    fig = plot_trajectories(comparison8)
    assert_ticks_readable(fig)
    render(fig)
    labels = {t.get_text() for ax in all_axes(fig) for t in ax.xaxis.get_ticklabels()}
    assert {"2024", "2025"} <= {t[-4:] for t in labels}
    for ax in fig.axes:  # eight overlapping bands merge: none with this many scenarios
        assert not [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert_legends_off_the_data(fig)
    for ax in fig.axes:  # what is record and what is projection (issue 24, item 10)
        assert [float(line.get_xdata()[0]) for line in ax.get_lines()
                if line.get_gid() == "record-end"] == [15.0]
    labels = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert any(label.startswith("end of the record (Oct 2024)") for label in labels)


@pytest.mark.slow
def test_compare_outcomes_keep_points_inside_and_share_scales(comparison8):
    from model.analysis.compare import plot_outcomes

    fig = plot_outcomes(comparison8)
    render(fig)
    limits = {}
    for ax in fig.axes:
        if not ax.has_data():
            continue
        lo, hi = ax.get_xlim()
        for line in ax.get_lines():
            x = np.asarray(line.get_xdata(), dtype=float)
            x = x[np.isfinite(x)]
            assert ((x > lo) & (x < hi)).all(), ax.get_title()
        for coll in ax.collections:
            for seg in getattr(coll, "get_segments", list)():
                assert ((seg[:, 0] >= lo) & (seg[:, 0] <= hi)).all(), ax.get_title()
        limits.setdefault(ax.get_xlabel(), set()).add((round(lo, 6), round(hi, 6)))
    assert len(limits["probability"]) == 1
    assert len(limits["index 0–1"]) == 1


# ---------------------------------------------------------------- claims


def claims_table() -> pd.DataFrame:
    rows = [("C1", 0.10, 0.098, 0.102, 1.0, "index 0–1"), ("C2a", 5.53, 5.33, 5.74, 36, "months"),
            ("C5", -0.431, -0.44, -0.423, 1.0, "index 0–1"), ("C7b", 0.026, 0.025, 0.027, 1.0,
                                                             "index 0–1"),
            ("C8", 0.057, 0.054, 0.060, 1.0, "index 0–1")]
    return pd.DataFrame([{
        "id": i, "claim": f"claim {i}", "locator": "lt.2", "compared": "a → b",
        "outcome": "an outcome", "low_arm": "a", "high_arm": "b", "low_arm_mean": 0.3,
        "high_arm_mean": 0.3 + e / scale, "effect": e, "ci_low": lo, "ci_high": hi,
        "expected": "positive" if e > 0 else "negative", "holds": True, "scale": scale,
        "unit": unit} for i, e, lo, hi, scale, unit in rows])


def test_claims_effects_share_one_scale_with_error_bars():
    from model.analysis.claims import plot_claims

    table = claims_table()
    fig = plot_claims(table)
    render(fig)
    panels = [ax for ax in fig.axes if ax.has_data()]
    assert len(panels) == 1
    (ax,) = panels
    lo, hi = ax.get_xlim()
    bars = [c for c in ax.collections if hasattr(c, "get_segments")]
    segments = np.concatenate([np.asarray(c.get_segments()) for c in bars])
    assert len(segments) >= len(table)
    assert (segments[..., 0] >= lo).all() and (segments[..., 0] <= hi).all()
    # +0.026 must look small beside −0.431 on the shared axis
    widths = sorted(abs(s[1, 0] - s[0, 0]) for s in segments)
    assert widths


# ---------------------------------------------------------------- equilibria, sensitivity


def test_regime_map_prints_the_count_in_every_cell():
    from model.analysis.equilibria import plot_regime_map, regime_map
    from model.analysis.sweep import parse_axis

    scenario = load_scenario("baseline")
    result = regime_map(scenario, 12, 0, parse_axis("levers.war_demand=0:1:3"),
                        parse_axis("levers.international_pressure=0:1:2"))
    fig = plot_regime_map(result, "t")
    (ax,) = fig.axes
    counts = [t for t in ax.texts if isinstance(t, Text) and t.get_text().isdigit()]
    assert len(counts) == result.counts.size
    assert sorted(int(t.get_text()) for t in counts) == sorted(result.counts.ravel().tolist())


def morris_result():
    from model.analysis.sensitivity import SensitivityResult

    rows = [("dynamics.alliance_growth", 1.08, 0.33, 0.55), ("levers.international_pressure",
            0.47, 0.43, 0.66), ("levers.war_demand", 0.28, 0.34, 0.56),
            ("north_korea.weights.exchange_share", 0.19, 0.3, 0.53),
            ("levers.russia_reputation_cost", 0.19, 0.18, 0.40),
            ("north_korea.weights.production_cost", 0.14, 0.16, 0.28),
            ("levers.nk_tech_appetite", 0.14, 0.15, 0.28),
            ("russia.weights.partnership_value", 0.05, 0.08, 0.13),
            ("russia.weights.continuation_value", 0.0, 0.0, 0.0),
            ("russia.weights.munitions_value", 0.0, 0.0, 0.0),
            ("levers.circumvention_learning", 0.0, 0.0, 0.0),
            ("levers.nk_food_crisis", 0.0, 0.0, 0.0)]
    table = pd.DataFrame([{"parameter": p, "mu": m, "mu_star": m, "mu_star_conf": c,
                           "sigma": s} for p, m, c, s in rows])
    return SensitivityResult(
        method="morris", scenario="baseline", metric="treaty_by_24",
        metric_description="probability a treaty is signed by month 24", unit="probability",
        keys=tuple(table.parameter), table=table, n=8, n_points=104, replicates=4, runs=416,
        months=36, seed=0, wall_time=1.0, output_mean=0.1, output_sd=0.2)


def test_morris_labels_do_not_overlap():
    from model.analysis.reports.sensitivity import plot_morris

    fig = plot_morris(morris_result(), "Sensitivity of treaty_by_24")
    renderer = render(fig)
    (ax,) = [a for a in fig.axes if a.has_data()]
    names = set(morris_result().table.parameter)
    labels = [t for t in ax.texts if t.get_text() in names]
    assert len(labels) == len(names)
    boxes = [Text.get_window_extent(t, renderer) for t in labels]  # text, not leader line
    assert not overlapping(boxes)
    figure_box = fig.bbox
    for box in boxes:
        assert figure_box.x0 <= box.x0 and box.x1 <= figure_box.x1


# ---------------------------------------------------------------- the record on the plots


def _by_gid(ax, gid: str) -> list:
    return [a for a in ax.get_children() if a.get_gid() == gid]


def _vertical_xs(ax, gid: str) -> list[float]:
    return sorted(float(line.get_xdata()[0]) for line in _by_gid(ax, gid))


@pytest.fixture(scope="module")
def calibrated48():
    scenario = load_scenario("calibrated")
    return scenario, run_ensemble(scenario, runs=6, seed=0, months=48)


def record_figure(table, start="2023-07", today=None, which="plot_trajectories", **kw):
    from model.output import plots
    from model.output.record_overlay import record_overlay

    return getattr(plots, which)(table, "record", start=start,
                                 overlay=record_overlay(start, today=today), **kw)


@pytest.fixture(scope="module")
def drawn(calibrated48):
    """``which`` -> (figure, renderer): each record figure of ``calibrated48`` built and
    drawn once, for the tests that only read it (none changes a figure)."""
    out = {}
    for which in ("plot_trajectories", "plot_option_shares"):
        fig = record_figure(calibrated48[1], which=which)
        out[which] = fig, render(fig)
    return out


@pytest.mark.parametrize("start, groups, today", [("2023-07", 14, [40.0]), ("2030-01", 0, [])])
def test_record_events_and_a_given_today_are_marked_where_the_months_reach_them(
        calibrated48, start, groups, today):
    fig = record_figure(calibrated48[1], start=start, today="2026-11")
    ax = fig.axes[0]
    assert len(_vertical_xs(ax, "record-event")) == groups
    assert _vertical_xs(ax, "today") == today
    if groups:  # the summit (September 2023) at month 2, the treaty (June 2024) at month 11,
        # the US round of October 2024 (R27) at month 15
        assert _vertical_xs(ax, "record-event")[:2] == [0.0, 2.0]
        assert 11.0 in _vertical_xs(ax, "record-event")
        assert _vertical_xs(ax, "record-event")[-1] == 15.0


def test_figures_do_not_depend_on_the_clock(drawn):
    """No "today" line unless a date is given: the same command draws the same figure."""
    for which in ("plot_trajectories", "plot_option_shares"):
        fig, _ = drawn[which]
        assert not any(_by_gid(ax, "today") for ax in fig.axes)


def test_events_are_numbered_at_the_records_month_with_a_key(drawn):
    from model.core.record import load_observations

    events = load_observations().events
    for which in ("plot_trajectories", "plot_option_shares"):
        fig, renderer = drawn[which]
        markers = [m for ax in fig.axes[:2] for m in _by_gid(ax, "record-marker")]
        months = sorted({e.first for e in events.values()})
        assert sorted({float(m.xy[0]) for m in markers}) == months
        number = {float(m.xy[0]): m.get_text() for m in markers}
        # R14 (reported 2 May 2024, the record's month 8: March oil) is under marker 7
        assert events["R14"].first == 8 and number[8.0] == str(months.index(8) + 1)
        key = next(ax for ax in fig.axes if ax.get_visible()
                   and any(t.get_text().startswith("R01 ") for t in ax.texts))
        texts = [t.get_text() for t in key.texts]
        for event in events.values():
            assert any(t.startswith(f"{event.id} ") for t in texts), event.id
        assert f"{months.index(8) + 1:>2}  Mar 2024" in texts
        for ax in fig.axes[:2]:
            boxes = [m.get_bbox_patch().get_window_extent(renderer)
                     for m in _by_gid(ax, "record-marker")]
            assert not overlapping(boxes)
        key_boxes = [t.get_window_extent(renderer) for t in key.texts if t.get_text()]
        assert not overlapping(key_boxes)
        legend = key.get_legend().get_window_extent(renderer)
        assert not overlapping([legend, *key_boxes])
        assert all(fig.bbox.x0 <= b.x0 and b.x1 <= fig.bbox.x1 for b in key_boxes)


def test_the_end_of_the_record_and_the_calibration_window_are_marked(drawn):
    fig, _ = drawn["plot_trajectories"]
    for ax in fig.axes[:7]:
        assert _vertical_xs(ax, "record-end") == [15.0]  # October 2024, R27
        (window,) = _by_gid(ax, "calibration-window")
        # the fitted rules read months 1–15 (to the troops and shells of October 2024)
        assert list(window.get_xdata()) == [0.5, 15.5]
    labels = [t.get_text() for t in fig.axes[-1].get_legend().get_texts()]
    assert any(label.startswith("end of the record (Oct 2024)") for label in labels)
    assert any(label.startswith("calibration window (Aug 2023–Oct 2024") for label in labels)
    assert any(label.startswith("event of the record") for label in labels)
    assert any(label.startswith("target months of a fitted rule") for label in labels)


def test_the_treaty_window_is_drawn_above_the_stacked_levels(drawn):
    fig, _ = drawn["plot_trajectories"]
    ax = next(a for a in fig.axes if a.get_title().startswith("Alliance level"))
    stack = [c for c in ax.collections if isinstance(c, PolyCollection)]
    windows = _by_gid(ax, "target-window")
    assert stack and windows
    treaty = [w for w in windows  # months 9–12 (axvspan: a Rectangle since Matplotlib 3.9)
              if (w.get_x() if isinstance(w, Rectangle) else min(x for x, _ in w.get_xy()))
              == 8.5]
    assert treaty and treaty[0].get_hatch()
    assert min(w.get_zorder() for w in windows) > max(c.get_zorder() for c in stack)


def test_the_strength_panel_names_the_level_thresholds(calibrated48):
    from model.output.run_report import level_thresholds

    scenario, table = calibrated48
    thresholds = level_thresholds(scenario)
    fig = record_figure(table, thresholds=thresholds)
    render(fig)
    ax = fig.axes[0]
    (right,) = [c for c in ax.child_axes
                if any("≥" in label.get_text() for label in c.yaxis.get_ticklabels())]
    ticks = {t.get_text(): round(float(y), 6) for t, y in zip(right.yaxis.get_ticklabels(),
                                                           right.get_yticks())}
    assert ticks == {f"{name} ≥ {value:g}": round(value, 6)
                     for name, value in thresholds.items()}
    lines = {round(float(line.get_ydata()[0]), 6) for line in ax.get_lines()
             if len(set(line.get_ydata())) == 1 and line.get_linestyle() != "-"}
    assert set(ticks.values()) <= lines


def test_flow_panels_say_what_a_mean_of_each_flow_is_and_show_shells(drawn):
    from model.core.record import load_observations

    fig, _ = drawn["plot_trajectories"]  # drawn: the shells axis takes its limits then
    titles = {ax.get_title(): ax for ax in fig.axes}
    aid = next(ax for title, ax in titles.items() if title.startswith("Aid and technology"))
    labels = [line.get_label() for line in aid.get_lines()]
    assert "Food and energy aid (share of runs giving it)" in labels
    assert "Technology transfer (mean index)" in labels
    assert "index 0–1" not in aid.get_title()
    munitions = next(ax for t, ax in titles.items() if t.startswith("Munitions delivered"))
    (shells,) = [c for c in munitions.child_axes if "shells" in c.get_ylabel()]
    scale = load_observations().scales["shells_per_large_month"].value
    low, high = shells.get_ylim()
    assert high == pytest.approx(munitions.get_ylim()[1] * scale / 1e6)


@pytest.mark.parametrize("which", ["plot_trajectories", "plot_option_shares"])
def test_panel_titles_keep_clear_of_the_panel_above(drawn, which):
    fig, renderer = drawn[which]
    ticks = [t.get_window_extent(renderer) for ax in all_axes(fig) if ax.get_visible()
             for axis in (ax.xaxis, ax.yaxis) for t in drawn_tick_labels(axis)]
    titles = [ax.title.get_window_extent(renderer) for ax in fig.axes
              if ax.get_visible() and ax.get_title()]
    assert titles and not [pair for pair in itertools.product(titles, ticks)
                           if overlapping(list(pair), pad=0.5)]


@pytest.mark.parametrize("which", ["plot_trajectories", "plot_option_shares"])
def test_one_month_draws_without_layout_warnings_or_overlapping_legends(which):
    table = run_ensemble(load_scenario("calibrated"), runs=5, seed=0, months=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        fig = record_figure(table, which=which)
        renderer = render(fig)
    legends = [c for c in fig.get_children() if isinstance(c, Legend)]
    legends += [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    boxes = [legend.get_window_extent(renderer) for legend in legends]
    assert len(boxes) >= 3 and not overlapping(boxes)
    assert_legends_off_the_data(fig)


def test_the_dashboards_fan_chart_marks_the_record_too():
    from model.dashboard.ensemble_view import trajectories_figure

    scenario = load_scenario("calibrated")
    table = run_ensemble(scenario, runs=4, seed=0, months=16)  # the record ends at month 15
    fig = trajectories_figure(table, scenario, "dashboard")
    assert len(_vertical_xs(fig.axes[0], "record-event")) == 14
    assert _vertical_xs(fig.axes[0], "record-end") == [15.0]
    assert _by_gid(fig.axes[0], "record-marker")


@pytest.mark.slow  # writes two run folders and draws a figure in each
def test_a_today_line_is_an_option_the_manifest_records(calibrated48, tmp_path, monkeypatch):
    import json
    import time

    from matplotlib.figure import Figure

    from model.output.run_report import write_run

    render = Figure.savefig  # only the figure compared below is drawn (the others: empty)
    monkeypatch.setattr(Figure, "savefig", lambda fig, path, *a, **k: render(fig, path, *a, **k)
                        if Path(path).name == "trajectories.png" else Path(path).write_bytes(b""))
    scenario, table = calibrated48
    for today, out in ((None, tmp_path / "plain"), ("2026-11", tmp_path / "dated")):
        write_run(table, scenario, out, runs=6, seed=0, months=48,
                  started=time.perf_counter(), today=today)
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest.get("figures_today") == today
    plain = (tmp_path / "plain" / "trajectories.png").read_bytes()
    dated = (tmp_path / "dated" / "trajectories.png").read_bytes()
    assert plain != dated
