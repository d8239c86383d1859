"""The dashboard's components without a browser (``solara.render``, as Mesa's own SolaraViz
tests do): the dash renders, Step advances the Mesa run, a lever change reruns the
ensemble with the new value, bad input keeps the last good setting, export round-trips."""

from __future__ import annotations

import os
import time
from pathlib import Path

import ipyvuetify as v
import pytest
import solara

from model import load_scenario
from model.core.scenario import available_scenarios
from model.dashboard import app
from model.dashboard.app import Dashboard
from model.dashboard.settings import (
    Settings,
    apply,
    control_defaults,
    initial,
    lever_range,
    overrides_of,
    slider_step,
)

WAIT = 240  # seconds: a loaded 2-core machine redraws slowly
RUNS = 200  # ensemble size for these tests (the page's default is 1,000)


def wait_for(predicate, what: str, timeout: float = WAIT):
    """Poll until ``predicate()`` is truthy (the ensemble runs in a background task)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def texts(rc) -> list[str]:
    """Every text shown on the page (strings among the rendered widgets' children)."""
    found: list[str] = []
    stack = [rc.find().widget]
    while stack:
        widget = stack.pop()
        # GridDraggable (SolaraViz's component grid) keeps its widgets in ``items``
        for child in [*(getattr(widget, "children", None) or []),
                      *(getattr(widget, "items", None) or [])]:
            if isinstance(child, str):
                found.append(child)
            else:
                stack.append(child)
    return found


def text_with(rc, fragment: str) -> str | None:
    return next((t for t in texts(rc) if fragment in t), None)


def shows_step(rc, n: int) -> str | None:
    """SolaraViz's step counter at ``n``: "Step: n" in Mesa 3.3, "Time: n.0" in Mesa 3.5."""
    return text_with(rc, f"Step: {n}") or text_with(rc, f"Time: {float(n)}")


def summary_line(rc, prefix: str) -> str:
    """A line of the ensemble's summary (the <pre> under the chart) starting with prefix."""
    summary = wait_for(lambda: text_with(rc, "Cumulative munitions"), "the ensemble summary")
    return next(line for line in summary.splitlines() if line.startswith(prefix))


def munitions_median(rc) -> float:
    line = summary_line(rc, "Cumulative munitions")
    return float(line.split("median ")[1].split()[0])


def settled(rc) -> bool:
    return text_with(rc, "Recomputing the ensemble") is None and text_with(
        rc, "recomputed and redrawn") is not None


@pytest.fixture(scope="module")
def chart_not_drawn():
    """The on-screen fan chart is built but not drawn (its PNG is empty): these tests read
    the page's texts and controls, and drawing it on every recomputation would dominate
    their time. Figures written to files (the export) are drawn; the chart's pixels are
    tested in test_figures.py and, in chromium, in test_dashboard_browser.py."""
    from matplotlib.figure import Figure

    draw = Figure.savefig

    def save(fig, target, *args, **kwargs):
        if isinstance(target, str | os.PathLike):
            return draw(fig, target, *args, **kwargs)
        target.write(b"")  # the dashboard's in-memory buffer

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Figure, "savefig", save)
        yield


def rendered(scenario: str, export_dir: Path):
    """The dash of ``scenario`` inside the app layout (which holds the sidebar), 200 runs
    to stay fast, once its first ensemble is shown: (the box to close, the render
    context)."""
    box, rc = solara.render(solara.AppLayout(children=[Dashboard(
        scenario=scenario, runs=RUNS, export_dir=export_dir)]), handle_error=False)
    wait_for(lambda: text_with(rc, f"{RUNS} runs, seed 0, recomputed") and settled(rc),
             "the first ensemble")
    return box, rc


@pytest.fixture
def dash(chart_not_drawn, tmp_path):
    """A new baseline dash, for a test that changes its setting."""
    box, rc = rendered("baseline", tmp_path)
    yield rc
    box.close()


@pytest.fixture(scope="module")
def shared_dash(chart_not_drawn, tmp_path_factory):
    """One baseline dash for the tests that only read it (or step its run and Reset it):
    rendered once for the module."""
    box, rc = rendered("baseline", tmp_path_factory.mktemp("export"))
    yield rc
    box.close()


def type_into(field, text: str) -> None:
    """Type ``text`` into a field and leave it (the fields commit on focus-out/Enter)."""
    field.v_model = text
    field.fire_event("focusout", None)


def slider(rc, name: str):
    return rc.find(v.Slider, label=name).widget


def test_module_page_is_the_dashboard():
    assert app.page.component.f is Dashboard.f


@pytest.mark.slow
def test_page_renders_controls_with_the_file_defaults(shared_dash):
    dash = shared_dash
    baseline = load_scenario("baseline")
    assert slider(dash, "war_demand").v_model == baseline.levers.war_demand.value
    assert slider(dash, "international_pressure").v_model == (
        baseline.levers.international_pressure.value)
    assert [w.v_model for w in dash.find(v.TextField, label="lam").widgets] == [
        str(baseline.actor(a).lam.value) for a in ("russia", "north_korea", "united_states",
                                                   "china")]
    assert dash.find(v.Btn, children=["Step"]).widget
    assert text_with(dash, "changed from the file: nothing")
    assert shows_step(dash, 0)
    assert text_with(dash, "Month 0 (Jul 2023)")


@pytest.mark.slow
def test_step_advances_the_mesa_run(shared_dash):
    dash = shared_dash
    dash.find(v.Btn, children=["Step"]).widget.click()
    assert shows_step(dash, 1)
    assert text_with(dash, "Month 1 (Aug 2023)")
    dash.find(v.Btn, children=["Step"]).widget.click()
    assert shows_step(dash, 2)
    game = rc_card_title(dash, "The game this month")
    assert "month 2" in game
    dash.find(v.Btn, children=["Reset"]).widget.click()  # the page as the others read it
    assert shows_step(dash, 0)
    assert text_with(dash, "Month 0 (Jul 2023)")
    assert "month 0" in rc_card_title(dash, "The game this month")


def rc_card_title(rc, fragment: str) -> str:
    return next(str(c) for w in rc.find(v.CardTitle).widgets for c in w.children
                if fragment in str(c))


@pytest.mark.slow
def test_lever_change_reruns_the_ensemble_with_the_new_value(dash):
    before = munitions_median(dash)
    slider(dash, "war_demand").v_model = 0.2
    wait_for(lambda: text_with(dash, "changed from the file: war_demand=0.2") and settled(dash),
             "the ensemble at war_demand=0.2")
    # C2 through the dash: less war demand, fewer munitions bought
    assert munitions_median(dash) < before
    # the Mesa run restarted with the new setting
    assert shows_step(dash, 0)


@pytest.mark.slow
def test_bad_input_shows_one_line_and_keeps_the_last_good_setting(dash, tmp_path):
    before = summary_line(dash, "Cumulative munitions")
    lam = dash.find(v.TextField, label="lam").widgets[0]
    type_into(lam, "150")
    error = wait_for(lambda: text_with(dash, "russia.lam: got 150"), "the error line")
    assert "\n" not in error and "allowed 0 ≤ value ≤ 100" in error
    assert text_with(dash, "changed from the file: nothing")
    assert summary_line(dash, "Cumulative munitions") == before
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "baseline"\n[levers]\nwar_demand = { value = 2.0, '
                   'source = "mba.1" }\n')
    type_into(dash.find(v.TextField, label="or a scenario file (.toml path, Enter to load)"
                        ).widget, str(bad))
    error = wait_for(lambda: text_with(dash, "levers.war_demand"), "the scenario error")
    assert str(bad) in error and "out of range" in error
    assert text_with(dash, "Scenario 'baseline'; changed from the file: nothing")
    slider(dash, "nk_food_crisis").v_model = 0.9  # a good change clears the error
    wait_for(lambda: text_with(dash, "changed from the file: nk_food_crisis=0.9"),
             "the good change")
    assert text_with(dash, "got 150") is None


@pytest.mark.slow
def test_export_round_trips_through_load_scenario(dash, tmp_path):
    slider(dash, "war_demand").v_model = 0.35
    rules = dash.find(v.Select, label="rule").widgets
    rules[3].v_model = "fixed"  # China
    wait_for(lambda: dash.find(v.Select, label="stance").widgets, "China's option field")
    dash.find(v.Select, label="stance").widget.v_model = "enable"
    wait_for(lambda: text_with(dash, "china.action=enable") and settled(dash),
             "the fixed China ensemble")
    dash.find(v.TextField, label="scenario name").widget.v_model = "found_by_hand"
    dash.find(v.Btn, children=["Export scenario + figures"]).widget.click()
    wait_for(lambda: text_with(dash, "wrote "), "the export message")
    exported = load_scenario(tmp_path / "found_by_hand.toml")
    expected = load_scenario("baseline", {"levers.war_demand": 0.35, "china.rule": "fixed",
                                          "china.action": {"stance": "enable"}})
    assert exported.name == "found_by_hand"
    skip = {"path", "overrides", "name", "description"}
    assert _values(exported.model_dump(exclude=skip)) == _values(expected.model_dump(exclude=skip))
    figures = tmp_path / "found_by_hand_figures"
    assert (figures / "trajectories.png").stat().st_size > 0
    assert (figures / "option_shares.png").stat().st_size > 0


def _values(node):
    """A scenario dump without the free-text ``why`` (export notes the dashboard change)."""
    if isinstance(node, dict):
        return {k: _values(v) for k, v in node.items() if k != "why"}
    return node


@pytest.mark.parametrize("name", available_scenarios())
def test_controls_default_to_the_file_and_override_nothing(name):
    scenario = load_scenario(name)
    defaults = control_defaults(scenario)
    assert overrides_of(Settings(name, dict(defaults)), defaults) == {}
    assert initial(name).scenario.model_dump() == scenario.model_dump()
    for actor in ("russia", "north_korea", "united_states", "china"):
        assert defaults[f"{actor}.rule"] == scenario.actor(actor).rule


@pytest.mark.parametrize("name", available_scenarios())
def test_export_of_every_library_scenario_round_trips(name, tmp_path):
    from model.dashboard.settings import write_scenario

    applied = initial(name)
    path = write_scenario(applied, tmp_path / f"{name}_copy.toml")
    back = load_scenario(path)
    skip = {"path", "overrides", "name", "description"}
    dumped, expected = back.model_dump(exclude=skip), applied.scenario.model_dump(exclude=skip)
    if expected.get("sample"):  # the joint sample travels beside the file, by its name
        assert 'file = "' + f'{name}_copy.sample.csv"' in path.read_text()
        assert dumped["sample"].pop("file") == str(tmp_path / f"{name}_copy.sample.csv")
        expected["sample"].pop("file")
    assert dumped == expected
    assert str(Path.cwd()) not in path.read_text() and "/" not in _sample_file(path)


def _sample_file(path) -> str:
    import tomllib

    return tomllib.loads(path.read_text()).get("sample", {}).get("file", "")


@pytest.mark.parametrize("low,high,value", [(0, 1, 0.8), (0, 0.15, 0.05), (0, 4, 2.0),
                                            (0, 2, 0.5), (0, 1, 0.333), (0, 3.7, 3.7)])
def test_slider_grid_holds_the_file_value(low, high, value):
    step = slider_step(low, high, value)
    assert (high - low) / step >= 100 - 1e-9
    assert abs(value / step - round(value / step)) < 1e-6


def test_unbounded_levers_get_a_finite_slider_that_covers_the_value():
    assert lever_range("war_demand", 0.8) == (0.0, 1.0)
    low, high = lever_range("nk_tech_appetite", 9.0)
    assert low == 0.0 and high == 9.0


def test_apply_rejects_bad_fields_with_one_line():
    from model.core.schema import ScenarioError

    good = initial("baseline").settings
    for bad, fragment in [(Settings("baseline", good.values, seed=-1), "seed"),
                          (Settings("baseline", good.values, runs=0), "runs"),
                          (good.with_value("china.rule", "chaos"), "china.rule")]:
        with pytest.raises(ScenarioError, match=fragment) as info:
            apply(bad)
        assert "\n" not in str(info.value)


def test_game_qre_at_equal_lams_is_the_equilibria_command_analysis(baseline):
    from model import AllianceModel
    from model.analysis.equilibria import analyse
    from model.dashboard.game_view import month_analysis

    model = AllianceModel(baseline, seed=3)
    model.run(5)
    ours, theirs = month_analysis(model), analyse(model, 4.0)
    assert ours.equilibria == theirs.equilibria and ours.lam == 4.0
    for a, b in zip(ours.qre, theirs.qre):
        assert abs(a - b).max() < 1e-9


def test_game_qre_at_different_lams_is_each_actors_logit_response(baseline):
    import numpy as np

    from model import AllianceModel, load_scenario
    from model.dashboard.game_view import actor_lams, month_analysis
    from model.games import logit_response

    scenario = load_scenario("baseline", {"russia.lam": 2.0, "china.lam": 8.0})
    model = AllianceModel(scenario, seed=3)
    model.run(5)
    lams = actor_lams(model)
    assert list(lams) == [2.0, 4.0, 4.0, 8.0]
    analysis = month_analysis(model)
    payoffs = analysis.game.payoffs
    for i, lam in enumerate(lams):  # sigma_i = softmax(lam_i * v_i(sigma_-i))
        response = logit_response(payoffs, analysis.qre, lam)[i]
        assert np.abs(response - analysis.qre[i]).max() < 1e-6


@pytest.mark.parametrize("name", ["../escape", "a/b", ".hidden", "two words", ""])
def test_export_refuses_names_that_are_not_plain_identifiers(name, tmp_path):
    from model.core.schema import ScenarioError
    from model.dashboard.export import export

    with pytest.raises(ScenarioError, match="export name") as info:
        export(initial("baseline"), None, name, tmp_path)
    assert "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- issue 24, items 13–14


def test_slider_steps_are_exact_powers_of_ten():
    """The browser's slider takes its decimals from the step's text: 1e-06, never
    1.0000000000000002e-06 (22 decimals), which moved the shown value on load."""
    for low, high, value in [(0, 2, 0.583826), (0, 1, 0.333), (0, 0.15, 0.05), (0, 4, 2.0)]:
        step = slider_step(low, high, value)
        assert repr(step) in {f"{10.0 ** -k!r}" for k in range(0, 12)} | {
            f"1e-{k:02d}" for k in range(5, 12)}, repr(step)


@pytest.fixture
def export_not_drawn(chart_not_drawn, monkeypatch):
    """The exported figures built but not drawn either (empty files): for a test that
    reads the exported scenario, not its figures (the round-trip test above draws them)."""
    from matplotlib.figure import Figure

    def save(fig, target, *args, **kwargs):
        if isinstance(target, str | os.PathLike):
            Path(target).write_bytes(b"")
        else:
            target.write(b"")

    monkeypatch.setattr(Figure, "savefig", save)


@pytest.fixture
def calibrated_dash(chart_not_drawn, tmp_path):
    box, rc = rendered("calibrated", tmp_path)
    yield rc
    box.close()


@pytest.mark.slow  # a calibrated dashboard, recomputed, then exported with its figures
def test_a_slider_sending_back_the_file_value_changes_nothing(calibrated_dash, tmp_path,
                                                             export_not_drawn):
    """What the browser's slider sends on load (the file's value after rounding to its
    step) is no change: every run still draws the posterior, and the export says so."""
    dash = calibrated_dash
    cost = slider(dash, "russia_reputation_cost")
    in_file = load_scenario("calibrated").levers.russia_reputation_cost.value
    assert cost.v_model == in_file
    snapped = round(in_file / cost.step) * cost.step  # k × step in floating point
    assert snapped == pytest.approx(in_file, abs=1e-12)  # the step resolves the file's value
    cost.v_model = snapped
    time.sleep(0.5)
    wait_for(lambda: settled(dash), "the ensemble")
    assert text_with(dash, "Scenario 'calibrated'; changed from the file: nothing")
    dash.find(v.TextField, label="scenario name").widget.v_model = "as_loaded"
    dash.find(v.Btn, children=["Export scenario + figures"]).widget.click()
    wait_for(lambda: text_with(dash, "wrote "), "the export message")
    text = (tmp_path / "as_loaded.toml").read_text()
    assert "changed: nothing" in text and "set to" not in text
    exported = load_scenario(tmp_path / "as_loaded.toml")
    assert exported.sample.fixed == () and exported.sample.file == str(
        tmp_path / "as_loaded.sample.csv")
    assert str(Path(load_scenario("calibrated").sample.file).parent) not in text


@pytest.mark.slow  # the whole page rendered with its first ensemble
def test_after_a_rejected_input_the_controls_show_the_last_good_value(dash):
    lam = dash.find(v.TextField, label="lam").widgets[0]
    type_into(lam, "150")
    wait_for(lambda: text_with(dash, "russia.lam: got 150"), "the error line")
    good = str(load_scenario("baseline").russia.lam.value)
    wait_for(lambda: dash.find(v.TextField, label="lam").widgets[0].v_model == good,
             "the lam field back at the last good value")
    slider(dash, "war_demand").v_model = 5.0
    wait_for(lambda: text_with(dash, "(got 5.0)"), "the slider's error")
    good = load_scenario("baseline").levers.war_demand.value
    wait_for(lambda: slider(dash, "war_demand").v_model == good, "the slider back")
    assert text_with(dash, "the controls show it")


@pytest.mark.slow  # the whole page rendered with its first ensemble
def test_no_framework_leftovers_and_the_game_text_wraps(shared_dash):
    dash = shared_dash
    shown = texts(dash)
    assert not [t for t in shown if t.lower().startswith("page ")]
    assert "Model Parameters" not in shown and not dash.find(v.Tab).widgets
    game = [w for w in dash.find(v.Html, tag="pre").widgets if "<- best" in w.children[0]]
    assert game and all("pre-wrap" in (w.style_ or "") for w in game)


def test_the_stepped_run_is_drawn_in_months(baseline):
    from model.abm.model import AllianceModel
    from model.core.calendar import axis_label
    from model.dashboard.run_panels import RUN_PLOTS, run_figure

    model = AllianceModel(baseline, seed=0)
    for months in (1, 4):
        for measure, title, unit in RUN_PLOTS:
            fig = run_figure(model, measure, title, unit)
            ax = fig.axes[0]
            assert ax.get_xlabel() == axis_label(baseline.start) != "Step"
            xs = ax.get_lines()[0].get_xdata()
            assert list(xs) == list(range(months))
            lo, hi = ax.get_xlim()
            assert lo <= 0 and hi >= months - 1 and hi - lo >= 1
            if months == 1:  # one month: a visible point, not an empty axis
                assert ax.get_lines()[0].get_marker() == "o"
        for _ in range(3):
            model.step()
