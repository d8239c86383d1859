"""Headline numbers of a Monte Carlo ensemble, as a dict and as a short plain-text summary.

Input is the long result table of ``model.run_ensemble``: one row per (run, month) with
integer ``run`` and ``month`` (month 0 = the scenario's start, the initial state), the state columns
(``alliance_level``, ``munitions_flow``, ...) and one ``actor.dimension`` column per
action holding the chosen option's name. Unknown extra columns are ignored; a missing
column makes the numbers that need it ``None`` instead of failing.

:func:`summarize_statistics` gives the same numbers from per-month statistics merged
across chunks (``model.ensemble.streaming.MonthlyStatistics``), for ensembles whose
table is never gathered: counts and shares exactly, quantiles to within the stated
histogram error (``"quantile_error"``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..core.actions import DIMENSION_BY_KEY
from ..core.calendar import calendar_month
from ..core.state import AllianceLevel
from ..ensemble.streaming import MonthlyStatistics, quantile_error
from .statistics import wilson_interval

#: Quantiles of the reported 90% band.
BAND_90 = (0.05, 0.95)
#: Window, in months, of the "most common stance" statistics.
LAST_MONTHS_WINDOW = 12

def _band(values: pd.Series) -> dict[str, float] | None:
    values = values.dropna()
    if values.empty:
        return None
    lo, hi = np.quantile(values.to_numpy(dtype=float), BAND_90)
    return {"median": float(values.median()), "q05": float(lo), "q95": float(hi)}


def _median(values: pd.Series) -> float | None:
    values = values.dropna()
    return None if values.empty else float(values.median())


def _mode_of(option: str, count: int, total: int, runs: int) -> dict[str, Any]:
    """The most common option's share of run-months, with a conservative 95% interval:
    the Wilson interval of that share over ``runs`` runs (the months of one run are not
    independent draws; if they were fully dependent the share would be one run's)."""
    share = count / total
    return {"option": option, "share": share,
            "ci": wilson_interval(share * runs, runs) if runs else (share, share)}


def _mode(values: pd.Series, runs: int) -> dict[str, Any] | None:
    values = values.dropna().astype(str)
    if values.empty:
        return None
    counts = values.value_counts()
    return _mode_of(str(counts.index[0]), int(counts.iloc[0]), len(values), runs)


def _share(k: int, n: int) -> dict[str, Any]:
    return {"share": k / n, "ci": wilson_interval(k, n), "successes": k, "n": n}


def summarize(table: pd.DataFrame, months: Iterable[int] = (12, 24, 36)) -> dict[str, Any]:
    """Headline numbers of an ensemble result table.

    Returns a dict with keys:

    - ``runs``, ``first_month``, ``final_month``: size and time span of the table.
    - ``treaty_by_month``: ``{m: {"share", "ci", "successes", "n"}}`` for each ``m`` in
      ``months`` that occurs in the table. A run has reached a treaty by month m if its
      ``alliance_level`` equals 4 at any month <= m; ``ci`` is the 95% Wilson interval.
    - ``alliance_strength_final``: ``{"median", "q05", "q95"}`` at the final month.
    - ``cumulative_munitions``: same, of the per-run sum of ``munitions_flow`` over
      months 1..final (1 = one month of large-scale deliveries).
    - ``russia_evades_final``: share of runs whose ``russia.sanctions`` is ``evade`` at
      the final month; ``russia_evades``: the same as ``{"share", "ci", "successes",
      "n"}``.
    - ``sanctions_integrity_final``: median at the final month;
      ``sanctions_integrity_band``: ``{"median", "q05", "q95"}`` there.
    - ``nk_tech_level``: ``{"start": median at the first month, "final": median at the
      final month, "start_band", "final_band"}`` (each ``{"median", "q05", "q95"}``).
    - ``last_window``: ``(first, last)`` months of the "last 12 months" window (months
      final−11..final, never month 0 unless the table has only month 0).
    - ``china_stance_mode``, ``us_pressure_mode``: ``{"option", "share", "ci"}``, the
      most common option over run-months of that window, its share and a conservative
      95% interval (Wilson over the runs).

    - with the escalation module's columns, ``troops_in_combat``, ``mil_tech`` and
      ``treaty_in_force``: the share of runs with North Korean troops in combat, Russia
      giving military technology and the treaty in force at the final month.

    Entries whose column is missing from the table are ``None`` (the escalation module's
    are absent).
    """
    if table.empty:
        raise ValueError("summarize needs a non-empty result table")
    month = table["month"]
    first, final = int(month.min()), int(month.max())
    n_runs = int(table["run"].nunique())
    at_final = table[month == final]
    at_first = table[month == first]
    out: dict[str, Any] = {"runs": n_runs, "first_month": first, "final_month": final}

    out["treaty_by_month"] = _treaty_by_month(table, months)
    out.update(_final_state(table, at_first, at_final))

    window_start = max(final - LAST_MONTHS_WINDOW + 1, min(1, final), first)
    out["last_window"] = (window_start, final)
    window = table[month >= window_start]
    for key, column in MODE_COLUMNS.items():
        out[key] = _mode(window[column], n_runs) if column in table else None
    return out


def _treaty_by_month(table: pd.DataFrame, months: Iterable[int]) -> dict[int, dict[str, Any]]:
    """``summarize``'s ``treaty_by_month``: the share of runs at the treaty level by each
    month of ``months`` in the table."""
    month = table["month"]
    treaty: dict[int, dict[str, Any]] = {}
    if "alliance_level" in table:
        present = set(month.unique().tolist())
        is_treaty = table["alliance_level"].round() == AllianceLevel.TREATY
        for m in months:
            m = int(m)
            if m not in present:
                continue
            reached = (is_treaty & (month <= m)).groupby(table["run"]).any()
            treaty[m] = _share(int(reached.sum()), int(reached.size))
    return treaty


def _final_state(table: pd.DataFrame, at_first: pd.DataFrame, at_final: pd.DataFrame
                 ) -> dict[str, Any]:
    """``summarize``'s entries on the state at the final month (and the tech level's
    start), in the summary's order."""
    month = table["month"]
    out: dict[str, Any] = {}
    out["alliance_strength_final"] = (
        _band(at_final["alliance_strength"]) if "alliance_strength" in table else None
    )
    if "munitions_flow" in table:
        delivered = table.loc[month >= 1, ["run", "munitions_flow"]]
        per_run = delivered.groupby("run")["munitions_flow"].sum(min_count=1)
        out["cumulative_munitions"] = _band(per_run)
    else:
        out["cumulative_munitions"] = None

    if "russia.sanctions" in table:
        stance = at_final["russia.sanctions"].dropna().astype(str)
        out["russia_evades"] = (_share(int((stance == "evade").sum()), len(stance))
                                if len(stance) else None)
    else:
        out["russia_evades"] = None
    out["russia_evades_final"] = out["russia_evades"] and out["russia_evades"]["share"]
    if "sanctions_integrity" in table:
        out["sanctions_integrity_final"] = _median(at_final["sanctions_integrity"])
        out["sanctions_integrity_band"] = _band(at_final["sanctions_integrity"])
    else:
        out["sanctions_integrity_final"] = out["sanctions_integrity_band"] = None
    out["nk_tech_level"] = (
        {"start": _median(at_first["nk_tech_level"]), "final": _median(at_final["nk_tech_level"]),
         "start_band": _band(at_first["nk_tech_level"]),
         "final_band": _band(at_final["nk_tech_level"])}
        if "nk_tech_level" in table
        else None
    )
    for key, (column, options) in ESCALATION_SHARES.items():
        if column in table:
            played = at_final[column].dropna().astype(str)
            out[key] = _share(int(played.isin(options).sum()), len(played))
    if "treaty_in_force" in table:
        out["treaty_in_force"] = _share(int((at_final["treaty_in_force"] > 0).sum()),
                                        len(at_final))
    return out


#: Summary keys of the escalation module's shares at the final month: the option column
#: and the options counted (present only with the module on).
ESCALATION_SHARES = {"troops_in_combat": ("north_korea.manpower", ("combat",)),
                     "mil_tech": ("russia.mil_tech", ("conventional", "strategic"))}


#: Summary keys of the most common option of an ``actor.dimension`` column.
MODE_COLUMNS = {"china_stance_mode": "china.stance",
                "us_pressure_mode": "united_states.pressure"}


def _stats_band(stats: MonthlyStatistics, column: str, month: int) -> dict[str, float]:
    median, lo, hi = stats.quantiles(column, (0.5, *BAND_90))[month]
    return {"median": float(median), "q05": float(lo), "q95": float(hi)}


def _streamed_treaty_by_month(stats: MonthlyStatistics, months: Iterable[int]
                              ) -> dict[int, dict[str, Any]]:
    """``treaty_by_month`` from the months each run first reached the treaty (exact)."""
    treaty: dict[int, dict[str, Any]] = {}
    if "alliance_level" in stats.levels:
        by_month = np.cumsum(stats.first_month("alliance_level", AllianceLevel.TREATY)[:-1])
        for m in months:
            if 0 <= int(m) <= stats.months:
                treaty[int(m)] = _share(int(by_month[int(m)]), stats.runs)
    return treaty


def summarize_statistics(stats: MonthlyStatistics, months: Iterable[int] = (12, 24, 36)
                         ) -> dict[str, Any]:
    """:func:`summarize`'s numbers from per-month statistics merged across chunks.

    Counts and shares (treaty by month, Russia evading, most common options) are exact
    integers, equal to :func:`summarize` on the full table; medians and bands are read
    off per-month histograms and are within ``quantile_error`` (recorded in the result:
    ``{"per_month": {column: error}, "cumulative_munitions": error}``) of the exact ones.
    """
    if stats.runs < 1:
        raise ValueError("summarize_statistics needs statistics of at least one run")
    first, final, runs = 0, stats.months, stats.runs
    out: dict[str, Any] = {"runs": runs, "first_month": first, "final_month": final}
    out["treaty_by_month"] = _streamed_treaty_by_month(stats, months)
    has = stats.has
    out["alliance_strength_final"] = (_stats_band(stats, "alliance_strength", final)
                                      if has("alliance_strength") else None)
    if "munitions_flow" in stats.totals:
        median, lo, hi = stats.total_quantiles("munitions_flow", (0.5, *BAND_90))
        out["cumulative_munitions"] = {"median": median, "q05": lo, "q95": hi}
    else:
        out["cumulative_munitions"] = None
    if has("russia.sanctions"):
        evade = list(DIMENSION_BY_KEY["russia.sanctions"].options).index("evade")
        out["russia_evades"] = _share(int(stats.option_counts("russia.sanctions")[final, evade]),
                                      runs)
    else:
        out["russia_evades"] = None
    out["russia_evades_final"] = out["russia_evades"] and out["russia_evades"]["share"]
    if has("sanctions_integrity"):
        out["sanctions_integrity_band"] = _stats_band(stats, "sanctions_integrity", final)
        out["sanctions_integrity_final"] = out["sanctions_integrity_band"]["median"]
    else:
        out["sanctions_integrity_final"] = out["sanctions_integrity_band"] = None
    if has("nk_tech_level"):
        start_band, final_band = (_stats_band(stats, "nk_tech_level", m) for m in (first, final))
        out["nk_tech_level"] = {"start": start_band["median"], "final": final_band["median"],
                                "start_band": start_band, "final_band": final_band}
    else:
        out["nk_tech_level"] = None
    for key, (column, options) in ESCALATION_SHARES.items():
        if has(column):
            names = DIMENSION_BY_KEY[column].options
            counts = stats.option_counts(column)[final]
            out[key] = _share(int(sum(counts[names.index(o)] for o in options)), runs)
    if has("treaty_in_force"):  # a 0/1 column: its mean is the share, exactly
        out["treaty_in_force"] = _share(int(round(stats.mean("treaty_in_force")[final] * runs)),
                                        runs)
    window_start = max(final - LAST_MONTHS_WINDOW + 1, min(1, final), first)
    out["last_window"] = (window_start, final)
    for key, column in MODE_COLUMNS.items():
        if not has(column):
            out[key] = None
            continue
        counts = stats.option_counts(column)[window_start:final + 1].sum(axis=0)
        best = int(np.argmax(counts))  # ties: the first option, as value_counts' order may
        out[key] = _mode_of(str(DIMENSION_BY_KEY[column].options[best]), int(counts[best]),
                            int(counts.sum()), runs)
    out["quantile_error"] = {
        "per_month": {c: quantile_error(c) for c in stats.continuous},
        "cumulative_munitions": (quantile_error("munitions_flow", final)
                                 if "munitions_flow" in stats.totals else None)}
    return out


def _pct(x: float) -> str:
    """Percent, as few decimals as keep it honest: whole percent, but never 0% or 100%
    unless it is exactly that (995 of 1,000 reads 99.5%, 1 of 10,000 reads 0.01%)."""
    if x <= 0 or x >= 1:
        return f"{100 * x:.0f}%"
    for decimals in range(4):
        text = f"{100 * x:.{decimals}f}"
        if 0 < float(text) < 100:
            return text + "%"
    return f"{100 * x:.4g}%"


def _ci(ci: tuple[float, float]) -> str:
    return f"95% CI {_pct(ci[0])}–{_pct(ci[1])}"


def _of_runs(share: dict[str, Any]) -> str:
    """``995 of 1,000 runs (99.5%; 95% CI 98.8–99.8%)``."""
    return (f"{share['successes']:,} of {share['n']:,} runs ({_pct(share['share'])}; "
            f"{_ci(share['ci'])})")


def _band_text(band: dict[str, float], digits: int = 2) -> str:
    return f"90% band {band['q05']:.{digits}f}–{band['q95']:.{digits}f}"


def format_summary(summary: dict[str, Any], scenario_name: str, runs: int, seed: int,
                   start: str, overrides: dict[str, Any] | None = None) -> str:
    """Render a :func:`summarize` dict as a short plain-text summary (about 8–13 lines);
    ``start`` is the scenario's month 0 (``YYYY-MM``) for the calendar dates. The first
    line states the configuration — scenario, runs, seed, months and every ``--set``
    override (``key=value``) — so a summary is never mistaken for another's. Every share
    comes with its count and 95% interval, every median with its 90% band across runs;
    a summary read off histograms (:func:`summarize_statistics`) says how close its
    quantiles are."""
    first, final = summary["first_month"], summary["final_month"]
    lines = [_configuration_line(first, final, scenario_name, runs, seed, start, overrides)]
    treaty = summary.get("treaty_by_month") or {}
    for m, t in sorted(treaty.items()):
        lines.append(f"Treaty (level 4) reached by month {m} ({calendar_month(start, m)}) in "
                     + _of_runs(t))
    if not treaty:
        lines.append("Treaty (level 4): none of the requested months is in the table")

    band = summary.get("alliance_strength_final")
    if band:
        lines.append(
            f"Alliance strength at month {final}: median {band['median']:.2f} "
            f"({_band_text(band)}; index 0–1)"
        )
    band = summary.get("cumulative_munitions")
    if band:
        lines.append(
            f"Cumulative munitions, months 1–{final}: median {band['median']:.1f} "
            f"({_band_text(band, 1)}; 1 = a month at large scale)"
        )
    evade = summary.get("russia_evades")
    if evade is not None:
        lines.append(f"Russia evades UN sanctions at month {final} in {_of_runs(evade)}")
    band = summary.get("sanctions_integrity_band")
    if band is not None:
        lines.append(f"Sanctions integrity at month {final}: median {band['median']:.2f} "
                     f"({_band_text(band)}; index 0–1)")
    tech = summary.get("nk_tech_level")
    if tech and tech.get("start_band") and tech.get("final_band"):
        lines.append(
            f"North Korean tech level: median {tech['start']:.2f} at month {first} -> "
            f"{tech['final']:.2f} at month {final} ({_band_text(tech['final_band'])}; "
            "index 0–1)"
        )
    for key, label in (("troops_in_combat", "North Korean troops fight for Russia"),
                       ("mil_tech", "Russia gives military technology"),
                       ("treaty_in_force", "The treaty is in force")):
        share = summary.get(key)
        if share is not None:
            lines.append(f"{label} at month {final} in {_of_runs(share)}")
    w0, w1 = summary["last_window"]
    for key, label in (("china_stance_mode", "China stance"), ("us_pressure_mode", "US pressure")):
        mode = summary.get(key)
        if mode:
            lines.append(
                f"Most common {label}, months {w0}–{w1}: {mode['option']} "
                f"({_pct(mode['share'])} of run-months; {_ci(mode['ci'])}, over runs)"
            )
    error = summary.get("quantile_error")
    if error:
        lines.append(_histogram_line(error))
    return "\n".join(lines)


def _configuration_line(first: int, final: int, scenario_name: str, runs: int, seed: int,
                        start: str, overrides: dict[str, Any] | None) -> str:
    """A summary's first line: scenario, runs, seed, months and every override."""
    line = (f"Scenario {scenario_name!r}: {runs} runs, seed {seed}, months {first}–{final} "
            + f"({calendar_month(start, first)} – {calendar_month(start, final)})")
    if overrides:
        line += "; overrides " + ", ".join(
            f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in overrides.items())
    return line


def _histogram_line(error: dict[str, Any]) -> str:
    """How close a summary read off histograms is to the exact quantiles."""
    widths = sorted(set(error["per_month"].values()))
    text = "/".join(f"{w:.2g}" for w in widths)
    return (f"Medians and bands read off per-month histograms: within {text} of "
            "the exact values"
            + (f" (cumulative munitions within {error['cumulative_munitions']:.2g})"
               if error.get("cumulative_munitions") else ""))
