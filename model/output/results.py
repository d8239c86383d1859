"""Writing results: tables, figures and ``manifest.json``, never half-written.

Everything a command produces is first written into a fresh temporary folder beside the
output folder and only then moved into place file by file (``os.replace`` is atomic on
one file system), so an interrupted run leaves the previous results intact.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

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
        "resolved_scenario": scenario.model_dump(mode="json", exclude={"path", "overrides"}),
    }


class OutputFolder:
    """A staging folder whose files are moved into ``target`` on success."""

    def __init__(self, staging: Path, target: Path) -> None:
        self.staging = staging
        self.target = target
        self.files: list[str] = []

    def path(self, name: str) -> Path:
        """Where to write ``name`` now (inside the staging folder)."""
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

    def save_figure(self, name: str, plot: Callable[[Path], Any]) -> None:
        """Stage a figure: ``plot`` is called with the path to save it to."""
        plot(self.path(name))


@contextmanager
def output_folder(target: Path) -> Iterator[OutputFolder]:
    """Stage outputs, then move them into ``target``; on error ``target`` is untouched."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:  # name the folder the user asked for, not the staging one
        raise OSError(exc.errno, exc.strerror, str(target)) from None
    try:
        folder = OutputFolder(staging, target)
        yield folder
        target.mkdir(parents=True, exist_ok=True)
        for name in folder.files:
            os.replace(staging / name, target / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
