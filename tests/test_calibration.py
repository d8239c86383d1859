"""Calibration: observation rules on hand-made tables, the record and rule files' errors,
joint parameter samples in scenarios, ABC-SMC (batches equal to pyabc's one particle at a
time, same seed, parameter recovery), `calibrate --quick` end to end, the scenario it
writes (a refit only, never over another file) and its flags' limits."""

from __future__ import annotations

import shutil
import textwrap

import numpy as np
import pandas as pd
import pytest
from support import ROOT, cli, in_process

from model import load_scenario
from model.analysis.calibration_abc import Prior, calibrate
from model.analysis.calibration_observations import (
    arrays_from_table,
    distance,
    rule_scores,
    score_matrix,
)
from model.core.record import (
    OBSERVATIONS_FILE,
    RECORD_DIR,
    RecordError,
    load_events,
    load_observations,
)
from model.core.sampling import derive_seeds
from model.core.scenario import ScenarioError
from model.ensemble import run_ensemble

# ---------------------------------------------------------------- hand-made tables


def table(**columns) -> pd.DataFrame:
    """A long table from ``column=[[run 0 months...], [run 1 months...]]``."""
    first = next(iter(columns.values()))
    runs, months = len(first), len(first[0])
    data = {"run": np.repeat(np.arange(runs), months), "month": np.tile(np.arange(months), runs)}
    for name, values in columns.items():
        data[name] = np.asarray(values, dtype=object).reshape(-1)
    return pd.DataFrame(data)


def rules_file(tmp_path, body: str, months: int = 6):
    shutil.copy(RECORD_DIR / "events.csv", tmp_path / "events.csv")
    every = ",".join(f'"{e}"' for e in load_events(RECORD_DIR / "events.csv"))
    text = (f'record = "events.csv"\nmonths = {months}\n'
            f'[[unexpressed]]\nevents = [{every}]\nwhy = "test"\n'
            + textwrap.dedent(body))
    path = tmp_path / "observations.toml"
    path.write_text(text)
    return path


def one_rule(tmp_path, body: str, months: int = 6):
    return load_observations(rules_file(tmp_path, "[[rule]]\n" + textwrap.dedent(body),
                                        months)).rules[0]


def test_first_rule_matches_inside_its_window_and_grades_misses(tmp_path):
    rule = one_rule(tmp_path, """
        id = "arms"
        events = ["R04"]
        kind = "first"
        when = "munitions_flow >= 0.5"
        earliest = 1
        latest = 3
        tolerance = 2
        weight = 1
        reason = "t"
    """)
    data = arrays_from_table(table(munitions_flow=[
        [0, 0, 1, 1, 1, 1],        # first at 2: met
        [0, 0, 0, 0, 0, 1],        # first at 5: two months late
        [1, 1, 1, 1, 1, 1],        # at 0: one month early
        [0, 0, 0, 0, 0, 0.4],      # never: scored as month 6 (after the last), 3 late
    ]))
    np.testing.assert_allclose(rule_scores(rule, data), [0, 1.0, 0.5, 1.5])


def test_share_rule_on_options(tmp_path):
    rule = one_rule(tmp_path, """
        id = "evade"
        events = ["R13"]
        kind = "share"
        when = "russia.sanctions == evade"
        from = 2
        to = 4
        min_share = 0.66
        tolerance = 0.34
        weight = 1
        reason = "t"
    """)
    e, n = "evade", "enforce"
    data = arrays_from_table(table(**{"russia.sanctions": [
        [n, n, e, e, n, n],   # 2 of 3: met
        [n, n, e, n, n, e],   # 1 of 3: short by 0.327
        [e, e, n, n, n, e],   # 0 of 3 inside the window
    ]}))
    scores = rule_scores(rule, data)
    assert scores[0] == 0
    np.testing.assert_allclose(scores[1:], [(0.66 - 1 / 3) / 0.34, 0.66 / 0.34])


def test_ordered_option_and_level_names(tmp_path):
    rule = one_rule(tmp_path, """
        id = "tech"
        events = ["R07"]
        kind = "first"
        when = "russia.tech >= dual_use"
        earliest = 0
        latest = 2
        tolerance = 1
        weight = 1
        reason = "t"
    """)
    data = arrays_from_table(table(**{"russia.tech": [
        ["none", "strategic", "none", "none", "none", "none"],
        ["none", "none", "none", "dual_use", "none", "none"]]}))
    np.testing.assert_allclose(rule_scores(rule, data), [0, 1])
    treaty = one_rule(tmp_path, """
        id = "treaty"
        events = ["R17"]
        kind = "first"
        when = "alliance_level == treaty"
        earliest = 3
        latest = 5
        tolerance = 1
        weight = 1
        reason = "t"
    """)
    data = arrays_from_table(table(alliance_level=[[1, 2, 3, 4, 4, 4], [1, 1, 2, 2, 3, 4]]))
    np.testing.assert_allclose(rule_scores(treaty, data), [0, 0])


def test_total_rule_with_a_scale(tmp_path):
    path = rules_file(tmp_path, """
        [scales.shells]
        value = 500000
        unit = "shells per month at flow 1"
        why = "t"
        events = ["R11"]
        [[rule]]
        id = "shells"
        events = ["R05"]
        kind = "total"
        column = "munitions_flow"
        scale = "shells"
        from = 1
        to = 4
        min = 1000000
        max = 1500000
        tolerance = 500000
        weight = 0.5
        reason = "t"
    """)
    obs = load_observations(path)
    data = arrays_from_table(table(munitions_flow=[
        [0, 1, 1, 0, 0, 0],      # 1.0 M: met
        [0, 0.5, 0, 0, 0, 0],    # 0.25 M: short by 0.75 M
        [0, 1, 1, 1, 1, 1],      # 2.0 M: 0.5 M above the max
    ]))
    scores = score_matrix(obs, data)
    np.testing.assert_allclose(scores[:, 0], [0, 1.5, 1.0])
    np.testing.assert_allclose(distance(scores, [0.5]), [0, 0.75, 0.5])


def test_shipped_rules_load_and_cover_every_event():
    obs = load_observations()
    assert len(obs.events) == 29
    covered = {e for r in obs.rules for e in r.events}
    covered |= {e for u in obs.unexpressed for e in u["events"]}
    assert covered == set(obs.events)
    early = obs.up_to(obs.forecast_cutoff)
    held = {r.id for r in obs.fitted()} - {r.id for r in early.fitted()}
    assert {"treaty_in_window", "oil_aid_spring"} <= held
    assert all(obs.events[e].date <= obs.forecast_cutoff
               for r in early.fitted() for e in r.events)


@pytest.mark.parametrize(("body", "expected"), [
    ('id = "x"\nevents = ["R04"]\nkind = "first"\nwhen = "munition_flow >= 1"\nearliest = 1\n'
     'latest = 2\ntolerance = 1\nweight = 1\nreason = "t"', "key when: unknown column"),
    ('id = "x"\nevents = ["R99"]\nkind = "first"\nwhen = "munitions_flow >= 1"\nearliest = 1\n'
     'latest = 2\ntolerance = 1\nweight = 1\nreason = "t"', "unknown event 'R99'"),
    ('id = "x"\nevents = ["R04"]\nkind = "share"\nwhen = "russia.tech == nuclear"\nfrom = 1\n'
     'to = 2\nmin_share = 1\ntolerance = 1\nweight = 1\nreason = "t"', "unknown option"),
    ('id = "x"\nevents = ["R04"]\nkind = "first"\nwhen = "munitions_flow >= 1"\nearliest = 3\n'
     'latest = 2\ntolerance = 1\nweight = 1\nreason = "t"', "key latest"),
    ('id = "x"\nevents = ["R04"]\nkind = "often"\nreason = "t"', "key kind"),
    ('id = "x"\nevents = ["R04"]\nkind = "first"\nwhen = "munitions_flow >= 1"\nearliest = 1\n'
     'latest = 2\ntolerance = 0\nweight = 1\nreason = "t"', "key tolerance"),
])
def test_bad_rules_give_one_line_errors(tmp_path, body, expected):
    path = rules_file(tmp_path, "[[rule]]\n" + body)
    with pytest.raises(RecordError) as err:
        load_observations(path)
    message = str(err.value)
    assert "\n" not in message and str(path) in message and "rule 1 (x)" in message
    assert expected in message


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda rows: rows[:3] + [rows[3].replace(",H,", ",X,")] + rows[4:],
     "row 4 (R03): key confidence"),
    (lambda rows: rows[:2] + [rows[2].replace("2023-09-13", "13/09/2023")] + rows[3:],
     "row 3 (R02): key date"),
    (lambda rows: rows + [rows[1]], "duplicate id"),
    (lambda rows: [rows[0].replace("confidence", "conf")] + rows[1:], "missing column"),
])
def test_bad_record_rows_give_one_line_errors(tmp_path, edit, expected):
    rows = (RECORD_DIR / "events.csv").read_text().splitlines()
    path = tmp_path / "events.csv"
    path.write_text("\n".join(edit(rows)) + "\n")
    with pytest.raises(RecordError) as err:
        load_events(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value)
    assert expected in str(err.value)


def test_an_event_no_rule_reads_is_an_error(tmp_path):
    text = OBSERVATIONS_FILE.read_text().replace('events = ["R01"]\nwhy', 'events = []\nwhy')
    shutil.copy(RECORD_DIR / "events.csv", tmp_path / "events.csv")
    (tmp_path / "observations.toml").write_text(text)
    with pytest.raises(RecordError, match="unexpressed|R01"):
        load_observations(tmp_path / "observations.toml")


# ---------------------------------------------------------------- joint samples


def sampled_scenario(tmp_path, rows, extra: str = "") -> str:
    (tmp_path / "post.csv").write_text(
        "weight,dynamics.alliance_growth,levers.war_demand\n"
        + "\n".join(",".join(str(v) for v in row) for row in rows) + "\n")
    path = tmp_path / "sampled.toml"
    path.write_text(f'extends = "{ROOT}/experiments/scenarios/baseline.toml"\n'
                    'name = "sampled"\n[sample]\nfile = "post.csv"\n' + extra)
    return str(path)


def test_each_run_draws_one_particle_by_weight(tmp_path):
    path = sampled_scenario(tmp_path, [(1, 0.1, 0.2), (3, 0.3, 0.9), (0, 0.5, 0.5)])
    scenario = load_scenario(path)
    table = run_ensemble(scenario, runs=400, seed=3, months=1)
    first = table[table["month"] == 0]
    assert set(first["particle"]) == {0.0, 1.0}  # weight 0 is never drawn
    assert 0.65 < (first["particle"] == 1).mean() < 0.85
    pairs = set(zip(first["dynamics.alliance_growth"], first["levers.war_demand"]))
    assert pairs == {(0.1, 0.2), (0.3, 0.9)}  # the particles' values travel together
    np.testing.assert_allclose(first["war_demand"], first["levers.war_demand"])


def test_set_replaces_a_sampled_parameter_in_every_run(tmp_path):
    path = sampled_scenario(tmp_path, [(1, 0.1, 0.2), (1, 0.3, 0.9)])
    scenario = load_scenario(path, {"levers.war_demand": 0.55})
    table = run_ensemble(scenario, runs=50, seed=0, months=1)
    assert (table["war_demand"] == 0.55).all()
    assert "levers.war_demand" not in table
    assert set(table["dynamics.alliance_growth"]) == {0.1, 0.3}


def test_a_child_scenario_fixes_what_it_sets_again(tmp_path):
    parent = sampled_scenario(tmp_path, [(1, 0.1, 0.2), (1, 0.3, 0.9)])
    child = tmp_path / "child.toml"
    child.write_text(f'extends = "{parent}"\nname = "child"\n[levers]\nwar_demand = '
                     '{ value = 0.4, source = "mba.1", why = "t" }\n')
    scenario = load_scenario(str(child))
    assert scenario.sample.fixed == ("levers.war_demand",)
    table = run_ensemble(scenario, runs=30, seed=0, months=1)
    assert (table["war_demand"] == 0.4).all()


@pytest.mark.parametrize(("rows", "expected"), [
    ("weight,dynamics.alliance_growth\n1,1.5\n", "row 2: column dynamics.alliance_growth"),
    ("weight,dynamics.no_such\n1,0.1\n", "unknown parameter 'dynamics.no_such'"),
    ("weight,dynamics.alliance_growth\n-1,0.1\n", "column weight"),
    ("weight,dynamics.alliance_growth\n1,abc\n", "got 'abc'"),
    ("weight,dynamics.alliance_growth\n0,0.1\n", "sum to 0"),
])
def test_bad_sample_files_give_one_line_errors(tmp_path, rows, expected):
    (tmp_path / "post.csv").write_text(rows)
    path = tmp_path / "s.toml"
    path.write_text(f'extends = "{ROOT}/experiments/scenarios/baseline.toml"\nname = "s"\n'
                    '[sample]\nfile = "post.csv"\n')
    with pytest.raises(ScenarioError) as err:
        load_scenario(str(path))
    assert "\n" not in str(err.value) and "post.csv" in str(err.value)
    assert expected in str(err.value)


# ---------------------------------------------------------------- ABC-SMC

GROWTH = Prior("dynamics.alliance_growth", 0.05, 0.4, "test range")


def synthetic_rules(tmp_path, truth: float):
    """A synthetic record: the strength at months 4, 8 and 12 that runs at
    ``dynamics.alliance_growth = truth`` show (their middle quarter of runs at each month).
    Strength grows only with the exchange, which varies from run to run, so one month
    says little about the growth rate; three months together pin it down."""
    scenario = load_scenario("baseline", {"dynamics.alliance_growth": truth})
    runs = run_ensemble(scenario, runs=300, seed=99, months=16)
    body = ""
    for month in (4, 8, 12):
        strength = runs[runs["month"] == month]["alliance_strength"]
        lo, hi = np.quantile(strength, [0.375, 0.625])
        for ident, when in ((f"strength_{month}", f"alliance_strength >= {lo:.4f}"),
                            (f"not_too_strong_{month}", f"alliance_strength <= {hi:.4f}")):
            body += f"""
        [[rule]]
        id = "{ident}"
        events = ["R17"]
        kind = "share"
        when = "{when}"
        from = {month}
        to = {month}
        min_share = 1
        tolerance = 1
        weight = 1
        reason = "synthetic"
"""
    path = rules_file(tmp_path, body, months=12)
    return scenario, load_observations(path)


@pytest.mark.slow
def test_parameter_recovery_on_a_synthetic_record(tmp_path):
    truth = 0.22
    scenario, obs = synthetic_rules(tmp_path, truth)
    posterior = calibrate(scenario, obs, particles=200, seed=5, rounds=4, batch_size=2000,
                          priors={GROWTH.key: GROWTH})
    lo, med, hi = posterior.quantiles(GROWTH.key)
    assert lo <= truth <= hi
    assert hi - lo < 0.6 * (GROWTH.high - GROWTH.low)  # the record narrowed it


def test_same_seed_same_posterior(tmp_path):
    scenario, obs = synthetic_rules(tmp_path, 0.15)
    kwargs = dict(particles=60, rounds=2, batch_size=500, priors={GROWTH.key: GROWTH})
    np.random.seed(7)
    a = calibrate(scenario, obs, seed=1, **kwargs)
    after = np.random.random()  # pyabc's global random state is put back as it was
    np.random.seed(7)
    assert np.random.random() == after
    b = calibrate(scenario, obs, seed=1, **kwargs)
    np.testing.assert_array_equal(a.samples, b.samples)
    np.testing.assert_array_equal(a.weights, b.weights)
    c = calibrate(scenario, obs, seed=2, **kwargs)
    assert not np.array_equal(a.samples, c.samples)


@pytest.mark.cluster
def test_a_cluster_gives_the_same_posterior(tmp_path, cluster_address):
    """Each batch's runs spread over two workers: the same scores, so the same posterior."""
    from model.execution import Executor

    scenario, obs = synthetic_rules(tmp_path, 0.15)
    kwargs = dict(particles=60, rounds=2, batch_size=500, priors={GROWTH.key: GROWTH}, seed=3)
    alone = calibrate(scenario, obs, **kwargs)
    with Executor(scheduler=cluster_address) as executor:
        spread = calibrate(scenario, obs, client=executor.client, **kwargs)
    np.testing.assert_array_equal(alone.samples, spread.samples)
    np.testing.assert_array_equal(alone.weights, spread.weights)


def test_batches_give_what_pyabc_gives_one_particle_at_a_time():
    """The batch sampler changes where simulations are computed, nothing else: on a model
    whose result is a function of its parameters, the populations (parameters, weights,
    distances, thresholds, evaluations) equal those of pyabc's own single-core sampler."""
    import pyabc

    from model.analysis.abc_batches import BatchSampler, BoxPrior, NormalKernel, OneModel

    keys = ("a", "b")
    target = np.array([0.3, 0.7])

    def stat(values: np.ndarray) -> dict:
        return {"d": float(np.abs(values - target).sum())}

    def run(sampler, model):
        np.random.seed(11)
        abc = pyabc.ABCSMC(model, BoxPrior({"a": (0, 1), "b": (0, 1)}),
                           lambda x, _: x["d"], population_size=40, sampler=sampler,
                           model_prior=OneModel(), transitions=NormalKernel())
        abc.new("sqlite://", {"d": 0.0})
        history = abc.run(max_nr_populations=4)
        return [history.get_distribution(m=0, t=t) for t in range(history.max_t + 1)], \
            history.get_all_populations()

    batch = BatchSampler(keys, lambda params, _: [stat(row) for row in params], max_batch=64)
    one = pyabc.SingleCoreSampler()
    batched, batched_pops = run(batch, batch.model)
    single, single_pops = run(one, lambda p: stat(np.array([p["a"], p["b"]])))
    for (x, w), (y, v) in zip(batched, single):
        np.testing.assert_array_equal(x[list(keys)].to_numpy(), y[list(keys)].to_numpy())
        np.testing.assert_array_equal(w, v)
    np.testing.assert_array_equal(batched_pops["epsilon"], single_pops["epsilon"])
    np.testing.assert_array_equal(batched_pops["samples"], single_pops["samples"])
    assert batch.simulated >= batched_pops["samples"].sum() and batch.batches > 4


def test_thresholds_fall_every_round_on_few_distance_values():
    """pyabc's median threshold stays on a value most distances share (here 1, for ever);
    FallingQuantile takes the largest distance below it instead, or half of it."""
    from model.analysis.abc_batches import FallingQuantile

    def population(*distances):
        return lambda: pd.DataFrame({"distance": distances, "w": np.ones(len(distances))})

    eps = FallingQuantile(alpha=0.5)
    eps.initialize(0, population(0.0, 1, 1, 1, 2, 2), None, 10, {})
    assert eps(0) == 1.0
    eps.update(1, population(0.0, 0.5, 1, 1, 1), None, 0.5, {})
    assert eps(1) == 0.5  # the median is still 1: the largest distance below it
    eps.update(2, population(0.25, 0.5, 0.5, 0.5), None, 0.5, {})
    assert eps(2) == 0.25
    eps.update(3, population(0.25, 0.25), None, 0.5, {})
    assert eps(3) == 0.125  # nothing below the last threshold: half of it
    eps.update(4, population(0.0, 0.0, 0.1), None, 0.5, {})
    assert eps(4) == 0.0  # a plain median when it falls


@pytest.mark.slow
def test_calibrate_quick_end_to_end(tmp_path):
    out = tmp_path / "cal"
    # in this process (the real `run.py` start-up is tested in test_cli.py)
    result = cli("calibrate", "--quick", "--seed", "1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    for name in ("posterior.csv", "forecast_posterior.csv", "report.md", "parameters.png",
                 "predictive.png", "predictive.csv", "forecast_scores.csv", "manifest.json"):
        assert (out / name).exists(), name
    report = (out / "report.md").read_text()
    assert "Forecast skill" in report and "treaty_in_window" in report
    # the early fit is one origin of `score`: its questions after March 2024, scored
    assert "Brier skill vs persistence" in report
    scored = pd.read_csv(out / "forecast_scores.csv")
    assert set(scored["origin"]) == {"Mar 2024"} and (scored["origin_month"] == 8).all()
    # the posterior is a joint sample a scenario can carry
    (tmp_path / "cal.toml").write_text(
        f'extends = "{ROOT}/experiments/scenarios/baseline.toml"\nname = "cal"\n'
        f'[sample]\nfile = "{out}/posterior.csv"\n')
    scenario = load_scenario(str(tmp_path / "cal.toml"))
    table = run_ensemble(scenario, seeds=derive_seeds(0, 20), months=2)
    assert table["particle"].notna().all()


def test_calibrate_bad_rules_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('record = "nowhere.csv"\nmonths = 5\n[[rule]]\n')
    result = cli("calibrate", "--quick", "--observations", str(bad), "--out",
                 str(tmp_path / "o"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "nowhere.csv" in result.stderr


@pytest.mark.parametrize("name, message", [
    ("../outside", "not a plain identifier"),
    ("baseline", "the scenario being calibrated"),
])
def test_write_scenario_needs_a_plain_new_name(name, message, tmp_path, capsys):
    """Refused in one line before anything is calibrated or written."""
    status, _, err = in_process(capsys, "calibrate", "--quick", "--write-scenario", name,
                                "--out", str(tmp_path / "o"))
    assert status == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_particles_below_what_abc_smc_needs_are_refused(tmp_path, capsys):
    """Issue 24: `--particles 10` gave a traceback from the ABC library after a while."""
    status, _, err = in_process(capsys, "calibrate", "--particles", "10", "--out",
                                str(tmp_path / "o"))
    assert status == 2 and len(err.strip().splitlines()) == 1
    from model.analysis.calibration_abc import minimum_particles
    assert "--particles 10" in err and f"at least {minimum_particles()}" in err
    assert not (tmp_path / "o").exists()


def test_the_smallest_allowed_population_calibrates():
    from model.analysis.calibration_abc import PRIORS, minimum_particles

    obs = load_observations()
    posterior = calibrate(load_scenario("baseline"), obs, particles=minimum_particles(),
                          rounds=3, batch_size=2000, seed=0)
    assert posterior.samples.shape == (minimum_particles(), len(PRIORS))
    assert len(posterior.rounds) >= 2


@pytest.mark.parametrize("argv, message", [
    (["--write-scenario", "china_enables"], "china_enables.toml exists and is not a "
                                             "calibrated scenario"),
    (["--write-scenario", "baseline_uncertain"], "is never overwritten"),
    (["--quick", "--write-scenario", "my_fit"], "--quick is a smoke test"),
    (["--quick", "--write-scenario", "calibrated"], "--quick is a smoke test"),
])
def test_write_scenario_never_replaces_a_scenario_or_publishes_a_smoke_test(
        argv, message, tmp_path, capsys):
    """Issue 24: `calibrate --quick --write-scenario china_enables` overwrote the shipped
    scenario. Refused in one line before calibrating; the shipped files are untouched."""
    from model.core.paths import SCENARIO_DIR

    before = {p.name: p.read_bytes() for p in SCENARIO_DIR.iterdir()}
    status, _, err = in_process(capsys, "calibrate", *argv, "--out", str(tmp_path / "o"))
    assert status == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()
    assert {p.name: p.read_bytes() for p in SCENARIO_DIR.iterdir()} == before


def test_scenario_target_allows_only_new_names_and_refits(tmp_path):
    from model.analysis.reports.calibration import ScenarioTargetError, scenario_target
    from model.core.paths import SCENARIO_DIR

    assert scenario_target("fresh", tmp_path) == (tmp_path / "fresh.toml",
                                                  tmp_path / "fresh.posterior.csv")
    shutil.copy(SCENARIO_DIR / "calibrated.toml", tmp_path)
    assert scenario_target("calibrated", tmp_path)[0] == tmp_path / "calibrated.toml"
    (tmp_path / "mine.toml").write_text('name = "mine"\n[sample]\nfile = "other.csv"\n')
    (tmp_path / "broken.toml").write_text("name = [\n")
    (tmp_path / "lone.posterior.csv").write_text("weight\n")
    for name in ("mine", "broken", "lone"):
        with pytest.raises(ScenarioTargetError, match="never overwritten"):
            scenario_target(name, tmp_path)


def test_write_scenario_refits_calibrated_end_to_end(tmp_path, capsys, monkeypatch,
                                                     no_rendering):
    """The README's refit flow, into a copy of the scenario folder: the scenario and its
    posterior are replaced by the new fit, and the scenario runs with it."""
    import model.cli.calibrate as command
    from model.core.paths import SCENARIO_DIR

    folder = tmp_path / "scenarios"
    folder.mkdir()
    for name in ("calibrated.toml", "calibrated.posterior.csv"):
        shutil.copy(SCENARIO_DIR / name, folder)
    monkeypatch.setattr(command, "SCENARIO_DIR", folder)
    status, out, err = in_process(capsys, "calibrate", "--particles", "24", "--rounds", "2",
                                  "--no-forecast", "--write-scenario", "calibrated",
                                  "--out", str(tmp_path / "o"))
    assert status == 0, err
    assert "wrote" in out and "calibrated.toml" in out
    written = (folder / "calibrated.posterior.csv").read_text().splitlines()
    assert written == (tmp_path / "o" / "posterior.csv").read_text().splitlines()
    assert len(written) == 25  # header + 24 particles
    scenario = load_scenario(str(folder / "calibrated.toml"))
    assert scenario.name == "calibrated" and len(scenario.sample.weights) == 24
    assert scenario.horizon == 65


def test_report_only_rules_never_move_a_distance():
    """A weight-0 rule inserted anywhere leaves every distance bit for bit the same (a
    matrix product would re-group the sum), and the distance is the weighted sum of misses."""
    rng = np.random.default_rng(11)
    scores = rng.random((500, 21)) * (rng.random((500, 21)) < 0.4)
    weights = rng.choice([0.5, 1.0], size=21)
    base = distance(scores, weights)
    np.testing.assert_allclose(base, scores @ weights, rtol=1e-13)
    for at in (0, 7, 21):
        wider = np.insert(scores, at, rng.random((3, 500)), axis=1)
        np.testing.assert_array_equal(distance(wider, np.insert(weights, at, [0.0] * 3)), base)
