"""The repository stands alone: nothing in it points at a file it does not hold.

A user's clone has only this repository, so no document, docstring, comment, test or
configuration file may name a file outside it (the developers' folder beside the
repository, their design notes, any ``../`` that climbs out of the repository) or a
repository path that does not exist (a module that moved, a renamed document). The
source article is cited by locator, with its reference in ``docs/source.md``.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from support import ROOT

#: folders that are not the project (environments, caches, generated results)
SKIP_DIRS = {".git", ".venv", "venv", "results", "build", "node_modules", "__pycache__",
             ".pytest_cache", ".ruff_cache", ".hypothesis", "dask-worker-space"}
TEXT_SUFFIXES = {".py", ".md", ".toml", ".txt", ".cfg", ".ini", ".yml", ".yaml", ".json",
                 ".ipynb", ".sh", ""}
#: names that point outside the repository wherever they appear
#: The developers' folder beside the repository and its design file, spelt in pieces so
#: that this file names nothing outside the repository itself.
SHARED, DESIGN = "../" + "shared", "DESIGN" + ".md"
OUTSIDE = re.compile(re.escape(SHARED) + "|" + re.escape(DESIGN)
                     + r"|\"shared\"\s*/\s*\"source\"")
#: a repository path: a top-level folder of the project, then path characters
REPO_PATH = re.compile(r"(?<![\w./-])((?:model|tests|experiments|docs|benchmarks|\.ci)"
                       r"/[\w./-]*[\w/])")
#: a relative link or path that starts by climbing: ../something
CLIMBING = re.compile(r"(?<![\w.])((?:\.\./)+[\w.-][\w./-]*)")
#: a Markdown link target that is a relative path
LINK = re.compile(r"\]\((?!https?:|mailto:|#)([^)\s#]+)")


def project_files() -> list[Path]:
    """The repository's text files (tracked by git where git is at hand)."""
    try:
        listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                                capture_output=True, text=True, timeout=30, check=True)
        paths = [ROOT / line for line in listed.stdout.splitlines() if line]
    except (OSError, subprocess.SubprocessError):
        paths = [p for p in ROOT.rglob("*") if p.is_file()]
    return sorted(p for p in paths
                  if p.is_file() and not SKIP_DIRS & set(p.relative_to(ROOT).parts)
                  and not any(part.endswith(".egg-info") or part.startswith(".venv")
                              for part in p.parts)
                  and p.suffix in TEXT_SUFFIXES)


def text_of(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None


def is_placeholder(path: str) -> bool:
    """``experiments/scenarios/NAME.toml``, ``results/DIR``: a pattern, not a file."""
    return any(seg.split(".")[0].isupper() or "*" in seg or "…" in seg
               for seg in path.split("/"))


def dangling(text: str, where: Path) -> list[str]:
    """The repository paths, climbing paths and relative links in ``text`` (of file
    ``where``) that name nothing in the repository."""
    found = []
    for path in REPO_PATH.findall(text):
        path = path.rstrip("./")
        if not (ROOT / path).exists() and not (where.parent / path).exists() \
                and not is_placeholder(path):
            found.append(path)
    # tests/ hand climbing paths to the code as bad input (a refused ../escape)
    for path in CLIMBING.findall(text) if "tests" not in where.relative_to(ROOT).parts else ():
        target = (where.parent / path).resolve()
        if not target.is_relative_to(ROOT) or not target.exists():
            found.append(path)
    if where.suffix == ".md":
        for link in LINK.findall(text):
            if not (where.parent / link).exists() and not is_placeholder(link):
                found.append(link)
    return found


FILES = project_files()
THIS_FILE = Path(__file__).resolve()


def test_the_scan_sees_the_project():
    names = {p.relative_to(ROOT).as_posix() for p in FILES}
    assert {"README.md", "docs/ODD.md", "docs/source.md", "pyproject.toml", "run.py",
            "model/__init__.py", "tests/test_standalone.py", ".ci/run"} <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_nothing_points_outside_the_repository(path):
    text = text_of(path)
    if text is None or path == THIS_FILE:  # this file names what it forbids, as examples
        pytest.skip("not text" if text is None else "the checks' own examples")
    lines = [f"line {n}: {line.strip()}" for n, line in enumerate(text.splitlines(), 1)
             if OUTSIDE.search(line)]
    assert lines == []


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_named_file_is_in_the_repository(path):
    text = text_of(path)
    if text is None or path == THIS_FILE:
        pytest.skip("not text" if text is None else "the checks' own examples")
    assert dangling(text, path) == []


def test_the_checks_catch_what_they_are_for(tmp_path):
    """Counterfactuals: each kind of dangling reference is found."""
    where = ROOT / "docs" / "ODD.md"
    assert dangling("see `model/sensitivity.py`", where) == ["model/sensitivity.py"]
    assert dangling("see `model/analysis/sensitivity.py`", where) == []
    article = SHARED + "/source/article.txt"
    assert dangling(f"the article `{article}`", where) == [article]
    assert dangling("[the README](../README.md) and [gone](nothing.md)", where) \
        == ["nothing.md"]
    assert dangling("writes `experiments/scenarios/NAME.toml`", where) == []
    assert OUTSIDE.search(f"({DESIGN}, C1–C8)")
    assert OUTSIDE.search('ROOT.parent / "shared" / "source" / "article.txt"')
