"""The folder of `sensitivity`: the figure (Sobol' indices as bars, Morris as a μ*–σ
scatter), ranked indices (CSV, Markdown), manifest and report."""

from __future__ import annotations

import time
from os import PathLike
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.text import Text

from ...core.schema import Scenario
from ...output.figures import DPI, finish
from ...output.report_header import header
from ...output.results import manifest, output_folder
from ..sensitivity import SENSITIVITY_RANGES, SensitivityResult

S1_COLOR = "#4c72b0"
ST_COLOR = "#dd8452"


def _subtitle(result: SensitivityResult) -> str:
    return (f"scenario {result.scenario} · {result.metric}: {result.metric_description} "
            f"({result.unit})\n{result.n_points:,} parameter points × {result.replicates} runs "
            f"(common seeds) = {result.runs:,} runs of {result.months} months · seed "
            f"{result.seed}")


def _finish(fig: Figure, path: str | PathLike[str] | None) -> Figure:
    return finish(fig, path, tight=True)


def plot_sobol(result: SensitivityResult, title: str,
               path: str | PathLike[str] | None = None) -> Figure:
    """Ranked horizontal bars of S1 and ST per parameter with 95% intervals as error bars.

    The most influential parameter (largest ST) is at the top. Saved to ``path`` when
    given; the ``Figure`` is returned either way (no pyplot state is touched).
    """
    table = result.table.sort_values("ST", ascending=True, kind="stable")
    k = len(table)
    fig = Figure(figsize=(9.0, 2.0 + 0.45 * k), dpi=DPI)
    ax = fig.add_subplot()
    y = np.arange(k)
    h = 0.38
    error = {"ecolor": "#333333", "capsize": 3, "elinewidth": 1}
    ax.barh(y + h / 2, table["ST"], h, xerr=table["ST_conf"], color=ST_COLOR,
            label="ST — total effect (alone + interactions)", error_kw=error)
    ax.barh(y - h / 2, table["S1"], h, xerr=table["S1_conf"], color=S1_COLOR,
            label="S1 — first-order effect (alone)", error_kw=error)
    ax.set_yticks(y, table["parameter"])
    ax.axvline(0, color="black", linewidth=0.8)
    low = float(np.nanmin(np.r_[0.0, table["S1"] - table["S1_conf"],
                                table["ST"] - table["ST_conf"]]))
    high = float(np.nanmax(np.r_[1.0, table["S1"] + table["S1_conf"],
                                 table["ST"] + table["ST_conf"]]))
    ax.set_xlim(low - 0.02, high + 0.02)
    ax.set_ylim(-0.6, k - 0.4)
    ax.set_xlabel("Sobol' index (share of the outcome's variance, 0–1); error bars: 95% CI")
    ax.set_ylabel("parameter (ranked by ST)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=9)
    ax.set_title(f"{title}\n{_subtitle(result)}", fontsize=10)
    return _finish(fig, path)


LABEL_SIZE = 8


def _place_labels(ax, points: list[tuple[str, float, float]]) -> None:
    """Label each point so that no two labels overlap, measured on the rendered figure.

    Greedy, lowest point first: a label is tried beside its point (right, then left),
    then moved up or down step by step (with a thin leader line) until its box on the
    canvas overlaps neither an earlier label nor the axes' edges.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = ax.figure
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    placed = [ax.get_legend().get_window_extent(renderer)] if ax.get_legend() else []
    step = LABEL_SIZE * 1.4  # points between candidate rows
    offsets = [(dx, k * step * sign) for k in range(0, 40) for sign in ((1,) if k == 0 else
               (1, -1)) for dx in (6, -6)]

    def free(box) -> bool:
        inside = (box.x0 >= frame.x0 + 2 and box.x1 <= frame.x1 - 2 and box.y0 >= frame.y0 + 1
                  and box.y1 <= frame.y1 - 1)
        return inside and not any(box.x0 < b.x1 and b.x0 < box.x1 and box.y0 < b.y1
                                  and b.y0 < box.y1 for b in placed)

    for name, x, y in sorted(points, key=lambda p: (p[2], p[1])):
        label = None
        for dx, dy in offsets:
            if label is not None:
                label.remove()
            label = ax.annotate(
                name, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=LABEL_SIZE,
                ha="left" if dx > 0 else "right", va="center",
                arrowprops={"arrowstyle": "-", "color": "#999999", "lw": 0.6} if dy else None,
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.75})
            label.update_positions(renderer)  # annotations place their text when drawn
            box = Text.get_window_extent(label, renderer)  # the text, not its leader line
            if free(box):
                break
        placed.append(box)


def plot_morris(result: SensitivityResult, title: str,
                path: str | PathLike[str] | None = None) -> Figure:
    """Morris plane: mu* (x) against sigma (y), one labelled point per parameter.

    Horizontal error bars are mu*'s 95% bootstrap interval. The dashed line sigma = mu*
    is the usual reading aid: points above it have effects that change sign or size with
    the other parameters (nonlinear or interacting), points below it act roughly linearly
    and additively; points near the origin hardly matter.
    """
    table = result.table
    fig = Figure(figsize=(9.0, 6.5), dpi=DPI)
    ax = fig.add_subplot()
    ax.errorbar(table["mu_star"], table["sigma"], xerr=table["mu_star_conf"], fmt="o",
                color=S1_COLOR, ecolor="#777777", capsize=3, label="parameter (95% CI of μ*)",
                zorder=4)  # above the labels' backgrounds
    top = float(np.nanmax(np.r_[table["mu_star"] + table["mu_star_conf"], table["sigma"]]))
    top = top * 1.1 if np.isfinite(top) and top > 0 else 1.0
    ax.plot([0, top], [0, top], linestyle="--", color="grey",
            label="σ = μ* (above: nonlinear or interacting)")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    unit = f"{result.unit} per full parameter range"
    ax.set_xlabel(f"μ* — mean |elementary effect| ({unit})")
    ax.set_ylabel(f"σ — spread of the elementary effects ({unit})")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=9)
    ax.set_title(f"{title}\n{_subtitle(result)} · {result.n} trajectories", fontsize=10)
    finish(fig, None, tight=True)  # final geometry first, then the labels are measured on it
    _place_labels(ax, [(str(r["parameter"]), float(r["mu_star"]), float(r["sigma"]))
                       for _, r in table.iterrows()
                       if np.isfinite(r["mu_star"]) and np.isfinite(r["sigma"])])
    return finish(fig, path)  # no second layout pass: it would move the measured labels


def write_sensitivity(result, out: Path, scenario: Scenario, started: float) -> str:
    """Ranked indices (CSV, Markdown), figure, manifest and report of a sensitivity run."""
    table = result.table
    if result.method == "sobol":
        rank_by, figure, plot = "ST", "sobol.png", plot_sobol
        lines = ["| parameter | range | S1 [95% CI] | ST [95% CI] |", "|---|---|---|---|"]
        for r in table.itertuples(index=False):
            lo, hi, _ = SENSITIVITY_RANGES[r.parameter]
            lines.append(f"| `{r.parameter}` | {lo:g}–{hi:g} | {r.S1:.3f} ± {r.S1_conf:.3f} | "
                         f"{r.ST:.3f} ± {r.ST_conf:.3f} |")
        top = table.iloc[0]
        finding = (f"`{top.parameter}` matters most: it explains {top.ST:.0%} of the variance "
                   f"of `{result.metric}` with its interactions (ST {top.ST:.2f} ± "
                   f"{top.ST_conf:.2f}; alone S1 {top.S1:.2f} ± {top.S1_conf:.2f}). "
                   f"Sum of S1 = {table.S1.sum():.2f}, sum of ST = {table.ST.sum():.2f}: "
                   + ("interactions are large, so rank by ST." if table.ST.sum() > 1.2 * max(
                       table.S1.sum(), 1e-9) else "the model is close to additive here."))
    else:
        rank_by, figure, plot = "mu_star", "morris.png", plot_morris
        lines = ["| parameter | range | μ* [95% CI] | μ | σ |", "|---|---|---|---|---|"]
        for r in table.itertuples(index=False):
            lo, hi, _ = SENSITIVITY_RANGES[r.parameter]
            lines.append(f"| `{r.parameter}` | {lo:g}–{hi:g} | {r.mu_star:.3g} ± "
                         f"{r.mu_star_conf:.3g} | {r.mu:.3g} | {r.sigma:.3g} |")
        top = table.iloc[0]
        finding = (f"`{top.parameter}` has the largest elementary effect on `{result.metric}`: "
                   f"μ* = {top.mu_star:.3g} ± {top.mu_star_conf:.3g} {result.unit} across its "
                   "range. Points above the σ = μ* line act through interactions or "
                   "nonlinearly.")
    md = "\n".join(lines)
    ranges = "\n".join(f"- `{k}`: {SENSITIVITY_RANGES[k][0]:g}–{SENSITIVITY_RANGES[k][1]:g} — "
                       f"{SENSITIVITY_RANGES[k][2]}" for k in result.keys)
    report = (header(f"Global sensitivity ({result.method}) of {result.metric}", scenario,
                      result.replicates, result.seed,
                      f"{result.n_points} parameter points × {result.replicates} replicates "
                      f"({result.runs} runs), ranked by {rank_by}.")
              + f"\n## Finding\n\n{finding}\n\n![{result.method}]({figure})\n\n## Indices\n\n"
              + md + "\n\n## Ranges (uniform)\n\n" + ranges + "\n")
    with output_folder(out) as folder:
        folder.save_figure(figure, lambda p: plot(result, f"Sensitivity of {result.metric}", p))
        table.to_csv(folder.path(f"{result.method}.csv"), index=False)
        folder.write_text(f"{result.method}.md", md + "\n")
        folder.write_text("report.md", report)
        folder.write_json("manifest.json", manifest(
            scenario, command="sensitivity", seed=result.seed, runs=result.runs,
            months=result.months, wall_time=time.perf_counter() - started,
            files=[*folder.files, "manifest.json"], extra={"sensitivity": result.meta()}))
    return finding
