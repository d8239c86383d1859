"""`calibrate`: fit the unconstrained parameters to the record (ELFI ABC-SMC)."""

from __future__ import annotations

import argparse
import sys
import time

from ..analysis.calibration_elfi import PRIORS, calibrate
from ..analysis.calibration_report import (
    Check,
    plot_parameters,
    plot_predictive,
    predictive_check,
    predictive_met,
    report_text,
    scenario_text,
    with_posterior,
)
from ..core.record import OBSERVATIONS_FILE, RecordError, load_observations
from ..output.results import manifest, output_folder
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

HELP = "calibrate to the record July 2023 – June 2024 (ELFI ABC-SMC); write the posterior"

#: Months of a scenario written with --write-scenario: July 2023 to December 2028.
CALIBRATED_HORIZON = 65
#: (particles, rounds, batch size, predictive runs) by mode.
DEFAULTS = {"full": (1000, 6, 5000, 2000), "quick": (50, 2, 500, 200)}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--particles --rounds --seed --quick --scenario --observations --out."""
    parser.add_argument("--particles", type=positive_int, default=None,
                        help="population size (default 1000; 50 with --quick)")
    parser.add_argument("--rounds", type=positive_int, default=None,
                        help="most ABC-SMC rounds (default 6; 2 with --quick)")
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
    parser.add_argument("--out", default=None, help="output folder (default "
                        "results/calibration, or results/calibration-TAGS for other options)")
    parser.add_argument("--write-scenario", metavar="NAME", default=None,
                        help="also write experiments/scenarios/NAME.toml and NAME.posterior.csv "
                             "(the scenario carrying the posterior; e.g. calibrated)")
    add_execution_options(parser, chunks=False)


def execute(args: argparse.Namespace) -> int:
    """Calibrate the scenario's unconstrained parameters to the dated record (July 2023 –
    June 2024) with ELFI's adaptive-threshold ABC-SMC; write posterior.csv (a joint sample
    a scenario can carry), report.md, figures and manifest.json. A second calibration on
    the events up to March 2024 only checks what the model forecasts for the rest."""
    from pathlib import Path

    from ..core.scenario import load_scenario
    from ..core.schema import check_name

    started = time.perf_counter()
    try:
        observations = load_observations(args.observations)
    except RecordError as exc:
        raise UsageError(str(exc)) from None
    scenario = load_scenario(args.scenario)
    if scenario.sample is not None:
        raise UsageError(f"--scenario {args.scenario}: already carries a joint sample; "
                         "calibrate a scenario without one (e.g. baseline)")
    if args.write_scenario is not None:
        try:  # it names a file in experiments/scenarios/, and the new scenario extends this one
            check_name(args.write_scenario)
        except ValueError as exc:
            raise UsageError(f"--write-scenario: {exc}") from None
        if args.write_scenario == scenario.name:
            raise UsageError(f"--write-scenario {args.write_scenario}: the scenario being "
                             "calibrated; choose another name (e.g. calibrated)")
    particles, rounds, batch, runs = DEFAULTS["quick" if args.quick else "full"]
    particles = args.particles or particles
    rounds = args.rounds or rounds
    out = Path(args.out) if args.out else default_out("calibration", args)
    with claim_folder(out):  # checked and locked before calibrating
        print(f"calibrating {len(PRIORS)} parameters of '{scenario.name}' to "
              f"{len(observations.fitted())} rules: {particles} particles, "
              f"up to {rounds} rounds")
        with executor_from(args) as executor:
            if not executor.is_local:
                print(f"each batch's runs spread over {executor.describe()}")
            posterior = calibrate(scenario, observations, particles=particles, seed=args.seed,
                                  rounds=rounds, batch_size=batch, log=print,
                                  client=executor.client)
            forecast = None
            if args.forecast:
                early = observations.up_to(observations.forecast_cutoff)
                print(f"forecast check: calibrating to {len(early.fitted())} rules dated up to "
                      f"{observations.forecast_cutoff}")
                forecast = calibrate(scenario, early, particles=particles, seed=args.seed + 1,
                                     rounds=rounds, batch_size=batch, log=print,
                                     client=executor.client)
        check = predictive_check(scenario, observations, posterior, runs, args.seed)
        forecast_check = None
        if forecast is not None:
            forecast_check = Check(observations, {
                "prior": check.met["prior"],
                "forecast": predictive_met(with_posterior(scenario, forecast), observations, runs,
                                           args.seed)})
        text = report_text(scenario, observations, posterior, check, runs=runs, seed=args.seed,
                           forecast=forecast, forecast_check=forecast_check,
                           wall_time=time.perf_counter() - started)
        with output_folder(out) as folder:
            posterior.write_csv(folder.path("posterior.csv"))
            if forecast is not None:
                forecast.write_csv(folder.path("forecast_posterior.csv"))
            folder.write_table("predictive", check.table())
            folder.save_figure("parameters.png",
                               lambda p: plot_parameters(posterior, p, extra=forecast))
            folder.save_figure("predictive.png", lambda p: plot_predictive(check, p))
            folder.write_text("report.md", text)
            folder.write_json("manifest.json", manifest(
                scenario, command="calibrate", seed=args.seed, runs=runs,
                months=observations.months, wall_time=time.perf_counter() - started,
                files=[*folder.files, "manifest.json"],
                extra={"particles": particles, "rounds": posterior.rounds,
                       "simulations": posterior.simulations,
                       "calibration_seconds": round(posterior.wall_time, 1),
                       "calibration_cpu_seconds": round(posterior.cpu_time, 1),
                       "observations": str(observations.path),
                       "priors": {k: [p.low, p.high] for k, p in posterior.priors.items()},
                       "rules": list(posterior.rules)}))
            files = list(folder.files)
    if args.write_scenario:
        from ..core.paths import SCENARIO_DIR

        name = args.write_scenario
        posterior.write_csv(SCENARIO_DIR / f"{name}.posterior.csv")
        (SCENARIO_DIR / f"{name}.toml").write_text(scenario_text(
            posterior, name=name, sample_file=f"{name}.posterior.csv",
            extends=scenario.name, horizon=CALIBRATED_HORIZON, start=scenario.start,
            command="python run.py " + " ".join(sys.argv[1:])), encoding="utf-8")
        print(f"wrote {SCENARIO_DIR / name}.toml and {name}.posterior.csv")
    for key in posterior.keys:
        lo, med, hi = posterior.quantiles(key)
        print(f"  {key:<40} median {med:.3g}  90% {lo:.3g}–{hi:.3g}")
    table = check.table()
    for row in table.itertuples():
        print(f"  {row.rule:<28} posterior {100 * row.posterior:5.1f}%  "
              f"(baseline {100 * row.baseline:5.1f}%)")
    report_written(out, files, started)
    return 0
