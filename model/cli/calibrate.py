"""`calibrate`: fit the unconstrained parameters to the record (ABC-SMC with pyabc)."""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

from ..analysis.calibration import run_calibration
from ..analysis.calibration_abc import PRIORS, minimum_particles
from ..analysis.reports.calibration import (
    ScenarioTargetError,
    scenario_target,
    write_calibration,
    write_scenario,
)
from ..core.forecasts import FORECASTS_FILE, load_forecasts
from ..core.paths import SCENARIO_DIR
from ..core.record import OBSERVATIONS_FILE, RecordError, load_observations
from .common import (
    UsageError,
    add_execution_options,
    claim_folder,
    default_out,
    executor_from,
    positive_int,
    report_written,
    seed_int,
)

HELP = "calibrate to the record July 2023 – October 2024 (ABC-SMC); write the posterior"

#: Months of a scenario written with --write-scenario: July 2023 to December 2028.
CALIBRATED_HORIZON = 65
#: (particles, rounds, batch size, predictive runs) by mode.
DEFAULTS = {"full": (1000, 12, 20_000, 2000), "quick": (50, 2, 2000, 200)}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--particles --rounds --seed --quick --scenario --observations --out."""
    parser.add_argument("--particles", type=positive_int, default=None,
                        help="population size (default 1000; 50 with --quick; at least "
                             f"{minimum_particles()})")
    parser.add_argument("--rounds", type=positive_int, default=None,
                        help="most ABC-SMC rounds; a fit stops sooner after a round run at "
                             "threshold 0 (default 12; 2 with --quick)")
    parser.add_argument("--seed", type=seed_int, default=0, help="seed (default 0)")
    parser.add_argument("--quick", action="store_true",
                        help="a small, fast calibration (a smoke test, not a result)")
    parser.add_argument("--scenario", default="baseline",
                        help="scenario whose parameters are calibrated (default baseline)")
    parser.add_argument("--observations", default=str(OBSERVATIONS_FILE),
                        help="observation rules (default experiments/record/"
                             "observations.toml)")
    parser.add_argument("--no-forecast", dest="forecast", action="store_false",
                        help="skip the forecast-skill calibration on events to March 2024")
    parser.add_argument("--forecasts", default=str(FORECASTS_FILE),
                        help="the yes/no questions the forecast-skill fit is scored on, as "
                             "`score` scores them (default experiments/record/forecasts.toml)")
    parser.add_argument("--out", default=None, help="output folder (default "
                        "results/calibration, or results/calibration-TAGS for other options)")
    parser.add_argument("--write-scenario", metavar="NAME", default=None,
                        help="also write experiments/scenarios/NAME.toml and NAME.posterior.csv "
                             "(the scenario carrying the posterior; a new name, or calibrated "
                             "to refit it; not with --quick)")
    add_execution_options(parser, chunks=False)


def execute(args: argparse.Namespace) -> int:
    """Calibrate the scenario's unconstrained parameters to the dated record (July 2023 –
    October 2024) with ABC-SMC; write posterior.csv (a joint sample a scenario can carry),
    report.md, figures and manifest.json. A second calibration on the events up to March
    2024 only checks what the model forecasts for the rest."""
    from ..core.scenario import load_scenario

    started = time.perf_counter()
    try:
        observations = load_observations(args.observations)
    except RecordError as exc:
        raise UsageError(str(exc)) from None
    forecasts = load_forecasts(args.forecasts) if args.forecast else None
    scenario = load_scenario(args.scenario)
    observations = observations.for_model(scenario.escalation)
    if scenario.sample is not None:
        raise UsageError(f"--scenario {args.scenario}: already carries a joint sample; "
                         "calibrate a scenario without one (e.g. baseline)")
    particles, rounds, batch, runs = DEFAULTS["quick" if args.quick else "full"]
    particles = args.particles or particles
    rounds = args.rounds or rounds
    if particles < minimum_particles():
        raise UsageError(f"--particles {particles}: ABC-SMC over {len(PRIORS)} parameters "
                         f"needs at least {minimum_particles()} particles")
    if importlib.util.find_spec("pyabc") is None:
        raise UsageError("calibrate needs pyabc, which is not installed: "
                         "pip install -e '.[calibrate]'")
    if args.write_scenario is not None:
        _check_scenario_name(args.write_scenario, scenario.name, args.quick)
    out = Path(args.out) if args.out else default_out("calibration", args)
    with claim_folder(out):  # checked and locked before calibrating
        print(f"calibrating {len(PRIORS)} parameters of '{scenario.name}' to "
              f"{len(observations.fitted())} rules: {particles} particles, "
              f"up to {rounds} rounds")
        with executor_from(args) as executor:
            if not executor.is_local:
                print(f"each batch's runs spread over {executor.describe()}")
            result = run_calibration(scenario, observations, particles=particles,
                                     rounds=rounds, batch_size=batch, runs=runs,
                                     seed=args.seed, forecast=args.forecast,
                                     client=executor.client, forecasts=forecasts)
        files = write_calibration(result, out, started, extra={"abc": "pyabc ABC-SMC"})
    posterior = result.posterior
    if args.write_scenario:
        name = args.write_scenario
        try:
            write_scenario(posterior, name, SCENARIO_DIR, extends=scenario.name,
                           horizon=CALIBRATED_HORIZON, start=scenario.start,
                           command="python run.py " + " ".join(sys.argv[1:]))
        except ScenarioTargetError as exc:
            raise UsageError(f"--write-scenario {name}: {exc}") from None
        print(f"wrote {SCENARIO_DIR / name}.toml and {name}.posterior.csv")
    for key in posterior.keys:
        lo, med, hi = posterior.quantiles(key)
        print(f"  {key:<40} median {med:.3g}  90% {lo:.3g}–{hi:.3g}")
    for row in result.check.table().itertuples():
        print(f"  {row.rule:<28} posterior {100 * row.posterior:5.1f}%  "
              f"(baseline {100 * row.baseline:5.1f}%)")
    report_written(out, files, started)
    return 0


def _check_scenario_name(name: str, calibrated: str, quick: bool) -> None:
    """Refuse, before calibrating, a --write-scenario that would lose a file or publish a
    smoke test: not a plain name, the scenario being calibrated, --quick, or a file in
    the scenario folder that is not a calibration's own output."""
    from ..core.names import check_name

    try:  # it names a file in experiments/scenarios/, and the new scenario extends this one
        check_name(name)
    except ValueError as exc:
        raise UsageError(f"--write-scenario: {exc}") from None
    if name == calibrated:
        raise UsageError(f"--write-scenario {name}: the scenario being calibrated; "
                         "choose another name (e.g. calibrated)")
    if quick:
        raise UsageError(f"--write-scenario {name}: --quick is a smoke test and never "
                         "writes a scenario; drop --quick to fit one")
    try:
        scenario_target(name, SCENARIO_DIR)
    except ScenarioTargetError as exc:
        raise UsageError(f"--write-scenario {name}: {exc}") from None
