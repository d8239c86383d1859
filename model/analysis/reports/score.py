"""The folder of `score`: rolling-origin forecasts and their scores.

- Figures: the reliability diagram (forecast probability against how often such questions
  came true, the model's and persistence's) and every question's probability by origin,
  the outcome marked.
- ``report.md``: settings, the skill table (Brier and log, against persistence and the
  base rate, with 95% bootstrap intervals), every question's forecasts and scores, what
  each origin's fit saw.
- :func:`write_score`: ``questions.csv``/``.parquet``, ``summary.csv``/``.parquet``,
  ``reliability.csv``, ``posterior_ORIGIN.csv`` per origin, the figures, ``report.md``,
  ``manifest.json``.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ...output.figures import finish, new_figure
from ...output.report_header import header
from ...output.results import manifest, output_folder
from ..score import REFERENCES, ScoreResult, reliability_table

_NAMES = {"model": "model", "persistence": "persistence", "base_rate": "base rate"}
_COLORS = {"model": "tab:blue", "persistence": "tab:orange", "base_rate": "0.5"}


# ------------------------------------------------------------------ figures


def plot_reliability(result: ScoreResult, path=None, bins: int = 5) -> Figure:
    """Reliability diagram over every origin's questions: for each probability bin, the
    mean forecast against the share of its questions that came true (marker area: how
    many questions), for the model and for persistence; the diagonal is perfect
    reliability, the dashed line the share that came true overall."""
    table = result.table
    fig, (ax,) = new_figure(1, 1, (6.4, 5.6))
    ax.plot([0, 1], [0, 1], color="0.3", lw=1, label="perfectly reliable")
    overall = float(table["outcome"].mean())
    ax.axhline(overall, color=_COLORS["base_rate"], ls="--", lw=1,
               label=f"share that came true ({overall:.0%})")
    for name in ("model", "persistence"):
        rel = reliability_table(table[f"p_{name}"], table["outcome"], bins).dropna()
        ax.plot(rel["mean_probability"], rel["observed"], "-", color=_COLORS[name], lw=1,
                alpha=0.6)
        ax.scatter(rel["mean_probability"], rel["observed"], s=30 + 25 * rel["count"],
                   color=_COLORS[name], alpha=0.8, edgecolor="white", zorder=3,
                   label=f"{_NAMES[name]} (area: questions in the bin)")
        offset = (8, -12) if name == "model" else (-14, 6)
        for row in rel.itertuples():
            ax.annotate(f"{row.count}", (row.mean_probability, row.observed), fontsize=7,
                        xytext=offset, textcoords="offset points", color=_COLORS[name])
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(f"forecast probability (mean of its bin; {bins} bins of 0.2)")
    ax.set_ylabel("share of the bin's questions that came true")
    origins = ", ".join(label for label, _ in _origins(result))
    ax.set_title(f"Reliability: {len(table)} forecasts from origins {origins}", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(color="0.92")
    if path is not None:
        finish(fig, path)
    return fig


def _label(result: ScoreResult, month: int) -> str:
    """An origin's calendar label, e.g. ``Mar 2024``."""
    return result.table.loc[result.table["origin_month"] == month, "origin"].iloc[0]


def _origins(result: ScoreResult) -> list[tuple[str, int]]:
    """The origins scored: ``(label, month)`` in time order."""
    frame = result.table.drop_duplicates("origin_month").sort_values("origin_month")
    return [(r.origin, r.origin_month) for r in frame.itertuples()]


def plot_questions(result: ScoreResult, path=None) -> Figure:
    """Every question (a row) with the model's probability from each origin (markers by
    origin) and persistence's (grey ticks); the outcome as a filled (came true) square at
    1 or an open (did not) one at 0."""
    table = result.table
    questions = list(dict.fromkeys(table["forecast"]))
    fig, (ax,) = new_figure(1, 1, (9.5, 0.38 * len(questions) + 1.8))
    y = {q: i for i, q in enumerate(questions)}
    markers = ["o", "s", "D", "^", "v", "P", "X"]
    for k, (label, month) in enumerate(_origins(result)):
        frame = table[table["origin_month"] == month]
        ax.scatter(frame["p_model"], [y[q] + 0.12 * (k - 1) for q in frame["forecast"]],
                   marker=markers[k % len(markers)], s=36, color=f"C{k}", zorder=3,
                   label=f"model, origin {label}")
    ax.scatter(table["p_persistence"], [y[q] for q in table["forecast"]], marker="|", s=160,
               color="0.45", zorder=2, label="persistence (any origin)")
    outcomes = table.drop_duplicates("forecast").set_index("forecast")["outcome"]
    for q, outcome in outcomes.items():
        ax.scatter([outcome], [y[q]], marker="s", s=70, zorder=2,
                   facecolor="black" if outcome else "white", edgecolor="black")
    ax.scatter([], [], marker="s", s=70, facecolor="black", edgecolor="black",
               label="outcome: came true (at 1)")
    ax.scatter([], [], marker="s", s=70, facecolor="white", edgecolor="black",
               label="outcome: did not (at 0)")
    ax.set_yticks(range(len(questions)), questions, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(-0.05, 1.05)
    ax.set_xlabel("probability that the question comes true (share of posterior runs)")
    ax.grid(axis="x", color="0.9")
    ax.set_title("Each question's forecast by origin, against what happened", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if path is not None:
        finish(fig, path)
    return fig


# ------------------------------------------------------------------ report.md


def _interval(point: float, lo: float, hi: float) -> str:
    if not np.isfinite(point):
        return "undefined (the reference scores 0)"
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return f"{point:+.2f}"
    verdict = ("skill" if lo > 0 else "worse than the reference" if hi < 0
               else "no skill shown")
    return f"{point:+.2f} ({lo:+.2f} to {hi:+.2f}; {verdict})"


def skill_lines(summary: pd.DataFrame) -> list[str]:
    """The skill table (``model.analysis.score.summary_table``): per origin and over all,
    Brier and log skill against each reference with its 95% bootstrap interval."""
    lines = ["| origin | questions (came true) | Brier: model / persistence / base rate | "
             "Brier skill vs persistence | Brier skill vs base rate | log skill vs "
             "persistence | log skill vs base rate |", "|---|---|---|---|---|---|---|"]
    for row in summary.to_dict("records"):
        cells = [row["origin"], f"{row['questions']} ({row['came_true']})",
                 f"{row['brier_model']:.3f} / {row['brier_persistence']:.3f} / "
                 f"{row['brier_base_rate']:.3f}"]
        for score in ("brier", "log"):
            for ref in REFERENCES:
                key = f"{score}_skill_vs_{ref}"
                cells.append(_interval(row[key], row[f"{key}_lo"], row[f"{key}_hi"]))
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return lines


def better_lines(table: pd.DataFrame) -> list[str]:
    """Where the model's skill against persistence comes from: the questions on which its
    Brier score is lower than persistence's, and how the rest compare."""
    better = table[table["brier_model"] < table["brier_persistence"]]
    rest = table.drop(better.index)
    lines = [f"The model's Brier score beats persistence's on {len(better)} of {len(table)} "
             "questions" + (": " + ", ".join(f"`{r.forecast}` from {r.origin} "
                                             f"({r.brier_model:.3f} against "
                                             f"{r.brier_persistence:.3f})"
                                             for r in better.itertuples()) if len(better)
                            else "") + "."]
    if len(better) and len(rest):
        lines.append(f"On the other {len(rest)} questions the mean Brier score is "
                     f"{rest['brier_model'].mean():.3f} for the model against "
                     f"{rest['brier_persistence'].mean():.3f} for persistence (skill "
                     f"{1 - rest['brier_model'].mean() / rest['brier_persistence'].mean():+.2f})"
                     ".")
    return lines


def report_text(result: ScoreResult, wall_time: float) -> str:
    """The score report."""
    s, forecasts = result.settings, result.forecasts
    text = [header("Forecasts scored like forecasts: rolling origins inside the record",
                   result.scenario, s["runs"], s["seed"]).rstrip(), "",
            f"For each origin the scenario's unconstrained parameters were fitted (pyabc "
            f"ABC-SMC, the calibration's flow) to the observation rules whose events are all "
            f"dated by the origin's last day, with {s['particles']} particles and at most "
            f"{s['rounds']} rounds (seed {s['seed']} + the origin's index); each question of "
            f"`{forecasts.path.name}` whose window starts after the origin then got the share "
            f"of {s['runs']} posterior-predictive runs in which it came true, as "
            "(k + ½)/(n + 1) " + ("of the runs agreeing with the record's hard facts known at "
                                  "the origin" if s["condition"] == "record" else
                                  "(runs not conditioned on the record)") + ".",
            "",
            f"References on the same questions: **persistence** — the record's state of each "
            f"question's condition at the origin carries on; probability "
            f"{forecasts.persistence_confidence:g} for what that implies "
            f"({forecasts.persistence_why}); **base rate** — the share of the origin's "
            "questions that came true, (s + ½)/(N + 1), for every question (in-sample "
            "climatology: it knows how often the answer was yes). Scores from `scoringrules` "
            "(Brier, log; lower is better); skill = 1 − model / reference (1 perfect, 0 no "
            f"better, negative worse), 95% intervals from {s['bootstrap']} bootstrap "
            "resamples of the questions. With a handful of questions per origin the "
            "intervals are wide: a skill whose interval includes 0 is reported as none "
            "shown.", "", "## Skill", "", *skill_lines(result.summary), "",
            *better_lines(result.table), "",
            "![reliability](reliability.png)", "", "![questions](questions.png)", "",
            "## What each origin's fit saw", "",
            "| origin | fitted rules | runs simulated | final threshold | runs agreeing with "
            "the facts known then |", "|---|---|---|---|---|"]
    for origin in result.origins:
        label = _label(result, origin.origin)
        final = origin.posterior.rounds[-1]["threshold"] if origin.posterior.rounds else 0
        text.append(f"| {label} | {len(origin.fitted_rules)} | "
                    f"{origin.posterior.simulations:,} | {final:.3g} | "
                    f"{origin.kept:.0f} of {s['runs']} ({', '.join(origin.facts) or 'none'}) |")
    warnings = [f"**Warning ({_label(result, o.origin)}):** {o.warning}."
                for o in result.origins if o.warning]
    text += ["", *([*warnings, ""] if warnings else []), "## Every question", "",
             "| origin | question | window | came true | model | persistence | base rate | "
             "Brier model | Brier persistence |", "|---|---|---|---|---|---|---|---|---|"]
    for row in result.table.itertuples():
        text.append(f"| {row.origin} | `{row.forecast}` ({row.events}) | {row.window} | "
                    f"{'yes' if row.outcome else 'no'} | {row.p_model:.2f} | "
                    f"{row.p_persistence:.2f} | {row.p_base_rate:.2f} | "
                    f"{row.brier_model:.3f} | {row.brier_persistence:.3f} |")
    text += ["", f"Whole command {wall_time:.0f} s. Data: `questions.csv` (every question "
             "and score), `summary.csv` (the skill table), `reliability.csv`, "
             "`posterior_ORIGIN.csv` (each origin's fit).", ""]
    return "\n".join(text)


def write_score(result: ScoreResult, out: Path, started: float) -> list[str]:
    """The folder of one `score`; returns the names of the files written."""
    text = report_text(result, time.perf_counter() - started)
    with output_folder(out) as folder:
        folder.write_table("questions", result.table)
        folder.write_table("summary", result.summary)
        reliability_table(result.table["p_model"], result.table["outcome"]).to_csv(
            folder.path("reliability.csv"), index=False)
        for origin in result.origins:
            label = _label(result, origin.origin)
            origin.posterior.write_csv(folder.path(
                f"posterior_{label.replace(' ', '_')}.csv"))
        folder.save_figure("reliability.png", lambda p: plot_reliability(result, p))
        folder.save_figure("questions.png", lambda p: plot_questions(result, p))
        folder.write_text("report.md", text)
        folder.write_json("manifest.json", manifest(
            result.scenario, command="score", seed=result.settings["seed"],
            runs=result.settings["runs"], months=result.forecasts.observations.months,
            wall_time=time.perf_counter() - started, files=[*folder.files, "manifest.json"],
            extra={**result.settings,
                   "origins": list(dict.fromkeys(result.table["origin"])),
                   "forecasts": str(result.forecasts.path),
                   "observations": str(result.forecasts.observations.path),
                   "summary": result.summary.to_dict("records")}))
        return list(folder.files)
