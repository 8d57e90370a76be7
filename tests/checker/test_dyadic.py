"""Dyadic intervals enclose the exact rational result of every operation, and stay tight.

Second routes: exact ``fractions.Fraction`` arithmetic on the interval endpoints (for + - * dot
and products the exact result set of two intervals is spanned by endpoint combinations), and
mpmath at 50 digits for the elementary functions and a long Taylor-like chain of operations.
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from igproof.checker import dyadic as dy
from igproof.checker.errors import Rejected

rationals = st.fractions(min_value=-10**6, max_value=10**6, max_denominator=10**9)
# relative width of a PREC-bit rounding, with a factor 8 for the few roundings per test
TIGHT = Fraction(8, 2 ** dy.PREC)


def _interval(a: Fraction, b: Fraction) -> dy.Dyadic:
    return dy.Dyadic.enclose(min(a, b), max(a, b))


def _contains(x: dy.Dyadic, q: Fraction) -> bool:
    return x.lo <= q <= x.hi


@given(q=rationals)
@settings(max_examples=60, deadline=None)
def test_enclose_contains_rational_and_is_tight(q):
    """lo <= q <= hi, hi - lo <= 2^-PREC |q| (one outward rounding of each end)."""
    x = dy.point(q)
    assert _contains(x, q)
    assert x.hi - x.lo <= 2 * abs(q) / 2 ** dy.PREC


def test_dyadic_points_are_exact():
    """Dyadic rationals with few bits (1/2, -3/8, 5 * 2^40) are represented exactly."""
    for q in (Fraction(1, 2), Fraction(-3, 8), Fraction(5 * 2 ** 40), Fraction(0)):
        x = dy.point(q)
        assert x.lo == q == x.hi


@pytest.mark.parametrize("op", ["add", "sub", "mul"])
@given(a=rationals, b=rationals, c=rationals, d=rationals)
@settings(max_examples=60, deadline=None)
def test_arithmetic_encloses_every_exact_combination(op, a, b, c, d):
    """For x in [a, b], y in [c, d]: every endpoint combination x op y (exact Fractions) lies in
    the dyadic result; the result is no wider than the exact hull plus a relative 2^-PREC."""
    x, y = _interval(a, b), _interval(c, d)
    fn = {"add": lambda u, v: u + v, "sub": lambda u, v: u - v, "mul": lambda u, v: u * v}[op]
    result = fn(x, y)
    exact = [fn(u, v) for u in (x.lo, x.hi) for v in (y.lo, y.hi)]
    assert result.lo <= min(exact) and max(exact) <= result.hi
    scale = max(abs(e) for e in exact) + max(abs(x.lo), abs(x.hi), abs(y.lo), abs(y.hi))
    assert result.hi - result.lo <= max(exact) - min(exact) + TIGHT * scale


@given(xs=st.lists(st.tuples(rationals, rationals), min_size=1, max_size=6),
       ys=st.lists(st.tuples(rationals, rationals), min_size=6, max_size=6))
@settings(max_examples=60, deadline=None)
def test_dot_encloses_exact_sum_of_products(xs, ys):
    """dot(x, y) contains sum_k x_k y_k for the endpoint choices lo*lo and hi*hi (exact), and
    contains the exact interval sum of the exact interval products."""
    X = [_interval(a, b) for a, b in xs]
    Y = [_interval(c, d) for c, d in ys[: len(X)]]
    result = dy.dot(X, Y)
    pairs = list(zip(X, Y, strict=True))
    lo = sum((min(u * v for u in (x.lo, x.hi) for v in (y.lo, y.hi)) for x, y in pairs),
             Fraction(0))
    hi = sum((max(u * v for u in (x.lo, x.hi) for v in (y.lo, y.hi)) for x, y in pairs),
             Fraction(0))
    assert result.lo <= lo and hi <= result.hi
    scale = sum((max(abs(x.lo), abs(x.hi)) * max(abs(y.lo), abs(y.hi)) for x, y in pairs),
                Fraction(0))
    assert result.hi - result.lo <= hi - lo + TIGHT * scale + Fraction(1, 2 ** 400)


def test_add_of_very_different_scales_stays_outward():
    """1 + 2^-1000 is enclosed (the tiny summand is rounded outward, not dropped)."""
    tiny = dy.point(Fraction(1, 2 ** 1000))
    s = dy.ONE + tiny
    assert s.lo <= 1 + Fraction(1, 2 ** 1000) <= s.hi
    assert s.lo >= 1 and s.hi - s.lo <= Fraction(2, 2 ** dy.PREC)
    d = dy.ONE - tiny
    assert d.lo <= 1 - Fraction(1, 2 ** 1000) <= d.hi and d.hi <= 1


def test_predicates_are_certain_or_false():
    """[-1/3, 1/3] is neither certainly positive nor negative; [1/3, 1/2] is positive."""
    x = dy.Dyadic.enclose(Fraction(-1, 3), Fraction(1, 3))
    assert not x.certainly_positive() and not x.certainly_negative() and not x.is_zero()
    y = dy.Dyadic.enclose(Fraction(1, 3), Fraction(1, 2))
    assert y.certainly_positive() and not y.certainly_negative()
    assert dy.point(Fraction(1, 3)).inside(dy.Dyadic.enclose(Fraction(1, 4), Fraction(1, 2)))
    assert not dy.point(Fraction(1, 2)).inside(dy.Dyadic.enclose(Fraction(1, 4), Fraction(1, 2)))


def test_empty_interval_rejected():
    """enclose(1, 0) is not an interval."""
    with pytest.raises(Rejected):
        dy.Dyadic.enclose(Fraction(1), Fraction(0))


@pytest.mark.parametrize("name,reference", [("exp", mpmath.exp), ("tanh", mpmath.tanh)])
@given(q=st.fractions(min_value=-30, max_value=30, max_denominator=10**6))
@settings(max_examples=25, deadline=None)
def test_functions_enclose_mpmath_value(name, reference, q):
    """dy.apply(f, [q, q]) contains f(q) computed by mpmath at 50 digits (exp, tanh)."""
    x = dy.apply(name, dy.point(q))
    with mpmath.workdps(50):
        value = reference(mpmath.mpf(q.numerator) / q.denominator)
    with mpmath.workdps(60):
        slack = abs(value) * mpmath.mpf("1e-45") + mpmath.mpf("1e-300")
        assert mpmath.mpf(x.lo.numerator) / x.lo.denominator <= value + slack
        assert value - slack <= mpmath.mpf(x.hi.numerator) / x.hi.denominator


def test_taylor_chain_for_exp_encloses_mpmath():
    """sum_{k<=40} (1/3)^k / k! computed by a chain of dyadic products, sums and enclosed
    reciprocals contains e^(1/3) minus the (exactly bounded) tail, against mpmath at 50 digits;
    the accumulated width stays below 1e-40."""
    r = dy.point(Fraction(1, 3))
    term, total = dy.ONE, dy.ONE
    for k in range(1, 41):
        term = term * r * dy.point(Fraction(1, k))
        total = total + term
    # tail sum_{k>40} (1/3)^k/k! < 2 (1/3)^41 / 41!
    tail = Fraction(2, 3 ** 41)
    for k in range(2, 42):
        tail /= k
    with mpmath.workdps(50):
        value = mpmath.exp(mpmath.mpf(1) / 3)
        lo = mpmath.mpf(total.lo.numerator) / total.lo.denominator
        hi = mpmath.mpf(total.hi.numerator) / total.hi.denominator
        tail_mp = mpmath.mpf(tail.numerator) / tail.denominator
        assert lo <= value <= hi + tail_mp
        assert hi - lo < mpmath.mpf("1e-40")


def test_dot_with_widely_spread_exponents_stays_outward():
    """1 * 2^-1000 + 1 * 1 + (-1/3) * 2^2000: the exponents spread beyond 2 PREC bits, so the
    tiny products are rounded outward before summing; the exact sum is still enclosed, and the
    width is at most a few units of 2^-PREC relative to the largest term."""
    xs = [dy.point(Fraction(1, 2 ** 1000)), dy.ONE, dy.point(Fraction(-1, 3))]
    ys = [dy.ONE, dy.ONE, dy.point(Fraction(2 ** 2000))]
    result = dy.dot(xs, ys)
    exact = Fraction(1, 2 ** 1000) + 1 - Fraction(2 ** 2000, 3)
    assert result.lo <= exact <= result.hi
    assert result.hi - result.lo <= TIGHT * Fraction(2 ** 2000)
