"""Docs that run (issue 15): every Python block in README.md and docs/*.md is executed,
every command line in the README's "Using it" block runs at a small size, and what the
docs say about flags, files and defaults is checked against the code."""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import numpy as np
import pytest
from support import article_path

import model.output.results as results_module
from model.cli import build_parser, main

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]

#: Sizes the README's commands are shrunk to: flag -> small value.
SMALL_FLAGS = {"--runs": "3", "--n": "4", "--replicates": "2", "--samples": "150"}


def blocks(path: Path, language: str) -> list[tuple[int, str]]:
    """Fenced code blocks of ``language`` in a Markdown file: (first line number, code)."""
    out, lines = [], path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() == f"```{language}":
            start, body = i + 1, []
            i += 1
            while lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            out.append((start + 1, "\n".join(body)))
        i += 1
    return out


def section(path: Path, heading: str) -> str:
    text = path.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"{path.name} has no section {heading!r}"
    return match.group(1)


def commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def accepts(command: str, flag: str) -> bool:
    """Whether ``command`` takes ``flag`` (a hidden flag is one it refuses)."""
    return any(flag in a.option_strings and a.help != argparse.SUPPRESS
               for a in commands()[command]._actions)


@pytest.fixture()
def sandbox(tmp_path, monkeypatch) -> Path:
    """Run docs in ``tmp_path``: relative paths and the default results folder land there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(results_module, "RESULTS_DIR", tmp_path / "results")
    return tmp_path


@pytest.fixture(autouse=True)
def no_rendering(monkeypatch):
    """Figures are built but not rendered: these tests check commands and files, and
    drawing PNGs would dominate their time (figures are tested in test_figures.py)."""
    from matplotlib.figure import Figure

    def save(fig, path, *args, **kwargs):
        Path(path).write_bytes(b"\x89PNG\r\n\x1a\n (not rendered in this test)")

    monkeypatch.setattr(Figure, "savefig", save)


PY_BLOCKS = [(path, line, code) for path in DOCS for line, code in blocks(path, "python")]


@pytest.mark.parametrize("path, line, code", PY_BLOCKS,
                         ids=[f"{p.name}:{n}" for p, n, _ in PY_BLOCKS])
def test_python_blocks_run(path, line, code, sandbox):
    exec(compile(code, f"{path.name}:{line}", "exec"), {"__name__": "__doc_example__"})


def test_readme_has_python_blocks():
    assert any(path == README for path, _, _ in PY_BLOCKS)


def test_toml_scenarios_in_the_docs_are_valid(sandbox):
    from model import load_scenario

    found = 0
    for path in DOCS:
        for line, code in blocks(path, "toml"):
            if "extends" not in code:
                continue
            file = sandbox / f"doc_{line}.toml"
            file.write_text(code, encoding="utf-8")
            load_scenario(file)
            found += 1
    assert found


def using_it_commands() -> list[list[str]]:
    """The README's "Using it" command lines as argument lists (after ``run.py``)."""
    (_, code), = blocks_of(section(README, "Using it"), "bash")
    lines = []
    for raw in code.splitlines():
        words = shlex.split(raw, comments=True)
        if not words:
            continue
        assert words[:2] == ["python", "run.py"], raw
        lines.append(words[2:])
    return lines


def blocks_of(text: str, language: str) -> list[tuple[int, str]]:
    return [(0, m.group(1)) for m in re.finditer(rf"```{language}\n(.*?)```", text, re.S)]


def shrink(args: list[str]) -> list[str]:
    """A README command at a small size: fewer runs, points and grid cells."""
    out = list(args)
    for i, word in enumerate(out[:-1]):
        if word in SMALL_FLAGS:
            out[i + 1] = SMALL_FLAGS[word]
        if word in ("--x", "--y"):
            key, _, grid = out[i + 1].partition("=")
            lo, hi, _ = grid.split(":")
            out[i + 1] = f"{key}={lo}:{hi}:2"
    command = out[0] if out and not out[0].startswith("-") else "run"
    if "--runs" not in out and "--replicates" not in out and accepts(command, "--runs"):
        out += ["--runs", SMALL_FLAGS["--runs"]]
    if command == "discover" and "--samples" not in out:
        out += ["--samples", SMALL_FLAGS["--samples"]]
    if command == "equilibria" and "--x" not in out:
        out += ["--x", "levers.international_pressure=0:1:2", "--y", "levers.war_demand=0:1:2"]
    return out


def test_using_it_block_is_found():
    lines = using_it_commands()
    assert len(lines) >= 10 and [] in lines  # `python run.py` alone is documented


@pytest.mark.slow
@pytest.mark.parametrize("args", using_it_commands(), ids=" ".join)
def test_using_it_commands_run(args, sandbox, capsys, no_figures):
    """Every command the README shows runs (on small sizes; its figures stood in for by
    files of their names: each command's own end-to-end test builds and draws them, and
    every plotting function draws in test_figure_toolkit.py)."""
    if args == ["COMMAND", "--help"]:
        for name in commands():
            with pytest.raises(SystemExit) as info:
                main([name, "--help"])
            assert info.value.code == 0
        return
    scenario = [a for a in args if a.endswith(".toml")]
    if scenario:  # the README's "Writing a scenario" example, saved under that name
        ((_, toml),) = blocks_of(section(README, "Writing a scenario"), "toml")
        (sandbox / scenario[0]).write_text(toml, encoding="utf-8")
    status = main(shrink(args))
    out, err = capsys.readouterr()
    assert status == 0 or (args[:1] == ["claims"] and status == 1), err
    assert "error" not in err


def test_common_flags_claim_matches_the_parser():
    text = README.read_text(encoding="utf-8") + (ROOT / "experiments/README.md").read_text()
    claims = re.findall(r"((?:`--[a-z]+[^`]*`,? (?:and )?)+)work on ([^.(]+)", text)
    assert claims
    for flags, where in claims:
        names = [f.split()[0].strip("`") for f in re.findall(r"`--[^`]+`", flags)]
        listed = re.findall(r"`([a-z]+)`", where)
        assert listed, f"say which commands take {names}: {where!r}"
        for command in listed:
            for flag in names:
                assert accepts(command, flag), f"{command} {flag}"


def test_report_claim_matches_the_commands(sandbox, capsys):
    text = README.read_text(encoding="utf-8")
    match = re.search(r"((?:`[a-z]+`,? (?:and )?)+)(?:each |also )?writes? [^.]*`report\.md`", text)
    assert match, "the README says which commands write report.md"
    listed = re.findall(r"`([a-z]+)`", match.group(1))
    assert "run" not in listed and "equilibria" not in listed
    assert set(listed) <= set(commands())


def test_experiments_readme_quotes_the_defaults():
    text = (ROOT / "experiments" / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| [^|]+ \| (`run\.py ([a-z]+)(?:[^|\\]|\\.)*)\|", text, re.M)
    assert rows
    for default, command in rows:
        want = commands()[command].get_default("runs")
        match = re.search(r"([\d,]+) runs", default)
        assert match, f"{command}: say the default --runs"
        assert int(match.group(1).replace(",", "")) == want, command


def test_source_page_paraphrases_every_locator():
    from model.core.parameters import LOCATORS

    text = (ROOT / "docs" / "source.md").read_text(encoding="utf-8")
    assert "Brandon Mitchell" in text and "Associated Medias" in text and "2023" in text
    for locator in LOCATORS:
        assert re.search(rf"^\| `{re.escape(locator)}` \|", text, re.M), locator
    article = article_path()
    if article is not None:  # never its sentences: no run of 8 words in common
        words = re.findall(r"[a-z’']+", article.read_text(encoding="utf-8").lower())
        grams = {" ".join(words[i:i + 8]) for i in range(len(words) - 7)}
        ours = re.findall(r"[a-z’']+", text.lower())
        assert not [g for g in (" ".join(ours[i:i + 8]) for i in range(len(ours) - 7))
                    if g in grams]


def test_readme_recipe_for_run_i_reproduces_run_i():
    """The README's inline recipe for the seed of run ``i`` picks run i's seed."""
    import model

    text = " ".join(README.read_text(encoding="utf-8").split())
    match = re.search(r"Run `i` of an ensemble equals `AllianceModel\(scenario, seed=(.+?)\)`",
                      text)
    assert match, "README states how to rebuild run i with the Mesa model"
    scenario = model.load_scenario("baseline")
    table = model.run_ensemble(scenario, runs=7, seed=3, months=4)
    i = 5
    seed = eval(match.group(1), {"table": table, "i": i, "int": int})  # noqa: S307
    mesa_run = model.AllianceModel(scenario, seed=int(seed))
    mesa_run.run(4)
    frame = mesa_run.datacollector.get_model_vars_dataframe()
    mine = table[table.run == i].reset_index(drop=True)
    np.testing.assert_allclose(frame["alliance_strength"].to_numpy(),
                               mine["alliance_strength"].to_numpy())
    other = table[table.run == 0].reset_index(drop=True)
    assert not np.allclose(other["alliance_strength"], mine["alliance_strength"])


def test_readme_stage_game_example_runs_and_says_what_it_returns():
    text = README.read_text(encoding="utf-8")
    examples = [code for _, code in blocks(README, "python") if "stage_game(" in code]
    assert examples, "README shows model.stage_game in a runnable block"
    assert "StageGame" in text
    assert not re.search(r"stage_game\([^)]*\)`[^.]*returns[^.]*an\s+array", text)
