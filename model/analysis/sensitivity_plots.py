"""Figures of a sensitivity analysis: Sobol' indices as bars, Morris as μ*–σ scatter."""

from __future__ import annotations

from os import PathLike

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..output.style import DPI
from .sensitivity import SensitivityResult

S1_COLOR = "#4c72b0"
ST_COLOR = "#dd8452"


def _subtitle(result: SensitivityResult) -> str:
    return (f"scenario {result.scenario} · {result.metric}: {result.metric_description} "
            f"({result.unit})\n{result.n_points:,} parameter points × {result.replicates} runs "
            f"(common seeds) = {result.runs:,} runs of {result.months} months · seed "
            f"{result.seed}")


def _finish(fig: Figure, path: str | PathLike[str] | None) -> Figure:
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=DPI, bbox_inches="tight")
    return fig


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


def _morris_labels(table: pd.DataFrame, top: float,
                   fig: Figure) -> list[tuple[str, float, float, float, str]]:
    """Label positions that do not overlap: ``(name, x, y, label_y, ha)`` per point.

    Greedy, lowest point first: a label sits beside its point and moves up past any label
    already placed that it would overlap (sizes estimated from the font size).
    """
    width_in, height_in = fig.get_size_inches()
    char_w = LABEL_SIZE * 0.6 / 72 / (0.8 * width_in) * top
    line_h = LABEL_SIZE * 1.5 / 72 / (0.75 * height_in) * top
    placed: list[tuple[float, float, float, float]] = []
    out = []
    for _, row in table.sort_values("sigma", kind="stable").iterrows():
        name, x, y = str(row["parameter"]), float(row["mu_star"]), float(row["sigma"])
        if not (np.isfinite(x) and np.isfinite(y)):
            continue
        width = len(name) * char_w
        ha = "left" if x + 0.012 * top + width <= top else "right"
        x0 = x + 0.012 * top if ha == "left" else x - 0.012 * top - width
        label_y = y
        while True:
            hits = [b for b in placed if b[0] < x0 + width and x0 < b[1]
                    and abs(b[2] - label_y) < 0.999 * line_h]
            if not hits:
                break
            label_y = max(b[2] for b in hits) + line_h
        placed.append((x0, x0 + width, label_y, 0.0))
        out.append((name, x, y, label_y, ha))
    return out


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
    label_top = top
    for name, x, y, label_y, ha in _morris_labels(table, top, fig):
        arrow = {"arrowstyle": "-", "color": "#999999", "lw": 0.6} if label_y != y else None
        ax.annotate(name, (x, y), xytext=(x + (0.012 if ha == "left" else -0.012) * top,
                                          label_y),
                    fontsize=LABEL_SIZE, ha=ha, va="center", arrowprops=arrow,
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none",
                          "alpha": 0.75})
        label_top = max(label_top, label_y + 0.03 * top)
    ax.set_xlim(0, top)
    ax.set_ylim(0, label_top)
    unit = f"{result.unit} per full parameter range"
    ax.set_xlabel(f"μ* — mean |elementary effect| ({unit})")
    ax.set_ylabel(f"σ — spread of the elementary effects ({unit})")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=9)
    ax.set_title(f"{title}\n{_subtitle(result)} · {result.n} trajectories", fontsize=10)
    return _finish(fig, path)
