"""What every experiment report shares: the header that states the scenario, overrides,
runs and seed. The writers of each experiment live in ``model.analysis.reports`` (a module each)."""

from __future__ import annotations

from ..core.schema import Scenario


def header(title: str, scenario: Scenario | None, runs: int, seed: int, extra: str = "") -> str:
    """The first lines of ``report.md``: title, scenario, overrides, runs and seed."""
    lines = [f"# {title}", ""]
    if scenario is not None:
        lines.append(f"Scenario `{scenario.name}` — {scenario.description}.")
        if scenario.overrides:
            lines.append("Overrides: " + ", ".join(f"`{k}={v!r}`"
                                                  for k, v in scenario.overrides.items()) + ".")
    lines.append(f"Runs: {runs} per arm or cell, seed {seed} (per-run seeds derived with "
                 "`numpy.random.SeedSequence`; every arm uses the same seeds).")
    if extra:
        lines.append(extra)
    return "\n".join(lines) + "\n"
