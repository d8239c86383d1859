"""Shared fixtures: the baseline scenario and its kernel parameters (loaded once)."""

from __future__ import annotations

import sys

import pytest

from model import load_scenario
from model.kernels import kernel_params

#: The test modules that exercise an optional extra's libraries, by extra.
EXTRA_TESTS = {"calibrate": ("test_calibration.py",)}


def pytest_collection_modifyitems(config, items):
    """Skip the tests of an extra whose libraries do not install on this Python at all
    (pyproject.toml's markers leave it empty here). An extra that is merely not installed
    is not skipped: those tests fail, as they should in a [dev] install."""
    from model.cli.extras import declared_requirements, extra_requirements

    declared = declared_requirements()
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    for extra, modules in EXTRA_TESTS.items():
        if extra_requirements(extra, declared):
            continue
        skip = pytest.mark.skip(reason=f"the [{extra}] extra does not install on Python "
                                       f"{python}")
        for item in items:
            if item.path.name in modules:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def baseline():
    """The shipped baseline scenario (validated; treat as read-only)."""
    return load_scenario("baseline")


@pytest.fixture(scope="session")
def baseline_params(baseline):
    """Baseline kernel parameters, all scalars (no distributions)."""
    return kernel_params(baseline)
