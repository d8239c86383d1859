"""Helpers shared by test modules (not a test module itself)."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The source article is not part of the repository (it is copyrighted; docs/source.md
#: gives its reference). Where a copy is at hand, point this variable at it and the tests
#: that check the docs paraphrase it (never copy it) run; without it they skip.
ARTICLE_ENV = "ALLIANCE_SIM_ARTICLE"


def article_path() -> Path | None:
    """The source article's text file named by ``$ALLIANCE_SIM_ARTICLE``, or None."""
    path = Path(os.environ.get(ARTICLE_ENV, "")).expanduser()
    return path if os.environ.get(ARTICLE_ENV) and path.is_file() else None


def run_py(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """``python run.py ARGS`` in a subprocess, output captured as text: for the few real
    end-to-end tests (a fresh interpreter, ``run.py`` itself, the exit status)."""
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """``python run.py ARGS`` in this process (``model.cli.main``, what ``run.py`` calls):
    exit status and output as :func:`run_py` gives them, without an interpreter start-up.
    An uncaught error raises here, as a traceback would end the real command."""
    from model.cli import main

    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main(list(args))
            except SystemExit as exc:  # --help
                status = exc.code if isinstance(exc.code, int) else 0
    finally:
        os.chdir(here)
    return subprocess.CompletedProcess(["run.py", *args], status, out.getvalue(),
                                       err.getvalue())


def in_process(capsys, *args: str) -> tuple[int, str, str]:
    """``python run.py ARGS`` in this process (no interpreter start-up, same code path as
    ``run.py``): (exit status, stdout, stderr). An uncaught error raises here, so a test
    that passes saw no traceback."""
    from model.cli import main

    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err
