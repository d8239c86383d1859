"""How much memory an ensemble takes, known before it is run.

The sizes come from the data types of what :func:`~model.ensemble.driver.simulate` and
:func:`~model.ensemble.driver.to_table` produce for one run of one month of the scenario
(its drawn parameters add columns), so they follow the code rather than a hand count.
Commands compare them with :func:`available_memory` and refuse, in one line, a result
that would not fit (``model.cli.common.require_memory``), instead of swapping the machine
to a halt.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.sampling import DRAWS_PER_MONTH, monthly_draws
from ..core.scenario import Scenario
from .driver import simulate, to_table


@dataclass(frozen=True)
class Footprint:
    """Bytes of one scenario's ensemble output.

    ``table_row``: one row (run × month) of the long result table; ``array_run_month``:
    one run-month of ``EnsembleArrays`` (state and choices); ``array_run``: one run's
    own values there (seed and drawn parameters); ``draws_run_month``: one run-month of
    the uniforms drawn before a chunk is simulated.
    """

    table_row: int
    array_run_month: int
    array_run: int
    draws_run_month: int = DRAWS_PER_MONTH * 8

    def table(self, runs: int, months: int) -> int:
        """The long table of ``runs`` runs of ``months`` months."""
        return runs * (months + 1) * self.table_row

    def arrays(self, runs: int, months: int) -> int:
        """``EnsembleArrays`` of ``runs`` runs of ``months`` months."""
        return runs * ((months + 1) * self.array_run_month + self.array_run)

    def chunk(self, runs: int, months: int) -> int:
        """Simulating one chunk of ``runs`` runs: its uniforms and its arrays."""
        return self.arrays(runs, months) + runs * months * self.draws_run_month


def _nbytes(column: pd.Series) -> int:
    """Bytes per row of a table column (a categorical's codes)."""
    dtype = column.dtype
    return column.cat.codes.dtype.itemsize if isinstance(dtype, pd.CategoricalDtype) \
        else dtype.itemsize


def footprint(scenario: Scenario) -> Footprint:
    """The :class:`Footprint` of ``scenario``, from one simulated run of one month."""
    arrays = simulate(scenario, np.zeros(1, dtype=np.uint64), 1)
    table = to_table(arrays)
    return Footprint(
        table_row=sum(_nbytes(table[c]) for c in table.columns),
        array_run_month=sum(a.itemsize for a in (*arrays.state.values(),
                                                  *arrays.choice.values())),
        array_run=arrays.seeds.itemsize + sum(v.itemsize for v in arrays.drawn.values()),
        draws_run_month=monthly_draws(scenario.escalation) * 8)


def _cgroup_room() -> int | None:
    """Bytes left under this process's cgroup (v2) memory limit, if it has one."""
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = Path("/sys/fs/cgroup/memory.current").read_text().strip()
    except OSError:
        return None
    if not limit.isdigit() or not used.isdigit():  # "max": no limit
        return None
    return max(int(limit) - int(used), 0)


def available_memory() -> int | None:
    """Bytes this process can still allocate without swapping: the kernel's
    ``MemAvailable`` (or free pages where there is none), capped by a cgroup memory limit
    (a container, a batch job); None where neither can be read."""
    room = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                room = int(line.split()[1]) * 1024
                break
    except (OSError, ValueError, IndexError):
        pass
    if room is None:
        try:
            room = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            room = None
    cgroup = _cgroup_room()
    if cgroup is not None:
        room = cgroup if room is None else min(room, cgroup)
    return room


def format_bytes(n: float) -> str:
    """``1.3 TB``, ``812 MB``: decimal units, three significant digits."""
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1000 or unit == "PB":
            return f"{n:.3g} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1000
    raise AssertionError("unreachable")
