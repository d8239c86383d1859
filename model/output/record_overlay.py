"""The record on the plots: what happened, marked on the model's time axis.

:func:`record_overlay` returns a function that the ensemble figures call with their axes
by column (``plot_trajectories(..., overlay=...)``, ``plot_option_shares`` too). Inside
the plotted months it draws:

- every event of ``experiments/record/events.csv`` at the record's ``month`` (not its
  report date) as a dotted vertical line on every panel, with a numbered marker per month
  on the top panels; the key (number, month, event id and label) fills the figure's spare
  panel, under a legend of everything the overlay draws;
- the end of the record (its last event's month) as a solid line: to its right the
  figure is projection only;
- the calibration window (the months the fitted observation rules read) as a bar along
  the top edge of every panel;
- each fitted rule's target months, hatched on top of the panel that shows its column
  (e.g. the treaty window on the alliance-level panel, above its stacked areas);
- where a rule reads munitions against the record's shell scale, that scale as a right
  axis of the munitions panel (152 mm shells a month);
- a "today" line only when a date is given: a figure depends on the command and the
  repository, never on the clock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import blended_transform_factory

from ..core.calendar import calendar_month, month_of
from ..core.record import Event, Observations, RecordError, load_observations
from .figures import KEY_PANEL

EVENT_COLOR = "0.4"
END_COLOR = "0.1"
TARGET_COLOR = "tab:olive"
CALIBRATION_COLOR = "tab:cyan"
TODAY_COLOR = "tab:red"
#: Month 0 of the record's rules (observations.toml counts months from July 2023).
RECORD_START = "2023-07"
#: Rows of numbered markers (axes fraction, from the bottom); a marker goes to the lowest
#: row where it clears the previous one, so markers of neighbouring months never overlap.
_MARKER_ROWS = (0.07, 0.19, 0.31, 0.43)
_MARKER_INCHES = 0.24  # a marker's width with a little air
#: The key's layout, in points: width of a "number month" cell, width of a column.
_KEY_WHEN_POINTS = 54  # room for a two-digit number and "Sep 2024"
_KEY_COLUMN_POINTS = 222
#: gid of each kind of artist the overlay draws (what the figure tests look for).
GIDS = ("record-event", "record-marker", "record-end", "calibration-window",
        "target-window", "today")


def record_overlay(start: str, today: dt.date | str | None = None
                   ) -> Callable[[dict[str, Axes]], None] | None:
    """The overlay for a scenario starting at ``start`` (``YYYY-MM``), or None when the
    record cannot be read (the plot is then drawn without it). ``today`` (a date or
    ``YYYY-MM``) adds a "today" line at that month; by default there is none."""
    try:
        observations = load_observations()
    except RecordError:
        return None
    offset = month_of(start, RECORD_START)  # record months -> this scenario's months
    today_month = None
    if today is not None:
        text = today if isinstance(today, str) else f"{today.year:04d}-{today.month:02d}"
        today_month = month_of(start, text[:7])
    return _Overlay(observations, start, offset, today_month)


class _Overlay:
    def __init__(self, observations: Observations, start: str, offset: int,
                 today: int | None) -> None:
        self.start, self.offset, self.today = start, offset, today
        self.events = sorted(observations.events.values(), key=lambda e: (e.first, e.id))
        self.end = max(e.last for e in self.events) + offset if self.events else None
        fitted = [r for r in observations.rules if r.weight > 0]
        self.targets = fitted
        windows = [r.window for r in fitted]
        self.window = ((min(w[0] for w in windows) + offset, max(w[1] for w in windows) + offset)
                       if windows else None)
        self.shells = next(((r.scale, r.scale_name) for r in fitted
                            if r.kind == "total" and r.column == "munitions_flow"
                            and r.scale_name), None)

    def __call__(self, axes: dict[str, Axes]) -> list:
        """Mark the record on ``axes`` (by column; ``KEY_PANEL``: a spare panel for the
        numbered markers' key, without which events are lines only). Returns the legend
        handles of what was drawn, for a figure that has no spare panel."""
        key_ax = axes.get(KEY_PANEL)
        by_column = {c: ax for c, ax in axes.items() if c != KEY_PANEL}
        panels = [ax for ax in dict.fromkeys(by_column.values()) if ax.get_visible()]
        if not panels:
            return []
        lo, hi = panels[0].get_xlim()
        groups: dict[int, list[Event]] = {}
        for event in self.events:
            month = event.first + self.offset
            if lo <= month <= hi:
                groups.setdefault(month, []).append(event)
        drawn: set[str] = set()
        for ax in panels:
            drawn |= self._lines(ax, groups, lo, hi)
        drawn |= self._targets(by_column, lo, hi)
        if groups and key_ax is not None:
            for ax in panels[:2]:
                self._markers(ax, groups, lo, hi)
            drawn.add("record-marker")
        if self.shells is not None and "munitions_flow" in by_column:
            self._shell_axis(by_column["munitions_flow"])
        handles = self._handles(drawn)
        if key_ax is not None and drawn:
            self._key(key_ax, groups, handles)
        return handles

    def _lines(self, ax: Axes, groups: dict[int, list[Event]], lo: float, hi: float
               ) -> set[str]:
        drawn = set()
        for month in groups:
            ax.axvline(month, color=EVENT_COLOR, lw=0.8, ls=":", zorder=2.5, gid="record-event")
            drawn.add("record-event")
        if self.end is not None and lo <= self.end <= hi:
            ax.axvline(self.end, color=END_COLOR, lw=1.4, zorder=2.6, gid="record-end")
            drawn.add("record-end")
        if self.window is not None and self.window[0] <= hi and self.window[1] >= lo:
            first, last = max(self.window[0] - 0.5, lo), min(self.window[1] + 0.5, hi)
            ax.plot([first, last], [0.995, 0.995], color=CALIBRATION_COLOR, lw=4,
                    solid_capstyle="butt", transform=blended_transform_factory(
                        ax.transData, ax.transAxes), clip_on=False, zorder=5,
                    gid="calibration-window")
            drawn.add("calibration-window")
        if self.today is not None and lo <= self.today <= hi:
            ax.axvline(self.today, color=TODAY_COLOR, lw=1.0, ls="--", zorder=2.6, gid="today")
            drawn.add("today")
        return drawn

    def _targets(self, by_column: dict[str, Axes], lo: float, hi: float) -> set[str]:
        shaded: set[tuple[int, int, int]] = set()
        for rule in self.targets:
            ax = by_column.get(rule.column_name)
            first, last = (m + self.offset for m in rule.window)
            if ax is None or last < lo or first > hi or (id(ax), first, last) in shaded:
                continue
            shaded.add((id(ax), first, last))
            ax.axvspan(max(first - 0.5, lo), min(last + 0.5, hi), facecolor="none",
                       edgecolor=TARGET_COLOR, hatch="///", lw=1.0, zorder=3,
                       gid="target-window")
        return {"target-window"} if shaded else set()

    def _markers(self, ax: Axes, groups: dict[int, list[Event]], lo: float, hi: float) -> None:
        """Numbered markers, one per month with events, stepped up a row where the
        previous marker in a row is closer than a marker's width."""
        fig = ax.get_figure()
        inches = fig.get_figwidth() * ax.get_position().width * 0.8  # legends take a share
        gap = _MARKER_INCHES * (hi - lo) / max(inches, 0.5)
        last_in_row = [float("-inf")] * len(_MARKER_ROWS)
        for number, month in enumerate(sorted(groups), start=1):
            row = next((r for r, x in enumerate(last_in_row) if month - x >= gap),
                       len(_MARKER_ROWS) - 1)
            last_in_row[row] = month
            ax.annotate(str(number), xy=(month, _MARKER_ROWS[row]),
                        xycoords=("data", "axes fraction"), ha="center", va="center",
                        fontsize=7, color="0.1", zorder=6, gid="record-marker",
                        bbox={"boxstyle": "circle,pad=0.25", "fc": "white", "ec": "0.3",
                              "lw": 0.6})

    def _shell_axis(self, ax: Axes) -> None:
        scale, name = self.shells
        millions = scale / 1e6
        right = ax.secondary_yaxis("right", functions=(lambda y: y * millions,
                                                       lambda s: s / millions))
        right.set_ylabel(f"million 152 mm shells a month\n(record scale {name}: "
                         f"{scale:,.0f} at 1)", fontsize=8)
        right.tick_params(labelsize=8)

    def _handles(self, drawn: set[str]) -> list:
        """Legend entries for what was drawn."""
        handles = []
        if "record-event" in drawn:
            handles.append(Line2D([], [], color=EVENT_COLOR, lw=0.8, ls=":", label=(
                "event of the record (numbered below)" if "record-marker" in drawn
                else "event of the record (experiments/record)")))
        if "record-end" in drawn:
            handles.append(Line2D([], [], color=END_COLOR, lw=1.4, label=(
                f"end of the record ({calendar_month(self.start, self.end)}): "
                "projection after")))
        if "calibration-window" in drawn:
            first, last = self.window
            handles.append(Line2D([], [], color=CALIBRATION_COLOR, lw=4, label=(
                f"calibration window ({calendar_month(self.start, first)}–"
                f"{calendar_month(self.start, last)}: months the fitted rules read)")))
        if "target-window" in drawn:
            handles.append(Patch(facecolor="none", edgecolor=TARGET_COLOR, hatch="///",
                                 label="target months of a fitted rule (observations.toml)"))
        if "today" in drawn:
            handles.append(Line2D([], [], color=TODAY_COLOR, lw=1.0, ls="--",
                                  label=f"today (given: {calendar_month(self.start, self.today)})"))
        return handles

    def _key(self, ax: Axes, groups: dict[int, list[Event]], handles: list) -> None:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, 1.0), fontsize=8,
                  frameon=False, borderaxespad=0.0, title="The record (experiments/record)",
                  title_fontsize=9, alignment="left")
        lines = [(f"{number:>2}  {calendar_month(self.start, month)}" if i == 0 else "",
                  f"{event.id} {short_label(event.text)}")
                 for number, month in enumerate(sorted(groups), start=1)
                 for i, event in enumerate(groups[month])]
        # two columns, the second starting with a month's first event
        starts = [i for i, (when, _) in enumerate(lines) if when]
        split = min(starts, key=lambda i: abs(i - len(lines) / 2)) if len(lines) > 4 else 0
        top = -(14 * len(handles) + 24)  # points below the panel's top: under the legend
        for i, (when, what) in enumerate(lines):
            column, row = (1, i - split) if split and i >= split else (0, i)
            for dx, text in ((0, when), (_KEY_WHEN_POINTS, what)):
                ax.annotate(text, xy=(0, 1.0), xycoords="axes fraction",
                            xytext=(column * _KEY_COLUMN_POINTS + dx, top - 10 * row),
                            textcoords="offset points", fontsize=7, va="top", ha="left",
                            color="0.15", annotation_clip=False)


def short_label(text: str, limit: int = 36) -> str:
    """An event's text cut to its first clause (after a short "Source:" attribution, as in
    "White House: more than 1000 containers…"), at most ``limit`` characters."""
    head, colon, rest = text.partition(":")
    if colon and len(head) <= 32 and rest.strip():
        text = rest
    text = re.split(r"[;,(]", text.strip())[0].strip()
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"
