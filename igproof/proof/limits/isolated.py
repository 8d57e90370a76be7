"""Isolated-minimum end-game: Krawczyk existence/uniqueness plus a positive-definite Hessian.

Statement checked (isolated minimizers, the loss at the limit may be positive). Let B_T be the
enclosure of theta(T), L the loss of the smooth piece used, g = grad L, H its Hessian, and
D = m +- h a cube with B_T inside D. If

1. H(theta) - lambda I is positive definite for every theta in D (interval Cholesky of the
   interval Hessian on D, lambda > 0), so L is lambda-strongly convex on the convex set D;
2. the Krawczyk image K(D) = m - Y g(m) + (I - Y H(D)) (D - m) (Y a point approximation of
   H(m)^-1) lies in the interior of D, so g has exactly one zero theta* in D and theta* is
   in K(D);
3. r_0 := sup |B_T - K(D)| (Euclidean) < d := the distance from K(D) to the boundary of D;

then along the flow, while theta(t) is in D,
d/dt (1/2)|theta - theta*|^2 = -(theta - theta*)^T [int_0^1 H(theta* + s(theta - theta*)) ds]
(theta - theta*) <= -lambda |theta - theta*|^2 (the segment lies in the convex D). So
|theta(t) - theta*| <= r_0 e^{-lambda (t - T)} < d: the flow can never reach the boundary of
D (at the first exit time the distance would be >= d), stays in D for all t >= T and converges
exponentially to theta*, a strict local minimizer (g = 0, H positive definite) with
L(theta*) in L(K(D)). Nothing says L(theta*) = 0: theta* need not lie in M_S.

For piecewise (ReLU) models every kink must have a certain sign on D, equal to the pattern whose
loss is used (the flow on D is then the flow of that smooth piece).

Guarantee: enclosure (the limit lies in the returned ball), or a reason why not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy
from flint import arb

from igproof.errors import InvalidArgument
from igproof.numeric.ball.arith import arb_to_fraction, precision
from igproof.numeric.ball.taylor import FieldProgram
from igproof.proof.limits.endgame import EndgameFailure, pattern_certified, shifted_pd
from igproof.proof.limits.krawczyk import (
    approx_inverse,
    ball_of,
    boundary_margin,
    distance_up,
    krawczyk,
    newton_point,
    tighten,
    up,
)

# Half-widths of D tried, as multiples of the distance from the Newton point m to the far corner
# of B_T: condition 3 needs roughly h > 2 r_0, and a larger D costs Krawczyk contraction.
WIDTH_FACTORS = (4, 16, 64, 1024)
# lambda is this fraction of the floating-point lambda_min(H(m)): the rest absorbs the
# variation of H over D and the rounding in the interval Cholesky.
LAMBDA_SAFETY = Fraction(3, 4)
# Newton steps polishing the centre of B_T towards theta* (quadratic convergence: a few suffice


@dataclass(frozen=True)
class IsolatedEndgame:
    """A certified end-game: the limit is the unique critical point of L in D, in B(centre, radius).

    The limit is a strict local minimizer with loss in ``loss_limit``; it need not be in M_S.
    """

    centre: tuple[Fraction, ...]
    radius: arb
    box_D: tuple[tuple[Fraction, Fraction], ...]
    krawczyk: tuple[arb, ...]
    lam: Fraction
    loss_limit: arb
    r0: arb
    margin: arb


def isolated_endgame(parameters: Sequence[sympy.Symbol], loss_expr: sympy.Expr,
                     box_T: Sequence[arb], *, prec: int, kinks: Sequence[sympy.Expr] = (),
                     pattern: Sequence[int] | None = None) -> IsolatedEndgame | EndgameFailure:
    """Certify lim theta(t) = theta* in K(D) with grad L(theta*) = 0 and H(theta*) > 0.

    Parameters
    ----------
    parameters : sequence of sympy.Symbol
        The flow's parameters theta.
    loss_expr : sympy.Expr
        L(theta) on the smooth piece (d theta / dt = -grad L there).
    box_T : sequence of arb
        The validated enclosure of theta(T).
    prec : int
        Working precision in bits.
    kinks : sequence of sympy.Expr
        Kink expressions that must keep the signs ``pattern`` on D (ReLU models).
    pattern : sequence of int, optional
        +1 / -1 per kink.

    Returns
    -------
    IsolatedEndgame or EndgameFailure

    Guarantee: enclosure (the limit exists and lies in the closed ball B(centre, radius)).
    """
    params = tuple(parameters)
    p = len(params)
    if len(box_T) != p:
        raise InvalidArgument(f"box_T: expected {p} balls (one per parameter), got {len(box_T)}")
    kinks = list(kinks)
    signs = list(pattern or ())
    if len(signs) != len(kinks):
        raise InvalidArgument(f"pattern: expected {len(kinks)} signs (one per kink), got "
                              f"{len(signs)}")
    with precision(prec):
        return _endgame(params, sympy.sympify(loss_expr), list(box_T), kinks, signs)


def _endgame(params: tuple[sympy.Symbol, ...], loss: sympy.Expr, box_T: list[arb],
             kinks: list[sympy.Expr], signs: list[int]) -> IsolatedEndgame | EndgameFailure:
    p = len(params)
    grad = [sympy.diff(loss, v) for v in params]
    hess = [sympy.diff(gi, v) for gi in grad for v in params]
    prog_g = FieldProgram(params, grad)
    prog_h = FieldProgram(params, hess)
    prog_l = FieldProgram(params, [loss])
    prog_k = FieldProgram(params, kinks) if kinks else None

    m = newton_point(prog_g, prog_h, [arb(b.mid()) for b in box_T], p)
    if m is None:
        return EndgameFailure("isolated end-game: the Hessian is singular near theta(T) "
                              "(Newton's method has no step): not an isolated minimum")
    Hm = prog_h.evaluate(m)
    Hf = np.array([[float(Hm[i * p + j].mid()) for j in range(p)] for i in range(p)])
    lam_float = float(np.linalg.eigvalsh((Hf + Hf.T) / 2)[0])
    if not lam_float > 0:
        return EndgameFailure(f"isolated end-game: the Hessian at the Newton point is not "
                              f"positive definite (lambda_min ~ {lam_float:.3g}): a saddle or "
                              "a degenerate minimum")
    lam = Fraction(lam_float) * LAMBDA_SAFETY  # exact dyadic, > 0 (never rounded to 0)
    try:
        Y = approx_inverse(Hm, p)
    except ZeroDivisionError:
        return EndgameFailure("isolated end-game: the Hessian at the Newton point is not "
                              "certainly invertible: not an isolated minimum")
    gm = prog_g.evaluate(m)
    base = arb(0)
    for b, c in zip(box_T, m, strict=True):
        dist = arb(abs(b - c).upper())
        if dist > base:
            base = dist
    base = arb(base.upper())
    if not base > 0:
        base = arb(2) ** (-_prec_bits() // 2)
    reasons = []
    for f in WIDTH_FACTORS:
        half = arb((base * f).upper())
        D = [c + arb(0, half.upper()) for c in m]
        tag = f"h={float(half.mid()):.3g}"
        if not pattern_certified(prog_k, D, signs):
            reasons.append(f"{tag}: activation pattern not certified constant on D")
            continue
        HD = prog_h.evaluate(D)
        if not shifted_pd(HD, p, lam):
            reasons.append(f"{tag}: Hessian >= {float(lam):.3g} I not certified on D")
            continue
        K = krawczyk(m, Y, gm, HD, D)
        if not all(d.contains_interior(k) for d, k in zip(D, K, strict=True)):
            reasons.append(f"{tag}: Krawczyk image not inside D")
            continue
        margin = boundary_margin(D, K)
        r0 = distance_up(box_T, K)
        if not r0 < margin:
            reasons.append(f"{tag}: |theta(T) - theta*| <= {float(r0.mid()):.3g} not below the "
                           f"distance {float(margin.mid()):.3g} to the boundary of D")
            continue
        K = tighten(prog_g, prog_h, K, p)
        centre, rad = ball_of(K)
        box_D = tuple((arb_to_fraction(c) - up(half), arb_to_fraction(c) + up(half))
                      for c in m)
        return IsolatedEndgame(centre=tuple(arb_to_fraction(c) for c in centre), radius=rad,
                               box_D=box_D, krawczyk=tuple(K), lam=lam,
                               loss_limit=prog_l.evaluate(K)[0], r0=r0, margin=margin)
    return EndgameFailure("isolated end-game failed: " + "; ".join(reasons))


def _prec_bits() -> int:
    """The current flint working precision in bits."""
    from flint import ctx
    return int(ctx.prec)
