"""Scenario discovery: the regions of input space where an outcome of interest concentrates.

The analysis works on plain tables, as EMA Workbench does: ``inputs`` is a DataFrame with
one row per sampled future (numeric columns for parameters, categorical columns for
discrete choices such as China's stance) and ``cases`` is a boolean array marking the
futures of interest (e.g. "a treaty by month 24 is more likely than not").

Two views:

- PRIM (Friedman & Fisher 1999; Bryant & Lempert 2010), via EMA Workbench's
  ``ema_workbench.analysis.prim.Prim`` (not reimplemented here). PRIM peels thin slices
  off the box of all futures, each time the slice whose removal raises the share of cases
  of interest the most, and records the *peeling trajectory*: for each box its
  **coverage** (the share of all cases of interest that lie inside it) and **density**
  (the share of the futures inside it that are cases of interest). :func:`prim_boxes`
  picks one box per trajectory (the one maximising coverage × density), drops every
  restriction whose quasi-p value (EMA's one-sided binomial test of that restriction,
  Bryant & Lempert 2010) exceeds ``alpha``, then removes the futures in the box and
  looks for the next box (EMA's default covering scheme), up to ``max_boxes``.
- CART (scikit-learn's ``DecisionTreeClassifier``, seeded): a shallow tree whose root
  split is the single most informative threshold, and whose leaves are boxes too.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.stats import binomtest

from ..output.figures import DPI, finish
from ..output.reports import header
from ..output.results import manifest, output_folder
from ..output.statistics import wilson_interval
from .futures import CHINA, CHINA_LEVELS, default_ranges, evaluate_futures, sample_futures

#: The restriction phrases use at most this many significant digits.
DIGITS = 2


class DiscoveryError(ValueError):
    """A discovery request that cannot be answered; the message is one line."""


def _fmt(value: float) -> str:
    return f"{value:.{DIGITS}g}"


@dataclass(frozen=True)
class Restriction:
    """One restricted dimension of a box.

    Numeric: ``low``/``high`` inside the full range ``full_low``/``full_high`` (an
    unrestricted side sits at the full range). Categorical: ``categories`` kept out of
    ``all_categories``. ``qp_low``/``qp_high`` are EMA's quasi-p values of each restricted
    side (``nan`` when that side is not restricted).
    """

    name: str
    low: float = float("nan")
    high: float = float("nan")
    full_low: float = float("nan")
    full_high: float = float("nan")
    qp_low: float = float("nan")
    qp_high: float = float("nan")
    categories: tuple[str, ...] = ()
    all_categories: tuple[str, ...] = ()

    @property
    def categorical(self) -> bool:
        return bool(self.all_categories)

    @property
    def qp(self) -> float:
        """The smaller quasi-p value of the restricted sides (its significance)."""
        values = [v for v in (self.qp_low, self.qp_high) if np.isfinite(v)]
        return min(values) if values else float("nan")

    def text(self, label: str | None = None) -> str:
        """The restriction as a phrase, e.g. ``war demand > 0.6`` or ``0.2 < x < 0.5``."""
        label = label or self.name
        if self.categorical:
            left_out = [c for c in self.all_categories if c not in self.categories]
            if len(left_out) == 1 and len(self.categories) > 1:
                return f"{label} is not {left_out[0]}"
            return f"{label} is {' or '.join(self.categories)}"
        lower, upper = bool(np.isfinite(self.qp_low)), bool(np.isfinite(self.qp_high))
        if lower and upper:
            return f"{label} between {_fmt(self.low)} and {_fmt(self.high)}"
        if lower:
            return f"{label} > {_fmt(self.low)}"
        return f"{label} < {_fmt(self.high)}"


@dataclass
class Box:
    """A box chosen on one PRIM peeling trajectory, with its statistics.

    ``coverage``: share of all cases of interest inside the box (cases already claimed by
    earlier boxes count as outside); ``density``: share of the futures in the box that
    are cases; ``mass``: share of all futures in the box; ``n``/``k``: futures and cases
    inside. ``trajectory`` is the whole peeling trajectory (``coverage``, ``density``,
    ``mass``, ``res_dim`` per step) and ``chosen`` the step reported.
    """

    number: int
    coverage: float
    density: float
    mass: float
    n: int
    k: int
    restrictions: list[Restriction]
    trajectory: pd.DataFrame
    chosen: int
    base_rate: float
    p_value: float

    def sentence(self, outcome: str, labels: dict[str, str] | None = None) -> str:
        """A plain sentence: how often the outcome happens in the box, and its coverage.

        e.g. "a treaty by month 24 is more likely than not in 87% of the futures where
        alliance growth > 0.28 and war demand > 0.6; those futures hold 71% of all such
        cases (21% of all futures)."
        """
        labels = labels or {}
        parts = [r.text(labels.get(r.name)) for r in self.restrictions]
        where = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        held = "of all such cases" if self.number == 0 else \
            "of all such cases not in an earlier box"
        return (f"{outcome} in {self.density:.0%} of the futures where {where}; those "
                f"futures hold {self.coverage:.0%} {held} ({self.mass:.0%} of all futures).")

    def limits(self) -> pd.DataFrame:
        """One row per restriction: box range, full range, quasi-p values."""
        rows = []
        for r in self.restrictions:
            if r.categorical:
                rows.append({"box": self.number + 1, "parameter": r.name,
                             "box_range": "{" + ", ".join(r.categories) + "}",
                             "full_range": "{" + ", ".join(r.all_categories) + "}",
                             "low": np.nan, "high": np.nan, "full_low": np.nan,
                             "full_high": np.nan, "qp_low": r.qp_low, "qp_high": r.qp_high})
            else:
                rows.append({"box": self.number + 1, "parameter": r.name,
                             "box_range": f"{_fmt(r.low)} – {_fmt(r.high)}",
                             "full_range": f"{_fmt(r.full_low)} – {_fmt(r.full_high)}",
                             "low": r.low, "high": r.high, "full_low": r.full_low,
                             "full_high": r.full_high, "qp_low": r.qp_low,
                             "qp_high": r.qp_high})
        return pd.DataFrame(rows)


def check_cases(inputs: pd.DataFrame, cases: Any, what: str = "the outcome") -> np.ndarray:
    """``cases`` as a boolean array matching ``inputs``; one-line errors otherwise."""
    y = np.asarray(cases)
    if y.ndim != 1 or len(y) != len(inputs):
        raise DiscoveryError(f"cases must be one flag per row of inputs ({len(inputs)}), "
                             f"got shape {y.shape}")
    if y.dtype != bool:
        if not np.isin(y, (0, 1)).all():
            raise DiscoveryError("cases must be booleans (or 0/1)")
        y = y.astype(bool)
    if len(y) == 0:
        raise DiscoveryError("no futures to analyse")
    if not y.any():
        raise DiscoveryError(f"no future is a case of interest: {what} never happens in "
                             f"the {len(y)} futures sampled; loosen the threshold")
    if y.all():
        raise DiscoveryError(f"every future is a case of interest: {what} happens in all "
                             f"{len(y)} futures sampled; tighten the threshold")
    return y


def select_step(trajectory: pd.DataFrame, min_density: float | None = None) -> int:
    """The step of a peeling trajectory to report.

    With ``min_density``: the step with the largest coverage among those whose density
    reaches it (the densest step if none does). Without: the step with the largest
    coverage × density.
    """
    coverage = trajectory["coverage"].to_numpy(float)
    density = trajectory["density"].to_numpy(float)
    if min_density is None:
        return int(np.argmax(coverage * density))
    ok = density >= min_density
    if not ok.any():
        return int(np.argmax(density))
    return int(np.argmax(np.where(ok, coverage, -1.0)))


def _prim():
    with warnings.catch_warnings():  # optional back ends (altair, ipyparallel) missing
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim
    logging.getLogger("EMA").setLevel(logging.WARNING)
    return prim


def _qp_min(values: list[float]) -> float:
    valid = [v for v in values if v >= 0]
    return min(valid) if valid else float("nan")


def _restrictions(box_lim: pd.DataFrame, box_init: pd.DataFrame, qp: dict[str, list[float]],
                  ranges: dict[str, tuple[float, float]]) -> list[Restriction]:
    out = []
    for name, (q_low, q_high) in qp.items():
        low, high = box_lim[name].iloc[0], box_lim[name].iloc[1]
        if isinstance(low, set):
            everything = sorted(str(c) for c in box_init[name].iloc[0])
            out.append(Restriction(name, categories=tuple(sorted(str(c) for c in low)),
                                   all_categories=tuple(everything),
                                   qp_low=q_low if q_low >= 0 else float("nan")))
            continue
        full_low, full_high = ranges.get(name, (box_init[name].iloc[0], box_init[name].iloc[1]))
        # a side equal to the data's extreme is unrestricted (EMA gives it qp = -1): show the
        # full range there, not the sample's extreme
        low = float(low) if q_low >= 0 else float(full_low)
        high = float(high) if q_high >= 0 else float(full_high)
        out.append(Restriction(name, low, high, float(full_low), float(full_high),
                               qp_low=q_low if q_low >= 0 else float("nan"),
                               qp_high=q_high if q_high >= 0 else float("nan")))
    order = {name: i for i, name in enumerate(box_init.columns)}
    return sorted(out, key=lambda r: (r.qp if np.isfinite(r.qp) else 1.0, order[r.name]))


def prim_boxes(inputs: pd.DataFrame, cases: Any, *, max_boxes: int = 3,
               peel_alpha: float = 0.05, mass_min: float = 0.05, alpha: float = 0.05,
               min_density: float | None = None,
               ranges: dict[str, tuple[float, float]] | None = None) -> list[Box]:
    """Up to ``max_boxes`` PRIM boxes where ``cases`` concentrate, best first.

    Uses ``ema_workbench.analysis.prim.Prim(inputs, cases, peel_alpha=..., mass_min=...)``
    and its covering scheme (each box's futures are removed before the next search).
    On each peeling trajectory the step with the largest coverage × density is chosen;
    restrictions whose quasi-p value exceeds ``alpha`` are then dropped one at a time
    (least significant first, EMA's ``drop_restriction``). With ``min_density`` the step
    with the largest coverage whose density reaches it is chosen instead and kept as PRIM
    found it (dropping restrictions would undo the density asked for; their quasi-p
    values are reported). The search stops early when a
    box restricts nothing, or when its density is not significantly above the share of
    cases among the futures left (one-sided binomial test at ``alpha``). ``ranges`` gives
    each numeric column's full range for reporting (default: the data's min and max).
    PRIM is deterministic: the same tables give the same boxes.
    """
    y = check_cases(inputs, cases)
    if max_boxes < 1:
        raise DiscoveryError(f"max_boxes must be ≥ 1, got {max_boxes}")
    x = inputs.reset_index(drop=True).copy()
    for column in x.columns:
        if not pd.api.types.is_numeric_dtype(x[column]):
            x[column] = x[column].astype(str).astype("category")
        elif not pd.api.types.is_float_dtype(x[column]):
            x[column] = x[column].astype(float)
    y_int = y.astype(int)
    prim = _prim()
    # threshold: a future is a case when y ≥ it (y is 0/1); tiny, so that EMA never swaps a
    # box for its "dump box" — boxes are judged by the significance test below instead
    with warnings.catch_warnings():  # pandas deprecations inside EMA Workbench
        warnings.simplefilter("ignore")
        algorithm = prim.Prim(x, y_int, threshold=1e-9, peel_alpha=peel_alpha,
                              mass_min=mass_min)
    total = int(y.sum())
    boxes: list[Box] = []
    remaining = np.arange(len(y))
    for number in range(max_boxes):
        left = int(y_int[remaining].sum())
        if left == 0 or left == len(remaining):
            break
        base = left / len(remaining)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = algorithm.find_box()
        if found is None or len(found.peeling_trajectory) < 2:
            break
        chosen = select_step(found.peeling_trajectory, min_density)
        peeled = len(found.peeling_trajectory)  # dropping restrictions appends steps
        found.select(chosen)
        while min_density is None:  # drop insignificant restrictions, least significant first
            qp = found.qp[found._cur_box]
            worst = max(qp, key=lambda name: _qp_min(qp[name]), default=None)
            if worst is None or not _qp_min(qp[worst]) > alpha:
                break
            found.drop_restriction(worst)
        step = found.peeling_trajectory.iloc[found._cur_box]
        qp = found.qp[found._cur_box]
        if not qp:
            break
        n, k = int(step["n"]), int(step["k"])
        p_value = float(binomtest(k, n, base, alternative="greater").pvalue)
        if p_value > alpha:
            break
        trajectory = found.peeling_trajectory.iloc[:peeled][["coverage", "density", "mass",
                                                             "res_dim"]]
        boxes.append(Box(
            number=number, coverage=k / total, density=k / n, mass=n / len(y), n=n, k=k,
            restrictions=_restrictions(found.box_lims[found._cur_box], algorithm.box_init, qp,
                                       ranges or {}),
            trajectory=trajectory.astype(float).reset_index(drop=True), chosen=chosen,
            base_rate=base, p_value=p_value))
        inside = np.zeros(len(y), dtype=bool)
        inside[found.yi] = True
        remaining = remaining[~inside[remaining]]
    return boxes


# --------------------------------------------------------------------------- CART

@dataclass
class CartResult:
    """A shallow classification tree over the same table.

    ``root``: the first split (``parameter``, ``threshold``; for a category, the
    categories sent left) with the density of cases on each side; ``leaves``: one row per
    leaf with its rule, futures, cases, coverage and density, densest first; ``text``:
    scikit-learn's ``export_text`` of the tree.
    """

    root: dict[str, Any]
    leaves: pd.DataFrame
    text: str
    depth: int
    accuracy: float = field(default=float("nan"))


def _design(inputs: pd.DataFrame) -> tuple[np.ndarray, list[str], dict[str, tuple[str, str]]]:
    columns, names, dummies = [], [], {}
    for column in inputs.columns:
        values = inputs[column]
        if pd.api.types.is_numeric_dtype(values):
            columns.append(values.to_numpy(float))
            names.append(str(column))
        else:
            for category in sorted(values.astype(str).unique()):
                columns.append((values.astype(str) == category).to_numpy(float))
                name = f"{column}={category}"
                names.append(name)
                dummies[name] = (str(column), category)
    return np.column_stack(columns), names, dummies


def cart_tree(inputs: pd.DataFrame, cases: Any, *, max_depth: int = 3, mass_min: float = 0.05,
              seed: int = 0) -> CartResult:
    """Fit ``DecisionTreeClassifier(max_depth, min_samples_leaf=mass_min·n, random_state=
    seed)`` to ``cases`` (categorical columns one-hot encoded) and describe its boxes."""
    from sklearn.tree import DecisionTreeClassifier, export_text

    y = check_cases(inputs, cases)
    x, names, dummies = _design(inputs.reset_index(drop=True))
    leaf = max(1, int(round(mass_min * len(y))))
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=leaf,
                                  random_state=seed).fit(x, y)
    t = tree.tree_
    total = int(y.sum())
    leaf_of = tree.apply(x)

    def rule_of(node_path: list[tuple[int, bool]]) -> str:
        parts = []
        for node, left in node_path:
            name = names[t.feature[node]]
            if name in dummies:
                column, category = dummies[name]
                parts.append(f"{column} {'is not' if left else 'is'} {category}")
            else:
                parts.append(f"{name} {'≤' if left else '>'} {_fmt(t.threshold[node])}")
        return " and ".join(parts) if parts else "all futures"

    rows = []

    def walk(node: int, path: list[tuple[int, bool]]) -> None:
        if t.children_left[node] == -1:
            members = leaf_of == node
            n, k = int(members.sum()), int(y[members].sum())
            rows.append({"rule": rule_of(path), "futures": n, "cases": k,
                         "coverage": k / total, "density": k / n if n else 0.0})
            return
        walk(t.children_left[node], [*path, (node, True)])
        walk(t.children_right[node], [*path, (node, False)])

    walk(0, [])
    leaves = pd.DataFrame(rows).sort_values(["density", "coverage"], ascending=False,
                                            kind="stable").reset_index(drop=True)
    if t.children_left[0] == -1:
        root = {"parameter": None, "threshold": float("nan")}
    else:
        name = names[t.feature[0]]
        left = x[:, t.feature[0]] <= t.threshold[0]
        root = {"parameter": dummies[name][0] if name in dummies else name,
                "category": dummies[name][1] if name in dummies else None,
                "threshold": float("nan") if name in dummies else float(t.threshold[0]),
                "density_left": float(y[left].mean()), "density_right": float(y[~left].mean()),
                "futures_left": int(left.sum()), "futures_right": int((~left).sum())}
    return CartResult(root=root, leaves=leaves, text=export_text(tree, feature_names=names),
                      depth=int(tree.get_depth()), accuracy=float(tree.score(x, y)))


# --------------------------------------------------------------------------- the model

ACTOR_NAMES = {"russia": "Russia's", "north_korea": "North Korea's",
               "united_states": "the US's", "china": "China's"}


def label(key: str) -> str:
    """A reader's name for an input: ``levers.war_demand`` → ``war demand``,
    ``russia.weights.munitions_value`` → ``Russia's munitions value``."""
    if key == CHINA:
        return "China's stance"
    parts = key.split(".")
    name = parts[-1].replace("_", " ")
    if parts[0] in ACTOR_NAMES:
        return f"{ACTOR_NAMES[parts[0]][0].upper()}{ACTOR_NAMES[parts[0]][1:]} {name}"
    for prefix, owner in (("nk ", "North Korea's "), ("russia ", "Russia's ")):
        if name.startswith(prefix):
            return owner + name[len(prefix):]
    return name


@dataclass
class DiscoveryResult:
    """Everything a discovery run found and how: inputs × outcome, cases, boxes, CART."""

    scenario: str
    metric: str
    metric_description: str
    direction: str  # "above" or "below"
    threshold: float
    threshold_rule: str
    inputs: pd.DataFrame
    outcome: np.ndarray
    cases: np.ndarray
    boxes: list[Box]
    cart: CartResult
    ranges: dict[str, tuple[float, float]]
    categories: dict[str, tuple[str, ...]]
    samples: int
    runs: int
    seed: int
    months: int
    wall_time: float
    joint_keys: tuple[str, ...] = ()
    min_density: float | None = None

    @property
    def outcome_phrase(self) -> str:
        """e.g. ``probability a treaty is signed by month 24 is above 0.5``."""
        side = ">" if self.direction == "above" else "<"
        return (f"`{self.metric}` {side} {self.threshold:.3g} ({self.metric_description} "
                f"{self.direction} {self.threshold:.3g})")

    @property
    def short_phrase(self) -> str:
        """e.g. ``treaty_by_24 > 0.5`` (for figure titles)."""
        return f"{self.metric} {'>' if self.direction == 'above' else '<'} {self.threshold:.3g}"

    def sentences(self) -> list[str]:
        """One plain sentence per box."""
        labels = {c: label(c) for c in self.inputs.columns}
        text = f"{self.metric_description} {self.direction} {self.threshold:.3g}"
        return [b.sentence(text[0].upper() + text[1:], labels) for b in self.boxes]

    def table(self) -> pd.DataFrame:
        """The futures: inputs, the outcome (mean over runs) and the case flag."""
        return self.inputs.assign(**{self.metric: self.outcome, "case": self.cases})

    def limits(self) -> pd.DataFrame:
        """All boxes' restrictions with coverage and density (one row per restriction)."""
        frames = [b.limits().assign(coverage=b.coverage, density=b.density, mass=b.mass)
                  for b in self.boxes]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def meta(self) -> dict[str, Any]:
        """JSON-ready description of the run (for the manifest)."""
        return {
            "metric": self.metric, "direction": self.direction, "threshold": self.threshold,
            "threshold_rule": self.threshold_rule, "min_density": self.min_density,
            "samples": self.samples,
            "runs_per_future": self.runs, "months": self.months,
            "cases": int(self.cases.sum()), "base_rate": float(self.cases.mean()),
            "ranges": {k: list(v) for k, v in self.ranges.items()},
            "categories": {k: list(v) for k, v in self.categories.items()},
            "joint_sample_keys": list(self.joint_keys),
            "boxes": [{"coverage": b.coverage, "density": b.density, "mass": b.mass,
                       "restrictions": {r.name: ({"categories": list(r.categories)}
                                                 if r.categorical else
                                                 {"low": r.low, "high": r.high})
                                        for r in b.restrictions},
                       "sentence": s} for b, s in zip(self.boxes, self.sentences())],
            "cart_root": self.cart.root,
        }


def mark_cases(outcome: np.ndarray, metric: Any, above: float | None, below: float | None
               ) -> tuple[np.ndarray, str, float, str]:
    """The case flags, the direction, the threshold and how it was chosen.

    Without ``above`` or ``below``: probabilities are cases above 0.5 ("more likely than
    not"), other metrics above the median of the sampled futures.
    """
    if above is not None and below is not None:
        raise DiscoveryError("give --above or --below, not both")
    if above is None and below is None:
        if getattr(metric, "is_probability", False):
            above, rule = 0.5, "default for a probability: more likely than not"
        else:
            above = float(np.median(outcome))
            rule = "default: above the median of the sampled futures"
    else:
        rule = "given"
    direction, threshold = ("above", above) if above is not None else ("below", below)
    cases = outcome > threshold if direction == "above" else outcome < threshold
    what = f"{metric.name} {direction} {threshold:g}"
    if not cases.any():
        raise DiscoveryError(f"no future has {what} (the outcome ranges from "
                             f"{outcome.min():.3g} to {outcome.max():.3g} over "
                             f"{len(outcome)} futures); pick another threshold")
    if cases.all():
        raise DiscoveryError(f"every future has {what} (the outcome ranges from "
                             f"{outcome.min():.3g} to {outcome.max():.3g}); nothing to "
                             "discover, pick another threshold")
    return cases, direction, float(threshold), rule


def run_discovery(scenario: Any, metric: Any, *, above: float | None = None,
                  below: float | None = None, samples: int = 1000, runs: int = 10,
                  seed: int = 0, months: int | None = None, keys: Sequence[str] | None = None,
                  china: bool = True, joint: pd.DataFrame | None = None, max_boxes: int = 3,
                  min_density: float | None = None, progress: Any = None,
                  executor: Any = None) -> DiscoveryResult:
    """Sample futures, run them, mark the cases of interest and find their boxes.

    ``samples`` futures (:func:`model.analysis.futures.sample_futures` over the documented
    ranges of ``keys``, plus China's stance as a categorical input when ``china``; the
    columns of ``joint``, e.g. a calibration posterior, resampled jointly), each run
    ``runs`` times with common seeds for ``months`` months; a future is a case when the
    mean of ``metric`` over its runs is above ``above`` (or below ``below``; defaults in
    :func:`mark_cases`). Then :func:`prim_boxes` and :func:`cart_tree` on the table.
    """
    import time

    started = time.perf_counter()
    months = scenario.horizon if months is None else int(months)
    ranges = default_ranges(keys)
    categories = {CHINA: CHINA_LEVELS} if china else {}
    inputs = sample_futures(samples, seed, ranges, categories, joint)
    outcome = evaluate_futures(scenario, inputs, [metric], runs, seed, months, progress,
                               executor, "discover")[metric.name].to_numpy()
    cases, direction, threshold, rule = mark_cases(outcome, metric, above, below)
    sampled = [] if joint is None else [k for k in joint.columns if k != "weight"]
    full = {**ranges, **{k: (float(joint[k].min()), float(joint[k].max())) for k in sampled}}
    boxes = prim_boxes(inputs, cases, max_boxes=max_boxes, min_density=min_density,
                       ranges=full)
    cart = cart_tree(inputs, cases, seed=seed)
    return DiscoveryResult(
        scenario=scenario.name, metric=metric.name, metric_description=metric.description,
        direction=direction, threshold=threshold, threshold_rule=rule, inputs=inputs,
        outcome=outcome, cases=cases, boxes=boxes, cart=cart, ranges=full,
        categories={k: tuple(v) for k, v in categories.items()}, samples=samples, runs=runs,
        seed=seed, months=months, wall_time=time.perf_counter() - started,
        joint_keys=tuple(sampled),
        min_density=min_density)


# --------------------------------------------------------------------------- figures

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
                    ax.text(lo, i + 0.38, _fmt(r.low), ha="center", va="bottom", fontsize=8)
                if np.isfinite(r.qp_high):
                    ax.text(hi, i + 0.38, _fmt(r.high), ha="center", va="bottom", fontsize=8)
                ax.text(0, i - 0.38, _fmt(r.full_low), ha="left", va="top", fontsize=7,
                        color="grey")
                ax.text(1, i - 0.38, _fmt(r.full_high), ha="right", va="top", fontsize=7,
                        color="grey")
            ax.text(1.02, i, f"qp {r.qp:.1g}", va="center", fontsize=8)
            names.append(label(r.name))
        ax.set_yticks(range(len(names)), names)
        ax.set_ylim(-0.8, len(names) - 0.2)
        ax.set_xlim(0, 1)
        ax.set_title(f"box {b.number + 1}: coverage {b.coverage:.0%}, density "
                     f"{b.density:.0%}, {b.mass:.0%} of futures", fontsize=9, loc="left")
    axes[-1].set_xlabel("position within the sampled range (0 = its low end, 1 = its high "
                        "end); grey = full range, colour = the box")
    fig.suptitle(f"Where {result.short_phrase} concentrates\nscenario {result.scenario}"
                 f" · {result.samples} futures · qp = quasi-p value of the restriction",
                 fontsize=10)
    return finish(fig, path, tight=True)


# --------------------------------------------------------------------------- report

def write_discovery(result: DiscoveryResult, out: Any, scenario: Any, started: float) -> str:
    """report.md, peeling.png, boxes.png, futures.csv, boxes.csv, cart.txt, manifest.json."""
    import time

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
    report = "\n".join(lines)
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
