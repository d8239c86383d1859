"""CART, the second view of scenario discovery: a shallow, seeded scikit-learn
``DecisionTreeClassifier`` over the same table of inputs and case flags as PRIM
(``model.analysis.prim``), whose root split is the single most informative threshold and
whose leaves are boxes too."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .prim import check_cases, fmt


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
                parts.append(f"{name} {'≤' if left else '>'} {fmt(t.threshold[node])}")
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
