"""Scenario discovery, the experiment: sample futures, run them, mark the futures where an
outcome of interest happens, and find where they concentrate.

Functions of tables, as EMA Workbench's analyses are: the futures (one row each, from
``model.analysis.futures``) and one outcome per future; :func:`mark_cases` turns the
outcome into case flags and :func:`run_discovery` hands both to the two views, PRIM boxes
(``model.analysis.prim``) and a CART tree (``model.analysis.cart``). The figures and the
report are ``model.analysis.reports.discovery``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .cart import CartResult, cart_tree
from .futures import CHINA, CHINA_LEVELS, default_ranges, evaluate_futures, sample_futures
from .prim import Box, DiscoveryError, prim_boxes

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
    ranges = default_ranges(keys, scenario.escalation)
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
