"""Panels of the one Mesa run that SolaraViz steps: Mesa's own plot components over the
model's DataCollector, and this month's chosen options."""

from __future__ import annotations

import html

import solara
from matplotlib.axes import Axes
from mesa.visualization import make_plot_component
from mesa.visualization.utils import update_counter

from ..abm.model import AllianceModel
from ..core.actions import DIMENSIONS
from ..core.calendar import axis_label, calendar_month
from ..core.state import STATE_BY_NAME, AllianceLevel


def _titled(title: str, unit: str, levels: bool = False):
    """A Mesa ``post_process`` that titles the axes and names the series readably."""
    def post_process(ax: Axes) -> None:
        ax.set_title(title, fontsize=11)
        ax.set_ylabel(unit)
        legend = ax.get_legend()
        if legend is not None:
            for text in legend.get_texts():
                text.set_text(STATE_BY_NAME[text.get_text()].label)
            legend.set_frame_on(False)
        if levels:
            ax.set_yticks([level.value for level in AllianceLevel],
                          [level.label for level in AllianceLevel])
            ax.set_ylim(-0.2, max(AllianceLevel) + 0.2)
        else:
            ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    return post_process


#: (measure, title, unit) of each plot of the stepped run.
RUN_PLOTS = (
    ({"alliance_strength": "tab:red"}, "Alliance strength (this run)", "index, 0–1"),
    ({"alliance_level": "tab:purple"}, "Alliance level (this run)", "level"),
    ({"munitions_flow": "tab:red", "aid_flow": "tab:green", "tech_flow": "tab:blue"},
     "Flows (this run)", "index, 0–1"),
    ({"sanctions_integrity": "tab:blue", "russia_circumvention": "tab:red"},
     "Sanctions regime (this run)", "index, 0–1"),
)


@solara.component
def ChosenOptions(model: AllianceModel):
    """Each actor's options this month (at month 0: the posture before the first move)."""
    update_counter.get()
    start = model.alliance_scenario.start
    when = calendar_month(start, model.month)
    head = ("posture before the first move" if model.month == 0
            else "options chosen this month")
    rows = "".join(f"<tr><td>{html.escape(dim.label)}</td><td><b>"
                   f"{html.escape(dim.options[int(model.choice[dim.key][0])])}</b></td></tr>"
                   for dim in DIMENSIONS)
    with solara.Column(style={"padding": "8px"}):
        solara.Text(f"Month {model.month} ({when}): {head}", classes=["run-month"],
                    style={"font-weight": "bold", "font-size": "16px"})
        solara.HTML(tag="table", unsafe_innerHTML=rows, style={"font-size": "14px"})
        solara.Text(f"{axis_label(start)}; seed {model.seed}",
                    style={"font-size": "12px", "color": "#555"})


def run_components() -> list:
    """The SolaraViz components of the stepped run: four plots and the options table."""
    plots = [make_plot_component(measure, post_process=_titled(title, unit, "level" in unit))
             for measure, title, unit in RUN_PLOTS]
    return [*plots, (ChosenOptions, 0)]
