"""Export: the current setting as a scenario file the command line reads, with the current
ensemble's figures, so a setting found by hand becomes a file for ``run.py``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import solara

from ..core.names import check_name
from ..core.schema import ScenarioError
from ..output.results import RESULTS_DIR
from .ensemble_view import EnsembleResult, compute, save_figures, title_of
from .settings import Applied, write_scenario

#: Where exports go unless the user names another folder.
EXPORT_DIR = RESULTS_DIR / "dashboard"


def export(applied: Applied, result: EnsembleResult | None, name: str,
           folder: str | Path = EXPORT_DIR) -> list[Path]:
    """Write ``<folder>/<name>.toml`` (with ``<name>.sample.csv`` beside it when the
    scenario draws from a joint sample) and, when an ensemble is shown, its two figures
    (``trajectories.png``, ``option_shares.png``) into ``<folder>/<name>_figures/``."""
    try:
        check_name(name)
    except ValueError as exc:
        raise ScenarioError(f"export name: {exc}") from None
    folder = Path(folder)
    scenario_file = write_scenario(applied, folder / f"{name}.toml")
    written = [scenario_file]
    if applied.scenario.sample is not None:
        written.append(folder / f"{name}.sample.csv")
    if result is not None:
        figures = folder / f"{name}_figures"
        figures.mkdir(parents=True, exist_ok=True)
        written += save_figures(result, applied.scenario,
                                title_of(applied.scenario, applied.overrides), figures)
    return written


@solara.component
def ExportPanel(applied: Applied, latest: Callable[[], EnsembleResult | None],
                folder: str | Path):
    """A name field and an Export button; says what it wrote, or the one-line error.
    ``latest()`` is the last ensemble computed; it is recomputed if it is of an older
    setting."""
    name = solara.use_reactive(f"{applied.scenario.name}_dashboard")
    message = solara.use_reactive("")
    failed = solara.use_reactive(False)

    def do_export() -> None:
        try:
            result = latest()
            if result is None or result.scenario is not applied.scenario:
                result = compute(applied.scenario, applied.settings.runs, applied.settings.seed,
                                 title_of(applied.scenario, applied.overrides))
            paths = export(applied, result, name.value, folder)
        except (ScenarioError, OSError) as exc:
            failed.set(True)
            message.set(f"export failed: {exc}")
            return
        failed.set(False)
        message.set("wrote " + ", ".join(str(p) for p in paths)
                    + f" — run it with: python run.py run {paths[0]}")

    with solara.Card("Export this setting", margin=0):
        with solara.Row(style={"align-items": "center"}):
            solara.InputText("scenario name", value=name, continuous_update=True)
            solara.Button("Export scenario + figures", color="primary", on_click=do_export)
        if message.value:
            (solara.Error if failed.value else solara.Success)(message.value, dense=True)
