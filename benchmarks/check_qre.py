"""Check the batched QRE (`model.games.batch`) against the single-game tracer, at scale.

Run from the repository root::

    python benchmarks/check_qre.py                  # prints a Markdown section
    python benchmarks/check_qre.py --write          # ... and writes results/check_qre.md
    python benchmarks/check_qre.py --games 50 --runs 20 --months 6   # a quick look

Two checks, both against `model.games.logit_qre` (the principal branch traced by
pseudo-arclength continuation, one game at a time):

1. Random games: batches of 8 normal-payoff games with 2-4 players of 1-3 options (some
   players ignoring others), payoffs scaled by 0.5-3 and `lam` uniform in 0.5-12, i.e.
   far more precise play than the model's. Every run the batch accepts must be within
   1e-8 of the traced branch; runs it leaves to the tracer are counted.
2. The model: ensembles of shipped scenarios with all four actors on `qre` (and on
   `nash`, whose QRE fallback is the same solver), every month's batched QRE marginals
   compared with the traced ones, run by run.

The unit tests run small versions of both; this script is the evidence behind the
tolerances in `model/games/newton_batch.py` and the claim in `model/games/batch.py`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from results_file import write_sections  # noqa: E402

import model  # noqa: E402
import model.ensemble.driver as ensemble  # noqa: E402
from model.core.actions import DIMENSIONS  # noqa: E402
from model.games import batch, logit_qre  # noqa: E402
from model.games.sparse import SparseGame  # noqa: E402
from model.kernels.game_rules import MonthGame, _lam_key  # noqa: E402
from model.kernels.stage import OPTIONS  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "check_qre.md"
SECTION = "## Batched QRE against the traced branch"
ATOL = 1e-8
ACTORS = ("russia", "north_korea", "united_states", "china")
SCENARIOS = ("baseline", "calibrated", "us_enforcement", "china_enables", "nk_famine",
             "baseline_uncertain")


def traced(payoffs: np.ndarray, lam: float) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.concatenate(logit_qre(payoffs, lam))


def random_games(trials: int, seed: int) -> dict:
    """Batches of random games; counts of runs checked, off the branch, and failed."""
    rng = np.random.default_rng(seed)
    out = {"checked": 0, "off": 0, "failed": 0, "worst": 0.0}
    for _ in range(trials):
        counts = tuple(int(c) for c in rng.integers(1, 4, size=rng.integers(2, 5)))
        payoffs = rng.normal(size=(8, len(counts), *counts)) * rng.uniform(0.5, 3.0)
        for i in range(len(counts)):  # each player ignores a random other player
            j = int(rng.integers(len(counts)))
            if j != i:
                payoffs[:, i] = np.take(payoffs[:, i], [0], axis=1 + j).repeat(counts[j],
                                                                              axis=1 + j)
        lam = float(rng.uniform(0.5, 12.0))
        game = SparseGame.from_tensors([payoffs[:, i] for i in range(len(counts))], counts)
        result = batch.solve(game, lam)
        out["failed"] += int((~result.ok).sum())
        for r in np.flatnonzero(result.ok):
            gap = float(np.abs(np.exp(result.x[r]) - traced(payoffs[r], lam)).max())
            out["checked"] += 1
            out["off"] += gap > ATOL
            if gap <= ATOL:
                out["worst"] = max(out["worst"], gap)
    return out


def traced_marginals(game: MonthGame, lam, rows: np.ndarray) -> list[np.ndarray]:
    """Each dimension's QRE marginal from the per-run traced branch (``MonthGame.qre``)."""
    out = [np.empty((len(rows), d.size)) for d in DIMENSIONS]
    for n, r in enumerate(rows):
        value = float(lam[r, 0]) if isinstance(lam, np.ndarray) else float(lam)
        slot = 0
        for player, strategy in zip(OPTIONS, game.qre(int(r), value)):
            for j, dim in enumerate(player.dimensions):
                out[slot][n] = [strategy[player.combos[:, j] == o].sum()
                                for o in range(dim.size)]
                slot += 1
    return out


def model_trajectories(scenario: str, rule: str, runs: int, months: int) -> dict:
    """Every batched QRE of an ensemble against the traced one, run by run."""
    out = {"checked": 0, "off": 0, "failed": 0, "worst": 0.0}

    class Checking(MonthGame):
        def marginals(self, lam, rows=None):
            got = super().marginals(lam, rows)
            key = _lam_key(lam)[0]
            if key in self.__dict__.setdefault("checked", set()):
                return got  # the cached QRE of an actor with the same lam
            self.checked.add(key)
            rows = np.arange(self.runs) if rows is None else np.asarray(rows)
            want = traced_marginals(self, lam, rows)
            gap = np.max([np.abs(a - b).max(axis=1) for a, b in zip(got, want)], axis=0)
            out["checked"] += len(rows)
            out["off"] += int((gap > ATOL).sum())
            out["worst"] = max(out["worst"], float(gap[gap <= ATOL].max(initial=0.0)))
            return got

        def _traced(self, run, lam, layout):
            out["failed"] += 1
            return super()._traced(run, lam, layout)

    original = ensemble.MonthGame
    ensemble.MonthGame = Checking
    try:
        loaded = model.load_scenario(scenario, {f"{a}.rule": rule for a in ACTORS})
        ensemble.simulate(loaded, np.arange(runs, dtype=np.uint64), months)
    finally:
        ensemble.MonthGame = original
    return out


def report(games: int, runs: int, months: int) -> str:
    start = time.perf_counter()
    lines = [SECTION, "",
             f"Written by `python benchmarks/check_qre.py --write` on "
             f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. Every QRE the batch accepts "
             f"is compared with `logit_qre` (the principal branch traced one game at a "
             f"time); off the branch means more than {ATOL:g} apart in some probability.",
             "", "| check | QREs compared | off the branch | left to the tracer | "
             "largest gap of the rest |", "|---|---:|---:|---:|---:|"]
    for seed in (1, 2):
        r = random_games(games, seed)
        lines.append(f"| random games, seed {seed} ({games} batches of 8, `lam` 0.5-12) | "
                     f"{r['checked']:,} | {r['off']} | {r['failed']} | {r['worst']:.1e} |")
    for rule, scenarios in (("qre", SCENARIOS), ("nash", ("baseline", "calibrated"))):
        for scenario in scenarios:
            r = model_trajectories(scenario, rule, runs, months)
            lines.append(f"| `{scenario}`, all actors `{rule}`, {runs} runs × {months} "
                         f"months | {r['checked']:,} | {r['off']} | {r['failed']} | "
                         f"{r['worst']:.1e} |")
    lines += ["", f"({time.perf_counter() - start:.0f} s.)"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=300, help="random batches per seed")
    parser.add_argument("--runs", type=int, default=150, help="runs per model ensemble")
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    section = report(args.games, args.runs, args.months)
    print(section)
    if args.write:
        write_sections(RESULTS, section)


if __name__ == "__main__":
    main()
