"""The folder of `whatif`: both worlds' fans, the paired differences, what carried them,
the data behind them, ``report.md`` and ``manifest.json``."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ...core.calendar import calendar_month
from ...output.figures import finish, format_time_axis, set_panel_title
from ...output.report_header import header
from ...output.results import manifest, output_folder
from ..conditioning import months_needed
from ..whatif import (
    WhatIf,
    carried,
    headlines,
    paired_differences,
    pinned_by_change,
    weighted_bands,
    weighted_means,
)

BASE_COLOR, CHANGED_COLOR = "0.35", "#c2410c"
DPI = 110


def _branch_line(ax, result: WhatIf) -> None:
    """The branch month, and the months the record covers (its last hard fact)."""
    ax.axvspan(0, min(months_needed(), result.horizon), color="0.93", zorder=0, lw=0,
               label="record (to Oct 2024)")
    ax.axvline(result.month, color="black", ls="--", lw=1.0, zorder=3,
               label=f"branch ({calendar_month(result.base.scenario.start, result.month)})")


def _grid(panels: int) -> tuple[Figure, list]:
    """A figure with ``panels`` panels, three to a row (sharing the time axis); panels
    left over in the last row are removed."""
    rows = -(-panels // 3)
    fig = Figure(figsize=(13, 3.75 * rows), dpi=DPI, layout="constrained")
    axes = list(fig.subplots(rows, 3, sharex=True).ravel())
    for ax in axes[panels:]:
        ax.remove()
    return fig, axes[:panels]


def plot_worlds(result: WhatIf, path) -> Figure:
    """Each headline in both worlds: medians with 50% and 90% bands (shares: the weighted
    share of runs), the branch month marked."""
    w = result.conditioning.weights
    months = np.arange(result.horizon + 1)
    shown = headlines(result.base.scenario)
    fig, axes = _grid(len(shown))
    for ax, h in zip(axes, shown):
        for world, color, name in ((result.base, BASE_COLOR, "as projected"),
                                   (result.changed, CHANGED_COLOR, "changed")):
            series = h.series(world.arrays)
            # before the branch the worlds are one history: the changed one starts there
            x = months if world is result.base else months[result.month - 1:]
            part = slice(x[0], None)
            if not h.fan:
                ax.plot(x, weighted_means(series, w)[part], color=color, lw=1.8,
                        label=f"{name} (mean)")
                continue
            bands = weighted_bands(series, w)[part]
            ax.fill_between(x, bands[:, 0], bands[:, 4], color=color, alpha=0.12, lw=0)
            ax.fill_between(x, bands[:, 1], bands[:, 3], color=color, alpha=0.25, lw=0)
            ax.plot(x, bands[:, 2], color=color, lw=1.8, label=f"{name} (median)")
        _branch_line(ax, result)
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel(h.unit)
        set_panel_title(ax, h.label)
        format_time_axis(ax, months, show_xlabel=ax in axes[-3:], start=result.base.scenario.start)
    axes[0].legend(loc="upper left", fontsize=8, frameon=False)
    kept = result.conditioning.effective_runs
    fig.suptitle(f"What if — {_changes_text(result)} — from "
                 f"{calendar_month(result.base.scenario.start, result.month)}\n"
                 f"{result.runs} runs, seed {result.seed}; conditioned on the record: "
                 f"{result.conditioning.condition} (effective runs {kept:.0f}); fans: median, "
                 "50% and 90% of runs; other panels: means", fontsize=11)
    return finish(fig, path)


def plot_differences(result: WhatIf, path) -> Figure:
    """The paired difference (changed − base) of each headline by month, with its 95%
    interval; zero before the branch by construction."""
    w = result.conditioning.weights
    months = np.arange(result.horizon + 1)
    shown = headlines(result.base.scenario)
    fig, axes = _grid(len(shown))
    total = w.sum()
    for ax, h in zip(axes, shown):
        diff = h.series(result.changed.arrays) - h.series(result.base.arrays)
        mean = weighted_means(diff, w)
        n = result.conditioning.effective_runs
        spread = np.sqrt(((diff - mean[:, None]) ** 2 * w ** 2).sum(axis=1)) / max(total, 1e-300)
        half = 1.96 * spread * np.sqrt(n / (n - 1)) if n > 1 else np.zeros_like(mean)
        ax.fill_between(months, mean - half, mean + half, color=CHANGED_COLOR, alpha=0.25,
                        lw=0, label="95% interval")
        ax.plot(months, mean, color=CHANGED_COLOR, lw=1.8, label="mean difference")
        ax.axhline(0, color="0.3", lw=0.8)
        _branch_line(ax, result)
        ax.set_ylabel(f"changed − base ({h.unit})")
        set_panel_title(ax, h.label)
        format_time_axis(ax, months, show_xlabel=ax in axes[-3:], start=result.base.scenario.start)
    axes[0].legend(loc="lower left", fontsize=8, frameon=False)
    fig.suptitle(f"Paired differences (same seeds): {_changes_text(result)}", fontsize=11)
    return finish(fig, path)


def _changes_text(result: WhatIf) -> str:
    if not result.changes:
        return "no change (the null branch)"
    return ", ".join(f"{k} = {v}" for k, v in result.changes.items())


def _number(value: float, unit: str) -> str:
    if unit == "share of runs":
        return f"{100 * value:+.0f} points"
    return f"{value:+.3f}"


def findings(differences: pd.DataFrame, explained: pd.DataFrame, top: int = 4,
             pinned: frozenset[str] = frozenset()) -> list[str]:
    """The report's findings in words: each headline's difference (with its interval) at
    each reported month, then what carried each change of play (a dimension in
    ``pinned`` was set by the change itself: its payoffs did not carry it)."""
    lines = []
    for _, rows in differences.groupby("outcome", sort=False):
        parts = []
        for _, r in rows.iterrows():
            unit = r["unit"]
            separates = r["ci_low"] > 0 or r["ci_high"] < 0
            parts.append(f"{r['when']} ({r['date']}): {_number(r['difference'], unit)} "
                         f"[{_number(r['ci_low'], unit)}, {_number(r['ci_high'], unit)}]"
                         + ("" if separates else " — no clear difference"))
        first = rows.iloc[0]
        lines.append(f"- **{first['label']}** ({first['unit']}; as projected "
                     f"{_level(rows.iloc[-1]['base'], first['unit'])} at the horizon): "
                     + "; ".join(parts) + ".")
    if explained.empty:
        lines.append("- No actor's play in the exchange (the dimensions the account below "
                     "covers) moved by 2 points or more after the branch.")
        return lines
    lines.append("")
    lines.append("What carried it (the change in each payoff gap between the option that "
                 "gained most and the one that lost most, averaged over runs and the months "
                 "from the branch; the terms add up to the total):")
    lines.append("")
    for key, rows in explained.groupby("key", sort=False):
        r0 = rows.iloc[0]
        if key in pinned:
            lines.append(f"- {r0['actor'].replace('_', ' ').title()} {r0['dimension']}: "
                         f"`{r0['gained']}` {100 * r0['share_shift']:+.0f} points of "
                         "run-months, set by the change itself (pinned from the branch on; "
                         "its payoff terms did not carry it).")
            continue
        shown = rows[rows["change"].abs() >= 0.005].head(top)
        terms = ", ".join(f"{r['term'].replace('_', ' ')} {r['change']:+.2f} ({r['source']})"
                          for _, r in shown.iterrows()) or "no single term above 0.005"
        lines.append(f"- {r0['actor'].replace('_', ' ').title()} {r0['dimension']}: "
                     f"`{r0['gained']}` {100 * r0['share_shift']:+.0f} points of run-months, "
                     f"at the expense of `{r0['lost']}`. Gap change {r0['total']:+.2f}: "
                     f"{terms}.")
    return lines


def _level(value: float, unit: str) -> str:
    return f"{100 * value:.0f}%" if unit == "share of runs" else f"{value:.2f}"


def write_whatif(result: WhatIf, out: Path, started: float,
                 extra: dict | None = None) -> str:
    """Figures, data, report and manifest of a what-if; returns the findings' text."""
    differences = paired_differences(result)
    explained = carried(result)
    start = result.base.scenario.start
    conditioning = result.conditioning
    lines = findings(differences, explained, pinned=frozenset(pinned_by_change(result)))
    warning = conditioning.warning
    facts = ", ".join(f"`{f}` {100 * s:.0f}%" for f, s in conditioning.shares_met().items())
    report = (
        header("What if", result.base.scenario, result.runs, result.seed)
        + f"\nChange: {_changes_text(result)}, from "
        f"**{calendar_month(start, result.month)}** (month {result.month}) on; before it the "
        "two worlds are one history (same seeds, identical rows).\n\n"
        + (f"Runs are weighted by the record's hard facts (share of runs meeting each: "
           f"{facts}); effective runs **{conditioning.effective_runs:.0f}** of "
           f"{result.runs}.\n\n" if conditioning.condition == "record" else
           "Runs are not conditioned on the record (`--condition none`).\n\n")
        + (f"**Warning:** {warning}.\n\n" if warning else "")
        + "## Findings\n\nPaired differences (changed − as projected), weighted means with "
        "95% intervals:\n\n" + "\n".join(lines) + "\n\n"
        + "![both worlds](whatif_worlds.png)\n\n![differences](whatif_differences.png)\n\n"
        + "Data: `differences.csv` (the table above), `carried.csv` (every term), "
        "`weights.csv` (each run's weight). The explanation reads the payoffs the actors' "
        "logit and best-response rules decide on (against the public beliefs); a rule "
        "that solves the stage game decides on the same terms at pure profiles.\n")
    with output_folder(out) as folder:
        folder.save_figure("whatif_worlds.png", lambda p: plot_worlds(result, p))
        folder.save_figure("whatif_differences.png", lambda p: plot_differences(result, p))
        differences.to_csv(folder.path("differences.csv"), index=False)
        explained.to_csv(folder.path("carried.csv"), index=False)
        pd.DataFrame({"run": np.arange(result.runs), "seed": result.base.arrays.seeds,
                      "weight": conditioning.weights}).to_csv(folder.path("weights.csv"),
                                                              index=False)
        folder.write_text("report.md", report)
        folder.write_json("manifest.json", manifest(
            result.base.scenario, command="whatif", seed=result.seed, runs=result.runs,
            months=result.horizon, wall_time=time.perf_counter() - started,
            files=[*folder.files, "manifest.json"],
            extra={"branch": calendar_month(start, result.month),
                   "branch_month": result.month, "changes": result.changes,
                   "changed_overrides": result.changed.scenario.overrides,
                   "condition": conditioning.condition,
                   "effective_runs": conditioning.effective_runs,
                   "hard_facts_met": conditioning.shares_met(),
                   **(extra or {})}))
    return "\n".join(lines) + ("\n" + warning if warning else "")
