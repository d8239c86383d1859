"""The folder of `discover`: the peeling trajectories and boxes figures, the futures and
boxes tables, the CART tree, report.md and the manifest."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ...output.figures import DPI, finish
from ...output.report_header import header
from ...output.results import manifest, output_folder
from ...output.statistics import wilson_interval
from ..discovery import DiscoveryResult, label
from ..prim import fmt

BOX_COLORS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52")


def plot_peeling(result: DiscoveryResult, path: Any = None) -> Figure:
    """Peeling trajectories: coverage (x) against density (y), one line per box search.

    Each point is a box on PRIM's trajectory, coloured by its number of restricted
    dimensions; the box reported is starred, with a Wilson 95% interval on its density.
    The dashed line is the share of cases among all futures (a box below it is no
    better than no box).
    """
    fig = Figure(figsize=(8.5, 6.0), dpi=DPI)
    ax = fig.add_subplot()
    top = max([int(b.trajectory["res_dim"].max()) for b in result.boxes] + [1])
    scatter = None
    for b in result.boxes:
        color = BOX_COLORS[b.number % len(BOX_COLORS)]
        t = b.trajectory
        ax.plot(t["coverage"], t["density"], color=color, alpha=0.6, linewidth=1,
                label=f"search {b.number + 1}: peeling trajectory")
        scatter = ax.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="viridis",
                             vmin=0, vmax=top, s=14, zorder=3)
        low, high = wilson_interval(b.k, b.n)
        ax.errorbar([b.coverage], [b.density], yerr=[[b.density - low], [high - b.density]],
                    fmt="*", markersize=15, color=color, markeredgecolor="black", capsize=4,
                    zorder=4, label=f"box {b.number + 1}: coverage {b.coverage:.0%}, density "
                                    f"{b.density:.0%} (95% CI)")
    base = float(result.cases.mean())
    ax.axhline(base, linestyle="--", color="grey",
               label=f"share of cases among all futures ({base:.0%})")
    if scatter is not None:
        fig.colorbar(scatter, ax=ax, label="restricted dimensions (count)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("coverage: share of all cases of interest inside the box (0–1)")
    ax.set_ylabel("density: share of futures in the box that are cases (0–1)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    ax.set_title(f"PRIM peeling trajectories for {result.short_phrase}\nscenario "
                 f"{result.scenario} · {result.samples} futures × {result.runs} runs "
                 f"(common seeds) · seed {result.seed}", fontsize=10)
    return finish(fig, path, tight=True)


def plot_boxes(result: DiscoveryResult, path: Any = None) -> Figure:
    """Each box's restricted ranges against the full sampled ranges.

    One panel per box; each restricted input is a grey bar (its full range, scaled to
    0–1) with the box's range drawn over it and the numbers written at its ends; the
    quasi-p value of the restriction is printed on the right. Categorical inputs show
    the categories kept out of all.
    """
    boxes = result.boxes
    heights = [max(1, len(b.restrictions)) for b in boxes] or [1]
    fig = Figure(figsize=(9.5, 1.2 + 0.55 * sum(heights) + 0.6 * len(heights)), dpi=DPI)
    axes = fig.subplots(len(heights), 1, squeeze=False,
                        gridspec_kw={"height_ratios": heights})[:, 0]
    if not boxes:
        axes[0].text(0.5, 0.5, "no box found", ha="center", va="center")
        axes[0].set_axis_off()
    for ax, b in zip(axes, boxes):
        color = BOX_COLORS[b.number % len(BOX_COLORS)]
        names = []
        for i, r in enumerate(reversed(b.restrictions)):
            ax.barh(i, 1.0, color="#dddddd", height=0.6)
            if r.categorical:
                kept = [c in r.categories for c in r.all_categories]
                width = 1.0 / len(r.all_categories)
                for j, (c, keep) in enumerate(zip(r.all_categories, kept)):
                    ax.barh(i, width * 0.95, left=j * width, height=0.6,
                            color=color if keep else "#dddddd", edgecolor="white")
                    ax.text((j + 0.5) * width, i, c, ha="center", va="center", fontsize=8)
            else:
                span = r.full_high - r.full_low or 1.0
                lo, hi = (r.low - r.full_low) / span, (r.high - r.full_low) / span
                ax.barh(i, hi - lo, left=lo, color=color, height=0.6)
                if np.isfinite(r.qp_low):  # label only the restricted ends
                    ax.text(lo, i + 0.38, fmt(r.low), ha="center", va="bottom", fontsize=8)
                if np.isfinite(r.qp_high):
                    ax.text(hi, i + 0.38, fmt(r.high), ha="center", va="bottom", fontsize=8)
                ax.text(0, i - 0.38, fmt(r.full_low), ha="left", va="top", fontsize=7,
                        color="grey")
                ax.text(1, i - 0.38, fmt(r.full_high), ha="right", va="top", fontsize=7,
                        color="grey")
            ax.text(1.02, i, f"qp {r.qp:.1g}", va="center", fontsize=8)
            names.append(label(r.name))
        ax.set_yticks(range(len(names)), names)
        ax.set_ylim(-0.8, len(names) - 0.2)
        ax.set_xlim(0, 1)
        below = ("" if b.concentrates else f" — not above the {b.overall_rate:.0%} of all "
                 "futures: no concentration")
        ax.set_title(f"box {b.number + 1}: coverage {b.coverage:.0%}, density "
                     f"{b.density:.0%}, {b.mass:.0%} of futures{below}", fontsize=9, loc="left")
    axes[-1].set_xlabel("position within the sampled range (0 = its low end, 1 = its high "
                        "end); grey = full range, colour = the box")
    fig.suptitle(f"Where {result.short_phrase} concentrates\nscenario {result.scenario}"
                 f" · {result.samples} futures · qp = quasi-p value of the restriction",
                 fontsize=10)
    return finish(fig, path, tight=True)


def _cart_lines(result: DiscoveryResult) -> list[str]:
    """The report's CART section: the first split and the densest leaves."""
    lines: list[str] = []
    root = result.cart.root
    lines.append("## Second view: CART\n")
    if root.get("parameter") is None:
        lines.append("The tree makes no split.\n")
    else:
        split = (f"`{root['parameter']}` is {root['category']}" if root.get("category")
                 else f"`{root['parameter']}` ≤ {root['threshold']:.3g}")
        lines.append(f"The tree's first split is {split}: cases are {root['density_left']:.0%} "
                     f"of the {root['futures_left']} futures on that side and "
                     f"{root['density_right']:.0%} of the {root['futures_right']} others. "
                     f"Depth {result.cart.depth}, accuracy {result.cart.accuracy:.0%}.\n")
        lines.append("| leaf | futures | cases | coverage | density |")
        lines.append("|---|---|---|---|---|")
        for r in result.cart.leaves.head(5).itertuples(index=False):
            lines.append(f"| {r.rule} | {r.futures} | {r.cases} | {r.coverage:.0%} | "
                         f"{r.density:.0%} |")
        lines.append("")
    return lines


def discovery_report(result: DiscoveryResult, scenario: Any) -> str:
    """The text of report.md: the boxes in plain sentences, each box's limits, the CART
    view and how to read them."""
    sentences = result.sentences()
    lines = [header(f"Scenario discovery: {result.metric} {result.direction} "
                    f"{result.threshold:.3g}", scenario, result.runs, result.seed,
                    f"{result.samples} futures sampled (Latin hypercube over the documented "
                    f"ranges{', China stance balanced' if result.categories else ''}), each "
                    f"run {result.runs} times for {result.months} months with common seeds.")]
    base = result.cases.mean()
    lines.append(f"\nA future is a case of interest when {result.outcome_phrase} "
                 f"(threshold: {result.threshold_rule}). {int(result.cases.sum())} of "
                 f"{result.samples} futures are cases ({base:.0%}).\n")
    lines.append("## Boxes (PRIM)\n")
    if sentences:
        lines += [f"{i + 1}. {s}" for i, s in enumerate(sentences)]
    else:
        lines.append("PRIM found no box whose density is significantly above the share of "
                     "cases: the outcome does not concentrate in a simple region.")
    lines.append("\n![peeling trajectories](peeling.png)\n\n![boxes](boxes.png)\n")
    for b in result.boxes:
        lines.append(f"### Box {b.number + 1}\n")
        lines.append(f"Coverage {b.coverage:.1%}, density {b.density:.1%} ({b.k} cases in "
                     f"{b.n} futures; {b.base_rate:.1%} of the futures searched were cases, "
                     f"binomial p = {b.p_value:.1g}); step {b.chosen} of "
                     f"{len(b.trajectory) - 1} on its trajectory.\n")
        lines.append("| input | box | full range | quasi-p (low side) | quasi-p (high side) |")
        lines.append("|---|---|---|---|---|")
        for r in b.limits().itertuples(index=False):
            lines.append(f"| `{r.parameter}` | {r.box_range} | {r.full_range} | "
                         f"{_pfmt(r.qp_low)} | {_pfmt(r.qp_high)} |")
        lines.append("")
    lines += _cart_lines(result)
    lines.append("## How to read this\n")
    rule = ("the step with the largest coverage × density, with restrictions whose "
            "quasi-p value exceeds 0.05 dropped" if result.min_density is None else
            f"the step with the largest coverage whose density is at least "
            f"{result.min_density:g}, with all its restrictions")
    lines.append(
        "Coverage is the share of all cases of interest a box holds; density the share of "
        "the futures in a box that are cases. PRIM trades one for the other as it peels "
        f"(the trajectory); the box reported is {rule}. Later boxes search only the "
        "futures outside earlier ones. A box describes the model's behaviour over the "
        "sampled ranges, not the probability of the world being in it.\n")
    return "\n".join(lines)


def write_discovery(result: DiscoveryResult, out: Any, scenario: Any, started: float) -> str:
    """report.md, peeling.png, boxes.png, futures.csv, boxes.csv, cart.txt, manifest.json."""
    sentences = result.sentences()
    report = discovery_report(result, scenario)
    with output_folder(out) as folder:
        folder.save_figure("peeling.png", lambda p: plot_peeling(result, p))
        folder.save_figure("boxes.png", lambda p: plot_boxes(result, p))
        result.table().to_csv(folder.path("futures.csv"), index=False)
        result.limits().to_csv(folder.path("boxes.csv"), index=False)
        folder.write_text("cart.txt", result.cart.text)
        folder.write_text("report.md", report)
        folder.write_json("manifest.json", manifest(
            scenario, command="discover", seed=result.seed, runs=result.runs,
            months=result.months, wall_time=time.perf_counter() - started,
            files=[*folder.files, "manifest.json"], extra=result.meta()))
    return "\n".join(sentences) if sentences else "no box found"


def _pfmt(value: float) -> str:
    return "—" if not np.isfinite(value) else f"{value:.1g}"
