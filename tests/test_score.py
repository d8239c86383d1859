"""Forecast scoring: the scores against a hand-computed example, the references, the
forecast tests over a window, what an origin's fit may see, and the forecast file's
one-line errors. (The end-to-end command is in test_score_cli.py: it needs pyabc.)"""

from __future__ import annotations

import datetime as dt
import math
import textwrap

import numpy as np
import pandas as pd
import pytest

from model.analysis.score import (
    ScoreError,
    bootstrap_skill,
    brier_scores,
    check_origins,
    fitted_by,
    jeffreys,
    known_facts,
    log_scores,
    origin_cutoff,
    persistence_probability,
    reliability_table,
    skill_score,
    summary_table,
)
from model.core.forecasts import (
    FORECASTS_FILE,
    ForecastError,
    load_forecasts,
    window_test,
)
from model.core.record import RECORD_DIR

# ------------------------------------------------------------------ hand-computed scores

#: Four forecasts and what happened.
P = np.array([0.9, 0.2, 0.6, 0.5])
Y = np.array([1, 0, 0, 1])
#: By hand: (0.9-1)², (0.2-0)², (0.6-0)², (0.5-1)².
BRIER = [0.01, 0.04, 0.36, 0.25]
#: By hand: -ln 0.9, -ln 0.8, -ln 0.4, -ln 0.5.
LOG = [0.105360516, 0.223143551, 0.916290732, 0.693147181]


def test_scores_match_a_hand_computed_example():
    np.testing.assert_allclose(brier_scores(Y, P), BRIER, atol=1e-12)
    np.testing.assert_allclose(log_scores(Y, P), LOG, atol=1e-9)
    # against a constant 0.5: Brier 0.25 and log ln 2 for every question
    half = np.full(4, 0.5)
    assert skill_score(brier_scores(Y, P), brier_scores(Y, half)) == pytest.approx(
        1 - 0.165 / 0.25)  # = 0.34
    assert skill_score(log_scores(Y, P), log_scores(Y, half)) == pytest.approx(
        1 - (sum(LOG) / 4) / math.log(2))  # = 0.30103...
    # a certainty that failed is infinitely bad under the log score, 1 under Brier
    assert np.isinf(log_scores([0], [1.0])[0]) and brier_scores([0], [1.0])[0] == 1.0


def test_skill_table_of_a_hand_made_origin():
    """summary_table over two origins: the per-origin and pooled means and skills are the
    hand-computed ones, with the point inside its bootstrap interval."""
    rows = []
    for origin, idx in (("Jan 2024", [0, 1]), ("Mar 2024", [2, 3])):
        for i in idx:
            rows.append({"origin": origin, "origin_month": 6 if origin == "Jan 2024" else 8,
                         "outcome": Y[i], "brier_model": BRIER[i], "log_model": LOG[i],
                         "brier_persistence": 0.25, "log_persistence": math.log(2),
                         "brier_base_rate": 0.01, "log_base_rate": 0.1})
    summary = summary_table(pd.DataFrame(rows), seed=0, resamples=500).set_index("origin")
    assert summary.loc["Jan 2024", "brier_model"] == pytest.approx(0.025)
    assert summary.loc["Jan 2024", "brier_skill_vs_persistence"] == pytest.approx(0.9)
    assert summary.loc["Mar 2024", "brier_skill_vs_persistence"] == pytest.approx(
        1 - 0.305 / 0.25)  # worse than persistence: -0.22
    assert summary.loc["all origins", "questions"] == 4
    assert summary.loc["all origins", "came_true"] == 2
    assert summary.loc["all origins", "brier_skill_vs_persistence"] == pytest.approx(0.34)
    assert summary.loc["all origins", "brier_skill_vs_base_rate"] == pytest.approx(
        1 - 0.165 / 0.01)
    for origin in summary.index:
        for key in ("brier_skill_vs_persistence", "log_skill_vs_base_rate"):
            lo, hi = summary.loc[origin, f"{key}_lo"], summary.loc[origin, f"{key}_hi"]
            assert lo <= summary.loc[origin, key] + 1e-12 and summary.loc[origin, key] <= hi


def test_bootstrap_skill_is_zero_against_itself_and_undefined_against_a_perfect_reference():
    rng = np.random.default_rng(0)
    assert bootstrap_skill(np.array(BRIER), np.array(BRIER), rng) == (0.0, 0.0, 0.0)
    point, lo, hi = bootstrap_skill(np.array(BRIER), np.zeros(4), rng)
    assert np.isnan(point) and np.isnan(lo) and np.isnan(hi)
    # the same seed gives the same interval
    a = bootstrap_skill(np.array(BRIER), np.full(4, 0.25), np.random.default_rng(3))
    b = bootstrap_skill(np.array(BRIER), np.full(4, 0.25), np.random.default_rng(3))
    assert a == b and a[1] < a[0] < a[2]


def test_jeffreys_never_gives_certainty():
    assert jeffreys(0, 10) == pytest.approx(0.5 / 11)
    assert jeffreys(10, 10) == pytest.approx(10.5 / 11)
    assert jeffreys(0, 0) == 0.5


def test_reliability_bins_count_every_forecast_once():
    table = reliability_table(np.array([0.05, 0.1, 0.5, 0.55, 0.95, 1.0]),
                              np.array([0, 1, 1, 0, 1, 1]))
    assert table["count"].tolist() == [2, 0, 2, 0, 2]
    assert table["observed"].iloc[0] == 0.5 and table["observed"].iloc[4] == 1.0
    assert table["mean_probability"].iloc[2] == pytest.approx(0.525)
    assert np.isnan(table["observed"].iloc[1])


# ------------------------------------------------------------------ tests over a window


def forecasts_file(tmp_path, body: str, top: str | None = None):
    top = top if top is not None else (
        f'observations = "{RECORD_DIR / "observations.toml"}"\n'
        'persistence_confidence = 0.9\npersistence_why = "stated"\n')
    path = tmp_path / "forecasts.toml"
    path.write_text(top + textwrap.dedent(body))
    return path


TREATY = """
[[forecast]]
id = "treaty"
question = "Is the treaty signed in months 9-12?"
kind = "first"
when = "alliance_level == treaty"
from = 9
to = 12
outcome = 1
events = ["R17"]
state = [[0, 0], [11, 1]]
reason = "signed in month 11"
"""


def test_each_kind_tests_its_window(tmp_path):
    (treaty,) = load_forecasts(forecasts_file(tmp_path, TREATY)).forecasts
    ok = np.zeros((17, 5), dtype=bool)
    ok[11:, 0] = True  # starts inside the window (months 9-12) and stays
    ok[5:, 1] = True  # started before it and stays
    ok[13:, 2] = True  # starts after it
    ok[10, 3] = True  # one month inside it only
    assert window_test(treaty, ok).tolist() == [True, False, False, True, False]
    for kind, extra, expected in (
            ("any", "", [True, True, False, True, False]),
            ("all", "", [False, True, False, False, False]),
            ("share", "min_share = 0.5\n", [True, True, False, False, False]),
            ("share", "min_share = 0.2\nmax_share = 0.6\n", [True, False, False, True, False])):
        body = TREATY.replace('kind = "first"', f'kind = "{kind}"\n{extra}')
        if kind == "all":  # the record's treaty (from month 11) is not in all of 9-12
            body = body.replace("outcome = 1", "outcome = 0")
        (forecast,) = load_forecasts(forecasts_file(tmp_path, body)).forecasts
        assert window_test(forecast, ok).tolist() == expected, kind


def test_persistence_carries_the_records_state_at_the_origin_on(tmp_path):
    (treaty,) = load_forecasts(forecasts_file(tmp_path, TREATY)).forecasts
    # from March 2024 (month 8) there is no treaty, and persistence says none comes
    assert persistence_probability(treaty, 8, 0.9) == pytest.approx(0.1)
    holds = TREATY.replace('kind = "first"', 'kind = "all"').replace(
        "from = 9\nto = 12", "from = 12\nto = 15")
    (held,) = load_forecasts(forecasts_file(tmp_path, holds)).forecasts
    assert persistence_probability(held, 11, 0.8) == pytest.approx(0.8)  # signed by June
    assert persistence_probability(held, 8, 0.8) == pytest.approx(0.2)  # not yet in March


# ------------------------------------------------------------------ the shipped file and origins


def test_shipped_forecasts_load_and_each_origin_has_questions_of_both_outcomes():
    forecasts = load_forecasts(FORECASTS_FILE)
    assert len({f.id for f in forecasts.forecasts}) == len(forecasts.forecasts) >= 12
    for origin in (6, 8):
        outcomes = {f.outcome for f in forecasts.after(origin)}
        assert outcomes == {0, 1}, origin
    assert forecasts.after(11) and not forecasts.after(15)
    assert all(f.end <= 15 for f in forecasts.forecasts)  # inside the record, to Oct 2024


def test_an_origins_fit_sees_only_the_record_dated_by_it():
    observations = load_forecasts(FORECASTS_FILE).observations
    cutoff = origin_cutoff("2023-07", 8)
    assert cutoff == dt.date(2024, 3, 31)
    seen = fitted_by(observations, cutoff)
    assert seen and all(observations.events[e].date <= cutoff for r in seen for e in r.events)
    assert "treaty_in_window" not in {r.id for r in seen}
    assert "treaty_in_window" in {r.id for r in fitted_by(observations, dt.date(2024, 6, 30))}
    facts = {r.id for r in known_facts(observations, cutoff)}
    assert "fact_evading_at_the_veto" in facts and "fact_treaty_by_june_2024" not in facts


@pytest.mark.parametrize("origin, message", [
    ("2024-13", "not a month"),
    ("March", "not a month"),
    ("2023-07", "outside the scored window"),
    ("2024-10", "outside the scored window"),
])
def test_bad_origins_are_refused_in_one_line(origin, message):
    with pytest.raises(ScoreError) as info:
        check_origins(load_forecasts(FORECASTS_FILE), "2023-07", [origin])
    text = str(info.value)
    assert text.startswith(f"--origin {origin}:") and message in text and "\n" not in text
    assert "allowed: " in text


def test_an_origin_given_twice_is_refused():
    with pytest.raises(ScoreError, match="given twice"):
        check_origins(load_forecasts(FORECASTS_FILE), "2023-07", ["2024-01", "2024-01"])


# ------------------------------------------------------------------ bad forecast files


@pytest.mark.parametrize("change, key, expected", [
    (('when = "alliance_level == treaty"', 'when = "alliance == treaty"'), "when",
     "unknown column 'alliance'"),
    (("outcome = 1", "outcome = 2"), "outcome", "allowed: 1 (it happened) or 0"),
    (("outcome = 1", "outcome = 0"), "outcome", "gives 1"),
    (('events = ["R17"]', 'events = ["R99"]'), "events", "unknown event 'R99'"),
    (("to = 12", "to = 8"), "to", "got 8; allowed: an integer from 9"),
    (('kind = "first"', 'kind = "sometimes"'), "kind", "allowed: any, all, share, first"),
    (("state = [[0, 0], [11, 1]]", "state = [[2, 0]]"), "state", "starting at month 0"),
    (('reason = "signed in month 11"', 'reason = ""'), "reason", "non-empty"),
    (('question = "Is the treaty signed in months 9-12?"\n', ""), "question", "missing"),
    (('kind = "first"', 'kind = "first"\nmin_share = 0.5'), "min_share", "unknown key"),
])
def test_bad_forecasts_give_one_line_errors_naming_file_forecast_and_key(
        tmp_path, change, key, expected):
    path = forecasts_file(tmp_path, TREATY.replace(*change))
    with pytest.raises(ForecastError) as info:
        load_forecasts(path)
    text = str(info.value)
    assert "\n" not in text and text.startswith(f"forecast file {path}: forecast treaty:")
    assert key in text and expected in text


@pytest.mark.parametrize("top, expected", [
    ('observations = "observations.toml"\npersistence_confidence = 1.5\n'
     'persistence_why = "x"\n', "key persistence_confidence: got 1.5; allowed"),
    ('observations = "observations.toml"\npersistence_why = "x"\n',
     "key persistence_confidence: missing"),
    ('observations = "observations.toml"\npersistence_confidence = 0.9\n'
     'persistence_why = "x"\ncolour = 3\n', "unknown key 'colour'"),
])
def test_bad_forecast_file_settings_give_one_line_errors(tmp_path, top, expected):
    top = top.replace('"observations.toml"', f'"{RECORD_DIR / "observations.toml"}"')
    path = forecasts_file(tmp_path, TREATY, top=top)
    with pytest.raises(ForecastError) as info:
        load_forecasts(path)
    assert str(info.value).startswith(f"forecast file {path}:") and expected in str(info.value)


def test_a_duplicate_forecast_id_is_refused(tmp_path):
    with pytest.raises(ForecastError, match="forecast treaty: key id: duplicate"):
        load_forecasts(forecasts_file(tmp_path, TREATY + TREATY))


def test_a_forecast_file_that_is_not_toml_is_refused(tmp_path):
    path = tmp_path / "f.toml"
    path.write_text("[[forecast]\n")
    with pytest.raises(ForecastError, match=f"forecast file {path}: not valid TOML"):
        load_forecasts(path)


def test_the_report_says_on_which_questions_the_model_beats_persistence():
    from model.analysis.reports.score import better_lines

    table = pd.DataFrame({"forecast": ["a", "b", "c"], "origin": ["Jan 2024"] * 3,
                          "brier_model": [0.01, 0.04, 0.36],
                          "brier_persistence": [0.81, 0.01, 0.01]})
    first, second = better_lines(table)
    assert first.startswith("The model's Brier score beats persistence's on 1 of 3 questions: "
                            "`a` from Jan 2024 (0.010 against 0.810)")
    assert "other 2 questions" in second and "0.200 for the model against 0.010" in second
    assert "(skill -19.00)" in second


def test_an_origins_probability_is_the_share_of_runs_agreeing_with_the_facts_known_then():
    """forecast_origin against a count made by hand on the ensemble table of the same runs:
    from January 2024 the one fact known is arms flowing by November 2023 (first month
    with munitions_flow > 0 in months 1-4); the question "a treaty in every month of
    July-October 2024" is counted among the runs that agree with it."""
    from model import load_scenario, run_ensemble
    from model.analysis.calibration_abc import PRIORS, Posterior, with_posterior
    from model.analysis.score import forecast_origin
    from model.core.sampling import derive_seeds

    scenario = load_scenario("baseline")
    forecasts = load_forecasts(FORECASTS_FILE)
    middle = np.array([[(p.low + p.high) / 2 for p in PRIORS.values()]])
    posterior = Posterior(tuple(PRIORS), middle, np.ones(1), PRIORS, ())
    runs = 300
    result = forecast_origin(scenario, forecasts, 6, posterior, runs=runs, seed=5)
    assert result.facts == ("fact_arms_trade_by_november",)
    table = run_ensemble(with_posterior(scenario, posterior), seeds=derive_seeds(5, runs),
                         months=17)
    wide = table.pivot(index="run", columns="month")
    flowing = wide["munitions_flow"] > 0
    first = flowing.idxmax(axis=1).where(flowing.any(axis=1), 99)
    agree = first.between(1, 4)
    treaty = (wide["alliance_level"].loc[:, 12:15] == 4).all(axis=1)
    k, n = int((treaty & agree).sum()), int(agree.sum())
    assert 0 < n < runs and result.kept == n
    question = [q.id for q in result.forecasts].index("treaty_holds_jul_oct_2024")
    assert result.probabilities[question] == pytest.approx((k + 0.5) / (n + 1))
    # without conditioning every run counts
    plain = forecast_origin(scenario, forecasts, 6, posterior, runs=runs, seed=5,
                            condition="none")
    assert plain.kept == runs and plain.facts == ()
    assert plain.hits[question] == int(treaty.sum())
