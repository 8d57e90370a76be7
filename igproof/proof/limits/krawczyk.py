"""Krawczyk's operator for a zero of a map F: R^p -> R^p, in ball arithmetic (python-flint).

K(X, m) = m - Y F(m) + (I - Y DF(X)) (X - m), Y ~ DF(m)^-1 any point matrix. If K(X) lies in
the interior of the box X, F has exactly one zero in X, and it lies in K(X). Shared by the two
end-games that use it: the isolated minimum (F = grad L, DF = the Hessian,
:mod:`igproof.proof.limits.isolated`) and the isolated zero of the residuals (F = the chosen
residuals, DF = their Jacobian, :mod:`igproof.proof.limits.isolated_zero`).

Programs evaluate F and DF (row-major p x p) on balls; Guarantee: enclosure, where stated.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from flint import arb, arb_mat, ctx

from igproof.numeric.ball.arith import arb_to_fraction
from igproof.numeric.ball.taylor import FieldProgram
from igproof.proof.limits.endgame import pattern_certified, shifted_pd

# Newton steps from the enclosure of theta(T) to the centre m of the Krawczyk box (midpoints
# only: a guess); 12 reach the working precision from any start the end-games accept.
NEWTON_STEPS = 12
# Refinement passes K(X) cap X after the proof: each squares the width down to the rounding level.
KRAWCZYK_REFINE = 8
# Half-widths of D tried, as multiples of the distance from the Newton point m to the far corner
# of B_T: the flow from B_T stays in D only if roughly h > 2 r_0, and a larger D costs Krawczyk
# contraction.
WIDTH_FACTORS = (4, 16, 64, 1024)
# lambda is this fraction of the floating-point lambda_min(H(m)): the rest absorbs the
# variation of H over D and the rounding in the interval Cholesky.
LAMBDA_SAFETY = Fraction(3, 4)


def _square(values: list[arb], p: int) -> arb_mat:
    return arb_mat([[values[i * p + j] for j in range(p)] for i in range(p)])


def approx_inverse(dfx: list[arb], p: int) -> arb_mat:
    """A point matrix Y ~ DF^-1 (midpoints of the ball inverse of the midpoint matrix)."""
    m = arb_mat([[arb(dfx[i * p + j].mid()) for j in range(p)] for i in range(p)])
    mi = m.inv()
    return arb_mat([[arb(mi[i, j].mid()) for j in range(p)] for i in range(p)])


def krawczyk(m: list[arb], Y: arb_mat, f_m: list[arb], df_X: list[arb], X: list[arb]
             ) -> list[arb]:
    """K(X, m) = m - Y F(m) + (I - Y DF(X)) (X - m). Guarantee: every zero of F in X is in it."""
    p = len(m)
    I_p = arb_mat([[1 if i == j else 0 for j in range(p)] for i in range(p)])
    dev = arb_mat([[x - c] for x, c in zip(X, m, strict=True)])
    col = (arb_mat([[c] for c in m]) - Y * arb_mat([[v] for v in f_m])
           + (I_p - Y * _square(df_X, p)) * dev)
    return [col[i, 0] for i in range(p)]


def tighten(prog_f: FieldProgram, prog_df: FieldProgram, X: list[arb], p: int) -> list[arb]:
    """K(X) cap X, repeated: a zero of F in X stays inside, the width shrinks quadratically."""
    for _ in range(KRAWCZYK_REFINE):
        m = [arb(x.mid()) for x in X]
        try:
            Y = approx_inverse(prog_df.evaluate(m), p)
        except ZeroDivisionError:
            return X
        K = krawczyk(m, Y, prog_f.evaluate(m), prog_df.evaluate(X), X)
        new = []
        for k, x in zip(K, X, strict=True):
            lo = max(arb(k.lower()), arb(x.lower()))
            hi = min(arb(k.upper()), arb(x.upper()))
            if not lo <= hi:
                return X  # cannot happen for an enclosure of the zero; keep the proved box
            new.append(lo.union(hi))
        if not max(b.rad() for b in new) < max(b.rad() for b in X):
            return new
        X = new
    return X


def newton_point(prog_f: FieldProgram, prog_df: FieldProgram, x: list[arb], p: int
                 ) -> list[arb] | None:
    """Newton steps on F = 0 from x (midpoints only: a guess, not a claim)."""
    for _ in range(NEWTON_STEPS):
        dfx = prog_df.evaluate(x)
        J = arb_mat([[arb(dfx[i * p + j].mid()) for j in range(p)] for i in range(p)])
        f = arb_mat([[arb(v.mid())] for v in prog_f.evaluate(x)])
        try:
            step = J.solve(f)
        except ZeroDivisionError:
            return None
        x = [arb((x[i] - step[i, 0]).mid()) for i in range(p)]
        if not all(v.is_finite() for v in x):
            return None
    return x


def boundary_margin(D: list[arb], K: list[arb]) -> arb:
    """A lower bound of the distance from K(D) to the boundary of D (K inside D)."""
    margin = None
    for d, k in zip(D, K, strict=True):
        for gap in (arb(k.lower()) - arb(d.lower()), arb(d.upper()) - arb(k.upper())):
            gap = arb(gap.lower())
            margin = gap if margin is None or gap < margin else margin
    assert margin is not None
    return margin


def distance_up(box: list[arb], K: list[arb]) -> arb:
    """An upper bound of max |theta - theta*|_2 over theta in the box and theta* in K."""
    r = arb(0)
    for b, k in zip(box, K, strict=True):
        gap = arb(abs(b - k).upper())
        r = r + gap * gap
    return arb(r.sqrt().upper())


def ball_of(K: list[arb]) -> tuple[list[arb], arb]:
    """(centre, radius): a Euclidean ball around the box K (centre its midpoints)."""
    centre = [arb(k.mid()) for k in K]
    return centre, distance_up(K, centre)


def up(x: arb) -> Fraction:
    """An exact rational >= every point of x (x >= 0)."""
    return arb_to_fraction(arb(x.upper())) + Fraction(1, 2 ** 200)


def convexity_guess(Hm: list[arb], p: int) -> tuple[Fraction | None, float]:
    """(LAMBDA_SAFETY lambda_min, lambda_min) of the midpoint Hessian (float eigenvalues: a
    guess that :func:`shifted_pd` then certifies on D); None first when it is not positive."""
    Hf = np.array([[float(Hm[i * p + j].mid()) for j in range(p)] for i in range(p)])
    lam_float = float(np.linalg.eigvalsh((Hf + Hf.T) / 2)[0])
    if not lam_float > 0:
        return None, lam_float
    # exact dyadic, > 0 (never rounded to 0)
    return Fraction(lam_float) * LAMBDA_SAFETY, lam_float


@dataclass(frozen=True)
class ZeroBox:
    """A certified box D = m +- half around the unique zero of F, its Krawczyk image K
    (refined), the ball (centre, radius) around K, and the flow's margins r0 < margin."""

    half: arb
    K: list[arb]
    centre: list[arb]
    radius: arb
    r0: arb
    margin: arb

    def box_D(self, m: list[arb]) -> tuple[tuple[Fraction, Fraction], ...]:
        """D as exact rationals (enlarged by the rounding of ``half``)."""
        return tuple((arb_to_fraction(c) - up(self.half), arb_to_fraction(c) + up(self.half))
                     for c in m)


def search_box(*, m: list[arb], Y: arb_mat, f_m: list[arb], prog_f: FieldProgram,
               prog_df: FieldProgram, prog_h: FieldProgram, prog_k: FieldProgram | None,
               signs: tuple[int, ...], lam: Fraction, box_T: list[arb], p: int
               ) -> ZeroBox | list[str]:
    """Try D = m +- h for h in WIDTH_FACTORS x the distance from m to B_T: on D the pattern is
    constant, H(D) >= lam I, K(D) lies inside D (exactly one zero of F in D) and the flow from
    B_T cannot leave D (r0 < margin). The first D that passes, or the reasons each failed.

    Guarantee: enclosure (every condition decided in ball arithmetic)."""
    base = arb(0)
    for b, c in zip(box_T, m, strict=True):
        dist = arb(abs(b - c).upper())
        if dist > base:
            base = dist
    base = arb(base.upper())
    if not base > 0:
        base = arb(2) ** (-int(ctx.prec) // 2)
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
        K = krawczyk(m, Y, f_m, HD if prog_df is prog_h else prog_df.evaluate(D), D)
        if not all(d.contains_interior(k) for d, k in zip(D, K, strict=True)):
            reasons.append(f"{tag}: Krawczyk image not inside D")
            continue
        margin = boundary_margin(D, K)
        r0 = distance_up(box_T, K)
        if not r0 < margin:
            reasons.append(f"{tag}: |theta(T) - theta*| <= {float(r0.mid()):.3g} not below the "
                           f"distance {float(margin.mid()):.3g} to the boundary of D")
            continue
        K = tighten(prog_f, prog_df, K, p)
        centre, radius = ball_of(K)
        return ZeroBox(half, K, centre, radius, r0, margin)
    return reasons
