"""`params`: every parameter of a scenario with its value, range, unit and provenance."""

from __future__ import annotations

import argparse
from typing import Any

from ..core.parameters import ASSUMPTION, RECORD, SPECS
from ..core.schema import Distribution, Scenario
from .common import key_value, scenario_from

HELP = "print the parameter table with provenance"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """SCENARIO, --markdown and --set."""
    parser.add_argument("scenario", nargs="?", default="baseline")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--set", dest="overrides", metavar="KEY=VALUE", type=key_value,
                        action="append", default=[], help="override a value (repeatable)")


def _format_value(value: Any) -> str:
    if isinstance(value, Distribution):
        fields = {k: v for k, v in value.model_dump().items() if v is not None and k != "dist"}
        return f"{value.dist}(" + ", ".join(f"{k}={v:g}" for k, v in fields.items()) + ")"
    if isinstance(value, list):
        return "schedule " + ", ".join(f"m{m}:{v:g}" for m, v in value)
    return f"{value:g}"


def parameter_rows(scenario: Scenario) -> list[dict[str, str]]:
    """One row per parameter: key, value, range, unit, provenance, meaning, and whether
    it rests on the article alone (no ``assumption`` among its sources)."""
    rows = []
    for key, spec in SPECS.items():
        param = scenario.param(key)
        value = _format_value(param.value)
        if key in scenario.overrides:
            value += " (override)"
        elif scenario.sample is not None and key in scenario.sample.active_keys():
            value += " (median; runs draw from the sample)"
        rows.append({"key": key, "value": value, "range": spec.allowed(), "unit": spec.unit,
                     "provenance": param.provenance(),
                     "meaning": spec.meaning + (f" (read only with the {spec.module} module "
                                                f"on)" if spec.module else ""),
                     "article_only": ASSUMPTION not in param.source
                     and RECORD not in param.source})
    return rows


def _print_markdown(rows: list[dict[str, str]]) -> None:
    print("| parameter | value | range | unit | provenance |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| `{r['key']}` | {r['value']} | {r['range']} | {r['unit']} | "
              f"{r['provenance']} |")


def execute(args: argparse.Namespace) -> int:
    """Print every parameter with its value, range, unit and provenance."""
    scenario = scenario_from(args)
    rows = parameter_rows(scenario)
    if args.markdown:
        _print_markdown(rows)
        return 0
    article = sum(r["article_only"] for r in rows)
    print(f"Parameters of scenario '{scenario.name}' ({scenario.path})")
    sources = [r["provenance"].split(":")[0].split(" (")[0].split(" + ") for r in rows]
    fitted = sum(s == ["record"] for s in sources)  # a calibration's posterior median
    cite = sum("record" in s and s != ["record"] for s in sources)
    print(f"{len(rows)} parameters: {article} rest on the article alone, "
          f"{len(rows) - article - fitted} involve an explicit assumption"
          + (f" ({cite} of them citing events of the record)" if cite else "")
          + (f", {fitted} are fitted to the record" if fitted else "") + "\n")
    width = max(len(r["key"]) for r in rows)
    vwidth = max(len(r["value"]) for r in rows)
    section = None
    for r in rows:
        head = r["key"].rsplit(".", 1)[0]
        if head != section:
            section = head
            print(f"[{section}]")
        print(f"  {r['key']:<{width}}  {r['value']:>{vwidth}}  {r['range']:<18}  {r['unit']}")
        print(f"  {'':<{width}}  {'':>{vwidth}}  ↳ {r['meaning']}; source: {r['provenance']}")
    return 0
