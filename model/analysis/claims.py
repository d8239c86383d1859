"""Check the article's causal claims (C1–C8, docs/ODD.md section 1) by paired comparisons.

Each check runs two arms on the same seeds (common random numbers) that differ in one
lever or policy — or, for C6 and C8, compares two windows of the same runs — and
computes the per-run difference of one outcome. The effect is the mean difference with
a 95% interval (mean ± 1.96 standard errors); a claim holds when the whole interval lies
on the side the article predicts (C8: above a stated floor). A claim the model does not
reproduce is reported as failing, never tuned away.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..core.actions import DIMENSION_BY_KEY
from ..core.scenario import Scenario, validated
from ..ensemble.driver import EnsembleArrays
from ..execution import Executor, NamedOutcome, ensemble_job, run_jobs
from ..output.figures import finish
from ..output.statistics import mean_interval

PerRun = Callable[[EnsembleArrays], np.ndarray]


def at_month(column: str, month: int) -> PerRun:
    """A state column at one month."""
    return lambda a: a.state[column][min(month, a.months)].astype(float)


def total(column: str) -> PerRun:
    """A state column summed over months 1 to the horizon."""
    return lambda a: a.state[column][1:].sum(axis=0)


def option_share(key: str, option: str, first: int = 1, last: int | None = None) -> PerRun:
    """Share of months ``first``..``last`` in which ``key`` plays ``option``."""
    index = DIMENSION_BY_KEY[key].index(option)

    def compute(a: EnsembleArrays) -> np.ndarray:
        end = a.months if last is None else min(last, a.months)
        return (a.choice[key][first:end + 1] == index).mean(axis=0)
    return compute


def mean_intensity(key: str) -> PerRun:
    """Mean intensity of the options chosen in months 1 to the horizon."""
    values = DIMENSION_BY_KEY[key].values()
    return lambda a: values[a.choice[key][1:]].mean(axis=0)


@dataclass(frozen=True)
class Arm:
    """One side of a comparison: overrides on the base scenario and the outcome read."""

    overrides: dict[str, Any]
    outcome: PerRun
    label: str


@dataclass(frozen=True)
class Claim:
    """A causal claim and the paired comparison that tests it."""

    id: str
    claim: str
    locator: str
    outcome: str
    low: Arm
    high: Arm
    direction: int = 1  # +1: high arm exceeds low arm; -1: falls below it
    floor: float | None = None  # instead of a sign: effect's lower bound must exceed this
    months: int = 36
    notes: dict[str, str] = field(default_factory=dict)
    #: The outcome's full range (1 for 0–1 indices and shares; the months summed for
    #: totals) and its unit: claims.png draws every effect as a share of it, on one scale.
    scale: float = 1.0
    unit: str = "index 0–1"

    @property
    def compared(self) -> str:
        return f"{self.low.label} → {self.high.label}"


def _arms(key: str, low: float, high: float, outcome: PerRun, fmt: str = "{:g}"):
    return (Arm({key: low}, outcome, f"{key}={fmt.format(low)}"),
            Arm({key: high}, outcome, f"{key}={fmt.format(high)}"))


CEASEFIRE = {"levers.war_demand": [[0, 0.8], [18, 0.1]]}

CLAIMS: tuple[Claim, ...] = (
    Claim("C1", "more pressure and isolation push Russia and North Korea closer", "lede, lt.2",
          "alliance strength at month 24",
          *_arms("levers.international_pressure", 0.2, 0.9, at_month("alliance_strength", 24))),
    Claim("C2a", "higher war demand means more munitions trade", "mba.1",
          "munitions delivered, months 1–36",
          *_arms("levers.war_demand", 0.4, 1.0, total("munitions_flow")),
          scale=36, unit="months at large scale"),
    Claim("C2b", "higher war demand means a stronger alliance", "mba.1",
          "alliance strength at month 24",
          *_arms("levers.war_demand", 0.4, 1.0, at_month("alliance_strength", 24))),
    Claim("C3a", "a worse food crisis raises aid flows", "nk.1",
          "months of Russian food aid, 1–36",
          *_arms("levers.nk_food_crisis", 0.3, 0.9, total("aid_flow")),
          scale=36, unit="months"),
    Claim("C3b", "a worse food crisis raises North Korea's willingness to trade", "nk.1",
          "mean intensity of North Korea's munitions supply",
          *_arms("levers.nk_food_crisis", 0.3, 0.9, mean_intensity("north_korea.munitions")),
          unit="intensity 0–1"),
    Claim("C4", "North Korea's appetite for technology draws technology transfer", "nk.1",
          "technology transferred, months 1–36",
          *_arms("levers.nk_tech_appetite", 0.5, 4.0, total("tech_flow")),
          scale=36, unit="months at full transfer"),
    Claim("C5", "a higher reputational cost lowers Russia's arms purchases", "mba.3",
          "mean intensity of Russia's arms purchases",
          *_arms("levers.russia_reputation_cost", 0.1, 2.0, mean_intensity("russia.arms")),
          direction=-1, unit="intensity 0–1"),
    Claim("C6", "Russia's compliance with UN sanctions erodes as it learns to circumvent them",
          "sa.1, lt.1", "share of months Russia evades (same runs, two windows)",
          Arm({}, option_share("russia.sanctions", "evade", 1, 12), "months 1–12"),
          Arm({}, option_share("russia.sanctions", "evade", 25, 36), "months 25–36"),
          unit="share of months"),
    Claim("C7a", "China enabling weakens sanctions (restraining does the reverse)", "lt.1",
          "sanctions integrity at month 36",
          Arm({"china.rule": "fixed", "china.action": "restrain"},
              at_month("sanctions_integrity", 36), "China restrains"),
          Arm({"china.rule": "fixed", "china.action": "enable"},
              at_month("sanctions_integrity", 36), "China enables"), direction=-1),
    Claim("C7b", "China enabling strengthens the alliance (restraining does the reverse)",
          "lt.1", "alliance strength at month 36",
          Arm({"china.rule": "fixed", "china.action": "restrain"},
              at_month("alliance_strength", 36), "China restrains"),
          Arm({"china.rule": "fixed", "china.action": "enable"},
              at_month("alliance_strength", 36), "China enables")),
    Claim("C8", "once built, the alliance decays slowly when war demand falls; it does not "
          "collapse", "lt.2", "alliance strength when war demand drops to 0.1 (month 18) and "
          "12 months later; the change must stay above −0.10",
          Arm(CEASEFIRE, at_month("alliance_strength", 18), "month 18 (ceasefire)"),
          Arm(CEASEFIRE, at_month("alliance_strength", 30), "month 30"), floor=-0.10),
)


def check_claims(scenario: Scenario, runs: int, seed: int = 0,
                 claims: tuple[Claim, ...] = CLAIMS, progress=None,
                 executor: Executor | None = None) -> pd.DataFrame:
    """Run every claim's paired comparison on ``runs`` common seeds; one row per claim.

    Each distinct arm (overrides and months) is simulated once, as chunks on ``executor``
    (default: in this process; the numbers are the same on any back end), and its chunks
    return only the per-run outcomes the claims read.
    """
    arms: dict[str, tuple[Scenario, int, list[NamedOutcome]]] = {}
    for claim in claims:
        for side, arm in (("low", claim.low), ("high", claim.high)):
            key = repr(sorted(arm.overrides.items())) + f"/{claim.months}"
            if key not in arms:
                arms[key] = (validated(scenario, arm.overrides, f"claims {arm.label}"),
                             claim.months, [])
            arms[key][2].append(NamedOutcome(f"{claim.id}.{side}", arm.outcome))
    jobs = [ensemble_job(variant, runs, seed, months, output="metrics", metrics=outcomes,
                         executor=executor, name="claims")
            for variant, months, outcomes in arms.values()]
    values: dict[str, np.ndarray] = {}
    for result in run_jobs(jobs, executor):
        values.update(result)

    rows = []
    for claim in claims:
        low, high = values[f"{claim.id}.low"], values[f"{claim.id}.high"]
        effect, lo, hi = mean_interval(high - low)
        if claim.floor is not None:
            holds = lo > claim.floor
        else:
            holds = lo > 0 if claim.direction > 0 else hi < 0
        rows.append({"id": claim.id, "claim": claim.claim, "locator": claim.locator,
                     "compared": claim.compared, "outcome": claim.outcome,
                     "low_arm": claim.low.label, "high_arm": claim.high.label,
                     "low_arm_mean": float(low.mean()), "high_arm_mean": float(high.mean()),
                     "effect": effect, "ci_low": lo, "ci_high": hi,
                     "expected": ("> " + f"{claim.floor:g}" if claim.floor is not None
                                  else ("positive" if claim.direction > 0 else "negative")),
                     "holds": bool(holds), "scale": claim.scale, "unit": claim.unit,
                     "floor": claim.floor})
        if progress is not None:
            progress(1)
    return pd.DataFrame(rows)


def markdown_table(table: pd.DataFrame) -> str:
    """The claims table in Markdown."""
    lines = ["| id | claim | locator | compared | outcome | effect [95% CI] | expected | holds |",
             "|---|---|---|---|---|---|---|---|"]
    for r in table.itertuples(index=False):
        lines.append(f"| {r.id} | {r.claim} | {r.locator} | {r.compared} | {r.outcome} | "
                     f"{r.effect:+.3g} [{r.ci_low:+.3g}, {r.ci_high:+.3g}] | {r.expected} | "
                     f"{'yes' if r.holds else '**no**'} |")
    return "\n".join(lines)


def plot_claims(table: pd.DataFrame, path: str | PathLike | None = None) -> Figure:
    """Every check's paired effect on one shared scale, with its 95% interval as an error
    bar: a forest plot.

    The x axis is the effect as a percentage of the outcome's full range (0–1 indices
    and shares as they are; totals over 36 months divided by 36), so +0.026 on a 0–1
    index looks as small as it is beside −0.35. Each row is labelled with the effect in
    the outcome's own unit; green where the claim holds, red where it fails; C8's floor
    is marked.
    """
    n = len(table)
    fig = Figure(figsize=(13, 1.0 + 0.55 * n), layout="constrained")
    ax = fig.subplots()
    y = np.arange(n)[::-1]
    scale = (table["scale"] if "scale" in table else pd.Series(1.0, index=table.index)
             ).to_numpy(dtype=float)
    effect = 100 * table["effect"].to_numpy(dtype=float) / scale
    low = 100 * table["ci_low"].to_numpy(dtype=float) / scale
    high = 100 * table["ci_high"].to_numpy(dtype=float) / scale
    colors = np.where(table["holds"].to_numpy(dtype=bool), "tab:green", "tab:red")
    for color in ("tab:green", "tab:red"):
        pick = colors == color
        if pick.any():
            ax.errorbar(effect[pick], y[pick], xerr=[effect[pick] - low[pick],
                                                     high[pick] - effect[pick]],
                        fmt="o", color=color, ecolor=color, capsize=4, ms=6,
                        label="holds" if color == "tab:green" else "fails")
    ax.axvline(0, color="0.3", lw=1)
    floors = [(yy, 100 * r.floor / sc) for yy, r, sc in zip(y, table.itertuples(), scale)
              if "floor" in table and r.floor is not None and np.isfinite(r.floor)]
    for yy, x in floors:
        ax.plot([x, x], [yy - 0.35, yy + 0.35], color="0.3", ls="--", lw=1.2)
    reach = max(np.abs(np.r_[low, high, [x for _, x in floors]]).max(), 1.0) * 1.15
    ax.set_xlim(-reach, reach)
    ax.set_ylim(-0.7, n - 0.3)
    units = table["unit"] if "unit" in table else pd.Series("", index=table.index)
    ax.set_yticks(y, [f"{r.id}  {textwrap.shorten(r.claim, 60)} ({r.locator})"
                      for r in table.itertuples()], fontsize=8)
    right = ax.secondary_yaxis("right")
    right.set_yticks(y, [f"{r.effect:+.3g} [{r.ci_low:+.3g}, {r.ci_high:+.3g}] {u}"
                         for r, u in zip(table.itertuples(), units)], fontsize=8)
    right.tick_params(length=0)
    ax.set_xlabel("effect (second arm minus first, same seeds) as % of the outcome's full "
                  "range; bars: 95% interval; dashed: C8's floor")
    ax.grid(alpha=0.3, axis="x")
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.12), ncol=2, fontsize=8,
              frameon=False)
    fig.suptitle("The article's claims: paired effects on one scale (left: the claim; right: "
                 "the effect in its own unit)", fontsize=12)
    return finish(fig, path)
