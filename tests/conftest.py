"""Shared fixtures (loaded once): the baseline scenario, its kernel parameters, the seed-0
baseline table, and one local Dask cluster for the tests that need one; the hypothesis
profiles and the test tiers.

Tiers: ``pytest -m "not slow"`` is the fast tier a developer runs between edits;
``pytest`` runs everything. Tests marked ``cluster`` (Dask worker processes) or
``browser`` (chromium against the served dashboard) count as slow too.

Hypothesis: the ``quick`` profile (the default) tries few examples per property;
``HYPOTHESIS_PROFILE=thorough pytest ...`` tries many more.

Garbage collection: higher thresholds, and what is alive once the tests are collected
frozen (a quarter of the suite's time went to full collections over the libraries).
"""

from __future__ import annotations

import gc
import os
import sys

import pytest
from hypothesis import settings

from model import load_scenario, run_ensemble
from model.kernels import kernel_params

#: Garbage collection in the test process: every figure a test builds is a web of reference
#: cycles, so the default thresholds ran a full collection (over every object of the
#: imported libraries) dozens of times per module; fewer, over fewer objects, instead.
GC_THRESHOLDS = (50_000, 20, 50)
gc.set_threshold(*GC_THRESHOLDS)

settings.register_profile("quick", max_examples=20, deadline=None)
settings.register_profile("thorough", max_examples=400, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))

#: The seed-0 baseline table: runs and months (shared by the tests that read one).
SEED0_RUNS, SEED0_MONTHS = 40, 24


#: The test modules that exercise an optional extra's libraries, by extra.
EXTRA_TESTS = {"calibrate": ("test_calibration.py", "test_score_cli.py")}


def pytest_collection_modifyitems(config, items):
    """Cluster and browser tests are slow tests too. The tests of an extra whose libraries
    do not install on this Python at all (pyproject.toml's markers leave it empty here) are
    skipped; an extra that is merely not installed is not: those tests fail, as they should
    in a [dev] install."""
    from model.cli.extras import declared_requirements, extra_requirements

    for item in items:
        if item.get_closest_marker("cluster") or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)
    # The modules that use the shared cluster run last, one after the other: its worker
    # processes (idle heartbeats cost CPU on a 2-core machine) then live only while they run.
    # Whole modules move, so their module-scoped fixtures are still made once.
    with_cluster = {item.path for item in items if item.get_closest_marker("cluster")}
    items[:] = ([item for item in items if item.path not in with_cluster]
                + [item for item in items if item.path in with_cluster])
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


def pytest_collection_finish(session):
    """The objects alive once the tests are collected (the libraries, the test modules)
    live to the end: frozen, the collector no longer walks them."""
    gc.collect()
    gc.freeze()


@pytest.fixture(scope="session")
def baseline():
    """The shipped baseline scenario (validated; treat as read-only)."""
    return load_scenario("baseline")


@pytest.fixture(scope="session")
def baseline_params(baseline):
    """Baseline kernel parameters, all scalars (no distributions)."""
    return kernel_params(baseline)


@pytest.fixture(scope="session")
def seed0_table(baseline):
    """``run_ensemble(baseline, runs=40, seed=0, months=24)`` (treat as read-only)."""
    return run_ensemble(baseline, runs=SEED0_RUNS, seed=0, months=SEED0_MONTHS)


@pytest.fixture
def no_rendering(monkeypatch):
    """Figures are built but not drawn (``Figure.savefig`` writes an empty file): for tests
    of commands and folders, where drawing PNGs would dominate the time. Their pixels are
    tested in test_figures.py and test_figure_toolkit.py."""
    from pathlib import Path

    from matplotlib.figure import Figure

    monkeypatch.setattr(Figure, "savefig", lambda fig, path, *a, **k: Path(path).write_bytes(b""))


@pytest.fixture
def no_figures(monkeypatch):
    """Commands write a stand-in file under each figure's name instead of building the
    figure (``OutputFolder.save_figure``, which every command's figures go through): for
    tests of folders, flags and tables that read no figure, where building figures would
    dominate the time (most of a small command's). The same files are written, so listings
    and manifests are unchanged. Each command's figures are built and drawn by its own
    end-to-end tests and by test_figure_toolkit.py."""
    from model.output.results import OutputFolder

    def stand_in(folder, name, plot):
        folder.path(name).write_bytes(b"(figure not built in this test)")

    monkeypatch.setattr(OutputFolder, "save_figure", stand_in)


@pytest.fixture(scope="session")
def cluster_address():
    """The address of one local Dask cluster (2 worker processes, 1 thread each), started
    once for every test that needs a cluster and closed at the end."""
    from dask.distributed import LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close(timeout=10)
