"""The folder of `calibrate` and the scenario it can write.

- Figures: prior vs posterior of every calibrated parameter (and the early-record fit's);
  the predictive share of every rule under baseline, prior and posterior.
- ``report.md``: parameters, fit per rule, forecast skill, what the record cannot say.
- :func:`write_calibration`: the folder (``posterior.csv``, ``forecast_posterior.csv``,
  ``predictive.csv``/``.parquet``, the figures, ``report.md``, ``manifest.json``).
- :func:`scenario_target` and :func:`write_scenario`: ``NAME.toml`` and
  ``NAME.posterior.csv`` in the scenario folder, a scenario carrying the posterior. A
  file already there is replaced only when it is a calibration's own output (its
  ``[sample]`` reads ``NAME.posterior.csv``): refitting ``calibrated`` works, overwriting
  ``china_enables`` or any other scenario does not.
"""

from __future__ import annotations

import time
import tomllib
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ...output.figures import finish
from ...output.results import manifest, output_folder
from ..calibration import Calibration, Check, parameter_table
from ..calibration_abc import Posterior
from .score import skill_lines

# ------------------------------------------------------------------ figures


def plot_parameters(posterior: Posterior, path=None, extra: Posterior | None = None) -> Figure:
    """Prior (flat) vs posterior (weighted histogram) of every calibrated parameter;
    ``extra`` adds a second posterior (the forecast-skill fit) as a line."""
    n = len(posterior.keys)
    cols = 3
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(12, 3.0 * rows), squeeze=False,
                             layout="constrained")
    for ax, key in zip(axes.ravel(), posterior.keys):
        prior = posterior.priors[key]
        bins = np.linspace(prior.low, prior.high, 21)
        ax.hist(posterior.column(key), bins=bins, weights=posterior.weights, density=True,
                color="tab:blue", alpha=0.6, label="posterior (all rules)")
        if extra is not None and key in extra.keys:
            dens, edges = np.histogram(extra.column(key), bins=bins, weights=extra.weights,
                                       density=True)
            ax.step(edges[:-1], dens, where="post", color="tab:orange",
                    label="posterior (to March 2024)")
        ax.hlines(1.0 / (prior.high - prior.low), prior.low, prior.high, color="0.3",
                  linestyles="--", label="prior (uniform)")
        q = posterior.quantiles(key)
        ax.axvline(q[1], color="tab:blue", lw=1.5)
        ax.set_title(key, fontsize=9)
        ax.set_xlabel("value (parameter units, see `run.py params`)", fontsize=8)
        ax.set_ylabel("density", fontsize=8)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    axes.ravel()[0].legend(fontsize=7)
    fig.suptitle("Calibrated parameters: prior vs posterior (line: posterior median)")
    if path is not None:
        finish(fig, path)
        plt.close(fig)
    return fig


def plot_predictive(check: Check, path=None) -> Figure:
    """Share of runs meeting each rule under baseline, prior and posterior, with 95%
    Wilson intervals; report-only rules are marked."""
    table = check.table()
    arms = list(check.met)
    colors = {"baseline": "0.6", "prior": "tab:orange", "posterior": "tab:blue",
              "forecast": "tab:green"}
    fig, ax = plt.subplots(figsize=(10, 0.42 * len(table) + 1.5), layout="constrained")
    y = np.arange(len(table))
    h = 0.8 / len(arms)
    for i, arm in enumerate(arms):
        share = table[arm].to_numpy()
        err = np.maximum(np.vstack([share - table[f"{arm}_lo"], table[f"{arm}_hi"] - share]),
                         0.0)
        ax.barh(y + (i - (len(arms) - 1) / 2) * h, share, height=h, xerr=err,
                color=colors.get(arm, f"C{i}"), label=arm, error_kw={"lw": 0.7})
    labels = [f"{r}{' (report only)' if w == 0 else ''}"
              for r, w in zip(table["rule"], table["weight"])]
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of runs meeting the rule (bars: 95% Wilson interval)")
    ax.set_title("Predictive check: how often runs reproduce each pattern of the record")
    ax.legend(loc="lower right", fontsize=8)
    if path is not None:
        finish(fig, path)
        plt.close(fig)
    return fig


# ------------------------------------------------------------------ report.md


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def report_text(result: Calibration, wall_time: float = 0.0) -> str:
    """The calibration report: parameters, fit per rule, forecast skill, honesty notes."""
    lines = [*_fit_section(result, wall_time), *_parameter_section(result.posterior),
             *_predictive_section(result)]
    if result.forecast is not None and result.forecast_check is not None:
        lines += _forecast_section(result)
    lines += ["## What the record cannot say", ""]
    for entry in result.observations.unexpressed:
        part = f" ({entry['part']})" if entry.get("part") else ""
        lines.append(f"- {', '.join(entry['events'])}{part}: {entry['why']}.")
    lines += ["", "Intelligence estimates of volumes disagree (confidence M rules weigh half);"
              " events after October 2024 are never used.", ""]
    return "\n".join(lines)


def _fit_section(result: Calibration, wall_time: float) -> list[str]:
    """How the fit was made: method, effort, rounds and the final threshold."""
    posterior, observations = result.posterior, result.observations
    lines = ["# Calibration to the record, July 2023 – October 2024", "",
             f"Scenario `{result.scenario.name}` calibrated with pyabc's ABC-SMC (thresholds: "
             f"the median distance of the last population; seed {result.seed}): "
             f"{len(posterior.weights)} particles (effective sample size "
             f"{1 / np.sum(posterior.weights ** 2):.0f}, the weights' 1/Σw²), "
             f"{posterior.simulations:,} simulated runs "
             f"(the prior sample that sets the first threshold included) in "
             f"{len(posterior.rounds)} rounds, "
             f"calibration wall time {posterior.wall_time:.0f} s, CPU time "
             f"{posterior.cpu_time:.0f} s on one core (whole command "
             f"{wall_time:.0f} s). Fitted rules: {len(posterior.rules)} of "
             f"{len(observations.rules)} (the rest are report-only). Each particle is one run "
             f"of {observations.months} months; its distance is the weighted sum of its rule "
             "scores (`experiments/record/observations.toml`).", "",
             "| round | threshold | simulations |", "|---|---|---|"]
    lines += [f"| {r['round']} | {r['threshold']:.3g} | {r['simulations']:,} |"
              for r in posterior.rounds]
    final = posterior.rounds[-1]["threshold"] if posterior.rounds else float("nan")
    lines += ["", ("The final threshold is 0: every accepted particle's run met every "
                   "fitted rule." if final == 0 else
                   f"The final threshold is {final:.3g} > 0: the rounds ended before a "
                   "population of runs met every fitted rule, so the posterior is an "
                   "approximation (more `--rounds` lower the threshold, if the model's "
                   "structure allows)."), ""]
    return lines


def _parameter_section(posterior: Posterior) -> list[str]:
    """Prior vs posterior of every parameter; which ones the record pinned."""
    table = parameter_table(posterior)
    lines = ["## Parameters: prior vs posterior", "",
             "| parameter | prior | posterior median | 90% interval | narrowed to |",
             "|---|---|---|---|---|"]
    for row in table.itertuples():
        lines.append(f"| `{row.parameter}` | {row.prior_low:g}–{row.prior_high:g} | "
                     f"{row.median:.3g} | {row.q05:.3g}–{row.q95:.3g} | "
                     f"{_pct(row.width_ratio)} of the prior's |")
    pinned = [r.parameter for r in table.itertuples() if r.width_ratio < 0.6]
    free = [r.parameter for r in table.itertuples() if r.width_ratio >= 0.85]
    return lines + ["", "Pinned by the record (90% interval under 60% of the prior's): "
                    + (", ".join(f"`{k}`" for k in pinned) or "none") + ". Left free (85% or "
                    "more): " + (", ".join(f"`{k}`" for k in free) or "none") + ".", "",
                    "![prior vs posterior](parameters.png)", ""]


def _predictive_section(result: Calibration) -> list[str]:
    """The share of runs meeting each rule under baseline, prior and posterior."""
    check, table = result.check, result.check.table()
    lines = ["## How often runs reproduce the record", "",
             f"Share of {result.runs} runs meeting each rule (same seeds in every column): the "
             "baseline as judged, parameters drawn from the prior, and the posterior "
             "(each run draws one particle).", "",
             "| rule | events | weight | test | baseline | prior | posterior |",
             "|---|---|---|---|---|---|---|"]
    for row in table.itertuples():
        lines.append(f"| `{row.rule}` | {row.events} | {row.weight:g} | {row.test} | "
                     f"{_pct(row.baseline)} | {_pct(row.prior)} | **{_pct(row.posterior)}** |")
    met = [r.rule for r in table.itertuples() if r.posterior >= 0.5]
    missed = [r.rule for r in table.itertuples() if r.posterior < 0.5]
    return lines + ["", f"All fitted rules at once: baseline "
                    f"{_pct(check.all_fitted('baseline'))}, prior "
                    f"{_pct(check.all_fitted('prior'))}, posterior "
                    f"{_pct(check.all_fitted('posterior'))} of runs.", "",
                    "Met by most posterior runs: "
                    + (", ".join(f"`{r}`" for r in met) or "none")
                    + ". Missed by most: " + (", ".join(f"`{r}`" for r in missed) or "none")
                    + ".", "", "![predictive check](predictive.png)", ""]


def _forecast_section(result: Calibration) -> list[str]:
    """What the fit to the early record predicts for the rules it never saw."""
    observations, forecast = result.observations, result.forecast
    held = [r for r in observations.rules if r.weight > 0 and r.id not in forecast.rules]
    ftable = result.forecast_check.table().set_index("rule")
    full = result.check.table().set_index("rule")["posterior"]
    lines = ["## Forecast skill inside the window", "",
             f"A second calibration used only the rules whose events are dated up to "
             f"{observations.forecast_cutoff.isoformat()} ({len(forecast.rules)} rules, "
             f"{forecast.simulations:,} runs, {forecast.wall_time:.0f} s). What it "
             "predicts for the rules it never saw, against the prior and the full "
             "posterior:", "",
             "| held-out rule | events | prior | fitted to March 2024 | fitted to June "
             "2024 |", "|---|---|---|---|---|"]
    for rule in held:
        row = ftable.loc[rule.id]
        lines.append(f"| `{rule.id}` | {row['events']} | {_pct(row['prior'])} | "
                     f"**{_pct(row['forecast'])}** ({_pct(row['forecast_lo'])}–"
                     f"{_pct(row['forecast_hi'])}) | {_pct(full[rule.id])} |")
    lines += ["", "A forecast has skill when the early-record posterior raises the share "
              "of runs meeting a held-out rule above the prior's.", ""]
    if result.forecast_scores is not None:
        table = result.forecast_scores
        lines += [f"The same fit's forecasts of the yes/no questions of "
                  f"`experiments/record/forecasts.toml` whose window starts after "
                  f"{table['origin'].iloc[0]}, scored as `python run.py score` scores them "
                  "(share of runs where each comes true, weighted by the hard facts known "
                  "then; persistence and the base rate as references; 95% bootstrap "
                  "intervals):", "", *skill_lines(result.forecast_summary), "",
                  "| question | came true | fitted to March 2024 | persistence |",
                  "|---|---|---|---|"]
        lines += [f"| `{r.forecast}` | {'yes' if r.outcome else 'no'} | {r.p_model:.2f} | "
                  f"{r.p_persistence:.2f} |" for r in table.itertuples()]
        lines.append("")
    return lines


# ------------------------------------------------------------------ the calibrated scenario


def scenario_text(posterior: Posterior, *, name: str, sample_file: str, extends: str,
                  horizon: int, start: str, command: str) -> str:
    """A scenario file that extends ``extends`` and carries ``posterior`` as its joint
    sample; each calibrated parameter's point value is its posterior median (used where
    one value is needed, e.g. the stage game), with ``record`` as its source."""
    sections: dict[str, list[str]] = {}
    for key in posterior.keys:
        section, leaf = key.rsplit(".", 1)
        lo, med, hi = posterior.quantiles(key)
        prior = posterior.priors[key]
        why = (f"posterior median of the calibration to the record (90% interval {lo:.3g}"
               f"-{hi:.3g}, prior {prior.low:g}-{prior.high:g}); each run draws its value "
               f"from the joint sample")
        sections.setdefault(section, []).append(
            f'{leaf} = {{ value = {med:.6g}, source = "record", why = "{why}" }}')
    lines = [f"# The {extends} scenario's incentives fitted to what happened July 2023 - "
             "October 2024 and projected to December 2028.", f"# Written by `{command}`; the "
             "posterior "
             f"({len(posterior.weights)} weighted particles) is {sample_file}:",
             "# every run draws one particle from its own seed. Rerun the command to refit.",
             f'extends = "{extends}"', f'name = "{name}"',
             f'description = "The {extends} scenario\'s incentives fitted to the record of '
             'July 2023 - October 2024, projected to December 2028"', f'start = "{start}"',
             f"horizon = {horizon}", "", "[sample]", f'file = "{sample_file}"']
    for section, entries in sections.items():
        lines += ["", f"[{section}]", *entries]
    return "\n".join(lines) + "\n"


def write_calibration(result: Calibration, out: Path, started: float,
                      extra: dict | None = None) -> list[str]:
    """The folder of one calibration; returns the names of the files written."""
    posterior, forecast = result.posterior, result.forecast
    text = report_text(result, wall_time=time.perf_counter() - started)
    with output_folder(out) as folder:
        posterior.write_csv(folder.path("posterior.csv"))
        if forecast is not None:
            forecast.write_csv(folder.path("forecast_posterior.csv"))
        folder.write_table("predictive", result.check.table())
        if result.forecast_scores is not None:
            folder.write_table("forecast_scores", result.forecast_scores)
        folder.save_figure("parameters.png",
                           lambda p: plot_parameters(posterior, p, extra=forecast))
        folder.save_figure("predictive.png", lambda p: plot_predictive(result.check, p))
        folder.write_text("report.md", text)
        folder.write_json("manifest.json", manifest(
            result.scenario, command="calibrate", seed=result.seed, runs=result.runs,
            months=result.observations.months, wall_time=time.perf_counter() - started,
            files=[*folder.files, "manifest.json"],
            extra={**(extra or {}), "particles": len(posterior.weights),
                   "rounds": posterior.rounds, "simulations": posterior.simulations,
                   "calibration_seconds": round(posterior.wall_time, 1),
                   "calibration_cpu_seconds": round(posterior.cpu_time, 1),
                   "observations": str(result.observations.path),
                   "priors": {k: [p.low, p.high] for k, p in posterior.priors.items()},
                   "rules": list(posterior.rules)}))
        return list(folder.files)


# ------------------------------------------------------------------ the scenario file


class ScenarioTargetError(ValueError):
    """``--write-scenario NAME`` would replace a file that is not a calibration's output;
    the message is one line."""


def scenario_target(name: str, directory: Path) -> tuple[Path, Path]:
    """``(NAME.toml, NAME.posterior.csv)`` in ``directory``, if writing them loses nothing:
    neither exists, or ``NAME.toml`` is itself a calibration's output (a ``[sample]``
    reading ``NAME.posterior.csv``, what :func:`write_scenario` writes), so this is a
    refit. Anything else there, shipped or the user's, is refused."""
    toml, csv = directory / f"{name}.toml", directory / f"{name}.posterior.csv"
    if toml.exists():
        try:
            sample = tomllib.loads(toml.read_text(encoding="utf-8")).get("sample", {})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            sample = {}
        if not isinstance(sample, dict) or sample.get("file") != csv.name:
            raise ScenarioTargetError(
                f"{toml} exists and is not a calibrated scenario (its [sample] does not read "
                f"{csv.name}); it is never overwritten: choose a new name")
    elif csv.exists():
        raise ScenarioTargetError(f"{csv} exists without {toml.name}; it is never "
                                  "overwritten: choose a new name")
    return toml, csv


def write_scenario(posterior: Posterior, name: str, directory: Path, *, extends: str,
                   horizon: int, start: str, command: str) -> tuple[Path, Path]:
    """Write ``NAME.toml`` (extending ``extends``, carrying the posterior) and
    ``NAME.posterior.csv`` into ``directory``, after :func:`scenario_target`'s check."""
    toml, csv = scenario_target(name, directory)
    posterior.write_csv(csv)
    toml.write_text(scenario_text(posterior, name=name, sample_file=csv.name,
                                  extends=extends, horizon=horizon, start=start,
                                  command=command), encoding="utf-8")
    return toml, csv
