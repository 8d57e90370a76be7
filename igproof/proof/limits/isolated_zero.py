"""Isolated-zero end-game: Krawczyk on p residuals, exact relations for the rest, convexity on D.

Statement checked (an isolated solution of the residual equations: zero loss). Let r_1..r_n be
the residuals of the smooth piece (the activation pattern of the kinks fixed), p the number of
parameters, L = (1/2n) |r|^2, B_T the enclosure of theta(T) and D = m +- h a cube with B_T
inside D. If

1. every kink has a certain sign on D, equal to the pattern (the flow on D is that piece's);
2. H(theta) - lambda I is positive definite for every theta in D (interval Cholesky of the
   Hessian of L on D, lambda > 0): L is lambda-strongly convex on the convex D;
3. for p chosen rows R, the Krawczyk image K(D) = m - Y r_R(m) + (I - Y J_R(D)) (D - m)
   (Y a rational approximation of J_R(m)^-1) lies in the interior of D: r_R has exactly one
   zero theta* in D, and theta* is in K(D);
4. every other residual r_j is an exact rational combination of the chosen ones,
   r_j = sum_k c_jk r_{R_k} identically on the piece (an identity of polynomials with rational
   coefficients, decided exactly): so r(theta*) = 0, L(theta*) = 0 and grad L(theta*) = 0;
5. r_0 := sup |B_T - K(D)| < d := the distance from K(D) to the boundary of D;

then, exactly as in :mod:`igproof.proof.limits.isolated`, |theta(t) - theta*| <= r_0
e^{-lambda (t - T)} < d for t >= T: the flow stays in D and converges to theta*, which has zero
loss (it lies in M_S). Residuals that are not polynomial on the piece (tanh, ...) are admitted
only as chosen rows (n = p, or every non-chosen residual identically zero); a relation is never
inferred from an interval that contains 0.

The Krawczyk box is then refined (K(X) cap X keeps theta*), so the limit ball is at rounding
level as soon as the end-game closes, however far theta(T) still is from theta*: the prover
tries this end-game early (:mod:`igproof.proof.limits.limit`).

Guarantee: enclosure (the limit lies in the returned ball and has zero loss), or a reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy
from flint import arb

from igproof.numeric.ball.arith import arb_to_fraction, precision
from igproof.numeric.ball.taylor import FieldProgram
from igproof.proof.limits.endgame import EndgameFailure
from igproof.proof.limits.krawczyk import (
    approx_inverse,
    convexity_guess,
    newton_point,
    search_box,
)

__all__ = ["IsolatedZeroEndgame", "ZeroSystem", "isolated_zero_endgame", "zero_system"]

# Relative singular-value floor below which the residual Jacobian is treated as rank deficient
# when the p rows are chosen (a choice only: Krawczyk decides).
RANK_TOLERANCE = 1e-10


@dataclass(frozen=True)
class ZeroSystem:
    """p residual rows R with an invertible Jacobian and exact relations r_j = sum_k c_jk r_R_k
    for every other row j (``relations[j] = (c_j1, ..., c_jp)``)."""

    rows: tuple[int, ...]
    relations: dict[int, tuple[Fraction, ...]]


@dataclass(frozen=True)
class IsolatedZeroEndgame:
    """A certified end-game: the limit is the unique zero theta* of r_R in D; every residual
    vanishes there (zero loss, in M_S) and theta* lies in B(centre, radius)."""

    centre: tuple[Fraction, ...]
    radius: arb
    box_D: tuple[tuple[Fraction, Fraction], ...]
    krawczyk: tuple[arb, ...]
    lam: Fraction
    rows: tuple[int, ...]
    relations: dict[int, tuple[Fraction, ...]]
    r0: arb
    margin: arb


def _row_coefficients(expr: sympy.Expr, params: tuple[sympy.Symbol, ...]
                      ) -> dict[tuple[int, ...], sympy.Rational] | None:
    """{monomial: rational coefficient} of a polynomial residual, None if not polynomial."""
    try:
        poly = sympy.Poly(sympy.expand(expr), *params)
    except sympy.PolynomialError:
        return None
    if not all(c.is_Rational for c in poly.coeffs()):
        return None
    return dict(zip(poly.monoms(), poly.coeffs(), strict=True))


def zero_system(params: Sequence[sympy.Symbol], residuals: Sequence[sympy.Expr],
                point: Sequence[float]) -> ZeroSystem | EndgameFailure:
    """Choose p rows with a well-conditioned Jacobian at ``point`` and find exact rational
    relations expressing every other residual through them (linear algebra over Q on the
    polynomial coefficients)."""
    params = tuple(params)
    p, n = len(params), len(residuals)
    res = [sympy.expand(r) for r in residuals]
    if n < p:
        return EndgameFailure(f"isolated zero: {n} residuals for {p} parameters (the zeros "
                              "are not isolated)")
    subs = dict(zip(params, point, strict=True))
    J = np.array([[float(sympy.diff(r, v).evalf(subs=subs)) for v in params] for r in res])
    rows: list[int] = []
    basis = np.zeros((0, p))
    scale = max(float(np.abs(J).max()), 1e-300)
    for i in sorted(range(n), key=lambda k: -float(np.linalg.norm(J[k]))):
        cand = np.vstack([basis, J[i]])
        if np.linalg.svd(cand, compute_uv=False)[-1] > RANK_TOLERANCE * scale:
            rows.append(i)
            basis = cand
        if len(rows) == p:
            break
    if len(rows) < p:
        return EndgameFailure(f"isolated zero: the residual Jacobian has rank {len(rows)} < "
                              f"{p} near theta(T) (the zero is not isolated)")
    rows.sort()
    others = [j for j in range(n) if j not in rows]
    relations: dict[int, tuple[Fraction, ...]] = {}
    if not others:
        return ZeroSystem(tuple(rows), relations)
    polys = [_row_coefficients(r, params) for r in res]
    for j in others:
        if res[j] == 0:
            relations[j] = (Fraction(0),) * p
            continue
        if polys[j] is None or any(polys[k] is None for k in rows):
            return EndgameFailure(f"isolated zero: residual {j + 1} is not polynomial on the "
                                  "piece, so no exact relation to the chosen rows is decided")
        monos = sorted(set(polys[j]).union(*(polys[k] for k in rows)))
        A = sympy.Matrix([[polys[k].get(mono, 0) for k in rows] for mono in monos])
        b = sympy.Matrix([polys[j].get(mono, 0) for mono in monos])
        try:
            sol, params_free = A.gauss_jordan_solve(b)
        except ValueError:
            return EndgameFailure(f"isolated zero: residual {j + 1} is not a rational "
                                  "combination of the chosen residuals (no exact relation)")
        sol = sol.subs({t: 0 for t in params_free})
        relations[j] = tuple(Fraction(int(c.p), int(c.q)) for c in sol)
    return ZeroSystem(tuple(rows), relations)


def isolated_zero_endgame(parameters: Sequence[sympy.Symbol], residuals: Sequence[sympy.Expr],
                          box_T: Sequence[arb], *, prec: int, kinks: Sequence[sympy.Expr] = (),
                          pattern: Sequence[int] | None = None,
                          system: ZeroSystem | None = None
                          ) -> IsolatedZeroEndgame | EndgameFailure:
    """Certify lim theta(t) = theta* in K(D) with r(theta*) = 0 (conditions 1-5 above).

    ``residuals`` are the residuals of the smooth piece (kinks with the signs ``pattern``);
    ``system`` (rows and relations) is computed when not given.
    """
    params = tuple(parameters)
    with precision(prec):
        if system is None:
            sysm = zero_system(params, residuals, [float(b.mid()) for b in box_T])
            if isinstance(sysm, EndgameFailure):
                return sysm
            system = sysm
        return _endgame(params, [sympy.expand(r) for r in residuals], list(box_T),
                        list(kinks), list(pattern or ()), system)


def _endgame(params: tuple[sympy.Symbol, ...], res: list[sympy.Expr], box_T: list[arb],
             kinks: list[sympy.Expr], signs: list[int],
             system: ZeroSystem) -> IsolatedZeroEndgame | EndgameFailure:
    p, n = len(params), len(res)
    r_R = [res[i] for i in system.rows]
    loss = sum((r ** 2 for r in res), sympy.Integer(0)) / (2 * n)
    hess = [sympy.diff(loss, a, b) for a in params for b in params]
    jac = [sympy.diff(r, v) for r in r_R for v in params]
    prog_r = FieldProgram(params, r_R)
    prog_j = FieldProgram(params, jac)
    prog_h = FieldProgram(params, hess)
    prog_k = FieldProgram(params, kinks) if kinks else None
    m = newton_point(prog_r, prog_j, [arb(b.mid()) for b in box_T], p)
    if m is None:
        return EndgameFailure("isolated zero: the chosen residuals' Jacobian is singular near "
                              "theta(T) (Newton has no step)")
    lam, lam_float = convexity_guess(prog_h.evaluate(m), p)
    if lam is None:
        return EndgameFailure(f"isolated zero: the Hessian of L at the zero is not positive "
                              f"definite (lambda_min ~ {lam_float:.3g})")
    try:
        Y = approx_inverse(prog_j.evaluate(m), p)
    except ZeroDivisionError:
        return EndgameFailure("isolated zero: the residual Jacobian at the Newton point is not "
                              "certainly invertible")
    found = search_box(m=m, Y=Y, f_m=prog_r.evaluate(m), prog_f=prog_r, prog_df=prog_j,
                       prog_h=prog_h, prog_k=prog_k, signs=signs, lam=lam, box_T=box_T, p=p)
    if isinstance(found, list):
        return EndgameFailure("isolated-zero end-game failed: " + "; ".join(found))
    return IsolatedZeroEndgame(centre=tuple(arb_to_fraction(c) for c in found.centre),
                               radius=found.radius, box_D=found.box_D(m),
                               krawczyk=tuple(found.K), lam=lam, rows=system.rows,
                               relations=dict(system.relations), r0=found.r0,
                               margin=found.margin)
