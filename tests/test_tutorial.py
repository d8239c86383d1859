"""``docs/tutorial.ipynb`` runs as written: every code cell, in order, in one namespace
(as a kernel would run them), with the non-interactive matplotlib backend."""

from __future__ import annotations

import ast
import json

import matplotlib
from support import ROOT

NOTEBOOK = ROOT / "docs" / "tutorial.ipynb"


def run_cells(path) -> dict:
    """Execute the code cells of a notebook; return the namespace and each cell's value
    (the last expression, as Jupyter displays it) under ``_cell_values``."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    namespace: dict = {"__name__": "__main__"}
    values = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        tree = ast.parse(source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, str(path), "exec"), namespace)  # noqa: S102 - our own notebook
        values.append(eval(compile(ast.Expression(last.value), str(path), "eval"),  # noqa: S307
                           namespace) if last is not None else None)
    namespace["_cell_values"] = values
    return namespace


def test_the_tutorial_runs_and_shows_what_it_says():
    matplotlib.use("Agg")
    ns = run_cells(NOTEBOOK)
    values = ns["_cell_values"]
    assert len(values) == 5
    assert list(values[1].index)[-1] == 24  # the Mesa run's states, months 0–24
    assert ns["table"]["run"].nunique() == 200
    munitions = values[3].set_index("scenario")
    # China restraining the pair means fewer munitions, on the same seeds
    assert munitions.loc["china_restrains", "diff_ci_high"] < 0
    figure = values[4]
    assert any(a.get_gid() == "record-end" for ax in figure.axes for a in ax.get_children())
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert all(not cell.get("outputs") for cell in notebook["cells"]), "commit it unexecuted"
