"""Robust policies: which policy holds up across many sampled futures.

A *policy* is one actor's fixed strategy, written as scenario overrides (e.g. the US
pinned to coalition enforcement: ``united_states.action.pressure=coalition_enforcement``),
met by the other actors' decision rules: they respond (the default). With
``respond=False`` the others are pinned too, each dimension to the option it plays most
often in the scenario without any policy, so the comparison shows the policy's direct
effect with no strategic response.

The analysis works on a plain table of outcomes: one row per (policy, future) with one
column per outcome, every policy evaluated on the same futures and the same run seeds.
For each outcome the caller says which way is better (``"min"`` or ``"max"``).

Per policy and outcome (:func:`robustness`):

- ``mean``, ``p10``, ``p90``: the mean and the 10th/90th percentiles of the outcome over
  the futures (numpy's default linear interpolation);
- ``regret`` in a future: how much worse the policy does there than the best policy for
  that future (Savage 1951): ``max_p v(p, f) − v(policy, f)`` when more is better,
  ``v(policy, f) − min_p v(p, f)`` when less is; ``max_regret`` is its largest value over
  the futures (the minimax-regret criterion picks the smallest), ``p90_regret`` its 90th
  percentile (less sensitive to a single extreme future);
- ``best_share``: the share of futures in which the policy is (one of) the best.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..core.actions import ACTION_COLUMNS, DIMENSION_BY_KEY, Actor
from ..core.scenario import Scenario, validated
from ..output.figures import DPI, finish
from ..output.reports import header
from ..output.results import manifest, output_folder
from .futures import default_ranges, evaluate_futures, sample_futures

BETTER = ("min", "max")
COLUMNS = ("outcome", "better", "policy", "mean", "p10", "p90", "max_regret", "p90_regret",
           "best_share", "most_robust")


class RobustError(ValueError):
    """A robustness request that cannot be answered; the message is one line."""


def regret(values: pd.DataFrame, better: str) -> pd.DataFrame:
    """Regret of each policy (column) in each future (row): distance to the row's best.

    ``better`` is ``"max"`` (more is better) or ``"min"``; the result is ≥ 0 and 0 for the
    best policy of each future.
    """
    if better not in BETTER:
        raise RobustError(f"better must be 'min' or 'max', got {better!r}")
    if better == "max":
        return values.rsub(values.max(axis=1), axis=0)
    return values.sub(values.min(axis=1), axis=0)


def robustness(table: pd.DataFrame, better: Mapping[str, str],
               policy: str = "policy", future: str = "future") -> pd.DataFrame:
    """Mean, 10th/90th percentiles, max and 90th-percentile regret, best share.

    ``table`` has columns ``policy``, ``future`` and one column per outcome named in
    ``better`` (outcome → ``"min"``/``"max"``); every policy must appear once for every
    future. Returns one row per (outcome, policy) with the columns of ``COLUMNS``; for each
    outcome ``most_robust`` marks the policy with the smallest ``max_regret`` (ties: the
    smaller ``p90_regret``, then the better mean).
    """
    missing = [c for c in (policy, future, *better) if c not in table.columns]
    if missing:
        raise RobustError(f"table has no column {missing[0]!r}; columns: "
                          + ", ".join(map(str, table.columns)))
    if table.empty:
        raise RobustError("no outcomes to compare: the table is empty")
    counts = table.groupby(future)[policy].nunique()
    policies = list(dict.fromkeys(table[policy]))
    if (counts != len(policies)).any() or table.duplicated([policy, future]).any():
        raise RobustError("every policy must be evaluated exactly once in every future")
    rows = []
    for outcome, direction in better.items():
        if direction not in BETTER:
            raise RobustError(f"outcome {outcome!r}: better must be 'min' or 'max', "
                              f"got {direction!r}")
        wide = table.pivot(index=future, columns=policy, values=outcome)[policies]
        r = regret(wide, direction)
        block = []
        for p in policies:
            v = wide[p].to_numpy(float)
            block.append({"outcome": outcome, "better": direction, "policy": p,
                          "mean": float(v.mean()), "p10": float(np.quantile(v, 0.1)),
                          "p90": float(np.quantile(v, 0.9)),
                          "max_regret": float(r[p].max()),
                          "p90_regret": float(np.quantile(r[p].to_numpy(float), 0.9)),
                          "best_share": float((r[p] == 0).mean())})
        sign = -1.0 if direction == "max" else 1.0
        best = min(range(len(block)), key=lambda i: (block[i]["max_regret"],
                                                     block[i]["p90_regret"],
                                                     sign * block[i]["mean"]))
        for i, row in enumerate(block):
            row["most_robust"] = i == best
        rows.extend(block)
    return pd.DataFrame(rows, columns=list(COLUMNS))


def overall_ranking(summary: pd.DataFrame) -> pd.DataFrame:
    """Policies ranked across outcomes: mean rank of ``max_regret`` (1 = smallest).

    A compact answer to "which policy is most robust over all these outcomes"; ties in
    the mean rank go to the policy most robust for more outcomes, then to the smaller
    mean rank by ``p90_regret``.
    """
    ranks = summary.assign(
        rank_max=summary.groupby("outcome")["max_regret"].rank(method="min"),
        rank_p90=summary.groupby("outcome")["p90_regret"].rank(method="min"))
    table = ranks.groupby("policy", sort=False).agg(
        mean_rank_max_regret=("rank_max", "mean"), mean_rank_p90_regret=("rank_p90", "mean"),
        outcomes_most_robust=("most_robust", "sum")).reset_index()
    table = table.assign(_most=-table["outcomes_most_robust"])
    return (table.sort_values(["mean_rank_max_regret", "_most", "mean_rank_p90_regret"],
                              kind="stable").drop(columns="_most").reset_index(drop=True))


# --------------------------------------------------------------------------- policies

#: The US's own outcomes and which way is better for Washington: the terms of its payoff
#: (munitions and technology harm, regime defence, standing lost to a consolidating bloc).
US_OUTCOMES: dict[str, str] = {
    "munitions_total": "min", "nk_tech_final": "min", "sanctions_integrity_final": "max",
    "alliance_strength_final": "min",
}


@dataclass(frozen=True)
class Policy:
    """A named set of scenario overrides (dotted keys, as ``--set`` takes them)."""

    name: str
    overrides: dict[str, Any]

    @property
    def actors(self) -> set[str]:
        """The actors whose options or rules the policy sets."""
        return {k.split(".")[0] for k in self.overrides if k.split(".")[0] in
                {a.value for a in Actor}}

    def describe(self) -> str:
        """``key=value, ...`` or ``the scenario as it is``."""
        if not self.overrides:
            return "the scenario as it is (every actor by its rule)"
        return ", ".join(f"{k}={v}" for k, v in self.overrides.items())


def default_policies() -> list[Policy]:
    """The US by its rule, then US pressure pinned at each of its options."""
    dim = DIMENSION_BY_KEY["united_states.pressure"]
    return [Policy("us_adaptive", {}),
            *[Policy(f"us_{o}", {f"united_states.action.{dim.name}": o}) for o in dim.options]]


def _split_top(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in "[{"
        depth -= char in "]}"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def parse_policy(text: str, parse_value: Any = str) -> Policy:
    """``NAME=KEY=VALUE[,KEY=VALUE...]`` (or ``NAME=`` for the scenario as it is)."""
    name, sep, rest = text.partition("=")
    name = name.strip()
    if not sep or not name or not name.replace("_", "").replace("-", "").isalnum():
        raise RobustError(f"--policy {text!r}: expected NAME=KEY=VALUE[,KEY=VALUE...], e.g. "
                          "press=united_states.action.pressure=coalition_enforcement")
    overrides: dict[str, Any] = {}
    for item in (p for p in _split_top(rest) if p.strip()):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise RobustError(f"--policy {name}: expected KEY=VALUE, got {item!r}")
        overrides[key.strip()] = parse_value(value.strip())
    return Policy(name, overrides)


class _ModalShare:
    """An outcome per run: the share of months 1..H with one option of one dimension."""

    def __init__(self, key: str, option: int) -> None:
        self.key, self.option = key, option
        self.name = f"share:{key}:{option}"

    def __call__(self, arrays: Any) -> np.ndarray:
        return (arrays.choice[self.key][1:] == self.option).mean(axis=0)


def no_response_pins(scenario: Scenario, inputs: pd.DataFrame, runs: int, seed: int,
                     months: int, executor: Any = None) -> dict[str, dict[str, str]]:
    """Per actor, the option of each dimension played most often without any policy.

    Shares are pooled over all futures, runs and months 1..``months`` of ``scenario``.
    """
    shares = [_ModalShare(k, i) for k in ACTION_COLUMNS
              for i in range(DIMENSION_BY_KEY[k].size)]
    table = evaluate_futures(scenario, inputs, shares, runs, seed, months,
                             executor=executor, name="robust_reference").mean()
    pins: dict[str, dict[str, str]] = {}
    for key in ACTION_COLUMNS:
        dim = DIMENSION_BY_KEY[key]
        best = int(np.argmax([table[f"share:{key}:{i}"] for i in range(dim.size)]))
        pins.setdefault(key.split(".")[0], {})[dim.name] = dim.options[best]
    return pins


def pinned(policy: Policy, pins: Mapping[str, Mapping[str, str]]) -> Policy:
    """``policy`` with every actor it does not set fixed at ``pins``."""
    extra: dict[str, Any] = {}
    for actor in Actor:
        if actor.value in policy.actors:
            continue
        extra[f"{actor.value}.rule"] = "fixed"
        extra[f"{actor.value}.action"] = dict(pins[actor.value])
    return Policy(policy.name, {**policy.overrides, **extra})


# --------------------------------------------------------------------------- experiment

@dataclass
class RobustResult:
    """Outcomes of every policy in every future, and their robustness summary."""

    scenario: str
    policies: list[Policy]
    better: dict[str, str]
    descriptions: dict[str, str]
    inputs: pd.DataFrame
    outcomes: pd.DataFrame  # policy, future, one column per outcome
    summary: pd.DataFrame
    ranking: pd.DataFrame
    respond: bool
    pins: dict[str, dict[str, str]] | None
    samples: int
    runs: int
    seed: int
    months: int
    wall_time: float

    def meta(self) -> dict[str, Any]:
        """JSON-ready description of the run (for the manifest)."""
        return {"policies": {p.name: p.overrides for p in self.policies},
                "outcomes": self.better, "respond": self.respond,
                "no_response_pins": self.pins, "samples": self.samples,
                "runs_per_future": self.runs, "months": self.months,
                "sampled_keys": list(self.inputs.columns),
                "most_robust": {r.outcome: r.policy for r in
                                self.summary[self.summary.most_robust].itertuples()},
                "overall": self.ranking.policy.iloc[0] if len(self.ranking) else None}


def run_robust(scenario: Scenario, policies: Sequence[Policy], metrics: Sequence[Any],
               better: Mapping[str, str], *, samples: int = 500, runs: int = 10,
               seed: int = 0, months: int | None = None, keys: Sequence[str] | None = None,
               respond: bool = True, joint: pd.DataFrame | None = None,
               progress: Any = None, executor: Any = None) -> RobustResult:
    """Evaluate every policy on the same ``samples`` futures and run seeds.

    Futures are a Latin hypercube over the documented ranges of ``keys`` minus any key a
    policy sets (a policy's own lever is not an uncertainty); ``joint`` columns (e.g. a
    calibration posterior) are resampled jointly. Each (policy, future) is the mean of
    each metric over ``runs`` common-seed runs. ``better`` maps each metric name to
    ``"min"`` or ``"max"``.
    """
    started = time.perf_counter()
    if len(policies) < 2:
        raise RobustError("give at least two policies to compare")
    names = [p.name for p in policies]
    if len(set(names)) != len(names):
        raise RobustError(f"policy name {next(n for n in names if names.count(n) > 1)!r} "
                          "is used twice")
    months = scenario.horizon if months is None else int(months)
    set_keys = {k for p in policies for k in p.overrides}
    ranges = {k: v for k, v in default_ranges(keys).items() if k not in set_keys}
    if not ranges and joint is None:
        raise RobustError("every sampled parameter is set by a policy; nothing is uncertain")
    if joint is not None:
        joint = joint.drop(columns=[k for k in set_keys if k in joint.columns])
        if [c for c in joint.columns if c != "weight"] == []:
            joint = None
    inputs = sample_futures(samples, seed, ranges, joint=joint)
    pins = None if respond else no_response_pins(scenario, inputs, runs, seed, months,
                                                 executor)
    frames = []
    for policy in policies:
        applied = policy if pins is None else pinned(policy, pins)
        variant = validated(scenario, applied.overrides, f"--policy {policy.name}")
        values = evaluate_futures(variant, inputs, metrics, runs, seed, months, progress,
                                  executor, f"robust_{policy.name}")
        frames.append(values.assign(policy=policy.name, future=np.arange(len(inputs))))
    outcomes = pd.concat(frames, ignore_index=True)
    outcomes = outcomes[["policy", "future", *[m.name for m in metrics]]]
    summary = robustness(outcomes, better)
    return RobustResult(
        scenario=scenario.name, policies=list(policies), better=dict(better),
        descriptions={m.name: m.description for m in metrics}, inputs=inputs,
        outcomes=outcomes, summary=summary, ranking=overall_ranking(summary),
        respond=respond, pins=pins, samples=samples, runs=runs, seed=seed, months=months,
        wall_time=time.perf_counter() - started)


# --------------------------------------------------------------------------- figures

POLICY_COLORS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860",
                 "#da8bc3", "#8c8c8c")


def _arrow(better: str) -> str:
    return "lower is better" if better == "min" else "higher is better"


def plot_outcomes(result: RobustResult, path: Any = None) -> Figure:
    """Each outcome's distribution over the futures, one box per policy.

    Boxes span the quartiles, whiskers the 10th–90th percentiles, the white dot is the
    mean; the most robust policy for the outcome (smallest maximum regret) is outlined.
    """
    outcomes = list(result.better)
    cols = min(2, len(outcomes))
    rows = -(-len(outcomes) // cols)
    names = [p.name for p in result.policies]
    fig = Figure(figsize=(6.0 * cols, 1.2 + 3.6 * rows), dpi=DPI)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
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
    outcomes = list(result.better)
    cols = min(2, len(outcomes))
    rows = -(-len(outcomes) // cols)
    names = [p.name for p in result.policies]
    fig = Figure(figsize=(6.0 * cols, 1.2 + 3.3 * rows), dpi=DPI)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
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

def write_robust(result: RobustResult, out: Any, scenario: Scenario, started: float) -> str:
    """report.md, policy_outcomes.png, regret.png, robustness.csv, outcomes.csv, manifest."""
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
    report = "\n".join(lines)
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
