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

import sympy
from flint import arb

from igproof.errors import InvalidArgument
from igproof.numeric.ball.arith import arb_to_fraction, precision
from igproof.numeric.ball.taylor import FieldProgram
from igproof.proof.limits.endgame import EndgameFailure
from igproof.proof.limits.krawczyk import (
    approx_inverse,
    convexity_guess,
    newton_point,
    search_box,
)


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
    lam, lam_float = convexity_guess(Hm, p)
    if lam is None:
        return EndgameFailure(f"isolated end-game: the Hessian at the Newton point is not "
                              f"positive definite (lambda_min ~ {lam_float:.3g}): a saddle or "
                              "a degenerate minimum")
    try:
        Y = approx_inverse(Hm, p)
    except ZeroDivisionError:
        return EndgameFailure("isolated end-game: the Hessian at the Newton point is not "
                              "certainly invertible: not an isolated minimum")
    found = search_box(m=m, Y=Y, f_m=prog_g.evaluate(m), prog_f=prog_g, prog_df=prog_h,
                       prog_h=prog_h, prog_k=prog_k, signs=signs, lam=lam, box_T=box_T, p=p)
    if isinstance(found, list):
        return EndgameFailure("isolated end-game failed: " + "; ".join(found))
    return IsolatedEndgame(centre=tuple(arb_to_fraction(c) for c in found.centre),
                           radius=found.radius, box_D=found.box_D(m), krawczyk=tuple(found.K),
                           lam=lam, loss_limit=prog_l.evaluate(found.K)[0], r0=found.r0,
                           margin=found.margin)

