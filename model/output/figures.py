"""The figure toolkit every plot goes through: the shared look (resolution, colours by
actor), new figures, the two-row time axis (model months below, calendar above), panel
titles, legends beside the data, and :func:`finish`, which makes every text drawable
(glyph fallback for scenario names in other scripts) and saves the figure.

Figures are ``matplotlib.figure.Figure`` objects, never pyplot ones, so no global state or
interactive backend is touched; ``Figure.savefig`` renders with Agg.
"""

from __future__ import annotations

import functools
from os import PathLike
from typing import BinaryIO

import numpy as np
from matplotlib import font_manager, rcParams
from matplotlib.axes import Axes
from matplotlib.category import StrCategoryLocator
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FixedFormatter, FixedLocator, MaxNLocator

from ..core.actions import Actor
from ..core.calendar import axis_label, calendar_month, year_month

#: Resolution of every saved figure, dots per inch.
DPI = 120

#: actor -> sequential colormap; darker shades are the more escalatory options.
ACTOR_COLORMAPS: dict[Actor, str] = {
    Actor.RUSSIA: "Reds",
    Actor.NORTH_KOREA: "Purples",
    Actor.UNITED_STATES: "Blues",
    Actor.CHINA: "Greens",
}


def new_figure(nrows: int, ncols: int, figsize: tuple[float, float], *,
               sharex: bool = True) -> tuple[Figure, list[Axes]]:
    """A constrained-layout figure and its ``nrows × ncols`` axes, row by row."""
    fig = Figure(figsize=figsize, dpi=DPI, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=sharex)
    return fig, [ax for row in axes for ax in row]


# ---------------------------------------------------------------- the time axis

#: Calendar-tick spacings tried, in months: monthly up to decades.
_CALENDAR_STEPS = (1, 2, 3, 6, 12, 24, 60, 120, 240)
#: At most this many calendar labels on one panel (they never collide at ~4 inches).
MAX_CALENDAR_LABELS = 6


def calendar_ticks(start: str, lo: int, hi: int) -> list[tuple[int, str]]:
    """Calendar ticks for months ``lo..hi``: ``[(month, label), ...]``, at most
    ``MAX_CALENDAR_LABELS``: every 1, 2, 3 or 6 months (label ``Jan 2024``) over short
    spans, else Januaries of every 1, 2, 5, 10 or 20 years (label ``2025``), so a run to
    2028 or of 200 months stays readable."""
    marks: list[int] = []
    step = 1
    for step in _CALENDAR_STEPS:
        if step >= 12:
            years = step // 12
            marks = [m for m in range(lo, hi + 1) if year_month(start, m)[1] == 1
                     and year_month(start, m)[0] % years == 0]
        else:
            marks = [m for m in range(lo, hi + 1) if (year_month(start, m)[1] - 1) % step == 0]
        if len(marks) <= MAX_CALENDAR_LABELS:
            break
    if not marks:  # inside one step: label the ends
        marks = sorted({lo, hi})
    years_only = step >= 12 and len(marks) > 1
    return [(m, str(year_month(start, m)[0]) if years_only else calendar_month(start, m))
            for m in marks]


#: Points between a panel's top edge and its title: the calendar axis above the panel
#: (ticks 3 + tick pad 3.5 + 8-pt labels ≈ 10) and the usual title pad 6.
TITLE_PAD = 23


def set_panel_title(ax: Axes, title: str) -> None:
    """A panel's title above its calendar axis, at a fixed offset. (Matplotlib's automatic
    placement measures every tick label of the calendar axis at each draw: over half the
    time a six-panel figure takes to render.) The title is part of the layout, so the
    panel above keeps clear of it."""
    ax.set_title(title, fontsize=11, y=1.0, pad=TITLE_PAD)


def format_time_axis(ax: Axes, months: np.ndarray, show_xlabel: bool, start: str) -> None:
    """Model months below, calendar dates above; both adapt to the span, so labels never
    run into each other (at most ``MAX_CALENDAR_LABELS`` calendar labels). A single month
    is shown as ±0.5 months around it, with the next month's calendar label."""
    lo, hi = (int(months.min()), int(months.max())) if months.size else (0, 1)
    if lo == hi:
        ax.set_xlim(lo - 0.5, hi + 0.5)
        ax.set_xticks([lo])
    else:
        ax.set_xlim(lo, hi)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=7, integer=True,
                                               steps=[1, 2, 2.5, 3, 5, 6, 10]))
    ax.tick_params(labelbottom=True)
    if show_xlabel:
        ax.set_xlabel(axis_label(start))
    ticks = calendar_ticks(start, lo, hi)
    top = ax.secondary_xaxis("top")
    top.set_xticks([m for m, _ in ticks], [label for _, label in ticks])
    top.tick_params(labelsize=8, colors="0.4", length=3)
    for m, _ in ticks:
        ax.axvline(m, color="0.85", lw=0.8, zorder=0)
    ax.grid(axis="y", color="0.9", lw=0.8)


def legend_right(ax: Axes, reverse: bool = True, **options) -> None:
    """Legend outside the panel's right edge (off the data); for a stack, top layer first."""
    handles, labels = ax.get_legend_handles_labels()
    if reverse:
        handles, labels = handles[::-1], labels[::-1]
    ax.legend(handles, labels, loc="center left", bbox_to_anchor=(1.01, 0.5),
              fontsize=8, **options)


def no_data(ax: Axes, what: str) -> None:
    """Say in the panel that it has nothing to show."""
    ax.text(0.5, 0.5, f"no data: {what}", transform=ax.transAxes, ha="center", va="center",
            color="0.4")


# ---------------------------------------------------------------- text and saving


@functools.lru_cache(maxsize=1)
def _fonts() -> tuple:
    """The fonts text is drawn with: the default family, then installed fonts that cover
    scripts it lacks (e.g. Noto Sans CJK), registered as matplotlib fallbacks."""
    from matplotlib.ft2font import FT2Font

    family = list(rcParams["font.family"])
    default = font_manager.findfont(font_manager.FontProperties(family=family))
    fonts = [(family[0], FT2Font(default))]
    for entry in font_manager.fontManager.ttflist:
        if any(k in entry.name for k in ("CJK", "Noto Sans SC", "WenQuanYi", "Droid Sans")):
            try:
                fonts.append((entry.name, FT2Font(entry.fname)))
            except (OSError, RuntimeError):
                continue
    extra = [name for name, _ in fonts[1:] if name not in family]
    if extra:
        rcParams["font.family"] = [*family, *extra]  # matplotlib falls back along this list
    return tuple(font for _, font in fonts)


def displayable(text: str) -> str:
    """``text`` with the characters no available font can draw replaced by ``?``, so a
    scenario named in another script never draws empty boxes ("Glyph missing")."""
    if text.isascii():
        return text
    fonts = _fonts()
    return "".join(c if c.isspace() or any(f.get_char_index(ord(c)) for f in fonts) else "?"
                   for c in text)


def finish(fig: Figure, path: str | PathLike | BinaryIO | None, *, tight: bool = False,
           dpi: float = DPI) -> Figure:
    """The last step of every figure: make every text drawable (see ``displayable``),
    then save it as PNG to ``path`` (a file name or a binary buffer; nothing when None) at
    the shared resolution (``dpi``: a screen's, for the dashboard). ``tight`` (for figures
    without a layout engine) lays the figure out with ``tight_layout`` once its texts are
    final, and crops the saved image to what is drawn. Text is measured by any layout, so
    a plot that lays itself out before saving calls ``finish(fig, None, tight=True)``
    first."""
    for text in fig.findobj(Text):
        content = text.get_text()
        if content and not content.isascii():
            text.set_text(displayable(content))
    for ax in _all_axes(fig):  # tick labels are made at draw time, from the formatter
        for axis in (ax.xaxis, ax.yaxis):
            locator, formatter = axis.get_major_locator(), axis.get_major_formatter()
            if not isinstance(locator, FixedLocator | StrCategoryLocator) and not isinstance(
                    formatter, FixedFormatter):
                continue  # numbers: nothing to replace (and no ticks made needlessly)
            locations = axis.get_majorticklocs()
            labels = [str(label) for label in formatter.format_ticks(locations)]
            if not all(label.isascii() for label in labels):
                axis.set_ticks(locations, [displayable(label) for label in labels])
    if tight and fig.get_layout_engine() is None:
        fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=dpi, format="png", **({"bbox_inches": "tight"} if tight else {}))
    return fig


def _all_axes(fig: Figure) -> list[Axes]:
    """Every axes of ``fig``, with child axes (secondary and inset axes) included."""
    out, todo = [], list(fig.axes)
    while todo:
        ax = todo.pop()
        out.append(ax)
        todo.extend(ax.child_axes)
    return out


def title_lines(title: str, subtitle: str | None) -> str:
    """A figure title with the configuration (runs, seed, overrides) on a second line."""
    return f"{title}\n{subtitle}" if subtitle else title


#: The key under which a figure hands an overlay its spare panel (for the overlay's key).
KEY_PANEL = "key"
