"""Shared fixtures: the baseline scenario and its kernel parameters (loaded once)."""

from __future__ import annotations

import pytest

from model import load_scenario
from model.kernels import kernel_params


@pytest.fixture(scope="session")
def baseline():
    """The shipped baseline scenario (validated; treat as read-only)."""
    return load_scenario("baseline")


@pytest.fixture(scope="session")
def baseline_params(baseline):
    """Baseline kernel parameters, all scalars (no distributions)."""
    return kernel_params(baseline)
