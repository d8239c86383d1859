"""Panels of the one Mesa run the dashboard steps: the run's state over the months so far
(read from the model's DataCollector, drawn with the run figures' toolkit: model months
below, calendar above, a marker where there is one month only) and this month's chosen
options."""

from __future__ import annotations

import html

import numpy as np
import solara
from matplotlib.figure import Figure
from mesa.visualization.utils import update_counter

from ..abm.model import AllianceModel
from ..core.actions import DIMENSIONS
from ..core.calendar import axis_label, calendar_month
from ..core.state import STATE_BY_NAME, UNIT_INDEX, AllianceLevel
from ..output.figures import finish, format_time_axis, legend_right, set_panel_title

#: (measure -> colour, title, unit) of each plot of the stepped run.
RUN_PLOTS = (
    ({"alliance_strength": "tab:red"}, "Alliance strength (this run)", UNIT_INDEX),
    ({"alliance_level": "tab:purple"}, "Alliance level (this run)", "level"),
    ({"munitions_flow": "tab:red", "aid_flow": "tab:green", "tech_flow": "tab:blue"},
     "Flows (this run)", UNIT_INDEX),
    ({"sanctions_integrity": "tab:blue", "russia_circumvention": "tab:red"},
     "Sanctions regime (this run)", UNIT_INDEX),
)


def run_figure(model: AllianceModel, measure: dict[str, str], title: str, unit: str) -> Figure:
    """One panel of the stepped run: ``measure`` (column -> colour) over months 0..now."""
    frame = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    months = np.arange(len(frame))
    fig = Figure(figsize=(6.4, 3.6), layout="constrained")
    ax = fig.subplots()
    for column, color in measure.items():
        ax.plot(months, frame[column].to_numpy(dtype=float), color=color, lw=2,
                label=STATE_BY_NAME[column].label, marker="o" if len(months) == 1 else None)
    set_panel_title(ax, title)
    ax.set_ylabel(unit)
    format_time_axis(ax, months, show_xlabel=True, start=model.alliance_scenario.start)
    if unit == "level":
        ax.set_yticks([level.value for level in AllianceLevel],
                      [level.label for level in AllianceLevel])
        ax.set_ylim(-0.2, max(AllianceLevel) + 0.2)
    else:
        ax.set_ylim(-0.02, 1.02)
    if len(measure) > 1:
        legend_right(ax, reverse=False, frameon=False)
    return finish(fig, None)


@solara.component
def RunPlot(model: AllianceModel, index: int):
    """Plot ``RUN_PLOTS[index]`` of the stepped run, redrawn on every step."""
    update_counter.get()
    measure, title, unit = RUN_PLOTS[index]
    solara.FigureMatplotlib(run_figure(model, measure, title, unit), format="png",
                            dependencies=[id(model), model.month])


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


@solara.component
def SteppedRunView(model: AllianceModel):
    """The stepped run's four plots (two by two) and its options this month."""
    with solara.Columns([1, 1]):
        for first in (0, 1):
            with solara.Column():
                for index in range(first, len(RUN_PLOTS), 2):
                    RunPlot(model, index)
    ChosenOptions(model)
