"""Writing results: tables, figures and ``manifest.json``, never half-written.

Everything a command produces is first written into a hidden staging folder inside the
output folder and only then moved into place file by file (``os.replace`` is atomic on
one file system), so an interrupted run leaves the previous results intact. A command
claims its folder before it simulates (``claim_folder``): the path is checked, the folder
created and locked, so a bad ``--out`` fails at once and a second writer is refused.
Nothing is ever written outside the chosen folder, and a folder holds one result: the
files an earlier result listed in its manifest and this one did not write are removed.
"""

from __future__ import annotations

import errno
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

try:  # advisory file locks (POSIX)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

from ..core.errors import UserError
from ..core.joint_sample import SAMPLE_SUMMARY
from ..core.paths import REPO_ROOT
from ..core.scenario import Scenario

RESULTS_DIR = REPO_ROOT / "results"
CSV_MAX_ROWS = 200_000
PACKAGES = ("alliance-sim", "mesa", "numpy", "scipy", "pandas", "matplotlib", "pydantic",
            "pyarrow", "SALib", "ema_workbench", "scikit-learn")


def git_commit() -> str | None:
    """The checkout's commit, with ``-dirty`` when there are uncommitted changes."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                                text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=REPO_ROOT, capture_output=True, text=True, timeout=5,
                               check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("-dirty" if dirty else "")


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages results depend on."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def manifest(scenario: Scenario, *, command: str, seed: int, runs: int, months: int,
             wall_time: float, files: list[str], extra: dict[str, Any] | None = None) -> dict:
    """Everything needed to redo a run: the resolved scenario, seed, versions, commit."""
    return {
        "command": command,
        "argv": sys.argv,
        "scenario": scenario.name,
        "scenario_path": scenario.path,
        "overrides": scenario.overrides,
        "seed": seed,
        "runs": runs,
        "months": months,
        "version": metadata.version("alliance-sim"),
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(),
        "wall_time_seconds": round(wall_time, 3),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "files": sorted(files),
        **(extra or {}),
        "resolved_scenario": scenario.model_dump(mode="json", exclude={"path", "overrides"},
                                                 context={SAMPLE_SUMMARY: True}),
    }


class OutputFolderError(UserError):
    """The output folder cannot be used (busy, or holding other files); one line for users."""


#: Files of the folder machinery itself, never part of a result.
LOCK_NAME = ".alliance-sim.lock"
STAGING_PREFIX = ".staging-"


class Claim:
    """An output folder checked, created and locked for one command.

    ``files`` lists what the command wrote into it (set when its outputs are moved in).
    """

    def __init__(self, target: Path) -> None:
        self.target = target
        self.files: list[str] = []


_claims: dict[Path, Claim] = {}


def _is_machinery(name: str) -> bool:
    return name == LOCK_NAME or name.startswith(STAGING_PREFIX)


def _previous_files(target: Path) -> list[str] | None:
    """Files listed by the folder's ``manifest.json`` (None when it has none)."""
    try:
        data = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list):
        return None
    return [f for f in files if isinstance(f, str) and f == Path(f).name and f]


@contextmanager
def claim_folder(target: str | os.PathLike) -> Iterator[Claim]:
    """Check, create and lock ``target`` before any work is done; release it afterwards.

    Raises ``OSError`` (naming ``target``) when the folder cannot be created or written,
    and ``OutputFolderError`` when another process holds it or it holds files that no
    earlier result wrote (a folder of the user's own files is never written into).
    Nothing is written outside ``target``: the lock file and the staging folder live in
    it. Re-entrant within one process; a folder this call created is removed again when
    the command fails or is interrupted (Ctrl-C, SIGTERM: see ``model.cli.main``) before
    writing anything. A folder holding only a lock or a staging folder (what a process
    killed with SIGKILL leaves) counts as new, and stale staging folders are removed once
    the lock is held.
    """
    target = Path(os.path.abspath(target))
    if target in _claims:
        yield _claims[target]
        return
    if target.exists() and not target.is_dir():
        raise OSError(errno.EEXIST, "a file of that name exists, expected a folder",
                      str(target))
    # a folder holding only a lock or staging (left by a process killed with SIGKILL)
    # counts as new: removed again if this command too ends before writing a result
    fresh = not target.exists()
    created = fresh or all(_is_machinery(p.name) for p in target.iterdir())
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(target)) from None
    lock = None
    claim = Claim(target)
    try:
        if not created:
            foreign = sorted(p.name for p in target.iterdir() if not _is_machinery(p.name))
            if foreign and _previous_files(target) is None:
                shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
                raise OutputFolderError(
                    f"output folder {target}: holds files that are not a result of this tool "
                    f"({shown}); choose a new or empty folder")
        lock = _lock(target)
        for stale in target.glob(f"{STAGING_PREFIX}*"):  # a killed writer's; we hold the lock
            shutil.rmtree(stale, ignore_errors=True)
        _claims[target] = claim
        yield claim
    finally:
        _claims.pop(target, None)
        if lock is not None:  # removed while still locked, and only by its holder
            if created and not claim.files:
                shutil.rmtree(target, ignore_errors=True)
            _unlock(lock)
        elif fresh:  # made here but never locked (unwritable): remove it if still empty
            with suppress(OSError):
                target.rmdir()


def _lock(target: Path) -> int:
    path = target / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(target)) from None
    if fcntl is None:  # no advisory locks on this platform: proceed unlocked
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
        os.close(fd)
        raise OutputFolderError(f"output folder {target}: another command (process {holder}) "
                                "is writing it; wait for it to finish or choose another "
                                "--out") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return fd


def _unlock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


class OutputFolder:
    """A staging folder whose files are moved into ``target`` on success."""

    def __init__(self, staging: Path, target: Path) -> None:
        self.staging = staging
        self.target = target
        self.files: list[str] = []

    def path(self, name: str) -> Path:
        """Where to write ``name`` now (inside the staging folder)."""
        if name != Path(name).name or name in ("", ".", "..") or _is_machinery(name):
            raise ValueError(f"output file names are plain file names, got {name!r}")
        self.files.append(name)
        return self.staging / name

    def write_text(self, name: str, text: str) -> None:
        """Stage a UTF-8 text file."""
        self.path(name).write_text(text, encoding="utf-8")

    def write_json(self, name: str, data: Any) -> None:
        """Stage a JSON file (indented; numpy numbers and paths written as text)."""
        self.write_text(name, json.dumps(data, indent=2, default=str) + "\n")

    def write_table(self, stem: str, table: pd.DataFrame) -> None:
        """Parquet always; CSV too when the table is small enough to open by hand."""
        table.to_parquet(self.path(f"{stem}.parquet"), index=False)
        if len(table) <= CSV_MAX_ROWS:
            table.to_csv(self.path(f"{stem}.csv"), index=False)

    def table_dataset(self, stem: str, months: int) -> TableDataset:
        """Stage a Parquet dataset folder ``stem/`` written part by part (for tables too
        large to gather): see :class:`TableDataset`."""
        folder = self.path(stem)
        folder.mkdir()
        return TableDataset(folder, months)

    def save_figure(self, name: str, plot: Callable[[Path], Any]) -> None:
        """Stage a figure: ``plot`` is called with the path to save it to."""
        plot(self.path(name))


class TableDataset:
    """The long result table as a Parquet dataset: one file per chunk of runs, in order.

    ``write(columns)`` takes one chunk's table columns (``model.ensemble.driver.table_columns``)
    and writes ``part-NNNNN.parquet`` with the same columns and types as a gathered
    table (``run`` numbered on across parts, options as categoricals), so
    ``pandas.read_parquet(folder)`` or ``pyarrow.dataset.dataset(folder)`` reads the
    whole table back, in run order. How many parts there are depends on the chunk size;
    the rows do not.
    """

    def __init__(self, folder: Path, months: int) -> None:
        self.folder = folder
        self.months = int(months)
        self.runs = 0
        self.parts = 0

    def write(self, columns: dict[str, Any]) -> None:
        """Write one chunk's columns as the next part (Arrow straight from the arrays:
        dictionary-encoded options, min/max statistics for ``run`` and ``month`` only)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.parquet as pq

        from ..core.actions import DIMENSION_BY_KEY

        months1 = self.months + 1
        n = len(columns["seed"]) // months1
        arrays = {"run": pa.array(np.repeat(np.arange(self.runs, self.runs + n,
                                                      dtype=np.int32), months1)),
                  "month": pa.array(np.tile(np.arange(months1, dtype=np.int16), n))}
        for name, values in columns.items():
            if name in DIMENSION_BY_KEY:
                options = pa.array(list(DIMENSION_BY_KEY[name].options))
                arrays[name] = pa.DictionaryArray.from_arrays(pa.array(values), options)
            else:
                arrays[name] = pa.array(values)
        table = pa.table(arrays)
        pq.write_table(table, self.folder / f"part-{self.parts:05d}.parquet",
                       use_dictionary=[k for k in columns if k in DIMENSION_BY_KEY],
                       write_statistics=["run", "month"])
        self.runs += n
        self.parts += 1


def _remove(path: Path) -> None:
    """Remove a file or a folder (a dataset) of an earlier result."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


@contextmanager
def output_folder(target: str | os.PathLike) -> Iterator[OutputFolder]:
    """Stage outputs, then move them into ``target``; on error ``target`` is untouched.

    The folder then holds exactly this command's files: files an earlier result listed
    in its ``manifest.json`` and this one did not write are removed. Staging happens in
    a hidden folder inside ``target`` (``os.replace`` is atomic there), so nothing is
    ever written outside the chosen folder.
    """
    with claim_folder(target) as claim:
        staging = claim.target / f"{STAGING_PREFIX}{os.getpid()}"
        try:  # created inside the try: a signal right after mkdir still removes it
            staging.mkdir()
            folder = OutputFolder(staging, claim.target)
            yield folder
            previous = _previous_files(claim.target) or []
            for name in folder.files:
                destination = claim.target / name
                # a folder cannot replace a folder or file in one step: move the old one
                # into the staging folder (removed with it), then move in the new one
                if (destination.is_dir() or (staging / name).is_dir()) and \
                        (destination.exists() or destination.is_symlink()):
                    os.replace(destination, staging / f".old-{name}")
                os.replace(staging / name, destination)
            for name in set(previous) - set(folder.files):
                _remove(claim.target / name)
            claim.files = list(folder.files)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
