"""Certified kink crossings inside validated Taylor runs (igproof.numeric.ball.lohner)."""

from fractions import Fraction

import mpmath
import pytest
import sympy
from flint import arb
from hypothesis import given, settings
from hypothesis import strategies as st

from igproof.errors import EnclosureFailure
from igproof.numeric.ball.arith import precision, to_arb
from igproof.numeric.ball.lohner import LohnerSet, SmoothFlow, integrate_smooth

x, y = sympy.symbols("x y")
TOL = 2.0 ** -100


def _cross(flow, box, *, leaving=None, t_end=10):
    return integrate_smooth(flow, LohnerSet.from_box(box), t0=arb(0),
                            stop=lambda S, t: bool(t > t_end), tol=TOL, h_max=0.5,
                            crossing=True, leaving=leaving)


def test_tangent_flow_crossing_time_is_pi_over_4():
    """x' = -(1 + x^2) from x = 1 is x(t) = tan(pi/4 - t): the kink z = x is crossed at
    t = pi/4 exactly, with dz/dt = -1 there; y' = 1 carries y(t) = t along."""
    with precision(128):
        flow = SmoothFlow((x, y), (-(1 + x ** 2), sympy.Integer(1)), kinks=(x,), pattern=(1,))
        run = _cross(flow, [arb(1), arb(0)])
        sw = run.switch
        assert sw is not None and sw.kink == 0 and sw.new_sign == -1
        assert run.steps[-1].crossing == 0 and run.steps[-1].h == sw.delta
        quarter_pi = arb.pi() / 4
        assert sw.t_interval.contains(quarter_pi)
        assert sw.delta < Fraction(1, 10 ** 25)          # a short crossing step
        # the crossing state (0, pi/4) lies in the start box of the next piece
        assert sw.box[0].contains(0) and sw.box[1].contains(quarter_pi)
        assert max(float(b.rad()) for b in sw.box) < 1e-25


def test_crossing_then_leaving_kink_encloses_the_continued_flow():
    """x' = -1, y' = x from (1/2, 0): x = 1/2 - t, y = t/2 - t^2/2; the kink z = x is crossed
    at t = 1/2 with y = 1/8. The next piece (pattern x < 0, same field) may leave z = 0
    because dz/dt = -1 there: at t = 1 the state is (-1/2, 0)."""
    with precision(128):
        field = (sympy.Integer(-1), x)
        run = _cross(SmoothFlow((x, y), field, kinks=(x,), pattern=(1,)), [arb(1) / 2, arb(0)])
        sw = run.switch
        assert sw.t_interval.contains(arb(1) / 2)
        assert sw.box[0].contains(0) and sw.box[1].contains(arb(1) / 8)
        nxt = SmoothFlow((x, y), field, kinks=(x,), pattern=(-1,))
        t_left = Fraction(1, 2)
        after = integrate_smooth(nxt, LohnerSet.from_box(sw.box), t0=arb(0),
                                 stop=lambda S, t: bool(t >= to_arb(t_left)), tol=TOL,
                                 h_max=0.125, leaving=0, crossing=True)
        assert after.switch is None
        # the time is uncertain by delta: x(T) = -(T - 1/2) for T in t_interval + t
        T = sw.t_interval + after.t
        hull = after.final.hull()
        assert hull[0].contains(arb(1) / 2 - T.mid())
        assert hull[0] < 0 and hull[0].overlaps(arb(-1) / 2)


def test_without_leaving_the_kink_cannot_restart_on_it():
    """The box at the crossing straddles z = 0, so a run in the new pattern that is not told
    the kink is leaving (dz/dt < 0 certifies it) cannot certify its first step."""
    with precision(128):
        field = (sympy.Integer(-1), x)
        run = _cross(SmoothFlow((x, y), field, kinks=(x,), pattern=(1,)), [arb(1) / 2, arb(0)])
        nxt = SmoothFlow((x, y), field, kinks=(x,), pattern=(-1,))
        with pytest.raises(EnclosureFailure):
            integrate_smooth(nxt, LohnerSet.from_box(run.switch.box), t0=arb(0),
                             stop=lambda S, t: bool(t > 1), tol=TOL, h_max=0.125)


def test_tangential_touch_is_not_certified():
    """x' = 1, y' = -x from (-1, -1/2): y = -x^2/2 touches the kink y = 0 at t = 1 with
    dy/dt = 0 there. No transversal crossing: the run fails with a reason, never crosses."""
    with precision(128):
        flow = SmoothFlow((x, y), (sympy.Integer(1), -x), kinks=(y,), pattern=(-1,))
        with pytest.raises(EnclosureFailure) as info:
            _cross(flow, [arb(-1), arb(-1) / 2], t_end=3)
        assert float(info.value.t.mid()) < 1.0 + 1e-6
        assert "transversal" in str(info.value)


def test_tangent_crossing_time_agrees_with_mpmath_findroot():
    """Second route for the first test: mpmath findroot on tan(pi/4 - t) at 40 digits."""
    with mpmath.workdps(40):
        t_star = mpmath.findroot(lambda t: mpmath.tan(mpmath.pi / 4 - t), 0.7)
        t_text = mpmath.nstr(t_star, 40)
    with precision(128):
        flow = SmoothFlow((x, y), (-(1 + x ** 2), sympy.Integer(1)), kinks=(x,), pattern=(1,))
        sw = _cross(flow, [arb(1), arb(0)]).switch
        assert sw.t_interval.overlaps(arb(t_text))
        assert sw.box[1].overlaps(arb(t_text))


@settings(max_examples=12, deadline=None)
@given(x0=st.fractions(min_value=Fraction(1, 20), max_value=3, max_denominator=50),
       c=st.fractions(min_value=Fraction(1, 4), max_value=4, max_denominator=20))
def test_linear_decay_crossing_time_is_exact_ratio(x0, c):
    """x' = -c, y' = x - y from (x0, 0) (c > 0): the kink z = x is crossed exactly at t = x0/c;
    the crossing interval contains it and the crossing box contains x = 0 (128 bits: TOL must
    stay above the rounding level, or the step-size control stalls)."""
    with precision(128):
        flow = SmoothFlow((x, y), (sympy.Rational(-c.numerator, c.denominator), x - y),
                          kinks=(x,), pattern=(1,))
        run = _cross(flow, [to_arb(x0), arb(0)], t_end=to_arb(2 * x0 / c + 1))
        sw = run.switch
        assert sw is not None and sw.kink == 0
        assert sw.t_interval.contains(to_arb(x0 / c))
        assert sw.box[0].contains(0)
