"""Inspect the game at a month: payoff tables, pure equilibria, the QRE and its branch,
and a regime map of which equilibrium holds as two parameters vary.

Behind ``python run.py equilibria``. The month's state comes from one Mesa run of the
scenario with the given seed; the regime map re-runs the same seed to the same month at
every grid cell (ensemble driver, one run per cell, common random numbers) and solves
each cell's stage game.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..abm.model import AllianceModel
from ..core.actions import DIMENSION_BY_KEY, Actor
from ..core.sampling import construction_draws, monthly_draws
from ..core.scenario import Scenario, ScenarioError
from ..ensemble.driver import make_streams, simulate
from ..games import logit_qre, qre_branch, regret
from ..kernels import (
    ActorPolicy,
    MonthGame,
    kernel_params,
    month_inputs,
    pinned_options,
    with_exits,
    with_memory,
)
from ..kernels.stage import OPTIONS, PLAYERS, StageGame
from ..output.figures import finish
from .sweep import Axis, check_grid

SHORT = {"russia": "RU", "north_korea": "NK", "united_states": "US", "china": "CN"}


def profile_label(profile) -> str:
    """``RU limited/food/none/enforce · NK limited · US status_quo · CN neutral``."""
    return " · ".join(f"{SHORT[p.actor.value]} {p.labels[int(i)]}"
                      for p, i in zip(OPTIONS, profile))


@dataclass
class MonthAnalysis:
    """The stage game at a month and what solves it."""

    game: StageGame
    modal: list[int]  # each player's modal joint option under the public beliefs
    equilibria: list[tuple[int, ...]]
    selected: tuple[int, ...] | None  # what the nash rule would play
    lam: float
    qre: list[np.ndarray]
    qre_regret: float


def state_at(scenario: Scenario, month: int, seed: int) -> AllianceModel:
    """A Mesa run of ``scenario`` advanced to ``month``."""
    if not 0 <= month <= scenario.horizon:
        raise ScenarioError(f"--month {month}: beyond the horizon; allowed 0 ≤ month ≤ "
                            f"{scenario.horizon} (scenario {scenario.name!r})")
    model = AllianceModel(scenario, seed=seed)
    model.run(month)
    return model


def analyse(model: AllianceModel, lam: float) -> MonthAnalysis:
    """Equilibria, the selected one, the modal play and the QRE at ``lam``."""
    if not np.isfinite(lam) or lam < 0:
        raise ScenarioError(f"--lam {lam}: allowed a finite number ≥ 0")
    month_game = model.month_game()  # next month's levers and pinned play
    payoffs = month_game.payoffs[0]
    found = [tuple(int(i) for i in e) for e in np.argwhere(month_game.equilibria[0])]
    selected = tuple(int(i) for i in month_game.selected[0]) if found else None
    modal_choice = {key: np.array([int(np.argmax(b[0]))]) for key, b in model.beliefs.items()}
    modal = [int(p.joint_index(modal_choice)[0]) for p in OPTIONS]
    strategies = logit_qre(payoffs, lam)
    return MonthAnalysis(StageGame(payoffs, model.month), modal, found, selected, lam,
                         strategies, regret(payoffs, strategies))


def payoff_tables(analysis: MonthAnalysis) -> str:
    """Each player's payoff of each option against the others' modal play (best marked).

    Russia's payoff is separable across its dimensions, so its 36 joint options are shown
    dimension by dimension, the other three of its dimensions held at their best.
    """
    u = analysis.game.payoffs
    lines = []
    for i, player in enumerate(OPTIONS):
        index = list(analysis.modal)
        index[i] = slice(None)
        row = u[(i, *index)]  # payoffs of each of player i's options
        others = ", ".join(f"{SHORT[o.actor.value]} {o.labels[analysis.modal[k]]}"
                           for k, o in enumerate(OPTIONS) if k != i)
        lines.append(f"{player.actor.value} (others at their recent modal play: {others})")
        best = int(np.argmax(row))
        if len(player.dimensions) == 1:
            for j, label in enumerate(player.labels):
                mark = "  <- best" if j == best else ""
                lines.append(f"    {label:<24} {row[j]:+8.3f}{mark}")
        else:
            combo = player.combos[best]
            for d, dim in enumerate(player.dimensions):
                lines.append(f"  {dim.key}:")
                for o, option in enumerate(dim.options):
                    alt = combo.copy()
                    alt[d] = o
                    j = int(np.flatnonzero((player.combos == alt).all(axis=1))[0])
                    mark = "  <- best" if o == combo[d] else ""
                    lines.append(f"    {option:<24} {row[j]:+8.3f}{mark}")
        lines.append("")
    return "\n".join(lines)


def equilibria_text(analysis: MonthAnalysis, limit: int = 20) -> str:
    """The pure equilibria with every player's payoff, and the QRE with its regret."""
    u = analysis.game.payoffs
    lines = [f"Pure Nash equilibria at month {analysis.game.month}: {len(analysis.equilibria)}"]
    for e in analysis.equilibria[:limit]:
        pays = ", ".join(f"{SHORT[p.value]} {u[(i, *e)]:+.3f}" for i, p in enumerate(PLAYERS))
        mark = "  <- selected by the nash rule" if e == analysis.selected else ""
        lines.append(f"  {profile_label(e)}   payoffs: {pays}{mark}")
    if len(analysis.equilibria) > limit:
        lines.append(f"  ... and {len(analysis.equilibria) - limit} more")
    if not analysis.equilibria:
        lines.append("  none: the nash rule falls back to the QRE")
    lines.append(f"\nLogit QRE at lam = {analysis.lam:g} (regret {analysis.qre_regret:.4f}; "
                 "0 at a Nash equilibrium):")
    for player, probs in zip(OPTIONS, analysis.qre):
        for j, dim in enumerate(player.dimensions):
            marginal = [probs[player.combos[:, j] == o].sum() for o in range(dim.size)]
            shares = ", ".join(f"{o} {p:.2f}" for o, p in zip(dim.options, marginal))
            lines.append(f"  {dim.key:<24} {shares}")
    return "\n".join(lines)


def stage_game_text(analysis: MonthAnalysis, scenario_name: str, seed: int) -> str:
    """The text the ``equilibria`` command prints: payoff tables, then the equilibria."""
    return (f"Scenario '{scenario_name}', seed {seed}, month {analysis.game.month}: the stage "
            "game (players' payoffs in utility units)\n\n" + payoff_tables(analysis) + "\n"
            + equilibria_text(analysis))


def plot_qre_branch(analysis: MonthAnalysis, title: str, path: str | PathLike | None = None,
                    lam_max: float | None = None, points: int = 60) -> Figure:
    """Each dimension's option probabilities along the QRE branch, against lam."""
    lam_max = lam_max or max(20.0, 2 * analysis.lam)
    lams = np.linspace(0.0, lam_max, points)
    branch = qre_branch(analysis.game.payoffs, lams)
    fig = Figure(figsize=(13, 8.5), layout="constrained")
    axes = fig.subplots(2, 4).ravel()
    k = 0
    for player, path_i in zip(OPTIONS, branch):
        for j, dim in enumerate(player.dimensions):
            ax = axes[k]
            k += 1
            for o, option in enumerate(dim.options):
                ax.plot(lams, path_i[:, player.combos[:, j] == o].sum(axis=1), lw=2,
                        label=option)
            ax.axvline(analysis.lam, color="0.4", ls="--", lw=1)
            ax.set_title(DIMENSION_BY_KEY[dim.key].label, fontsize=10)
            ax.set_xlabel("rationality λ (1 / utility unit)")
            ax.set_ylabel("probability")
            ax.set_ylim(-0.02, 1.02)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
    axes[-1].axis("off")
    axes[-1].text(0.0, 0.5, "logit QRE, principal branch\nλ = 0: uniform play\nlarge λ: "
                  "approaches a Nash equilibrium\ndashed: the requested λ", fontsize=10,
                  va="center")
    fig.suptitle(f"{title} — QRE branch at month {analysis.game.month}", fontsize=14)
    return finish(fig, path)


@dataclass
class RegimeMap:
    """The selected pure equilibrium in each cell of a 2-parameter grid."""

    x: Axis
    y: Axis
    month: int
    regimes: np.ndarray  # (len(y), len(x)) index into labels; -1 = no pure equilibrium
    labels: list[str]
    counts: np.ndarray  # (len(y), len(x)) number of pure equilibria


def regime_map(scenario: Scenario, month: int, seed: int, x: Axis, y: Axis) -> RegimeMap:
    """Re-run the same seed to ``month`` at each grid cell; classify its stage game."""
    check_grid(scenario, [x, y], "regime map")
    gx, gy = np.meshgrid(x.values, y.values)
    cells = gx.size
    streams = make_streams(np.array([seed], dtype=np.uint64), construction_draws(scenario),
                           max(month, 1), monthly_draws(scenario.escalation)).tile(cells)
    values = {x.key: gx.ravel(), y.key: gy.ravel()}
    arrays = simulate(scenario, months=month, streams=streams, values=values)
    choice = {k: arrays.choice[k][month].astype(np.int64) for k in arrays.choice}
    state = with_memory({c: arrays.state[c][month] for c in arrays.state}, choice)
    # next month's game as its decisions see it: that month's levers and pinned play
    state, params = month_inputs(state, kernel_params(scenario, {**arrays.drawn, **values}),
                                 month + 1)
    pinned = pinned_options([ActorPolicy.from_scenario(scenario, actor).at(month + 1)
                             for actor in Actor])
    columns = params.as_columns()
    game = MonthGame(with_exits(state, columns), columns, choice, pinned=pinned)
    selected = game.selected
    labels: list[str] = []
    regimes = np.full(cells, -1)
    for c in range(cells):
        if selected[c, 0] >= 0:
            label = profile_label(selected[c])
            if label not in labels:
                labels.append(label)
            regimes[c] = labels.index(label)
    counts = game.equilibria.reshape(cells, -1).sum(axis=1)
    shape = (len(y.values), len(x.values))
    return RegimeMap(x, y, month, regimes.reshape(shape), labels, counts.reshape(shape))


def plot_regime_map(result: RegimeMap, title: str, marker=(None, None),
                    path: str | PathLike | None = None) -> Figure:
    """Categorical map of the selected equilibrium; hatched where none exists."""
    n = len(result.labels)
    fig = Figure(figsize=(11, 7 + 0.28 * max(n, 1)), layout="constrained")
    ax = fig.subplots()
    colors = [(0.85, 0.85, 0.85)] + [tuple(c) for c in colormaps["tab20"].colors[:n]]
    cmap = ListedColormap(colors[: n + 1])
    ax.pcolormesh(result.x.values, result.y.values, result.regimes + 1, cmap=cmap,
                  vmin=-0.5, vmax=n + 0.5, shading="nearest")
    for (j, i), count in np.ndenumerate(result.counts):  # every cell, as the key says
        ax.text(result.x.values[i], result.y.values[j], str(count), ha="center",
                va="center", fontsize=6, color="0.2" if count == 1 else "black",
                fontweight="normal" if count == 1 else "bold")
    if None not in marker:
        ax.plot(*marker, marker="*", ms=16, color="red", mec="white", ls="none")
    handles = [Patch(color=colors[k + 1], label=label) for k, label in enumerate(result.labels)]
    handles.append(Patch(color=colors[0], label="no pure equilibrium"))
    fig.legend(handles=handles, loc="outside lower center", fontsize=8, ncol=1,
               title="equilibrium selected by the nash rule (number in each cell: how many "
                     "pure equilibria its game has, bold when several; star: scenario's "
                     "values)", title_fontsize=8)
    ax.set_xlabel(result.x.label)
    ax.set_ylabel(result.y.label)
    ax.set_title(f"{title}\nstage-game equilibrium at month {result.month}, same seed "
                 "in every cell", fontsize=11)
    return finish(fig, path)
