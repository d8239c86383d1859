"""The folder of `robust`: each outcome's distribution per policy, the regrets, the
robustness and outcome tables, report.md and the manifest."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ...core.scenario import Scenario
from ...output.figures import DPI, finish
from ...output.report_header import header
from ...output.results import manifest, output_folder
from ..robust import RobustResult

POLICY_COLORS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860",
                 "#da8bc3", "#8c8c8c")


def _arrow(better: str) -> str:
    return "lower is better" if better == "min" else "higher is better"


def plot_outcomes(result: RobustResult, path: Any = None) -> Figure:
    """Each outcome's distribution over the futures, one box per policy.

    Boxes span the quartiles, whiskers the 10th–90th percentiles, the white dot is the
    mean; the most robust policy for the outcome (smallest maximum regret) is outlined.
    """
    fig, axes, outcomes, names = _outcome_grid(result, panel_height=3.6)
    for ax, outcome in zip(axes, outcomes):
        wide = result.outcomes.pivot(index="future", columns="policy", values=outcome)[names]
        parts = ax.boxplot([wide[n].to_numpy() for n in names], whis=(10, 90),
                           showfliers=False, patch_artist=True, widths=0.6)
        rows_ = result.summary[result.summary.outcome == outcome].set_index("policy")
        for i, (patch, n) in enumerate(zip(parts["boxes"], names)):
            patch.set_facecolor(POLICY_COLORS[i % len(POLICY_COLORS)])
            patch.set_alpha(0.75)
            if rows_.loc[n, "most_robust"]:
                patch.set_edgecolor("black")
                patch.set_linewidth(2.5)
        ax.scatter(range(1, len(names) + 1), [wide[n].mean() for n in names], color="white",
                   edgecolor="black", zorder=3, s=25, label="mean")
        ax.set_xticks(range(1, len(names) + 1), names, rotation=20, ha="right", fontsize=8)
        ax.set_ylabel(f"{outcome} (mean over runs)")
        ax.set_title(f"{outcome} — {_arrow(result.better[outcome])}\n"
                     f"{result.descriptions.get(outcome, '')}", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(loc="best", fontsize=7)
    for ax in axes[len(outcomes):]:
        ax.set_axis_off()
    fig.suptitle(f"Policy outcomes across {result.samples} futures (box: quartiles, whiskers: "
                 f"10th–90th percentile; thick outline: smallest maximum regret)\nscenario "
                 f"{result.scenario} · {result.runs} runs per future, common seeds · "
                 f"{'others respond by their rules' if result.respond else 'others fixed'}",
                 fontsize=10)
    return finish(fig, path, tight=True)


def plot_regret(result: RobustResult, path: Any = None) -> Figure:
    """Maximum and 90th-percentile regret of each policy, one panel per outcome.

    Regret in a future is the distance to the best policy of that future in the
    outcome's own unit; the smallest maximum regret (starred) is the minimax-regret
    choice.
    """
    fig, axes, outcomes, names = _outcome_grid(result, panel_height=3.3)
    x = np.arange(len(names))
    for ax, outcome in zip(axes, outcomes):
        rows_ = result.summary[result.summary.outcome == outcome].set_index("policy").loc[names]
        colors = [POLICY_COLORS[i % len(POLICY_COLORS)] for i in range(len(names))]
        ax.bar(x - 0.2, rows_["max_regret"], 0.4, color=colors, label="maximum regret")
        ax.bar(x + 0.2, rows_["p90_regret"], 0.4, color=colors, alpha=0.45, hatch="//",
               label="90th-percentile regret")
        best = int(np.flatnonzero(rows_["most_robust"].to_numpy())[0])
        ax.annotate("★ most robust", (x[best] - 0.2, rows_["max_regret"].iloc[best]),
                    xytext=(0, 4), textcoords="offset points", ha="center", fontsize=8)
        ax.set_xticks(x, names, rotation=20, ha="right", fontsize=8)
        ax.set_ylabel(f"regret ({outcome} units)")
        ax.set_title(f"{outcome} — {_arrow(result.better[outcome])}", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(loc="best", fontsize=7)
    for ax in axes[len(outcomes):]:
        ax.set_axis_off()
    fig.suptitle(f"Regret against the best policy in each future ({result.samples} futures)\n"
                 f"scenario {result.scenario} · seed {result.seed}", fontsize=10)
    return finish(fig, path, tight=True)


# --------------------------------------------------------------------------- report

def robust_report(result: RobustResult, scenario: Scenario) -> str:
    """The text of report.md: the policies, the finding per outcome, the table and how
    to read it."""
    summary = result.summary
    top = result.ranking.iloc[0]
    lines = [header("Robust policies", scenario, result.runs, result.seed,
                    f"{result.samples} futures (Latin hypercube over the documented ranges of "
                    f"{len(result.inputs.columns)} inputs), each policy run {result.runs} "
                    f"times per future for {result.months} months on the same seeds.")]
    lines.append("\nA policy here is one actor's fixed strategy "
                 + ("met by the other actors' decision rules: they respond to it."
                    if result.respond else
                    "with the other actors fixed too, each dimension at the option it plays "
                    "most often without any policy: no one responds.") + "\n")
    lines.append("| policy | overrides |\n|---|---|")
    lines += [f"| `{p.name}` | {p.describe()} |" for p in result.policies]
    if result.pins is not None:
        lines.append("\nFixed responses: " + "; ".join(
            f"{a}: " + ", ".join(f"{d}={o}" for d, o in dims.items())
            for a, dims in result.pins.items()) + ".")
    lines.append("\n## Finding\n")
    for outcome in result.better:
        rows = summary[summary.outcome == outcome]
        best = rows[rows.most_robust].iloc[0]
        mean_best = (rows.loc[rows["mean"].idxmin()] if result.better[outcome] == "min"
                     else rows.loc[rows["mean"].idxmax()])
        lines.append(f"- `{outcome}` ({_arrow(result.better[outcome])}): most robust "
                     f"**{best.policy}** (max regret {best.max_regret:.3g}, mean "
                     f"{best['mean']:.3g}); best on average {mean_best.policy} (mean "
                     f"{mean_best['mean']:.3g}).")
    lines.append(f"\nAcross the outcomes, **{top.policy}** ranks best by maximum regret "
                 f"(mean rank {top.mean_rank_max_regret:.2g}; most robust for "
                 f"{int(top.outcomes_most_robust)} of {len(result.better)} outcomes).\n")
    lines.append("![outcomes](policy_outcomes.png)\n\n![regret](regret.png)\n")
    lines.append("## Table\n")
    lines.append("| outcome | policy | mean | p10 | p90 | max regret | p90 regret | best in |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for r in summary.itertuples(index=False):
        mark = " ★" if r.most_robust else ""
        lines.append(f"| `{r.outcome}` | {r.policy}{mark} | {r.mean:.3g} | {r.p10:.3g} | "
                     f"{r.p90:.3g} | {r.max_regret:.3g} | {r.p90_regret:.3g} | "
                     f"{r.best_share:.0%} |")
    lines.append("\n## How to read this\n")
    lines.append(
        "Each policy meets the same futures and the same random streams, so differences "
        "are the policy's. Regret in a future is how far a policy falls short of the best "
        "policy for that future; the policy with the smallest maximum regret is the "
        "minimax-regret (robust) choice, which may differ from the best on average. "
        "Percentiles are over futures of the per-future mean over runs.\n")
    return "\n".join(lines)


def write_robust(result: RobustResult, out: Any, scenario: Scenario, started: float) -> str:
    """report.md, policy_outcomes.png, regret.png, robustness.csv, outcomes.csv, manifest."""
    summary = result.summary
    top = result.ranking.iloc[0]
    report = robust_report(result, scenario)
    with output_folder(out) as folder:
        folder.save_figure("policy_outcomes.png", lambda p: plot_outcomes(result, p))
        folder.save_figure("regret.png", lambda p: plot_regret(result, p))
        summary.to_csv(folder.path("robustness.csv"), index=False)
        result.outcomes.merge(result.inputs.reset_index(drop=True).rename_axis("future")
                              .reset_index(), on="future").to_csv(
            folder.path("outcomes.csv"), index=False)
        folder.write_text("report.md", report)
        folder.write_json("manifest.json", manifest(
            scenario, command="robust", seed=result.seed, runs=result.runs,
            months=result.months, wall_time=time.perf_counter() - started,
            files=[*folder.files, "manifest.json"], extra=result.meta()))
    return (f"most robust across {', '.join(result.better)}: {top.policy}\n"
            + result.ranking.to_string(index=False))


def _outcome_grid(result, panel_height: float):
    """A figure with one panel per outcome, two to a row: ``(fig, axes, outcomes, policy
    names)``."""
    outcomes = list(result.better)
    cols = min(2, len(outcomes))
    rows = -(-len(outcomes) // cols)
    fig = Figure(figsize=(6.0 * cols, 1.2 + panel_height * rows), dpi=DPI)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    return fig, axes, outcomes, [p.name for p in result.policies]
