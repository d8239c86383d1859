"""The optional extras: which one a command or flag needs, and the one-line hint when it is
missing.

``pip install -e .`` installs what the light commands need; ``calibrate``, ``discover``,
``dashboard`` and the Dask back ends (``--workers``, ``--scheduler``) need an extra
(``pyproject.toml``'s ``[project.optional-dependencies]``). What an extra holds is read
from the installed package's metadata (or, in a checkout that is not installed, from
``pyproject.toml``), so changing an extra's libraries is an edit of ``pyproject.toml``
alone. A requirement counts as met when its distribution is installed at a version the
requirement allows; its environment markers decide whether it applies to this Python.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Callable, Iterable
from importlib import metadata

from packaging.requirements import InvalidRequirement, Requirement

from ..core.paths import REPO_ROOT
from .common import UsageError

DISTRIBUTION = "alliance-sim"

#: The extra each command needs (commands not named here need only the core install).
COMMAND_EXTRAS = {"calibrate": "calibrate", "score": "calibrate", "discover": "discover",
                  "dashboard": "dashboard"}
#: What to run after installing an extra, where there is something.
AFTER_INSTALL = {"dashboard": " && python -m model.dashboard.assets"}
#: The extra the execution flags that start or reach a Dask cluster need.
CLUSTER_EXTRA = "cluster"


class MissingExtra(UsageError):
    """A command or flag whose optional libraries are not installed; one line that names
    the ``pip install`` to run."""


def declared_requirements() -> list[str]:
    """The project's requirement strings, with their markers (extras included)."""
    try:
        return list(metadata.requires(DISTRIBUTION) or [])
    except metadata.PackageNotFoundError:  # a checkout run without installing it
        pyproject = REPO_ROOT / "pyproject.toml"
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        found = list(project.get("dependencies", []))
        for extra, requirements in project.get("optional-dependencies", {}).items():
            for text in requirements:
                name, _, marker = text.partition(";")
                marker = f"({marker.strip()}) and " if marker.strip() else ""
                found.append(f'{name.strip()}; {marker}extra == "{extra}"')
        return found


def installed_version(name: str) -> str | None:
    """The installed version of distribution ``name``, or None."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def extra_requirements(extra: str, declared: Iterable[str]) -> list[Requirement]:
    """The requirements of ``extra`` that apply to this Python (markers evaluated)."""
    found = []
    for text in declared:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        marker = requirement.marker
        if marker is None or not marker.evaluate({"extra": extra}):
            continue
        if marker.evaluate({"extra": ""}):  # a core requirement: the core install has it
            continue
        found.append(requirement)
    return found


def unmet(requirements: Iterable[Requirement],
          version: Callable[[str], str | None] | None = None) -> list[str]:
    """The requirements not installed at an allowed version (``version(name)`` gives the
    installed one; default ``installed_version``), as ``name`` or ``name (have X, need
    SPEC)``."""
    version = version or installed_version
    missing = []
    for requirement in requirements:
        have = version(requirement.name)
        if have is None:
            missing.append(requirement.name)
        elif not requirement.specifier.contains(have, prereleases=True):
            missing.append(f"{requirement.name} (have {have}, need {requirement.specifier})")
        elif requirement.extras:  # e.g. mesa[rec]: the libraries its extras add
            try:
                theirs = metadata.requires(requirement.name) or []
            except metadata.PackageNotFoundError:
                theirs = []
            for extra in sorted(requirement.extras):
                missing += unmet(extra_requirements(extra, theirs), version)
    return missing


def require_extra(extra: str, what: str, *, declared: Iterable[str] | None = None,
                  version: Callable[[str], str | None] | None = None) -> None:
    """Raise ``MissingExtra`` (one line: what needs which extra, and the ``pip install``)
    unless ``extra``'s libraries are installed for this Python."""
    declared = declared_requirements() if declared is None else list(declared)
    requirements = extra_requirements(extra, declared)
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    if not requirements:
        if any(f'extra == "{extra}"' in text.replace("'", '"') for text in declared):
            raise MissingExtra(f"{what} needs the [{extra}] extra, whose libraries do not "
                               f"install on Python {python}; use a Python it supports "
                               "(see pyproject.toml)")
        return
    missing = list(dict.fromkeys(unmet(requirements, version)))  # once each, in order
    if missing:
        raise MissingExtra(f"{what} needs the [{extra}] extra (missing: {', '.join(missing)}"
                           f"): pip install -e \".[{extra}]\"{AFTER_INSTALL.get(extra, '')}")


def check_extras(args: argparse.Namespace) -> None:
    """The extras a parsed command line needs are installed, or a one-line ``MissingExtra``
    (before anything is simulated or written)."""
    command = getattr(args, "command", None)
    if command in COMMAND_EXTRAS:
        require_extra(COMMAND_EXTRAS[command], command)
    for flag in ("workers", "scheduler"):
        if getattr(args, flag, None) is not None:
            require_extra(CLUSTER_EXTRA, f"{command} --{flag}")
