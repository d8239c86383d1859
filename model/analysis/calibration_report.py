"""What a calibration found: predictive checks, figures and ``report.md``.

- Predictive shares: for the baseline as judged, for draws from the prior and for the
  posterior (the scenario carrying the posterior as its joint sample), the share of runs
  that meet each observation rule (with Wilson 95% intervals).
- Figures: prior vs posterior of every calibrated parameter; the predictive share of
  every rule under baseline, prior and posterior.
- The forecast-skill check: a posterior fitted only to the events up to the cutoff, and
  what it predicts for the rules held out.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..core.record import Observations
from ..core.sampling import construction_draws, derive_seeds
from ..core.schema import JointSample, Scenario
from ..ensemble.driver import make_streams, simulate
from ..output.figures import finish
from ..output.statistics import wilson_interval
from .calibration_elfi import Posterior
from .calibration_observations import arrays_from_ensemble, score_matrix


def with_posterior(scenario: Scenario, posterior: Posterior, file: str = "(in memory)"
                   ) -> Scenario:
    """``scenario`` carrying ``posterior`` as its joint sample (each run draws a particle)."""
    sample = JointSample(file=file, keys=posterior.keys,
                         weights=tuple(float(w) for w in posterior.weights),
                         values=tuple(tuple(float(v) for v in row) for row in posterior.samples))
    return scenario.model_copy(update={"sample": sample})


def predictive_met(scenario: Scenario, observations: Observations, runs: int, seed: int,
                   values: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Whether each of ``runs`` runs meets each rule: boolean ``(runs, rules)``."""
    streams = make_streams(derive_seeds(seed, runs), construction_draws(scenario),
                           observations.months)
    arrays = simulate(scenario, months=observations.months, streams=streams, values=values)
    return score_matrix(observations, arrays_from_ensemble(arrays)) == 0


def prior_values(posterior: Posterior, runs: int, seed: int) -> dict[str, np.ndarray]:
    """One draw from the uniform priors per run (for the prior predictive check)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    return {k: p.low + (p.high - p.low) * rng.random(runs) for k, p in posterior.priors.items()}


@dataclass
class Check:
    """Predictive shares of every rule under the baseline, the prior and the posterior."""

    observations: Observations
    met: dict[str, np.ndarray]  # arm -> (runs, rules) booleans

    def table(self) -> pd.DataFrame:
        """One row per rule: its facts and, per arm, the share of runs meeting it."""
        rows = []
        for j, rule in enumerate(self.observations.rules):
            row = {"rule": rule.id, "events": ", ".join(rule.events), "weight": rule.weight,
                   "test": rule.describe()}
            for arm, met in self.met.items():
                row[arm] = float(met[:, j].mean())
                lo, hi = wilson_interval(int(met[:, j].sum()), met.shape[0])
                row[f"{arm}_lo"], row[f"{arm}_hi"] = lo, hi
            rows.append(row)
        return pd.DataFrame(rows)

    def all_fitted(self, arm: str) -> float:
        """Share of runs of ``arm`` meeting every fitted rule at once."""
        fitted = [j for j, r in enumerate(self.observations.rules) if r.weight > 0]
        return float(self.met[arm][:, fitted].all(axis=1).mean())


def predictive_check(scenario: Scenario, observations: Observations, posterior: Posterior,
                     runs: int, seed: int) -> Check:
    """Baseline, prior and posterior predictive shares of every rule (same run seeds)."""
    return Check(observations, {
        "baseline": predictive_met(scenario, observations, runs, seed),
        "prior": predictive_met(scenario, observations, runs, seed,
                                prior_values(posterior, runs, seed)),
        "posterior": predictive_met(with_posterior(scenario, posterior), observations, runs,
                                    seed),
    })


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


def parameter_table(posterior: Posterior) -> pd.DataFrame:
    """Prior range, posterior median and 90% interval, and how much the record narrowed
    each parameter (interval width over prior width)."""
    rows = []
    for key in posterior.keys:
        prior = posterior.priors[key]
        lo, med, hi = posterior.quantiles(key)
        rows.append({"parameter": key, "prior_low": prior.low, "prior_high": prior.high,
                     "median": med, "q05": lo, "q95": hi,
                     "width_ratio": (hi - lo) / (0.9 * (prior.high - prior.low))})
    return pd.DataFrame(rows)


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def report_text(scenario: Scenario, observations: Observations, posterior: Posterior,
                check: Check, *, runs: int, seed: int, forecast: Posterior | None = None,
                forecast_check: Check | None = None, wall_time: float = 0.0) -> str:
    """The calibration report: parameters, fit per rule, forecast skill, honesty notes."""
    lines = ["# Calibration to the record, July 2023 – June 2024", "",
             f"Scenario `{scenario.name}` calibrated with ELFI adaptive-threshold ABC-SMC "
             f"(seed {seed}): {len(posterior.weights)} particles, "
             f"{posterior.simulations:,} simulated runs in {len(posterior.rounds)} rounds, "
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
                   f"The final threshold is {final:.3g} > 0: no population of runs met every "
                   "fitted rule at once, so the posterior is the best the structure reaches, "
                   "not an exact fit."), ""]
    lines += ["## Parameters: prior vs posterior", "",
              "| parameter | prior | posterior median | 90% interval | narrowed to |",
              "|---|---|---|---|---|"]
    for row in parameter_table(posterior).itertuples():
        lines.append(f"| `{row.parameter}` | {row.prior_low:g}–{row.prior_high:g} | "
                     f"{row.median:.3g} | {row.q05:.3g}–{row.q95:.3g} | "
                     f"{_pct(row.width_ratio)} of the prior's |")
    pinned = [r.parameter for r in parameter_table(posterior).itertuples()
              if r.width_ratio < 0.6]
    free = [r.parameter for r in parameter_table(posterior).itertuples()
            if r.width_ratio >= 0.85]
    lines += ["", "Pinned by the record (90% interval under 60% of the prior's): "
              + (", ".join(f"`{k}`" for k in pinned) or "none") + ". Left free (85% or "
              "more): " + (", ".join(f"`{k}`" for k in free) or "none") + ".", "",
              "![prior vs posterior](parameters.png)", ""]
    table = check.table()
    lines += ["## How often runs reproduce the record", "",
              f"Share of {runs} runs meeting each rule (same seeds in every column): the "
              "baseline as judged, parameters drawn from the prior, and the posterior "
              "(each run draws one particle).", "",
              "| rule | events | weight | test | baseline | prior | posterior |",
              "|---|---|---|---|---|---|---|"]
    for row in table.itertuples():
        lines.append(f"| `{row.rule}` | {row.events} | {row.weight:g} | {row.test} | "
                     f"{_pct(row.baseline)} | {_pct(row.prior)} | **{_pct(row.posterior)}** |")
    met = [r.rule for r in table.itertuples() if r.posterior >= 0.5]
    missed = [r.rule for r in table.itertuples() if r.posterior < 0.5]
    lines += ["", f"All fitted rules at once: baseline {_pct(check.all_fitted('baseline'))}, "
              f"prior {_pct(check.all_fitted('prior'))}, posterior "
              f"{_pct(check.all_fitted('posterior'))} of runs.", "",
              "Met by most posterior runs: " + (", ".join(f"`{r}`" for r in met) or "none")
              + ". Missed by most: " + (", ".join(f"`{r}`" for r in missed) or "none") + ".",
              "", "![predictive check](predictive.png)", ""]
    if forecast is not None and forecast_check is not None:
        held = [r for r in observations.rules
                if r.weight > 0 and r.id not in forecast.rules]
        ftable = forecast_check.table().set_index("rule")
        lines += ["## Forecast skill inside the window", "",
                  f"A second calibration used only the rules whose events are dated up to "
                  f"{observations.forecast_cutoff.isoformat()} ({len(forecast.rules)} rules, "
                  f"{forecast.simulations:,} runs, {forecast.wall_time:.0f} s). What it "
                  "predicts for the rules it never saw, against the prior and the full "
                  "posterior:", "",
                  "| held-out rule | events | prior | fitted to March 2024 | fitted to June "
                  "2024 |", "|---|---|---|---|---|"]
        for rule in held:
            row = ftable.loc[rule.id]
            full = table.set_index("rule").loc[rule.id, "posterior"]
            lines.append(f"| `{rule.id}` | {row['events']} | {_pct(row['prior'])} | "
                         f"**{_pct(row['forecast'])}** ({_pct(row['forecast_lo'])}–"
                         f"{_pct(row['forecast_hi'])}) | {_pct(full)} |")
        lines += ["", "A forecast has skill when the early-record posterior raises the share "
                  "of runs meeting a held-out rule above the prior's.", ""]
    lines += ["## What the record cannot say", ""]
    for entry in observations.unexpressed:
        part = f" ({entry['part']})" if entry.get("part") else ""
        lines.append(f"- {', '.join(entry['events'])}{part}: {entry['why']}.")
    lines += ["", "Intelligence estimates of volumes disagree (confidence M rules weigh half);"
              " events after June 2024 are never used.", ""]
    return "\n".join(lines)


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
    lines = ["# The baseline's incentives fitted to what happened July 2023 - June 2024 and "
             "projected to December 2028.", f"# Written by `{command}`; the posterior "
             f"({len(posterior.weights)} weighted particles) is {sample_file}:",
             "# every run draws one particle from its own seed. Rerun the command to refit.",
             f'extends = "{extends}"', f'name = "{name}"',
             'description = "The baseline\'s incentives fitted to the record of July 2023 - '
             'June 2024, projected to December 2028"', f'start = "{start}"',
             f"horizon = {horizon}", "", "[sample]", f'file = "{sample_file}"']
    for section, entries in sections.items():
        lines += ["", f"[{section}]", *entries]
    return "\n".join(lines) + "\n"
