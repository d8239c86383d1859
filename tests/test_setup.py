"""Setting up: the README's two commands, what ``.ci/run`` runs, and which releases each
supported Python gets (issue 23)."""

from __future__ import annotations

import re
import tomllib

import pytest
from packaging.requirements import Requirement
from support import ROOT

from model.cli.common import DEFAULT_SCENARIO

README = (ROOT / "README.md").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PYTHONS = ("3.11", "3.12", "3.13")


def readme_commands() -> list[str]:
    """The README's first two ``bash`` blocks: run it, run the tests."""
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", README, re.S)[:2]]


def applying(requirements: list[str], name: str, python: str, extra: str = "") -> list[str]:
    """The requirements on ``name`` that apply on ``python``."""
    env = {"python_version": python, "python_full_version": f"{python}.0", "extra": extra}
    return [str(r.specifier) for r in map(Requirement, requirements)
            if r.name.lower() == name and (r.marker is None or r.marker.evaluate(env))]


def test_the_readme_commands_take_whatever_python3_is_and_activate():
    first, tests = readme_commands()
    assert first == ("python3 -m venv .venv && . .venv/bin/activate && pip install -e . && "
                     "python run.py")
    assert tests.startswith("python3 -m venv .venv && . .venv/bin/activate && "
                            'pip install -e ".[dev]" && ')
    assert tests.endswith("python -m pytest")


def test_using_it_lines_run_in_the_activated_environment():
    """After the setup commands the shell is in the venv, so bare ``python`` is its Python
    (a line copied into a shell without it would fail on a missing library)."""
    using = README.split("## Using it", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    lines = [line for line in using.splitlines() if line.strip()]
    assert lines and all(line.startswith("python run.py") for line in lines)


def test_ci_runs_the_readmes_test_command_and_says_what_else():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    first, tests = readme_commands()
    assert tests in ci
    assert 'pytest -m "not slow"' in ci and "python3.13" in ci
    assert "status 5" in ci or "-eq 5" in ci  # no tests collected is a failure, said so
    assert ".ci/run` installs what the browser test" in " ".join(README.split())


def test_run_py_says_what_it_runs():
    doc = (ROOT / "run.py").read_text(encoding="utf-8").split('"""')[1]
    assert f"runs the {DEFAULT_SCENARIO} scenario" in " ".join(doc.split())


@pytest.mark.parametrize("python", PYTHONS)
def test_every_supported_python_gets_one_mesa_and_one_ema_workbench(python):
    core = PYPROJECT["project"]["dependencies"]
    extras = PYPROJECT["project"]["optional-dependencies"]
    mesa = applying(core, "mesa", python)
    ema = applying(extras["discover"], "ema-workbench", python, "discover") \
        + applying(extras["discover"], "ema_workbench", python, "discover")
    assert len(mesa) == 1 and len(ema) == 1
    newest = python != "3.11"  # Mesa 3.5 and EMA Workbench 3.0 need Python >= 3.12
    assert ("3.5" in mesa[0]) == newest and ("3.0" in ema[0]) == newest
    dashboard = applying(extras["dashboard"], "mesa", python, "dashboard")
    assert dashboard == mesa  # the dashboard's mesa[rec] is the core's release


def test_the_project_accepts_every_supported_python_and_marks_the_fast_tier():
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"
    markers = PYPROJECT["tool"]["pytest"]["ini_options"]["markers"]
    assert any(m.startswith("slow:") for m in markers)
