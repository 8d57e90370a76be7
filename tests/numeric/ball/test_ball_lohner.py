"""Validated Taylor/Lohner steps: enclosures contain closed-form solutions and stay thin."""

import sympy
from flint import arb

from igproof.errors import EnclosureFailure
from igproof.numeric.ball.arith import precision
from igproof.numeric.ball.lohner import LohnerSet, SmoothFlow, integrate_smooth

x, y = sympy.symbols("x y")


def _run(flow, box, t_end):
    return integrate_smooth(flow, LohnerSet.from_box(box), t0=arb(0),
                            stop=lambda S, t: bool(t > t_end), tol=2.0 ** -100, h_max=0.5)


def test_rotation_encloses_cos_sin_without_wrapping():
    """x' = y, y' = -x from (1, 0): (cos t, -sin t); a rotating box would wrap without QR."""
    with precision(128):
        flow = SmoothFlow((x, y), (y, -x))
        run = _run(flow, [arb(1), arb(0)], 20)
        t = run.t
        hull = run.final.hull()
        assert hull[0].contains(t.cos()) and hull[1].contains(-t.sin())
        assert all(b.rad() < 1e-25 for b in hull)


def test_logistic_contains_closed_form():
    """x' = x (1 - x) from 1/10: x(t) = 1 / (1 + 9 e^{-t})."""
    with precision(128):
        flow = SmoothFlow((x,), (x * (1 - x),))
        run = _run(flow, [arb(1) / 10], 5)
        exact = 1 / (1 + 9 * (-run.t).exp())
        assert run.final.hull()[0].contains(exact)
        assert run.final.hull()[0].rad() < 1e-25


def test_kink_crossing_is_not_decided_by_comparison():
    """x' = -1 from 1/2 with kink z = x and pattern x > 0: the step across x = 0 must fail."""
    with precision(128):
        flow = SmoothFlow((x,), (sympy.Integer(-1),), kinks=(x,), pattern=(1,))
        try:
            _run(flow, [arb(1) / 2], 2)
        except EnclosureFailure as exc:
            assert exc.t is not None and exc.enclosure is not None
        else:
            raise AssertionError("a trajectory crossing its kink was enclosed in one pattern")
