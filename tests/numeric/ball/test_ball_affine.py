"""Affine ReLU pieces: exp(tM) enclosures and certified switching times."""

from fractions import Fraction

import mpmath
import sympy

from igproof.numeric.ball.affine import AffinePiece, is_affine, propagate_piece
from igproof.numeric.ball.arith import arb_radius_fraction, arb_to_fraction, precision, to_arb
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model


def _flow(g):
    data = Dataset([[3, -1, 0], [4, 2, 0], [0, g, g]], [16, 18, 0])
    return gradient_flow(build_model("relu-neuron", dim=3), data)


def test_switching_time_contains_high_precision_root():
    """The switch of x3 = (0,1,1) from the all-active pattern: T* contains the root of
    z3(t) = x3 . w(t), w(t) = H^{-1} b + expm(-H t)(w0 - H^{-1} b), found by mpmath."""
    flow = _flow(1)
    sub = flow.restricted((1, 1, 1))
    assert is_affine(flow.parameters, list(sub.field))
    with precision(128):
        piece = AffinePiece.from_field(flow.parameters, list(sub.field), list(flow.kinks),
                                       (1, 1, 1))
        w0 = [to_arb(Fraction(1, 10**6))] * 3
        run = propagate_piece(piece, w0, stop=lambda s, t: False, dt0=Fraction(1, 256))
        assert run.switch is not None and run.switch.kink == 2
        assert run.switch.new_pattern == (1, 1, -1)
        T = run.switch.t
        assert T.rad() < 1e-30
    with mpmath.workdps(50):
        X = mpmath.matrix([[3, -1, 0], [4, 2, 0], [0, 1, 1]])
        y = mpmath.matrix([16, 18, 0])
        H = X.T * X / 3
        b = X.T * y / 3
        wstar = mpmath.lu_solve(H, b)
        w0m = mpmath.matrix([mpmath.mpf(10) ** -6] * 3)

        def z3(t):
            w = wstar + mpmath.expm(-H * t) * (w0m - wstar)
            return w[1] + w[2]

        root = mpmath.findroot(z3, mpmath.mpf("0.5"))
        mid = arb_to_fraction(T)
        rad = arb_radius_fraction(T)
        gap = abs(mpmath.mpf(mid.numerator) / mid.denominator - root)
        assert gap <= mpmath.mpf(rad.numerator) / rad.denominator + mpmath.mpf(10) ** -45


def test_non_affine_field_is_detected():
    a, w = sympy.symbols("a w")
    assert not is_affine((a, w), [a * w - 1, a])
    assert is_affine((a, w), [3 * a - w / 2 + 1, sympy.Integer(0)])
