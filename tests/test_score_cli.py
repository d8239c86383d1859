"""`run.py score` end to end (needs the [calibrate] extra: each origin is an ABC-SMC fit),
and its one-line refusals before any fitting."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from support import in_process

from model.core.forecasts import load_forecasts


@pytest.mark.slow
def test_score_end_to_end_with_quick_settings(tmp_path, capsys):
    out = tmp_path / "score"
    status, stdout, err = in_process(capsys, "score", "baseline", "--origin", "2024-03,2024-06",
                                     "--quick", "--particles", "22", "--runs", "120",
                                     "--bootstrap", "200", "--out", str(out))
    assert status == 0, err
    for name in ("questions.csv", "summary.csv", "reliability.csv", "reliability.png",
                 "questions.png", "report.md", "manifest.json", "posterior_Mar_2024.csv",
                 "posterior_Jun_2024.csv"):
        assert (out / name).exists(), name
    questions = pd.read_csv(out / "questions.csv")
    forecasts = load_forecasts().for_model(escalation=False)  # the baseline's model
    # each origin scores exactly the questions whose window starts after it
    for label, month in (("Mar 2024", 8), ("Jun 2024", 11)):
        scored = set(questions.loc[questions["origin"] == label, "forecast"])
        assert scored == {f.id for f in forecasts.after(month)}
    assert questions["p_model"].between(0, 1, inclusive="neither").all()
    assert questions["p_persistence"].round(12).isin([0.1, 0.9]).all()
    summary = pd.read_csv(out / "summary.csv").set_index("origin")
    assert list(summary.index) == ["Mar 2024", "Jun 2024", "all origins"]
    assert summary.loc["all origins", "questions"] == len(questions)
    assert summary.loc["all origins", "brier_model"] == pytest.approx(
        questions["brier_model"].mean())
    report = (out / "report.md").read_text()
    assert "Brier skill vs persistence" in report and "30 particles" not in report
    assert "22 particles" in report
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "score" and manifest["particles"] == 22
    assert manifest["origins"] == ["Mar 2024", "Jun 2024"]
    assert "all origins" in stdout


@pytest.mark.parametrize("args, message", [
    (("--origin", "2024-13"), "--origin 2024-13: not a month"),
    (("--origin", "2024-10"), "--origin 2024-10: month 15 is outside the scored window"),
    (("--origin", "2024-03", "--particles", "5"), "--particles 5: ABC-SMC over"),
    (("calibrated", "--origin", "2024-03"), "already carries a joint sample"),
])
def test_score_refuses_bad_arguments_in_one_line(tmp_path, capsys, args, message):
    out = tmp_path / "o"
    status, _, err = in_process(capsys, "score", *args, "--out", str(out))
    assert status == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_score_refuses_a_bad_forecast_file_in_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    text = (load_forecasts().path.read_text()
            .replace('observations = "observations.toml"',
                     f'observations = "{load_forecasts().observations.path}"')
            .replace('id = "treaty_by_march_2024"\nquestion = "Is the treaty signed by '
                     'March 2024?"\nkind = "first"', 'id = "treaty_by_march_2024"\nquestion = '
                     '"Is the treaty signed by March 2024?"\nkind = "soon"'))
    bad.write_text(text)
    status, _, err = in_process(capsys, "score", "--origin", "2024-03", "--forecasts",
                                str(bad), "--out", str(tmp_path / "o"))
    assert status == 2 and len(err.strip().splitlines()) == 1
    assert f"forecast file {bad}: forecast treaty_by_march_2024: key kind: got 'soon'" in err
