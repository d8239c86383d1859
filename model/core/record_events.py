"""The dated record, ``experiments/record/events.csv``: its rows (``Event``) read and checked.
The observation rules over it are read by ``model.core.record``."""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import UserError
from .paths import REPO_ROOT

RECORD_DIR = REPO_ROOT / "experiments" / "record"
EVENT_COLUMNS = ("id", "date", "month", "actors", "event", "quantity", "confidence", "source")
CONFIDENCE = ("H", "M", "L")
_MONTH = re.compile(r"^(\d+)(?:-(\d+))?$")


class RecordError(UserError):
    """A bad record row or observation rule; the message is one line meant for users."""


@dataclass(frozen=True)
class Event:
    """One dated row of the record. ``first``/``last`` are its month span (equal for a
    single month)."""

    id: str
    date: dt.date
    first: int
    last: int
    actors: tuple[str, ...]
    text: str
    quantity: str
    confidence: str
    source: str

    @property
    def label(self) -> str:
        """A short label for plots: the first clause of the event, at most 32 characters."""
        text = re.split(r"[;:,(]", self.text)[0].strip()
        return text if len(text) <= 32 else text[:31].rstrip() + "…"


def load_events(path: str | Path = RECORD_DIR / "events.csv") -> dict[str, Event]:
    """Read and check ``events.csv``: ``{id: Event}`` in file order."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordError(f"record file {path}: cannot be read ({exc})") from None
    reader = csv.DictReader(text.splitlines())
    header = tuple(reader.fieldnames or ())
    missing = [c for c in EVENT_COLUMNS if c not in header]
    if missing:
        raise RecordError(f"record file {path}: missing column(s) {', '.join(missing)}; "
                          f"expected {', '.join(EVENT_COLUMNS)}")
    events: dict[str, Event] = {}
    for line, row in enumerate(reader, start=2):
        where = f"record file {path}: row {line}"
        if None in row or any(v is None for v in row.values()):
            raise RecordError(f"{where}: expected {len(header)} fields (quote fields that "
                              "hold commas)")
        ident = row["id"].strip()
        if not re.fullmatch(r"[A-Za-z]\w*", ident):
            raise RecordError(f"{where}: key id: got {ident!r}; allowed: a word such as R01")
        if ident in events:
            raise RecordError(f"{where} ({ident}): key id: duplicate id {ident!r}")
        where = f"{where} ({ident})"
        try:
            date = dt.date.fromisoformat(row["date"].strip())
        except ValueError:
            raise RecordError(f"{where}: key date: got {row['date']!r}; allowed: an ISO date "
                              "YYYY-MM-DD") from None
        match = _MONTH.match(row["month"].strip())
        if not match:
            raise RecordError(f"{where}: key month: got {row['month']!r}; allowed: a month "
                              "number ≥ 0 or a span such as 2-3")
        first = int(match[1])
        last = int(match[2]) if match[2] else first
        if last < first:
            raise RecordError(f"{where}: key month: span {row['month']} runs backwards")
        confidence = row["confidence"].strip()
        if confidence not in CONFIDENCE:
            raise RecordError(f"{where}: key confidence: got {confidence!r}; allowed: "
                              f"{', '.join(CONFIDENCE)}")
        if not row["event"].strip() or not row["source"].strip():
            raise RecordError(f"{where}: keys event and source must not be empty")
        events[ident] = Event(ident, date, first, last,
                              tuple(a for a in row["actors"].split(";") if a),
                              row["event"].strip(), row["quantity"].strip(), confidence,
                              row["source"].strip())
    if not events:
        raise RecordError(f"record file {path}: has no rows")
    return events
