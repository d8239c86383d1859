"""Scenario files: loading, inheritance, overrides and one-line error messages.

A scenario is a TOML file in ``experiments/scenarios/``. Every number is written as
``{ value = ..., source = "mba.1" }`` or ``{ value = ..., source = "assumption",
why = "..." }`` so its provenance sits next to it (the schema is ``model.core.schema``). A
file may start from another with ``extends = "baseline"`` and change only what differs;
a parameter table in the child replaces the parent's whole (value *and* provenance), so
the two cannot drift apart.
"""

from __future__ import annotations

import copy
import math
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from . import paths
from .parameters import SPECS
from .schema import HORIZON_MAX, Scenario, ScenarioError

SCENARIO_DIR = paths.SCENARIO_DIR

__all__ = ["SCENARIO_DIR", "Scenario", "ScenarioError", "available_scenarios",
           "load_scenario", "parse_override_value", "scenario_path", "validated"]


# ---------------------------------------------------------------- loading


def scenario_path(name_or_path: str | Path) -> Path:
    """Resolve a scenario name (``baseline``) or a path to a ``.toml`` file."""
    text = str(name_or_path)
    if text.endswith(".toml") or "/" in text or "\\" in text:
        return Path(text)
    return SCENARIO_DIR / f"{text}.toml"


def available_scenarios() -> list[str]:
    """Names of the scenario files shipped in ``experiments/scenarios``."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def _read_toml(path: Path, name: str) -> dict[str, Any]:
    if not path.exists():
        if path.parent == SCENARIO_DIR and not name.endswith(".toml"):
            raise ScenarioError(f"unknown scenario {name!r}; available: "
                                f"{', '.join(available_scenarios())} (or a path to a .toml file)")
        raise ScenarioError(f"scenario file {path}: no such file")
    if path.is_dir():
        raise ScenarioError(f"scenario file {path}: is a directory, expected a .toml file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"scenario file {path}: cannot be read ({exc})") from None
    if not text.strip():
        raise ScenarioError(f"scenario file {path}: is empty; expected a TOML scenario")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"scenario file {path}: not valid TOML ({exc})") from None


def _merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Child over parent; tables merge, but a parameter table (has ``value``) replaces."""
    out = copy.deepcopy(parent)
    for key, value in child.items():
        both_tables = isinstance(value, dict) and isinstance(out.get(key), dict)
        if both_tables and "value" not in value:
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _load_raw(name_or_path: str | Path, seen: tuple[Path, ...] = ()) -> tuple[dict, Path]:
    path = scenario_path(name_or_path)
    raw = _read_toml(path, str(name_or_path))
    # A file's name is its own: without `name` it is the file stem, never the parent's.
    raw.setdefault("name", _StemName(path.stem))
    if path.resolve() in seen:
        chain = " -> ".join(str(p) for p in (*seen, path.resolve()))
        raise ScenarioError(f"scenario file {path}: key extends: circular ({chain})")
    if isinstance(raw.get("sample"), dict) and isinstance(raw["sample"].get("file"), str):
        raw["sample"] = {**raw["sample"], "file": str((path.parent / raw["sample"]["file"])
                                                      .resolve())}
    parent_name = raw.pop("extends", None)
    if parent_name is None:
        return raw, path
    if not isinstance(parent_name, str):
        raise ScenarioError(f"scenario file {path}: key extends: got {parent_name!r}; "
                            "allowed: a scenario name or path")
    if not parent_name.endswith(".toml") and "/" not in parent_name:
        parent_path = SCENARIO_DIR / f"{parent_name}.toml"
    else:
        parent_path = (path.parent / parent_name).resolve()
    if not parent_path.exists():
        raise ScenarioError(f"scenario file {path}: key extends: unknown scenario "
                            f"{parent_name!r}; available: {', '.join(available_scenarios())}")
    parent, _ = _load_raw(parent_path, (*seen, path.resolve()))
    merged = _merge(parent, raw)
    if isinstance(parent.get("sample"), dict) and "sample" not in raw:
        # parameters this file sets again hold in every run: taken out of the sample
        merged["sample"]["set_below"] = sorted({*parent["sample"].get("set_below", ()),
                                                *_param_keys(raw)})
    return merged, path


def _param_keys(raw: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted keys of the parameter tables (those with ``value``) in a raw scenario."""
    keys = []
    for key, value in raw.items():
        if isinstance(value, dict):
            if "value" in value:
                keys.append(prefix + key)
            else:
                keys.extend(_param_keys(value, f"{prefix}{key}."))
    return keys


SAMPLE_KEYS = ("file",)


def _sample_cell(where: str, key: str, cell: str) -> float:
    """One cell of a sample file: a finite weight ≥ 0, or a value in ``key``'s range."""
    try:
        number = float(cell)
    except ValueError:
        number = float("nan")
    if not math.isfinite(number):
        raise ScenarioError(f"{where}: column {key}: got {cell.strip()!r}; "
                            "allowed: a finite number")
    if key != "weight" and not SPECS[key].low <= number <= SPECS[key].high:
        raise ScenarioError(f"{where}: column {key}: {number:g} out of "
                            f"range; allowed {SPECS[key].allowed()}")
    if key == "weight" and number < 0:
        raise ScenarioError(f"{where}: column weight: got {number:g}; "
                            "allowed: a weight ≥ 0")
    return number


def read_sample(table: Any, origin: str) -> dict[str, Any]:
    """The ``[sample]`` table of a scenario with its CSV file read: ``file``, ``keys``,
    ``weights``, ``values`` and ``fixed`` (keys set again by an extending scenario).

    The file has a header ``weight,KEY,KEY,...`` (dotted parameter keys) and one particle
    a row. Errors are one line naming the file, the row and the column.
    """
    if not isinstance(table, dict) or not isinstance(table.get("file"), str):
        raise ScenarioError(f"{origin}: key sample: expected a table with file = "
                            "\"NAME.csv\" (a joint sample beside the scenario)")
    for key in table:
        if key not in (*SAMPLE_KEYS, "set_below"):
            raise ScenarioError(f"{origin}: key sample.{key}: unknown key; allowed here: "
                                f"{', '.join(SAMPLE_KEYS)}")
    path = Path(table["file"])
    where = f"{origin}: key sample.file: {path}"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{where}: cannot be read ({exc.strerror or exc})") from None
    rows = [line for line in lines if line.strip() and not line.startswith("#")]
    if len(rows) < 2:
        raise ScenarioError(f"{where}: needs a header weight,KEY,... and at least one row")
    header = [h.strip() for h in rows[0].split(",")]
    if header[0] != "weight" or len(header) < 2:
        raise ScenarioError(f"{where}: header must start with weight and name at least one "
                            f"parameter (got {','.join(header)!r})")
    for key in header[1:]:
        if key not in SPECS:
            raise ScenarioError(f"{where}: header: unknown parameter {key!r}; allowed: any "
                                "key of `python run.py params`")
    weights, values = [], []
    for n, row in enumerate(rows[1:], start=2):
        cells = row.split(",")
        if len(cells) != len(header):
            raise ScenarioError(f"{where}: row {n}: {len(cells)} fields, expected "
                                f"{len(header)}")
        numbers = [_sample_cell(f"{where}: row {n}", key, cell)
                   for key, cell in zip(header, cells)]
        weights.append(numbers[0])
        values.append(tuple(numbers[1:]))
    if not sum(weights) > 0:
        raise ScenarioError(f"{where}: the weights sum to 0; at least one must be positive")
    keys = tuple(header[1:])
    fixed = tuple(k for k in table.get("set_below", ()) if k in keys)
    return {"file": str(path), "keys": keys, "weights": tuple(weights),
            "values": tuple(values), "fixed": fixed}


class _StemName(str):
    """A scenario name taken from the file name (the file sets none)."""


def parse_override_value(text: str) -> Any:
    """A ``--set`` value: a TOML literal (``0.9``, ``[[0, 0.8], [12, 0.2]]``) or a bare word."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _apply_override(raw: dict[str, Any], key: str, value: Any, origin: str) -> None:
    parts = key.split(".")
    node = raw
    for i, part in enumerate(parts[:-1]):
        if i == 1 and part == "action" and isinstance(node, dict) and node.get(part) is None:
            node[part] = {}  # pin one dimension: e.g. russia.action.sanctions=evade
        if not isinstance(node, dict) or part not in node:
            _unknown_key(origin, ".".join(parts[: i + 1]), value, node)
        node = node[part]
    leaf = parts[-1]
    if not isinstance(node, dict):
        _unknown_key(origin, key, value, {})
    target = node.get(leaf)
    if isinstance(target, dict) and "value" in target:
        target["value"] = value
        return
    optional = {"action", "rule"}  # actor keys that may be absent from a file
    pins = len(parts) == 3 and parts[1] == "action"  # the schema checks the dimension
    switch = len(parts) == 1 and leaf == "escalation"  # a top-level switch, default off
    if (leaf not in node and not (leaf in optional and len(parts) == 2) and not pins
            and not switch):
        _unknown_key(origin, key, value, node)
    if isinstance(target, dict):
        allowed = ", ".join(f"{key}.{k}" for k in target)
        raise ScenarioError(f"{origin}: key {key}: is a table, not a value (got {value!r}); "
                            f"set one of: {allowed}")
    node[leaf] = value


def _unknown_key(origin: str, key: str, value: Any, node: Any) -> None:
    allowed = ", ".join(sorted(node)) if isinstance(node, dict) else "none"
    raise ScenarioError(f"{origin}: unknown key {key} (got {value!r}); allowed here: {allowed}")


def _shown(value: Any) -> str | None:
    """The offending value, short (a parameter table shows its value); None if too long."""
    if isinstance(value, dict) and "value" in value:
        value = value["value"]
    text = repr(value)
    return text if len(text) <= 100 else None


def _describe_error(err: dict[str, Any]) -> str:
    loc = [str(p) for p in err["loc"]]
    if len(loc) > 1 and loc[-1] == "value":
        loc.pop()
    key = ".".join(loc) or "(top level)"
    msg = err["msg"].removeprefix("Value error, ")
    if not loc and msg.startswith("key "):  # a cross-field check that names its own key
        return msg
    if err["type"] == "extra_forbidden":
        shown = _shown(err["input"]) or "a table"
        return (f"key {key}: unknown key (got {shown}); allowed here: "
                f"{_allowed_keys(loc[:-1])}")
    if err["type"] == "missing":
        return f"key {key}: missing; every scenario must set it (see baseline.toml)"
    if err["type"] == "model_type":
        shown = _shown(err["input"]) or "a value"
        if err.get("ctx", {}).get("class_name") in ("Param", "WarDemand") or key in SPECS:
            return (f"key {key}: expected a parameter table {{ value = ..., source = ... }} "
                    f"(got {shown}); write e.g. {loc[-1]} = {{ value = {shown}, source = "
                    "\"assumption\", why = \"...\" }")
        return f"key {key}: expected a table (got {shown})"
    if loc == ["horizon"]:
        shown = _shown(err.get("input")) or "a value"
        return (f"key horizon: expected a whole number (integer) of months from 1 to "
                f"{HORIZON_MAX} "
                f"(got {shown})")
    msg = msg.replace("Input should be a valid", "expected a").replace("Input should be",
                                                                         "expected")
    value = err.get("input")
    shown = _shown(value)
    got = "" if "(got " in msg or shown is None else f" (got {shown})"
    spec = SPECS.get(key)
    allowed = f"; allowed {spec.allowed()}" if spec and "allowed" not in msg else ""
    return f"key {key}: {msg}{got}{allowed}"


def _allowed_keys(loc: list[str]) -> str:
    """The keys a scenario table at ``loc`` accepts, for 'unknown key' messages."""
    model: Any = Scenario
    for part in loc:
        field = model.model_fields.get(part)
        annotation = getattr(field, "annotation", None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return "see baseline.toml"
        model = annotation
    return ", ".join(k for k in model.model_fields if k not in {"path", "overrides"})


def load_scenario(name_or_path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load, merge (``extends``), override and validate a scenario.

    ``name_or_path`` is a name in ``experiments/scenarios`` or a path to a ``.toml`` file.
    ``overrides`` maps dotted keys to values, e.g. ``{"levers.war_demand": 0.9,
    "china.rule": "fixed", "china.action": "enable"}``; a parameter's override replaces
    its value and keeps its provenance (the override is recorded on the scenario).
    Raises ``ScenarioError`` with a one-line message naming the file, key, bad value and
    what is allowed.
    """
    raw, path = _load_raw(name_or_path)
    overrides = dict(overrides or {})
    for key, value in overrides.items():
        _apply_override(raw, key, value, origin=f"override {key}={value!r}")
    origin = f"scenario file {path}" + (" (with overrides)" if overrides else "")
    if "sample" in raw:
        raw["sample"] = read_sample(raw["sample"], f"scenario file {path}")
    try:
        scenario = Scenario.model_validate({**raw, "path": str(path), "overrides": overrides})
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        message = _describe_error(first)
        if first["loc"] == ("name",) and isinstance(raw.get("name"), _StemName):
            message += "; the file sets no name, so its file name is used: rename the file " \
                       "or set name"
        raise ScenarioError(f"{origin}: {message}") from None
    return scenario


def validated(scenario: Scenario, overrides: dict[str, Any], origin: str) -> Scenario:
    """A copy of ``scenario`` with ``overrides`` (dotted keys) applied and re-validated.

    Used where a scenario is varied programmatically (sweeps, claims); errors are
    ``ScenarioError`` messages that start with ``origin``.
    """
    raw = scenario.model_dump(mode="python", exclude={"path", "overrides"})
    for key, value in overrides.items():
        _apply_override(raw, key, value, origin=origin)
    try:
        return Scenario.model_validate({**raw, "path": scenario.path,
                                        "overrides": {**scenario.overrides, **overrides}})
    except ValidationError as exc:
        raise ScenarioError(f"{origin}: {_describe_error(exc.errors(include_url=False)[0])}"
                            ) from None


def check_keys(keys: Sequence[str], origin: str) -> None:
    """Every key must be a scalar parameter (a dotted key of the parameter table);
    ``ScenarioError`` naming ``origin`` and the bad key otherwise."""
    for key in keys:
        if key not in SPECS:
            raise ScenarioError(f"{origin}: unknown parameter {key!r}; allowed: any key of "
                                "`python run.py params`, e.g. levers.war_demand")
