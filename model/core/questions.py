"""What-if questions: files that state a change, the month it applies from, and why.

A question file (``experiments/whatif/NAME.toml``) names the scenario it branches from,
the branch month and the change, each changed value with its provenance like a
scenario parameter::

    name = "ceasefire_2027"
    description = "The war in Ukraine ends in January 2027"
    scenario = "calibrated"
    at = "2026-12"

    [set]
    "levers.war_demand" = { value = 0.0, source = ["mba.1", "assumption"], why = "..." }

``python run.py whatif --question NAME`` runs it; ``--at`` and ``--set`` on the command
line take precedence over the file's.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .calendar import parse_start
from .errors import UserError
from .names import check_name
from .schema import Param

QUESTIONS_DIR = Path(__file__).resolve().parents[2] / "experiments" / "whatif"


class QuestionError(UserError):
    """A question file that cannot be read; the message is one line naming file and key."""


@dataclass(frozen=True)
class Question:
    """A what-if: the scenario it branches from, the month, the change and its reasons."""

    name: str
    description: str
    scenario: str
    at: str
    changes: dict[str, Any]
    provenance: dict[str, str]
    path: Path


def available_questions() -> list[str]:
    """Names of the shipped question files."""
    return sorted(p.stem for p in QUESTIONS_DIR.glob("*.toml"))


def question_path(name_or_path: str | Path) -> Path:
    """``experiments/whatif/NAME.toml`` for a plain name, else the path as given."""
    text = str(name_or_path)
    if text.endswith(".toml") or "/" in text:
        return Path(text)
    return QUESTIONS_DIR / f"{text}.toml"


def load_question(name_or_path: str | Path) -> Question:
    """Read and check a question file (one-line ``QuestionError`` otherwise)."""
    path = question_path(name_or_path)
    where = f"question file {path}"
    if not path.is_file():
        raise QuestionError(f"{where}: not found; allowed: a path or one of "
                            f"{', '.join(available_questions()) or 'none'}")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise QuestionError(f"{where}: not valid TOML ({exc})") from None
    allowed = {"name", "description", "scenario", "at", "set"}
    for key in raw:
        if key not in allowed:
            raise QuestionError(f"{where}: unknown key {key!r}; allowed: "
                                f"{', '.join(sorted(allowed))}")
    for key in ("description", "scenario", "at", "set"):
        if key not in raw:
            raise QuestionError(f"{where}: key {key}: missing; a question needs "
                                "description, scenario, at and set")
    try:
        name = check_name(raw.get("name", path.stem))
        parse_start(raw["at"])
    except ValueError as exc:
        raise QuestionError(f"{where}: {exc}") from None
    if not isinstance(raw["set"], dict) or not raw["set"]:
        raise QuestionError(f"{where}: key set: expected a table of dotted key = {{ value, "
                            "source, why }}")
    changes, provenance = {}, {}
    for key, entry in raw["set"].items():
        if not isinstance(entry, dict) or "value" not in entry:
            raise QuestionError(f"{where}: key set.{key}: expected {{ value, source, why }}")
        value = entry["value"]
        try:  # the provenance is checked like a scenario parameter's; the value by the branch
            param = Param.model_validate({**entry, "value": 0.0})
        except Exception as exc:  # pydantic's ValidationError: reported in one line
            message = str(exc).splitlines()
            raise QuestionError(f"{where}: key set.{key}: "
                                f"{message[2].strip() if len(message) > 2 else message[0]}"
                                ) from None
        changes[key] = value
        provenance[key] = param.provenance()
    return Question(name, str(raw["description"]), str(raw["scenario"]), raw["at"], changes,
                    provenance, path)
