"""The logit-QRE equations as a homotopy system, and the numerical steps that follow it:
pseudo-arclength predictor-corrector steps, Newton's method at fixed ``lam``, and the
damped fixed-point fallback (Allgower & Georg 1990; Keller 1977; Turocy 2005).
``model.games.qre`` drives these steps along the principal branch."""

from __future__ import annotations

import itertools
import math

import numpy as np

from .pure import _contract_others, _softmax

# Path-following constants (Allgower & Georg 1990, ch. 6). They act on payoffs rescaled
# so that the largest payoff range over players is 1; see ``logit_qre``.
_H_START = 0.1  # first arc-length step
_H_MIN = 1e-9  # below this step length the tracer gives up and falls back
_H_BIFURCATION = 1e-3  # a step this short that changes orientation crosses a bifurcation
_MAX_DIST = 0.05  # largest first Newton correction accepted (distance to the branch)
_MAX_CONTRACTION = 0.5  # largest ratio of successive Newton corrections accepted
_MAX_TURN = 0.35  # largest change |t_new - t_old| of the unit tangent in one step (~20 deg)
_MAX_GROWTH = 2.0  # the step grows at most by this factor per accepted step
_CORRECTOR_ITERATIONS = 8  # Newton iterations per predictor-corrector step
_PATH_TOL = 1e-4  # corrector tolerance between requested values of lam
_MAX_STEPS = 100_000  # accepted plus rejected steps before the tracer gives up
_FALLBACK_ITERATIONS = 20_000  # damped fixed-point iterations in the fallback
_ROUNDING = 100 * np.finfo(float).eps  # relative rounding floor of the QRE residual


class _LogitSystem:
    """The logit-QRE equations in log-probability coordinates.

    Unknowns: ``x`` (all players' log-probabilities, stacked) and ``lam``. Equations:

        H_i(x, lam) = x_i - log softmax(lam * v_i(exp x)) = 0      for every player i,

    i.e. ``x_ib - x_ic = lam * (v_ib - v_ic)`` together with ``sum_b exp(x_ib) = 1``.
    Derivatives (``s_i = softmax(lam v_i)``, ``p_j = exp(x_j)``,
    ``M_ij = d v_i / d p_j``, the bilinear contraction of ``u_i`` with all strategies but
    those of ``i`` and ``j``):

        dH_i/dx_i = I,   dH_i/dx_j = -lam (I - 1 s_i^T) M_ij diag(p_j)   (j != i),
        dH_i/dlam = -(v_i - s_i . v_i).

    The blocks ``M_ij`` are stored in one matrix ``G`` (zero diagonal blocks). Since
    ``v_i`` is multilinear, ``M_ij p_j = v_i`` for every ``j != i``, so the stacked
    expected payoffs are ``G p / (n - 1)``.
    """

    def __init__(self, payoffs: np.ndarray):
        self.n_players = payoffs.shape[0]
        self.counts = payoffs.shape[1:]
        self.tensors = [np.ascontiguousarray(u) for u in payoffs]
        bounds = np.cumsum([0, *self.counts])
        self.slices = [slice(int(a), int(b)) for a, b in itertools.pairwise(bounds)]
        self.starts = bounds[:-1]
        self.size = int(bounds[-1])
        self.repeats = np.asarray(self.counts)
        # For each ordered pair i != j: u_i with axes reordered to (i, j, others...), so
        # that M_ij is a chain of matrix-vector products with the others' strategies.
        self.pair_tensors = []
        for i, u in enumerate(self.tensors):
            for j in range(self.n_players):
                if j != i:
                    rest = [k for k in range(self.n_players) if k not in (i, j)]
                    ordered = np.ascontiguousarray(np.transpose(u, [i, j, *rest]))
                    block = (self.slices[i], self.slices[j])
                    self.pair_tensors.append((block, ordered, rest[::-1]))

    def uniform(self) -> np.ndarray:
        return np.concatenate([np.full(m, -math.log(m)) for m in self.counts])

    def coupling(self, p: np.ndarray) -> np.ndarray:
        """The matrix G with blocks G[i, j] = M_ij = d v_i / d p_j (zero when i == j)."""
        g = np.zeros((self.size, self.size))
        for block, m, contract in self.pair_tensors:
            for k in contract:
                m = m @ p[self.slices[k]]
            g[block] = m
        return g

    def evaluate(self, x: np.ndarray, lam: float):
        """Return ``H``, ``dH/dx`` and ``dH/dlam`` at ``(x, lam)``."""
        p = np.exp(x)
        if self.n_players == 1:
            g = np.zeros((self.size, self.size))
            v = self.tensors[0]
        else:
            g = self.coupling(p)
            v = (g @ p) / (self.n_players - 1)
        z = lam * v
        top = np.maximum.reduceat(z, self.starts)
        e = np.exp(z - np.repeat(top, self.repeats))
        total = np.add.reduceat(e, self.starts)
        s = e / np.repeat(total, self.repeats)
        residual = x - z + np.repeat(top + np.log(total), self.repeats)
        d_lam = np.repeat(np.add.reduceat(s * v, self.starts), self.repeats) - v
        # (I - 1 s_i^T) applied to player i's rows, then columns scaled by -lam p.
        g -= np.repeat(np.add.reduceat(s[:, None] * g, self.starts, axis=0), self.repeats, axis=0)
        g *= -lam * p
        g[np.diag_indices(self.size)] += 1.0
        return residual, g, d_lam


def _bordered_solve(d_x, d_lam, tangent, residual):
    """Solve ``[[dH/dx, dH/dlam], [t^T]] [delta, z] = [[-H, 0], [0, 1]]`` (Keller 1977).

    ``delta`` is the pseudo-arclength Newton correction and ``z / |z|`` the unit tangent
    at the point, oriented so that ``t . z > 0``. Returns ``(delta, z / |z|, matrix)``, or
    ``None`` when the matrix is singular.
    """
    size = d_x.shape[0]
    a = np.empty((size + 1, size + 1))
    a[:size, :size] = d_x
    a[:size, size] = d_lam
    a[size] = tangent
    rhs = np.zeros((size + 1, 2))
    rhs[:size, 0] = -residual
    rhs[size, 1] = 1.0
    try:
        solution = np.linalg.solve(a, rhs)
    except np.linalg.LinAlgError:
        return None
    if not np.isfinite(solution).all():
        return None
    z = solution[:, 1]
    return solution[:, 0], z / np.linalg.norm(z), a


def _orientation(matrix: np.ndarray) -> float:
    """Sign of ``det [[dH/dx, dH/dlam], [t^T]]``: constant along a regular branch.

    With ``t . t_new > 0`` the sign is the same for the old and the new tangent, because
    the determinant is linear in the last row and its cofactor vector is parallel to the
    tangent (Allgower & Georg 1990, ch. 2 and 8). A change of sign between two
    points means a bifurcation point lies between them, or the corrector has jumped to
    another branch.
    """
    return float(np.linalg.slogdet(matrix)[0])


def _arclength_step(system: _LogitSystem, y: np.ndarray, tangent: np.ndarray, h: float):
    """One predictor-corrector step along the branch (Allgower & Georg 1990, ch. 6).

    Predictor: ``y + h t``. Corrector: Newton on ``H = 0`` restricted to the hyperplane
    through the predictor orthogonal to ``t`` (pseudo-arclength, Keller 1977). The step
    is refused when the first correction exceeds ``_MAX_DIST``, Newton contracts by less
    than ``_MAX_CONTRACTION`` per iteration, or the unit tangent turns by more than
    ``_MAX_TURN``. Returns ``(y_new, t_new, growth, orientation)`` or ``None``.
    """
    point = y + h * tangent
    first = None
    previous = None
    worst = 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(_CORRECTOR_ITERATIONS):
            residual, d_x, d_lam = system.evaluate(point[:-1], point[-1])
            if not np.isfinite(residual).all():
                return None
            solved = _bordered_solve(d_x, d_lam, tangent, residual)
            if solved is None:
                return None
            delta, new_tangent, matrix = solved
            dist = float(np.linalg.norm(delta))
            if first is None:
                first = dist
                if dist > _MAX_DIST:
                    return None
                worst = math.sqrt(dist / _MAX_DIST)
            else:
                contraction = dist / (previous + 1e-12)
                if contraction > _MAX_CONTRACTION:
                    return None
                worst = max(worst, math.sqrt(contraction / _MAX_CONTRACTION))
            point = point + delta
            if dist <= _PATH_TOL:
                break
            previous = dist
        else:
            return None
    turn = float(np.linalg.norm(new_tangent - tangent))  # about curvature * h
    if turn > _MAX_TURN:
        return None
    worst = max(worst, turn / _MAX_TURN)
    growth = min(_MAX_GROWTH, max(0.5, 0.7 / max(worst, 1e-12)))
    return point, new_tangent, growth, _orientation(matrix)


def _newton_fixed_lam(system, x, lam, tol, guarded=False, orient=None):
    """Newton's method on ``H(., lam) = 0`` from ``x``.

    Stops when ``max |H| <= max(tol, rounding floor)``; the floor, ``100 eps (1 + lam)``
    on payoffs of range 1, is what the log-domain residual can resolve. When ``guarded``
    the distance and contraction safeguards of the path corrector apply, so that landing
    on a requested ``lam`` cannot jump to another part of the branch. Returns ``(x,
    tangent, orientation)`` (tangent oriented along ``orient``; tangent and orientation
    are None if not asked for or singular) or ``None`` on failure.
    """
    tol = max(tol, _ROUNDING * (1.0 + lam))
    previous = None
    max_iterations = _CORRECTOR_ITERATIONS + 4 if guarded else 100
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(max_iterations):
            residual, d_x, d_lam = system.evaluate(x, lam)
            if not np.isfinite(residual).all():
                return None
            if np.abs(residual).max() <= tol:
                solved = None
                if orient is not None:
                    solved = _bordered_solve(d_x, d_lam, orient, residual)
                if solved is None:
                    return x, None, None
                return x, solved[1], _orientation(solved[2])
            try:
                delta = np.linalg.solve(d_x, -residual)
            except np.linalg.LinAlgError:
                return None
            dist = float(np.linalg.norm(delta))
            if guarded:
                if previous is None and dist > _MAX_DIST:
                    return None
                if previous is not None and dist > _MAX_CONTRACTION * previous:
                    return None
            previous = dist
            x = x + delta
    return None


def _fallback(system: _LogitSystem, x: np.ndarray, lam: float, tol: float):
    """Damped fixed-point iteration p <- (p + L(p)) / 2 at ``lam``, then Newton polish."""
    p = [_softmax(x[s]) for s in system.slices]
    for _ in range(_FALLBACK_ITERATIONS):
        response = [_softmax(lam * _contract_others(u, i, p)) for i, u in enumerate(system.tensors)]
        gap = max(float(np.abs(r - q).max()) for r, q in zip(response, p, strict=True))
        p = [0.5 * (r + q) for r, q in zip(response, p, strict=True)]
        if gap <= 1e-6:
            break
    with np.errstate(divide="ignore"):
        x = np.concatenate([np.log(q) for q in p])
    x = np.maximum(x, -700.0)
    polished = _newton_fixed_lam(system, x, lam, tol)
    if polished is not None:
        return polished[0], True
    return x, _response_gap(system, x, lam) <= max(tol, _ROUNDING * (1.0 + lam))


def _response_gap(system: _LogitSystem, x: np.ndarray, lam: float) -> float:
    """max |p - softmax(lam v(p))| with p = softmax(x_i) per player."""
    p = [_softmax(x[s]) for s in system.slices]
    gaps = [
        np.abs(_softmax(lam * _contract_others(u, i, p)) - p[i]).max()
        for i, u in enumerate(system.tensors)
    ]
    return float(max(gaps))


def _start(system: _LogitSystem) -> tuple[np.ndarray, np.ndarray, float]:
    """The branch's start: uniform play at lam = 0, its tangent and orientation.

    There ``dH/dx = I``, so the tangent is proportional to ``(v - s . v, 1)`` per player
    with ``v`` the expected payoffs against uniform play.
    """
    x = system.uniform()
    residual, d_x, d_lam = system.evaluate(x, 0.0)
    tangent = np.append(-d_lam, 1.0)
    tangent /= np.linalg.norm(tangent)
    _, _, matrix = _bordered_solve(d_x, d_lam, tangent, residual)
    return x, tangent, _orientation(matrix)
