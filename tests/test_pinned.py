"""Pinned numbers of the baseline at seed 0, so that a refactor cannot move a result
unnoticed. When the model changes on purpose (a new mechanism, a recalibrated value),
update these numbers in the same commit and say why in its message."""

from __future__ import annotations

import pytest

from model import AllianceModel, load_scenario

RUNS, MONTHS = 40, 24
PICKED = [0, 7, 19, 33]


@pytest.fixture(scope="module")
def table(seed0_table):
    assert seed0_table.run.nunique() == RUNS and seed0_table.month.max() == MONTHS
    return seed0_table


def test_pinned_alliance_strength_and_munitions(table):
    last = table[table.month == MONTHS]
    strength = last.alliance_strength.to_numpy()[PICKED]
    munitions = table.groupby("run").munitions_flow.sum().to_numpy()[PICKED]
    assert strength.tolist() == pytest.approx(STRENGTH_AT_24, rel=1e-9)
    assert munitions.tolist() == pytest.approx(MUNITIONS_TOTAL, rel=1e-9)


def test_pinned_regime_and_choices(table):
    last = table[table.month == MONTHS]
    assert last.sanctions_integrity.mean() == pytest.approx(INTEGRITY_MEAN_AT_24, rel=1e-9)
    assert last.russia_circumvention.mean() == pytest.approx(CIRCUMVENTION_MEAN_AT_24, rel=1e-9)
    assert table["russia.sanctions"].value_counts().to_dict() == RUSSIA_SANCTIONS_COUNTS
    assert table["china.stance"].value_counts().to_dict() == CHINA_STANCE_COUNTS


def test_pinned_mesa_run_equals_ensemble_run(table):
    """The Mesa driver gives the pinned run too (run 0's seed)."""
    model = AllianceModel(load_scenario("baseline"), seed=int(table.seed.iloc[0]))
    model.run(MONTHS)
    assert model.state["alliance_strength"][0] == pytest.approx(STRENGTH_AT_24[0], rel=1e-9)


# The pinned values (baseline, 40 runs, seed 0, 24 months).
STRENGTH_AT_24 = [0.8260584770128172, 0.8454763501979161, 0.8499265299114402,
                  0.8720299748232744]
MUNITIONS_TOTAL = [8.913448223748903, 9.877825062680799, 10.293443259818225,
                   14.001855113540648]
INTEGRITY_MEAN_AT_24 = 0.46912829593534955
CIRCUMVENTION_MEAN_AT_24 = 0.7636880310096702
RUSSIA_SANCTIONS_COUNTS = {"evade": 612, "enforce": 388}
CHINA_STANCE_COUNTS = {"neutral": 840, "enable": 144, "restrain": 16}
