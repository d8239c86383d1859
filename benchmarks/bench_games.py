"""Time model.games on a stage game of the simulator's size, against peer libraries.

The game has shape (4, 36, 3, 3, 3): four players, the first with 36 actions (Russia's
3 x 2 x 3 x 2 options) and three with 3 each. Payoffs are standard normal draws from a
seeded numpy Generator. Timings are the best of several timeit repeats, in milliseconds.

    python benchmarks/bench_games.py [--seed 0] [--repeat 7] [--cpu]

Peers: quantecon's ``pure_nash_brute`` (a Python loop over profiles); pygambit's
``enumpure_solve`` and logit QRE when pygambit is importable (it has no wheel for Python
3.11, so it is usually reported as not installed).
"""

from __future__ import annotations

import argparse
import time
import timeit

import numpy as np

from model.games import logit_qre, logit_response, pure_nash_equilibria

SHAPE = (4, 36, 3, 3, 3)
LAMS = (1.0, 5.0, 20.0)


def best_ms(function, repeat: int, timer) -> float:
    """Best of ``repeat`` timeit runs, each long enough (about 0.2 s) to be measurable."""
    clock = timeit.Timer(function, timer=timer)
    number, _ = clock.autorange()
    return min(clock.repeat(repeat=repeat, number=number)) / number * 1e3


def quantecon_game(payoffs: np.ndarray):
    """quantecon wants player i's array with its own action first, then i+1, ..., i-1."""
    from quantecon.game_theory import NormalFormGame, Player

    n = payoffs.shape[0]
    return NormalFormGame(
        [Player(np.transpose(payoffs[i], [(i + k) % n for k in range(n)])) for i in range(n)]
    )


def pygambit_rows(payoffs: np.ndarray, ours: dict, repeat: int, timer) -> list[tuple]:
    try:
        import pygambit as gbt
    except ImportError:
        return [("pure Nash, logit QRE", "pygambit", "not installed", "")]
    game = gbt.Game.from_arrays(*payoffs)
    rows = []
    ms = best_ms(lambda: gbt.nash.enumpure_solve(game), repeat, timer)
    rows.append(("pure Nash equilibria", "pygambit enumpure_solve", ms, ms / ours["pne"]))
    solve_lambda = getattr(getattr(gbt, "qre", None), "logit_solve_lambda", None)
    for lam in LAMS:
        if solve_lambda is None:
            rows.append((f"logit QRE lam={lam:g}", "pygambit", "no fixed-lam QRE API", ""))
            continue
        ms = best_ms(lambda lam=lam: solve_lambda(game, lam=[lam]), repeat, timer)
        rows.append((f"logit QRE lam={lam:g}", "pygambit", ms, ms / ours[lam]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--cpu", action="store_true", help="time process CPU, not wall clock")
    parser.add_argument("--game", choices=("random", "model"), default="random",
                        help="a random game, or the model's stage game (baseline, month 12)")
    args = parser.parse_args()
    timer = time.process_time if args.cpu else time.perf_counter

    if args.game == "model":
        from model import AllianceModel

        model = AllianceModel("baseline", seed=args.seed)
        model.run(12)
        payoffs = model.stage_game().payoffs
    else:
        payoffs = np.random.default_rng(args.seed).normal(size=SHAPE)
    rows = []
    ours = {}

    equilibria = pure_nash_equilibria(payoffs)
    ours["pne"] = best_ms(lambda: pure_nash_equilibria(payoffs), args.repeat, timer)
    rows.append(("pure Nash equilibria", "model.games", ours["pne"], 1.0))

    try:
        from quantecon.game_theory import pure_nash_brute
    except ImportError:
        rows.append(("pure Nash equilibria", "quantecon pure_nash_brute", "not installed", ""))
    else:
        game = quantecon_game(payoffs)
        assert sorted(pure_nash_brute(game, tol=1e-9)) == equilibria  # also warms up numba
        ms = best_ms(lambda: pure_nash_brute(game, tol=1e-9), args.repeat, timer)
        rows.append(("pure Nash equilibria", "quantecon pure_nash_brute", ms, ms / ours["pne"]))

    gaps = {}
    for lam in LAMS:
        strategies = logit_qre(payoffs, lam)
        gaps[lam] = max(
            float(np.abs(r - s).max())
            for r, s in zip(logit_response(payoffs, strategies, lam), strategies, strict=True)
        )
        ours[lam] = best_ms(lambda lam=lam: logit_qre(payoffs, lam), args.repeat, timer)
        rows.append((f"logit QRE lam={lam:g}", "model.games", ours[lam], 1.0))

    rows += pygambit_rows(payoffs, ours, args.repeat, timer)

    clock = "CPU" if args.cpu else "wall"
    print(f"{args.game} game, shape {SHAPE}, seed {args.seed}, best of {args.repeat} "
          f"({clock} clock)")
    print(f"pure equilibria found: {len(equilibria)} {equilibria}")
    for lam in LAMS:
        print(f"QRE fixed-point error at lam={lam:g}: {gaps[lam]:.1e}")
    print()
    print(f"{'task':<22} {'implementation':<28} {'ms':>10} {'x model.games':>14}")
    for task, who, ms, ratio in rows:
        ms_text = f"{ms:10.3f}" if isinstance(ms, float) else f"{ms:>10}"
        ratio_text = f"{ratio:14.1f}" if isinstance(ratio, float) else f"{ratio:>14}"
        print(f"{task:<22} {who:<28} {ms_text} {ratio_text}")


if __name__ == "__main__":
    main()
