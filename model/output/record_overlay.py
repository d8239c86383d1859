"""The record on the plots: what happened, marked on the model's time axis.

:func:`record_overlay` returns a function that the trajectory plot calls with its axes
by column (``plot_trajectories(..., overlay=...)``). It draws, inside the plotted months:

- every event of ``experiments/record/events.csv`` as a dotted vertical line, labelled
  on the top panel with its id, month and a short label;
- a "today" line at the current month (the model's month 0 is the scenario's ``start``);
- the observation targets where they apply: the months a fitted rule accepts, shaded on
  the panel that shows its column (e.g. the treaty window on the alliance-level panel).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from matplotlib.axes import Axes

from ..core.calendar import calendar_month, month_of
from ..core.record import RecordError, load_observations

EVENT_COLOR = "0.45"
TARGET_COLOR = "tab:olive"
TODAY_COLOR = "tab:red"


def record_overlay(start: str, today: dt.date | None = None
                   ) -> Callable[[dict[str, Axes]], None] | None:
    """The overlay for a scenario starting at ``start`` (``YYYY-MM``), or None when the
    record cannot be read (the plot is then drawn without it)."""
    try:
        observations = load_observations()
    except RecordError:
        return None
    today = today or dt.date.today()
    today_month = month_of(start, f"{today.year:04d}-{today.month:02d}")
    events = sorted(observations.events.values(), key=lambda e: (e.date, e.id))
    months = {e.id: month_of(start, f"{e.date.year:04d}-{e.date.month:02d}") for e in events}
    targets = [r for r in observations.rules if r.weight > 0]

    def draw(axes: dict[str, Axes]) -> None:
        unique = list(dict.fromkeys(axes.values()))
        if not unique:
            return
        lo, hi = unique[0].get_xlim()
        inside = [e for e in events if lo <= months[e.id] <= hi]
        for ax in unique:
            for event in inside:
                ax.axvline(months[event.id], color=EVENT_COLOR, lw=0.7, ls=":", zorder=1)
            if lo <= today_month <= hi:
                ax.axvline(today_month, color=TODAY_COLOR, lw=1.0, ls="--", zorder=1)
        top = unique[0]
        by_month: dict[int, list[str]] = {}
        for event in inside:
            by_month.setdefault(months[event.id], []).append(f"{event.id} {event.label}")
        for month, labels in by_month.items():
            more = f" (+{', '.join(x.split()[0] for x in labels[1:])})" if labels[1:] else ""
            note = top.annotate(f"{calendar_month(start, month)}: {labels[0]}{more}",
                                xy=(month, 0.02), xycoords=("data", "axes fraction"),
                                xytext=(1, 0), textcoords="offset points", rotation=90,
                                fontsize=5, color="0.3", va="bottom", ha="left",
                                annotation_clip=True, clip_on=True)
            note.set_in_layout(False)
        if lo <= today_month <= hi:
            top.annotate(f"today ({calendar_month(start, today_month)})",
                         xy=(today_month, 0.02), xycoords=("data", "axes fraction"),
                         xytext=(-2, 0), textcoords="offset points", fontsize=7,
                         color=TODAY_COLOR, ha="right")
        shaded: set[tuple[int, int, int]] = set()
        labelled: dict[int, int] = {}
        for rule in targets:
            ax = axes.get(rule.column_name)
            if ax is None or rule.kind != "first":
                continue
            first, last = rule.window
            # rule months count from July 2023; shift them onto this scenario's months
            offset = month_of(start, "2023-07")
            first, last = first + offset, last + offset
            key = (id(ax), first, last)
            if last < lo or first > hi or key in shaded:
                continue
            shaded.add(key)
            ax.axvspan(first - 0.5, last + 0.5, color=TARGET_COLOR, alpha=0.15, lw=0, zorder=0)
            row = labelled.get(id(ax), 0)
            labelled[id(ax)] = row + 1
            ax.annotate(f"record: {rule.id}", xy=(last + 0.5, 0.97 - 0.06 * row),
                        xycoords=("data", "axes fraction"), fontsize=6, color=TARGET_COLOR,
                        ha="left", va="top")

    return draw
