"""PRIM (Friedman & Fisher 1999; Bryant & Lempert 2010): the boxes of input space where
cases of interest concentrate, as functions of a table of inputs and a case flag per row.

``inputs`` is a DataFrame with one row per sampled future (numeric columns for
parameters, categorical columns for discrete choices such as China's stance) and
``cases`` a boolean array marking the futures of interest. The peeling itself is EMA
Workbench's (``model.analysis.ema_prim``, not reimplemented here): PRIM peels thin slices
off the box of all futures, each time the slice whose removal raises the share of cases
of interest the most, and records the *peeling trajectory*: for each box its
**coverage** (the share of all cases of interest that lie inside it) and **density**
(the share of the futures inside it that are cases of interest). :func:`prim_boxes`
picks one box per trajectory (the one maximising coverage × density), drops every
restriction whose quasi-p value (EMA's one-sided binomial test of that restriction,
Bryant & Lempert 2010) exceeds ``alpha``, then removes the futures in the box and
looks for the next box (EMA's default covering scheme), up to ``max_boxes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from ..core.errors import UserError
from .ema_prim import Prim, PrimBox

#: The restriction phrases use at most this many significant digits.
DIGITS = 2


class DiscoveryError(UserError):
    """A discovery request that cannot be answered; the message is one line."""


def fmt(value: float) -> str:
    """``value`` with at most ``DIGITS`` significant digits."""
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
            return f"{label} between {fmt(self.low)} and {fmt(self.high)}"
        if lower:
            return f"{label} > {fmt(self.low)}"
        return f"{label} < {fmt(self.high)}"


@dataclass
class Box:
    """A box chosen on one PRIM peeling trajectory, with its statistics.

    ``coverage``: share of all cases of interest inside the box (cases already claimed by
    earlier boxes count as outside); ``density``: share of the futures in the box that
    are cases; ``mass``: share of all futures in the box; ``n``/``k``: futures and cases
    inside. ``trajectory`` is the whole peeling trajectory (``coverage``, ``density``,
    ``mass``, ``res_dim`` per step) and ``chosen`` the step reported. ``base_rate`` is the
    share of cases among the futures this box was searched in (those outside earlier
    boxes), ``left`` the number of cases there; ``overall_rate`` the share among all
    futures.
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
    left: int
    overall_rate: float

    @property
    def share_of_left(self) -> float:
        """Share of the cases not in an earlier box that this box holds."""
        return self.k / self.left

    @property
    def concentrates(self) -> bool:
        """True when the outcome is more frequent in the box than among all futures (a
        later box can stand out among the futures left and still fall below that)."""
        return self.density > self.overall_rate

    def sentence(self, outcome: str, labels: dict[str, str] | None = None) -> str:
        """A plain sentence: how often the outcome happens in the box, and its coverage.

        e.g. "a treaty by month 24 is more likely than not in 87% of the futures where
        alliance growth > 0.28 and war demand > 0.6; those futures hold 71% of all such
        cases (21% of all futures)." A later box's share is of the cases not in an earlier
        box; a box whose density is not above the share among all futures says so rather
        than read as a place where the outcome concentrates.
        """
        labels = labels or {}
        parts = [r.text(labels.get(r.name)) for r in self.restrictions]
        where = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        if self.number == 0:
            held = f"{self.coverage:.0%} of all such cases"
        else:
            held = (f"{self.share_of_left:.0%} of such cases not in an earlier box "
                    f"({self.coverage:.0%} of all such cases)")
        text = (f"{outcome} in {self.density:.0%} of the futures where {where}; those "
                f"futures hold {held} ({self.mass:.0%} of all futures).")
        if not self.concentrates:
            text += (f" That is no more often than among all futures ({self.overall_rate:.0%})"
                     f": the outcome does not concentrate here; the box only stands out "
                     f"among the futures outside earlier boxes ({self.base_rate:.0%} there).")
        return text

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
                             "box_range": f"{fmt(r.low)} – {fmt(r.high)}",
                             "full_range": f"{fmt(r.full_low)} – {fmt(r.full_high)}",
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

    Uses EMA Workbench's ``Prim(inputs, cases, peel_alpha=..., mass_min=...)`` (through
    ``model.analysis.ema_prim``) and its covering scheme (each box's futures are removed
    before the next search).
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
    algorithm = Prim(x, y, peel_alpha=peel_alpha, mass_min=mass_min)
    total = int(y.sum())
    boxes: list[Box] = []
    remaining = np.arange(len(y))
    for number in range(max_boxes):
        left = int(y[remaining].sum())
        if left == 0 or left == len(remaining):
            break
        base = left / len(remaining)
        found = algorithm.find_box()
        if found is None or found.peeled < 2:
            break
        chosen = _choose(found, min_density, alpha)
        qp = found.quasi_p
        if not qp:
            break
        n, k = int(found.stats["n"]), int(found.stats["k"])
        p_value = float(binomtest(k, n, base, alternative="greater").pvalue)
        if p_value > alpha:
            break
        trajectory = found.trajectory.iloc[:found.peeled][["coverage", "density", "mass",
                                                            "res_dim"]]
        boxes.append(Box(
            number=number, coverage=k / total, density=k / n, mass=n / len(y), n=n, k=k,
            restrictions=_restrictions(found.limits, algorithm.box_init, qp, ranges or {}),
            trajectory=trajectory.astype(float).reset_index(drop=True), chosen=chosen,
            base_rate=base, p_value=p_value, left=left, overall_rate=total / len(y)))
        inside = np.zeros(len(y), dtype=bool)
        inside[found.members] = True
        remaining = remaining[~inside[remaining]]
    return boxes


def _choose(found: PrimBox, min_density: float | None, alpha: float) -> int:
    """Select the step :func:`select_step` picks on ``found``'s peeling trajectory; without
    ``min_density``, then drop its insignificant restrictions (quasi-p > ``alpha``), least
    significant first. Returns the step picked."""
    chosen = select_step(found.trajectory, min_density)
    found.select(chosen)
    while min_density is None:
        qp = found.quasi_p
        worst = max(qp, key=lambda name: _qp_min(qp[name]), default=None)
        if worst is None or not _qp_min(qp[worst]) > alpha:
            break
        found.drop_restriction(worst)
    return chosen
