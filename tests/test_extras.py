"""The optional extras: a command or flag whose libraries are missing ends in one line that
names the ``pip install`` to run, before anything is simulated or written; the extras the
command line relies on are the ones ``pyproject.toml`` declares."""

from __future__ import annotations

import sys
import tomllib

import pytest
from support import ROOT, in_process

from model.cli import extras

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def hide(monkeypatch, *names: str) -> None:
    """Make the hint see ``names`` as not installed (everything else as it is)."""
    real = extras.installed_version
    monkeypatch.setattr(extras, "installed_version",
                        lambda name: None if name.lower() in names else real(name))


def test_every_extra_the_command_line_names_is_declared():
    declared = set(PYPROJECT["optional-dependencies"])
    assert {*extras.COMMAND_EXTRAS.values(), extras.CLUSTER_EXTRA} <= declared
    assert {"calibrate", "discover", "cluster", "dashboard", "dev"} <= declared
    dev = " ".join(PYPROJECT["optional-dependencies"]["dev"])
    for extra in ("calibrate", "discover", "cluster", "dashboard"):
        assert extra in dev, f"[dev] lacks [{extra}]"


def test_core_install_holds_none_of_the_extras_libraries():
    core = {extras.Requirement(text).name.lower() for text in PYPROJECT["dependencies"]}
    for extra in ("calibrate", "discover", "cluster"):
        for text in PYPROJECT["optional-dependencies"][extra]:
            assert extras.Requirement(text).name.lower() not in core, (extra, text)


@pytest.mark.parametrize("extra", ["calibrate", "discover", "cluster", "dashboard"])
def test_the_dev_install_meets_every_extra(extra):
    """No false alarm where the extra is installed (the test environment is ``[dev]``)."""
    if not extras.extra_requirements(extra, extras.declared_requirements()):
        with pytest.raises(extras.MissingExtra, match=r"do not install on Python 3\.\d+"):
            extras.require_extra(extra, extra)
    else:
        extras.require_extra(extra, extra)


def test_markers_choose_the_requirements_of_this_python():
    declared = ['old==1; python_version < "3.0" and extra == "x"',
                'new>=2; python_version >= "3.0" and extra == "x"',
                'other; extra == "y"', "core>=1"]
    names = [r.name for r in extras.extra_requirements("x", declared)]
    assert names == ["new"]
    with pytest.raises(extras.MissingExtra) as info:
        extras.require_extra("x", "thing", declared=declared, version=lambda name: "1.0")
    assert str(info.value) == ('thing needs the [x] extra (missing: new (have 1.0, need >=2)'
                               '): pip install -e ".[x]"')
    extras.require_extra("x", "thing", declared=declared, version=lambda name: "2.5")
    extras.require_extra("z", "thing", declared=declared, version=lambda name: None)


def test_an_extra_with_nothing_for_this_python_says_so():
    declared = ['lib==1; python_version < "3.0" and extra == "x"']
    with pytest.raises(extras.MissingExtra) as info:
        extras.require_extra("x", "calibrate", declared=declared)
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert str(info.value).startswith(f"calibrate needs the [x] extra, whose libraries do "
                                      f"not install on Python {python}")


def test_the_extras_of_a_requirement_count(monkeypatch):
    """``mesa[rec]`` is met only with what Mesa's ``rec`` extra adds (networkx, ...)."""
    hide(monkeypatch, "networkx")
    with pytest.raises(extras.MissingExtra, match=r"missing: networkx\)"):
        extras.require_extra("dashboard", "dashboard")
    hide(monkeypatch, "solara")  # named by the extra and by mesa[rec]: said once
    with pytest.raises(extras.MissingExtra) as info:
        extras.require_extra("dashboard", "dashboard")
    assert str(info.value).count("solara") == 1


@pytest.mark.parametrize("argv, extra, hidden", [
    (["calibrate", "--quick"], "calibrate", "pyabc"),
    (["score", "--origin", "2024-03", "--quick"], "calibrate", "pyabc"),
    (["discover", "baseline", "--samples", "20"], "discover", "scikit-learn"),
    (["dashboard"], "dashboard", "solara"),
    (["run", "baseline", "--runs", "2", "--workers", "2"], "cluster", "distributed"),
    (["sweep", "--x", "levers.war_demand=0:1:2", "--scheduler", "tcp://127.0.0.1:1"],
     "cluster", "distributed"),
])
def test_a_missing_extra_is_one_line_naming_the_install(monkeypatch, capsys, tmp_path, argv,
                                                        extra, hidden):
    if not extras.extra_requirements(extra, extras.declared_requirements()):
        pytest.skip(f"[{extra}] has no libraries for this Python")
    hide(monkeypatch, hidden)
    out = tmp_path / "out"
    flags = [] if argv[0] == "dashboard" else ["--out", str(out)]
    status, stdout, err = in_process(capsys, *argv, *flags)
    assert status == 2 and stdout == ""
    assert err.count("\n") == 1 and err.startswith(f"error: {argv[0]}")
    assert f'pip install -e ".[{extra}]"' in err and hidden in err
    assert not out.exists()


def test_core_commands_need_no_extra(monkeypatch, capsys):
    """With every extra's libraries hidden, a light command still runs."""
    names = set()
    for extra in ("calibrate", "discover", "cluster"):
        names |= {r.name.lower() for r in
                  extras.extra_requirements(extra, extras.declared_requirements())}
    hide(monkeypatch, *names)
    status, stdout, _ = in_process(capsys, "params", "baseline")
    assert status == 0 and "levers.war_demand" in stdout
