"""The checker's interval bounds enclose the true values (second route: mpmath, 50 digits).

Each test states: for a rational q (or interval), lo <= f(q) <= hi where f(q) is computed by
mpmath at 50 significant digits, and the enclosure is tight (width far below 1e-40 relative).
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from igproof.checker import Rejected
from igproof.checker import intervals as iv

DPS = 50
rationals = st.fractions(min_value=-60, max_value=60, max_denominator=10**6)
positive = st.fractions(min_value=Fraction(1, 10**6), max_value=10**6, max_denominator=10**6)

REFERENCE = {
    "exp": mpmath.exp,
    "tanh": mpmath.tanh,
    "sigmoid": lambda x: 1 / (1 + mpmath.exp(-x)),
    "softplus": lambda x: mpmath.log(1 + mpmath.exp(x)),
}


def _mp(q: Fraction) -> mpmath.mpf:
    return mpmath.mpf(q.numerator) / q.denominator


def _assert_encloses(enclosure: iv.Interval, value: mpmath.mpf) -> None:
    # Compare at 60 digits: the reference value is good to ~50 digits, the enclosure's width
    # is ~1e-48 relative, so a genuine miss would be visible; a 1e-45 relative slack absorbs
    # the reference's own rounding.
    with mpmath.workdps(60):
        slack = abs(value) * mpmath.mpf("1e-45") + mpmath.mpf("1e-300")
        assert _mp(enclosure.lo) <= value + slack
        assert value - slack <= _mp(enclosure.hi)


@pytest.mark.parametrize("name", sorted(REFERENCE))
@given(q=rationals)
@settings(max_examples=30, deadline=None)
def test_monotone_functions_enclose_mpmath_value(name, q):
    """lo <= f(q) <= hi for f in exp, tanh, sigmoid, softplus, against mpmath at 50 digits."""
    enclosure = iv.FUNCTIONS[name](iv.Interval.point(q))
    with mpmath.workdps(DPS):
        value = REFERENCE[name](_mp(q))
    _assert_encloses(enclosure, value)
    with mpmath.workdps(DPS):
        width = _mp(enclosure.hi) - _mp(enclosure.lo)
        assert width <= abs(value) * mpmath.mpf("1e-40") + mpmath.mpf("1e-40")


@given(q=positive)
@settings(max_examples=30, deadline=None)
def test_log_and_sqrt_enclose_mpmath_value(q):
    """ln q and sqrt q lie in the checker's enclosures (mpmath at 50 digits)."""
    with mpmath.workdps(DPS):
        _assert_encloses(iv.log(iv.Interval.point(q)), mpmath.log(_mp(q)))
        _assert_encloses(iv.sqrt(iv.Interval.point(q)), mpmath.sqrt(_mp(q)))


@given(a=rationals, b=rationals, t=st.fractions(min_value=0, max_value=1))
@settings(max_examples=30, deadline=None)
def test_interval_functions_contain_values_at_interior_points(a, b, t):
    """For x in [lo, hi] (x = lo + t (hi - lo)), f(x) lies in f([lo, hi]): exp and tanh
    over whole intervals, and x*y, x/y, x^3 against exact rational arithmetic."""
    lo, hi = min(a, b), max(a, b)
    x = lo + t * (hi - lo)
    box = iv.Interval(lo, hi)
    with mpmath.workdps(DPS):
        _assert_encloses(iv.exp(box), mpmath.exp(_mp(x)))
        _assert_encloses(iv.tanh(box), mpmath.tanh(_mp(x)))
    product = box * box
    assert product.lo <= x * x <= product.hi
    cube = box.power(3)
    assert cube.lo <= x**3 <= cube.hi
    square = box.sqr()
    assert square.lo <= x * x <= square.hi and square.lo >= 0
    if not box.contains_zero():
        quotient = iv.Interval.point(Fraction(1)) / box
        assert quotient.lo <= 1 / x <= quotient.hi


def test_known_constants():
    """e, ln 2 and tanh(1/2) against their mpmath values; outward rounding keeps them bracketed."""
    with mpmath.workdps(DPS):
        _assert_encloses(iv.exp(iv.Interval.point(Fraction(1))), mpmath.e)
        _assert_encloses(iv.log(iv.Interval.point(Fraction(2))), mpmath.log(2))
        _assert_encloses(iv.tanh(iv.Interval.point(Fraction(1, 2))), mpmath.tanh(0.5))


def test_relu_and_its_derivative_follow_the_convention():
    """relu([l, u]) is [0, 0] for u <= 0 and [l, u] for l >= 0; relu' is decided only away
    from the kink (touching 0 is undecided, never guessed)."""
    assert iv.relu(iv.Interval(Fraction(-2), Fraction(0))).is_zero()
    assert iv.relu(iv.Interval(Fraction(1), Fraction(2))).lo == 1
    straddle = iv.relu(iv.Interval(Fraction(-1), Fraction(3)))
    assert (straddle.lo, straddle.hi) == (0, 3)
    assert iv.step(iv.Interval(Fraction(1, 3), Fraction(1))).lo == 1
    assert iv.step(iv.Interval(Fraction(-1), Fraction(-1, 3))).hi == 0
    for lo, hi in ((Fraction(-1), Fraction(0)), (Fraction(0), Fraction(1)),
                   (Fraction(-1), Fraction(1))):
        with pytest.raises(Rejected, match="undecided"):
            iv.step(iv.Interval(lo, hi))


def test_domain_errors_and_huge_arguments_are_rejections():
    """log of a non-positive interval, sqrt of a negative one, exp of 10^6: clean rejections."""
    with pytest.raises(Rejected):
        iv.log(iv.Interval(Fraction(-1), Fraction(1)))
    with pytest.raises(Rejected):
        iv.sqrt(iv.Interval(Fraction(-1), Fraction(1)))
    with pytest.raises(Rejected):
        iv.exp(iv.Interval.point(Fraction(10**6)))
    with pytest.raises(Rejected):
        iv.Interval(Fraction(1)) / iv.Interval(Fraction(-1), Fraction(1))


def test_outward_rounding_keeps_endpoints_small_and_bracketing():
    """1/3 rounded outward: lo <= 1/3 <= hi, dyadic endpoints of about PREC bits."""
    third = iv.Interval(Fraction(1, 3))
    assert third.lo <= Fraction(1, 3) <= third.hi
    assert third.lo < third.hi
    assert third.hi.denominator & (third.hi.denominator - 1) == 0
    assert third.hi.denominator.bit_length() <= iv.PREC + 2


def test_tanh_of_far_out_intervals_encloses_mpmath_and_does_not_refuse():
    """tanh is increasing, so tanh([3000, 5000]) lies in [tanh 3000, 1] and tanh([-5000, -3000])
    in [-1, tanh(-3000)]; mpmath at 50 digits (1 - tanh 3000 ~ 2e-2606) must be inside, and the
    enclosure must not be refused for end points beyond the exp series range."""
    with mpmath.workdps(50):
        for lo, hi in ((3000, 5000), (-5000, -3000), (-5000, 5000), (2047, 2049)):
            box = iv.tanh(iv.Interval(Fraction(lo), Fraction(hi)))
            for t in (lo, hi):
                v = mpmath.tanh(t)
                assert mpmath.mpf(box.lo.numerator) / box.lo.denominator <= v
                assert v <= mpmath.mpf(box.hi.numerator) / box.hi.denominator
