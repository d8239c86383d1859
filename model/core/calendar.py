"""Model months as calendar dates. Month 0 is the scenario's ``start`` (``"YYYY-MM"``);
every place that turns a month into a date goes through here."""

from __future__ import annotations

import calendar
import re

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
               "Dec")
START_PATTERN = re.compile(r"^(?P<year>\d{4})-(?P<month>0[1-9]|1[0-2])$")


def parse_start(start: str) -> tuple[int, int]:
    """``"2023-07"`` -> ``(2023, 7)``; ``ValueError`` naming the expected form otherwise."""
    match = START_PATTERN.match(str(start))
    if not match:
        raise ValueError(f"start must be a month written YYYY-MM, e.g. 2023-07 (got {start!r})")
    return int(match["year"]), int(match["month"])


def year_month(start: str, month: int) -> tuple[int, int]:
    """Calendar (year, month 1–12) of model ``month`` counted from ``start``."""
    year, first = parse_start(start)
    index = first - 1 + int(month)
    return year + index // 12, index % 12 + 1


def calendar_month(start: str, month: int) -> str:
    """Label of model ``month``, e.g. ``calendar_month("2023-07", 12) == "Jul 2024"``."""
    year, m = year_month(start, month)
    return f"{MONTH_NAMES[m - 1]} {year}"


def month_of(start: str, date: str) -> int:
    """The model month of calendar ``date`` (``"YYYY-MM"``) for a run starting at ``start``."""
    year, m = parse_start(date)
    y0, m0 = parse_start(start)
    return (year - y0) * 12 + (m - m0)


def axis_label(start: str) -> str:
    """The x-axis label of every plot over months, e.g. ``month (0 = July 2023)``."""
    year, m = parse_start(start)
    return f"month (0 = {calendar.month_name[m]} {year})"
