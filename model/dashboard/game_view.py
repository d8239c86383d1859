"""The game this month: for the stepped Mesa run's current month, each actor's payoff table
with its best option marked, the pure equilibria and the logit QRE at the actors' ``lam``
(the text the ``equilibria`` command prints, from the same builders)."""

from __future__ import annotations

import numpy as np
import solara
from mesa.visualization.utils import update_counter

from ..abm.model import AllianceModel
from ..analysis.equilibria import MonthAnalysis, analyse, equilibria_text, payoff_tables
from ..core.actions import Actor
from ..games import logit_qre, regret
from ..kernels.stage import PLAYERS


def actor_lams(model: AllianceModel) -> np.ndarray:
    """Each player's rationality ``lam`` in this run (stage-game player order; a ``lam``
    drawn from a distribution is this run's draw)."""
    return np.array([float(np.ravel(model.params.lam[Actor(p).value])[0]) for p in PLAYERS])


def month_analysis(model: AllianceModel) -> MonthAnalysis:
    """The stage game at the run's current month, solved at the actors' own ``lam``.

    With one ``lam`` for all, this is ``analyse(model, lam)``. With different ``lam_i`` the
    logit QRE is the QRE at ``lam = 1`` of the game whose payoffs are ``lam_i · u_i``
    (each player's logit response depends only on ``lam_i · u_i``), solved that way.
    """
    lams = actor_lams(model)
    if np.allclose(lams, lams[0]):
        return analyse(model, float(lams[0]))
    analysis = analyse(model, 0.0)  # equilibria and modal play; the QRE is replaced
    payoffs = analysis.game.payoffs
    scaled = payoffs * lams.reshape((-1,) + (1,) * (payoffs.ndim - 1))
    strategies = logit_qre(scaled, 1.0)
    analysis.qre = strategies
    analysis.qre_regret = regret(payoffs, strategies)
    analysis.lam = float("nan")
    return analysis


def qre_heading(model: AllianceModel) -> str:
    """Which ``lam`` the QRE is taken at, per actor."""
    lams = actor_lams(model)
    return "QRE at lam: " + ", ".join(f"{Actor(p).value} {lam:g}" for p, lam in zip(PLAYERS, lams))


#: CSS of the game's text blocks: wrapped inside the card, never cut off at its edge.
#: (``Preformatted`` passes keywords to ``ipyvue.Html``, whose CSS trait is ``style_``.)
PRE = "font-size: 12px; white-space: pre-wrap; overflow-wrap: anywhere; margin: 0"


def _wrap(block: str) -> str:
    """Put the '(others at their recent modal play: ...)' note on its own line."""
    return block.replace(" (others at", "\n(others at", 1)


@solara.component
def GameView(model: AllianceModel):
    """Payoff tables, pure equilibria and the QRE of the run's current month."""
    update_counter.get()
    analysis = month_analysis(model)
    text = equilibria_text(analysis)
    if np.isnan(analysis.lam):
        text = text.replace("Logit QRE at lam = nan", "Logit QRE at the actors' own lam")
    with solara.Card(f"The game this month (month {model.month} of this run)", margin=0):
        solara.Text("Payoffs in utility units against the others' recent modal play; "
                    "'<- best' marks each actor's best option. " + qre_heading(model) + ".",
                    style={"font-size": "13px"})
        blocks = [b for b in payoff_tables(analysis).split("\n\n") if b.strip()]
        with solara.Columns([1, 1]):  # Russia's four dimensions | the other three actors
            solara.Preformatted(_wrap(blocks[0]), style_=PRE)
            solara.Preformatted("\n\n".join(_wrap(b) for b in blocks[1:]), style_=PRE)
        solara.Preformatted(text, style_=PRE)
