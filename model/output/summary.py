"""Headline numbers of a Monte Carlo ensemble, as a dict and as a short plain-text summary.

Input is the long result table of ``model.run_ensemble``: one row per (run, month) with
integer ``run`` and ``month`` (month 0 = the scenario's start, the initial state), the state columns
(``alliance_level``, ``munitions_flow``, ...) and one ``actor.dimension`` column per
action holding the chosen option's name. Unknown extra columns are ignored; a missing
column makes the numbers that need it ``None`` instead of failing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..core.calendar import calendar_month
from ..core.state import AllianceLevel
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


def _mode(values: pd.Series) -> dict[str, Any] | None:
    values = values.dropna().astype(str)
    if values.empty:
        return None
    counts = values.value_counts()
    return {"option": str(counts.index[0]), "share": float(counts.iloc[0] / len(values))}


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
      the final month.
    - ``sanctions_integrity_final``: median at the final month.
    - ``nk_tech_level``: ``{"start": median at the first month, "final": median at the
      final month}``.
    - ``last_window``: ``(first, last)`` months of the "last 12 months" window (months
      final−11..final, never month 0 unless the table has only month 0).
    - ``china_stance_mode``, ``us_pressure_mode``: ``{"option", "share"}``, the most
      common option over run-months of that window and its share.

    Entries whose column is missing from the table are ``None``.
    """
    if table.empty:
        raise ValueError("summarize needs a non-empty result table")
    month = table["month"]
    first, final = int(month.min()), int(month.max())
    n_runs = int(table["run"].nunique())
    at_final = table[month == final]
    at_first = table[month == first]
    out: dict[str, Any] = {"runs": n_runs, "first_month": first, "final_month": final}

    treaty: dict[int, dict[str, Any]] = {}
    if "alliance_level" in table:
        present = set(month.unique().tolist())
        is_treaty = table["alliance_level"].round() == AllianceLevel.TREATY
        for m in months:
            m = int(m)
            if m not in present:
                continue
            reached = (is_treaty & (month <= m)).groupby(table["run"]).any()
            k, n = int(reached.sum()), int(reached.size)
            treaty[m] = {"share": k / n, "ci": wilson_interval(k, n), "successes": k, "n": n}
    out["treaty_by_month"] = treaty

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
        out["russia_evades_final"] = float((stance == "evade").mean()) if len(stance) else None
    else:
        out["russia_evades_final"] = None
    out["sanctions_integrity_final"] = (
        _median(at_final["sanctions_integrity"]) if "sanctions_integrity" in table else None
    )
    out["nk_tech_level"] = (
        {"start": _median(at_first["nk_tech_level"]), "final": _median(at_final["nk_tech_level"])}
        if "nk_tech_level" in table
        else None
    )

    window_start = max(final - LAST_MONTHS_WINDOW + 1, min(1, final), first)
    out["last_window"] = (window_start, final)
    window = table[month >= window_start]
    out["china_stance_mode"] = _mode(window["china.stance"]) if "china.stance" in table else None
    out["us_pressure_mode"] = (
        _mode(window["united_states.pressure"]) if "united_states.pressure" in table else None
    )
    return out


def _pct(x: float) -> str:
    """Whole percent, but one decimal below 1% so a small upper bound does not read 0%."""
    return f"{100 * x:.1f}%" if 0 < x < 0.01 else f"{100 * x:.0f}%"


def format_summary(summary: dict[str, Any], scenario_name: str, runs: int, seed: int,
                   start: str, overrides: dict[str, Any] | None = None) -> str:
    """Render a :func:`summarize` dict as a short plain-text summary (about 8–12 lines);
    ``start`` is the scenario's month 0 (``YYYY-MM``) for the calendar dates. The first
    line states the configuration — scenario, runs, seed, months and every ``--set``
    override (``key=value``) — so a summary is never mistaken for another's."""
    first, final = summary["first_month"], summary["final_month"]
    lines = [
        f"Scenario {scenario_name!r}: {runs} runs, seed {seed}, months {first}–{final} "
        + f"({calendar_month(start, first)} – {calendar_month(start, final)})"
    ]
    if overrides:
        lines[0] += "; overrides " + ", ".join(
            f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in overrides.items())
    treaty = summary.get("treaty_by_month") or {}
    for m, t in sorted(treaty.items()):
        lo, hi = t["ci"]
        lines.append(
            f"Treaty (level 4) reached by month {m} ({calendar_month(start, m)}) in "
            f"{_pct(t['share'])} of runs (95% CI {100 * lo:.0f}–{100 * hi:.0f}%)"
        )
    if not treaty:
        lines.append("Treaty (level 4): none of the requested months is in the table")

    band = summary.get("alliance_strength_final")
    if band:
        lines.append(
            f"Alliance strength at month {final}: median {band['median']:.2f} "
            f"(90% band {band['q05']:.2f}–{band['q95']:.2f}; index 0–1)"
        )
    band = summary.get("cumulative_munitions")
    if band:
        lines.append(
            f"Cumulative munitions, months 1–{final}: median {band['median']:.1f} "
            f"(90% band {band['q05']:.1f}–{band['q95']:.1f}; 1 = a month at large scale)"
        )
    evade = summary.get("russia_evades_final")
    if evade is not None:
        lines.append(f"Russia evades UN sanctions at month {final} in {_pct(evade)} of runs")
    integrity = summary.get("sanctions_integrity_final")
    if integrity is not None:
        lines.append(f"Sanctions integrity at month {final}: median {integrity:.2f} (index 0–1)")
    tech = summary.get("nk_tech_level")
    if tech and tech["start"] is not None and tech["final"] is not None:
        lines.append(
            f"North Korean tech level: median {tech['start']:.2f} at month {first} -> "
            f"{tech['final']:.2f} at month {final} (index 0–1)"
        )
    w0, w1 = summary["last_window"]
    for key, label in (("china_stance_mode", "China stance"), ("us_pressure_mode", "US pressure")):
        mode = summary.get(key)
        if mode:
            lines.append(
                f"Most common {label}, months {w0}–{w1}: {mode['option']} "
                f"({_pct(mode['share'])} of run-months)"
            )
    return "\n".join(lines)
