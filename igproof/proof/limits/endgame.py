"""Convergence end-game: a certified Polyak-Lojasiewicz constant on a box D around theta(T).

Statement checked (non-isolated minima). Let r_A(theta) be the residuals of the points that are
not identically zero on D, J the Jacobian of r_A, n the number of data points and
L = (1/2n) |r|^2. If lambda_min(J J^T) >= lambda > 0 on D, then on D

    |grad L|^2 = (1/n^2) r_A^T J J^T r_A >= (lambda/n^2) |r_A|^2 = 2 mu L,   mu = lambda / n,

and along the flow d/dt sqrt(L) <= -sqrt(mu/2) |theta'|, so the path after T has length at most
R = sqrt(2 L(theta_T) / mu) while it stays in D. With theta_T in B_T = B(c, rho_T) and
B(c, rho_T + R) inside D (checked as R < delta for the cube D = c +- (rho_T + delta)), the path
never leaves that ball, L(theta(t)) <= L(theta_T) e^{-2 mu (t - T)} -> 0 and the limit exists
and lies in the closed ball B(c, rho_T + R) and in M_S (zero loss).

A residual that occurs m_j > 1 times (a repeated data point) makes J J^T singular over all rows,
so J is taken over the distinct residuals s_j only: with W = diag(m_j) >= I,
grad L = (1/n) J^T W s and

    |grad L|^2 = (1/n^2) (W s)^T J J^T (W s) >= (lambda/n^2) |W s|^2 >= (lambda/n^2) s^T W s
               = 2 mu L,   mu = lambda / n,

the same constant (L = (1/2n) s^T W s counts every copy).

For piecewise (ReLU) models every kink must have a certain sign on D, equal to the pattern whose
residuals are used.

lambda is certified by interval Cholesky of J J^T - lambda I on D: every pivot certainly > 0
implies every symmetric matrix of the ball family is positive definite.

Guarantee: enclosure (the limit lies in the returned ball), or a reason why not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy
from flint import arb, arb_mat

from igproof.numeric.ball.arith import arb_to_fraction, to_arb
from igproof.numeric.ball.taylor import FieldProgram

# Margins delta tried for the box D, largest first (as multiples of 1 + |c|_inf): a large D is
# the most convincing, a smaller one keeps a kink or a degenerate region out of D.
DELTA_CANDIDATES = (Fraction(1, 2 ** 10), Fraction(1, 2 ** 20), Fraction(1, 2 ** 30),
                    Fraction(1, 2 ** 40))
# lambda is taken as this fraction of the floating-point lambda_min at the centre: the rest
# absorbs the variation of J J^T over D and the rounding in the interval Cholesky.
LAMBDA_SAFETY = Fraction(3, 4)


@dataclass(frozen=True)
class PLEndgame:
    """A certified end-game: the limit lies in the closed ball B(centre, radius) and in M_S."""

    centre: tuple[Fraction, ...]
    radius: arb
    box_D: tuple[tuple[Fraction, Fraction], ...]
    lam: Fraction
    mu: Fraction
    loss_T: arb
    arc_bound: arb
    rho_T: arb
    active_rows: tuple[int, ...]


@dataclass(frozen=True)
class EndgameFailure:
    """Why the end-game could not be certified."""

    reason: str


def interval_cholesky_pd(M: arb_mat) -> bool:
    """True when every symmetric matrix in the ball matrix M is positive definite.

    Ball Cholesky on the lower triangle; each pivot must be certainly positive.
    """
    n = M.nrows()
    Lm = [[arb(0)] * n for _ in range(n)]
    for k in range(n):
        piv = M[k, k]
        for j in range(k):
            piv = piv - Lm[k][j] * Lm[k][j]
        if not piv > 0:
            return False
        Lm[k][k] = piv.sqrt()
        for i in range(k + 1, n):
            s = M[i, k]
            for j in range(k):
                s = s - Lm[i][j] * Lm[k][j]
            Lm[i][k] = s / Lm[k][k]
    return True


def shifted_pd(values: Sequence[arb], m: int, lam: Fraction) -> bool:
    """True when every matrix in the ball matrix (values, row-major m x m) minus lam I is
    positive definite (interval Cholesky)."""
    shifted = arb_mat(m, m)
    for i in range(m):
        for j in range(m):
            shifted[i, j] = values[i * m + j] - (to_arb(lam) if i == j else 0)
    return interval_cholesky_pd(shifted)


def pattern_certified(prog_k: FieldProgram | None, D: Sequence[arb],
                      signs: Sequence[int]) -> bool:
    """Every kink z_k (program ``prog_k``) has the certain sign signs[k] on the box D."""
    if prog_k is None:
        return True
    return all((z > 0) if s > 0 else (z < 0)
               for z, s in zip(prog_k.evaluate(D), signs, strict=True))


def pl_endgame(parameters: Sequence[sympy.Symbol], residuals: Sequence[sympy.Expr], n: int,
               box_T: Sequence[arb], *, kinks: Sequence[sympy.Expr] = (),
               pattern: Sequence[int] | None = None) -> PLEndgame | EndgameFailure:
    """Certify lim theta(t) in B(c, rho_T + sqrt(2 L_T / mu)) from theta(T) in ``box_T``.

    ``residuals`` are r_i(theta) = f(x_i; theta) - y_i valid where the kinks have the signs of
    ``pattern``; ``n`` is the number of data points (the 1/2n of the loss).
    """
    params = tuple(parameters)
    res = [sympy.expand(r) for r in residuals]
    for i, r in enumerate(res):
        if r.is_number and r != 0:
            return EndgameFailure(f"residual of point {i + 1} is the constant {r} on this "
                                  "activation pattern: the loss cannot tend to 0")
    active = tuple(i for i, r in enumerate(res) if r != 0)
    if not active:
        return EndgameFailure("every residual is identically zero: nothing to prove "
                              "(theta0 is already a global minimum of every point)")
    # one row per distinct residual (a repeated point once), with its multiplicity
    first: dict[sympy.Expr, int] = {}
    for i in active:
        first.setdefault(res[i], i)
    active = tuple(first.values())
    multiplicity = Counter(res)
    mult = [multiplicity[res[i]] for i in active]
    rA = [res[i] for i in active]
    J = sympy.Matrix(rA).jacobian(list(params))
    JJt = J * J.T
    m = len(active)
    prog_r = FieldProgram(params, rA)
    prog_g = FieldProgram(params, [JJt[i, j] for i in range(m) for j in range(m)])
    prog_k = FieldProgram(params, list(kinks)) if kinks else None

    centre = [arb(b.mid()) for b in box_T]
    rho_T = arb(0)
    for b, c in zip(box_T, centre, strict=True):
        rho_T = rho_T + arb(abs(b - c).upper()) ** 2
    rho_T = arb(rho_T.sqrt().upper())
    r_T = prog_r.evaluate(list(box_T))
    loss_T = arb(0)
    for v, k in zip(r_T, mult, strict=True):
        loss_T = loss_T + k * v * v
    loss_T = arb((loss_T / (2 * n)).upper())

    G_c = prog_g.evaluate(centre)
    Gf = np.array([[float(G_c[i * m + j].mid()) for j in range(m)] for i in range(m)])
    lam_float = float(np.linalg.eigvalsh(Gf)[0])
    if not lam_float > 0:
        return EndgameFailure(f"J J^T is singular at theta(T) (lambda_min ~ {lam_float:.3g}): "
                              "no Polyak-Lojasiewicz constant (a saddle or a rank drop)")
    lam = Fraction(lam_float).limit_denominator(2 ** 30) * LAMBDA_SAFETY
    lam = Fraction(int(lam * 2 ** 40), 2 ** 40)
    mu = lam / n
    arc = (2 * loss_T / to_arb(mu)).sqrt()
    arc = arb(arc.upper())
    scale = 1 + max(abs(float(c.mid())) for c in centre)
    reasons = []
    for rel in DELTA_CANDIDATES:
        delta = to_arb(Fraction(scale).limit_denominator(2 ** 10) * rel)
        if not arc < delta:
            reasons.append(f"delta={float(delta.mid()):.3g}: arc bound {float(arc.mid()):.3g} "
                           "does not fit")
            continue
        half = rho_T + delta
        D = [c + arb(0, half.upper()) for c in centre]
        if not pattern_certified(prog_k, D, pattern or ()):
            reasons.append(f"delta={float(delta.mid()):.3g}: activation pattern not "
                           "certified constant on D")
            continue
        if not shifted_pd(prog_g.evaluate(D), m, lam):
            reasons.append(f"delta={float(delta.mid()):.3g}: lambda_min(J J^T) >= "
                           f"{float(lam):.3g} not certified on D")
            continue
        box_D = tuple((arb_to_fraction(c) - _frac_up(half), arb_to_fraction(c) + _frac_up(half))
                      for c in centre)
        return PLEndgame(centre=tuple(arb_to_fraction(c) for c in centre),
                         radius=arb((rho_T + arc).upper()), box_D=box_D, lam=lam, mu=mu,
                         loss_T=loss_T, arc_bound=arc, rho_T=rho_T, active_rows=active)
    return EndgameFailure("PL end-game failed: " + "; ".join(reasons))


def _frac_up(x: arb) -> Fraction:
    """An exact rational >= every point of x (x >= 0)."""
    return arb_to_fraction(arb(x.upper())) + Fraction(1, 2 ** 200)
