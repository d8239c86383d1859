"""EMA Workbench's PRIM behind one small interface: the only module that imports it.

``ema_workbench.analysis.prim.Prim`` is a class over ``(x, y)`` with no model inside; its
``find_box()`` returns a ``PrimBox`` whose public ``peeling_trajectory`` (one row per box
on the trajectory: ``coverage``, ``density``, ``mass``, ``res_dim``, ``n``, ``k``),
``box_lims``, quasi-p values, ``yi`` (the rows inside), ``select(i)`` and
``drop_restriction(name, i)`` are all this module uses. Which box is the current one is
tracked here (``select`` makes it ``i``; ``drop_restriction`` appends a box to the
trajectory and makes it current), so no private attribute of the library is read.

Works with ema_workbench 2.5 (Python 3.11: ``Prim(..., threshold=...)``, quasi-p values in
``qp``) and 3.0 (Python ≥ 3.12: no threshold, ``y`` is already the 0/1 case flag, quasi-p
values in ``p_values``).
"""

from __future__ import annotations

import inspect
import logging
import warnings

import numpy as np
import pandas as pd

#: Columns of the peeling trajectory that both library versions fill.
TRAJECTORY_COLUMNS = ("coverage", "density", "mass", "res_dim", "n", "k")


def _library():
    with warnings.catch_warnings():  # optional back ends (altair, ipyparallel) missing
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim
    logging.getLogger("EMA").setLevel(logging.WARNING)
    return prim


class PrimBox:
    """One box search: its peeling trajectory and the box currently chosen on it."""

    def __init__(self, box) -> None:
        self._box = box
        self.peeled = len(box.peeling_trajectory)  # steps found by peeling and pasting
        self.current = self.peeled - 1  # the library leaves its last box current

    @property
    def trajectory(self) -> pd.DataFrame:
        """The whole trajectory (peeling, then any boxes made by dropping restrictions)."""
        return self._box.peeling_trajectory[list(TRAJECTORY_COLUMNS)]

    def select(self, step: int) -> None:
        """Make step ``step`` of the trajectory the current box."""
        self._box.select(step)
        self.current = step

    def drop_restriction(self, name: str) -> None:
        """Replace the current box by a copy without its restriction on ``name`` (appended
        to the trajectory, and current)."""
        self._box.drop_restriction(name, i=self.current)
        self.current = len(self._box.peeling_trajectory) - 1

    @property
    def quasi_p(self) -> dict[str, list[float]]:
        """Restricted input → [quasi-p of the low side, of the high side] of the current
        box (``-1`` for a side that is not restricted)."""
        values = self._box.p_values if hasattr(self._box, "p_values") else self._box.qp
        return values[self.current]

    @property
    def limits(self) -> pd.DataFrame:
        """The current box's limits: two rows (low, high) per numeric input, a one-row set
        of the categories kept per categorical input."""
        return self._box.box_lims[self.current]

    @property
    def stats(self) -> pd.Series:
        """The current box's row of the trajectory."""
        return self.trajectory.iloc[self.current]

    @property
    def members(self) -> np.ndarray:
        """Row numbers (of the table given to :class:`Prim`) inside the current box."""
        return np.asarray(self._box.yi)


class Prim:
    """PRIM over ``x`` (numeric float columns, categorical columns) and the 0/1 case flags
    ``y``, with EMA's covering scheme: each :meth:`find_box` searches the rows outside the
    boxes found before."""

    def __init__(self, x: pd.DataFrame, y: np.ndarray, *, peel_alpha: float,
                 mass_min: float) -> None:
        prim = _library()
        options = {"peel_alpha": peel_alpha, "mass_min": mass_min}
        if "threshold" in inspect.signature(prim.Prim).parameters:
            # 2.5: a box is kept when its mean reaches this; tiny, so that EMA never swaps a
            # box for its "dump box" (callers judge boxes by their own test)
            options["threshold"] = 1e-9
        with warnings.catch_warnings():  # pandas deprecations inside EMA Workbench
            warnings.simplefilter("ignore")
            self._prim = prim.Prim(x, np.asarray(y, dtype=int), **options)

    @property
    def box_init(self) -> pd.DataFrame:
        """The limits of the box of all rows (the full ranges and category sets)."""
        return self._prim.box_init

    def find_box(self) -> PrimBox | None:
        """The next box search, or None when no rows are left."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = self._prim.find_box()
        return None if found is None else PrimBox(found)
