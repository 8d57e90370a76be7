"""Picard boxes that fit the checker's own field: Y0 + [0, h] G(T) inside T, G as re-derived.

The prover verifies each Taylor step's a priori (Picard) box T with its own field, simplified by
sympy; the checker re-derives the field from the certificate's expressions without cancelling
(F_u = (r_0 - r_1)/2 keeps c - c when both residuals hold a free constant c), so its interval
image Y0 + [0, h] G(T) can be wider than the prover's and leave T (two-layer --bias --skip on
data of both signs: rejected at the first step). This module builds the field with the
checker's own public functions (``smooth_residuals``, ``expr.loss_gradient``, ``joint_field``,
``FieldProgram``: the same pattern substitution, the same -1/n sum r grad r, the same joint
(theta, V) system, the same evaluation in the checker's interval arithmetic) and enlarges T
until the image lies inside it.

The start set Y0 is the prover's hull widened by its largest radius (the checker's Lohner set,
with compact coordinate matrices, is slightly wider than the prover's); the image must fit with
a margin. Hints only: the checker decides.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from flint import arb

from igproof.certificate.common import (
    FieldProgram,
    Interval,
    Rejected,
    expr,
    joint_field,
    smooth_residuals,
)
from igproof.errors import CertificateError
from igproof.numeric.ball.arith import arb_radius_fraction, arb_to_fraction

# Enlargements tried per step: T <- hull(T, image) widened by FIT_INFLATION times the image's
# radius on each side. It converges in 1-2 rounds when h times the Lipschitz constant of the
# uncancelled field is well below 1 (else gf_limit cuts the step); the prover's own factor 3
# (lohner.APRIORI_INFLATION) made the wide V entries of a bias+skip flow grow faster than T.
FIT_ROUNDS = 6
FIT_INFLATION = Fraction(1)
# The image must fit with this fraction of its radius to spare on each side (the checker's X
# is the Lohner set c + A r, not the prover's hull).
FIT_MARGIN = Fraction(1, 16)


def checker_field(params: list[str], residuals: list[tuple], signs: list[int]) -> FieldProgram:
    """The checker's joint field of pattern ``signs``, built by the checker's own functions:
    F = -(1/n) sum_i r_i grad r_i over the pattern's residuals (p components), then
    (DF V)_ij = sum_k dF_i/dtheta_k V_kj (p^2 components, V_kj named _V{kp+j})."""
    try:
        smooth = smooth_residuals(residuals, expr.relu_atoms(residuals), signs)
        field = expr.loss_gradient(smooth, params, Fraction(-1, len(residuals)))
        names = params + [f"_V{k}" for k in range(len(params) ** 2)]
        return FieldProgram(names, joint_field(field, params))
    except Rejected as exc:
        raise CertificateError(f"certificate: {exc}") from None


def fit_trial(program: FieldProgram, start: list[arb], trial: list[list[Fraction]], h: Fraction,
              rounding: Any) -> list[list[Fraction]]:
    """A box T (as [lo, hi] pairs, each end through ``rounding``) holding ``trial`` with
    Y0 + [0, h] G(T) inside it, G the checker's joint field in the checker's arithmetic;
    Y0 = (X, I) with X the ball hull ``start`` widened by its largest radius. ``trial`` itself
    when it already fits.

    Raises CertificateError when FIT_ROUNDS enlargements do not give a fitting box.
    """
    p = len(start)
    widest = max(arb_radius_fraction(x) for x in start)
    X = []
    for x in start:
        mid, rad = arb_to_fraction(x), arb_radius_fraction(x) + widest
        X.append(Interval(mid - rad, mid + rad))
    Y0 = X + [Interval.point(1 if i == j else 0) for i in range(p) for j in range(p)]
    T = Interval(Fraction(0), h)
    box = [list(b) for b in trial]
    for _ in range(FIT_ROUNDS):
        G = program.evaluate([Interval(lo, hi) for lo, hi in box])
        image = [y + T * g for y, g in zip(Y0, G, strict=True)]
        fits = True
        grown = []
        for (lo, hi), im in zip(box, image, strict=True):
            rad = (im.hi - im.lo) / 2
            if not (lo < im.lo - rad * FIT_MARGIN and im.hi + rad * FIT_MARGIN < hi):
                fits = False
            grown.append(rounding(min(lo, im.lo - rad * FIT_INFLATION),
                                  max(hi, im.hi + rad * FIT_INFLATION)))
        if fits:
            return box
        box = grown
    raise CertificateError("certificate: no Picard box fits the checker's field "
                           f"after {FIT_ROUNDS} enlargements")
