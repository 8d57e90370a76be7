"""The checker's intervals (integer mantissas, one shared exponent) enclose the exact rational
result of every operation, and stay tight.

Second routes: exact ``fractions.Fraction`` arithmetic on the interval endpoints (for + - * dot
and products the exact result set of two intervals is spanned by endpoint combinations), and
mpmath at 50 digits for the elementary functions and a long Taylor-like chain of operations.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from igproof.checker import intervals as iv
from igproof.checker import trajectory as tr
from igproof.checker.errors import Rejected

rationals = st.fractions(min_value=-10**6, max_value=10**6, max_denominator=10**9)
# relative width of a PREC-bit rounding, with a factor 8 for the few roundings per test
TIGHT = Fraction(8, 2 ** iv.PREC)


def _interval(a: Fraction, b: Fraction) -> iv.Interval:
    return iv.Interval(min(a, b), max(a, b))


def _contains(x: iv.Interval, q: Fraction) -> bool:
    return x.lo <= q <= x.hi


@given(q=rationals)
@settings(max_examples=60, deadline=None)
def test_enclose_contains_rational_and_is_tight(q):
    """lo <= q <= hi, hi - lo <= 2^-PREC |q| (one outward rounding of each end)."""
    x = iv.Interval.point(q)
    assert _contains(x, q)
    assert x.hi - x.lo <= 2 * abs(q) / 2 ** iv.PREC


def test_dyadic_points_are_exact():
    """Dyadic rationals with few bits (1/2, -3/8, 5 * 2^40) are represented exactly."""
    for q in (Fraction(1, 2), Fraction(-3, 8), Fraction(5 * 2 ** 40), Fraction(0)):
        x = iv.Interval.point(q)
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
    result = tr.dot(X, Y)
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
    tiny = iv.Interval.point(Fraction(1, 2 ** 1000))
    s = iv.ONE + tiny
    assert s.lo <= 1 + Fraction(1, 2 ** 1000) <= s.hi
    assert s.lo >= 1 and s.hi - s.lo <= Fraction(2, 2 ** iv.PREC)
    d = iv.ONE - tiny
    assert d.lo <= 1 - Fraction(1, 2 ** 1000) <= d.hi and d.hi <= 1


def test_predicates_are_certain_or_false():
    """[-1/3, 1/3] is neither certainly positive nor negative; [1/3, 1/2] is positive."""
    x = iv.Interval(Fraction(-1, 3), Fraction(1, 3))
    assert not x.certainly_positive() and not x.certainly_negative() and not x.is_zero()
    y = iv.Interval(Fraction(1, 3), Fraction(1, 2))
    assert y.certainly_positive() and not y.certainly_negative()
    assert iv.Interval.point(Fraction(1, 3)).inside(iv.Interval(Fraction(1, 4), Fraction(1, 2)))
    assert not iv.Interval.point(Fraction(1, 2)).inside(iv.Interval(Fraction(1, 4), Fraction(1, 2)))


def test_empty_interval_rejected():
    """enclose(1, 0) is not an interval."""
    with pytest.raises(Rejected):
        iv.Interval(Fraction(1), Fraction(0))


@pytest.mark.parametrize("name,reference", [("exp", mpmath.exp), ("tanh", mpmath.tanh)])
@given(q=st.fractions(min_value=-30, max_value=30, max_denominator=10**6))
@settings(max_examples=25, deadline=None)
def test_functions_enclose_mpmath_value(name, reference, q):
    """iv.FUNCTIONS[f]([q, q]) contains f(q) computed by mpmath at 50 digits (exp, tanh)."""
    x = iv.FUNCTIONS[name](iv.Interval.point(q))
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
    r = iv.Interval.point(Fraction(1, 3))
    term, total = iv.ONE, iv.ONE
    for k in range(1, 41):
        term = term * r * iv.Interval.point(Fraction(1, k))
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
    xs = [iv.Interval.point(Fraction(1, 2 ** 1000)), iv.ONE, iv.Interval.point(Fraction(-1, 3))]
    ys = [iv.ONE, iv.ONE, iv.Interval.point(Fraction(2 ** 2000))]
    result = tr.dot(xs, ys)
    exact = Fraction(1, 2 ** 1000) + 1 - Fraction(2 ** 2000, 3)
    assert result.lo <= exact <= result.hi
    assert result.hi - result.lo <= TIGHT * Fraction(2 ** 2000)


# --- fast paths of the product, the dot product, the sum and the cut ---------------------------
# Mantissas straddle the PREC-bit boundary (exact results of PREC + 1 bits must be cut, those of
# PREC bits kept), include 0 and +-1 endpoints, and all sign patterns.

def _mantissa_values() -> st.SearchStrategy[int]:
    edge = st.sampled_from([0, 1, -1, 2 ** iv.PREC - 1, 2 ** iv.PREC, 2 ** iv.PREC + 1,
                            -(2 ** iv.PREC - 1), -(2 ** iv.PREC), -(2 ** iv.PREC + 1),
                            2 ** (iv.PREC // 2), -(2 ** (iv.PREC // 2)) - 1])
    return st.one_of(edge, st.integers(-(2 ** (iv.PREC + 2)), 2 ** (iv.PREC + 2)),
                     st.integers(-1000, 1000))


@st.composite
def raw_intervals(draw, exponents=None):
    """iv.raw(lo_m, hi_m, e) built directly (lo_m <= hi_m): points, sign-definite, straddling."""
    lo = draw(_mantissa_values())
    kind = draw(st.sampled_from(["point", "any"]))
    hi = lo if kind == "point" else draw(_mantissa_values())
    lo, hi = min(lo, hi), max(lo, hi)
    return iv.raw(lo, hi, draw(st.integers(-300, 300) if exponents is None else exponents))


def _exact(m: int, e: int) -> Fraction:
    return Fraction(m) * Fraction(2) ** e


def _corner_hull(x: iv.Interval, y: iv.Interval) -> tuple[Fraction, Fraction]:
    corners = [u * v for u in (x.lo, x.hi) for v in (y.lo, y.hi)]
    return min(corners), max(corners)


@given(a=_mantissa_values(), b=_mantissa_values(), c=_mantissa_values(), d=_mantissa_values(),
       point_x=st.booleans(), point_y=st.booleans())
@settings(max_examples=300, deadline=None)
def test_corners_are_the_exact_min_and_max_of_the_four_products(a, b, c, d, point_x,
                                                                point_y):
    """_corners([a, b], [c, d]) = (min, max) of {ac, ad, bc, bd} exactly (integers), in every
    case of the sign table: point x point, point x interval, sign-definite, both straddling."""
    a, b = (a, a) if point_x else (min(a, b), max(a, b))
    c, d = (c, c) if point_y else (min(c, d), max(c, d))
    corners = [a * c, a * d, b * c, b * d]
    assert iv.corners(a, b, c, d) == (min(corners), max(corners))


@given(x=raw_intervals(), y=raw_intervals())
@settings(max_examples=300, deadline=None)
def test_mul_encloses_the_exact_product_and_cuts_outward(x, y):
    """x * y contains the exact product interval [min, max of the corner products] (Fractions);
    its mantissas have at most PREC bits (PREC + 1 after a carry of the ceiling) and it is at
    most one unit of the last place wider at each end (a single outward cut)."""
    lo, hi = _corner_hull(x, y)
    z = x * y
    assert z.lo <= lo and hi <= z.hi
    assert max(abs(z.lo_m), abs(z.hi_m)).bit_length() <= iv.PREC + 1  # ceiling carry
    ulp = Fraction(2) ** z.e
    assert lo - z.lo < ulp and z.hi - hi < ulp


@given(lo=_mantissa_values(), hi=_mantissa_values(), e=st.integers(-50, 50))
@settings(max_examples=300, deadline=None)
def test_cut_rounds_lower_end_down_and_upper_end_up(lo, hi, e):
    """_cut(lo, hi, e) contains [lo 2^e, hi 2^e]: the lower end is the floor and the upper end the
    ceiling at the new exponent (checked with Fractions), mantissas of at most PREC bits
    (PREC + 1 when the ceiling carries, e.g. 2^PREC - 1 rounded up); exact
    when the mantissas already fit."""
    lo, hi = min(lo, hi), max(lo, hi)
    z = iv.cut(lo, hi, e)
    assert z.lo <= _exact(lo, e) and _exact(hi, e) <= z.hi
    assert max(abs(z.lo_m), abs(z.hi_m)).bit_length() <= iv.PREC + 1  # ceiling carry
    ulp = Fraction(2) ** z.e
    assert _exact(lo, e) - z.lo < ulp and z.hi - _exact(hi, e) < ulp
    if max(abs(lo), abs(hi)).bit_length() <= iv.PREC:
        assert (z.lo, z.hi) == (_exact(lo, e), _exact(hi, e))


@given(x=raw_intervals(), y=raw_intervals(st.sampled_from([-7, 0, 3])),
       same=st.booleans())
@settings(max_examples=300, deadline=None)
def test_add_fast_path_and_alignment_enclose_the_exact_sum(x, y, same):
    """x + y contains [x.lo + y.lo, x.hi + y.hi] (Fractions) with equal exponents (no alignment)
    and with different ones (exact left shifts, outward right shifts); equal exponents with
    mantissas that fit are exact up to the final cut."""
    if same:
        y = iv.raw(y.lo_m, y.hi_m, x.e)
    z = x + y
    assert z.lo <= x.lo + y.lo and x.hi + y.hi <= z.hi
    scale = max(abs(x.lo), abs(x.hi), abs(y.lo), abs(y.hi))
    assert z.hi - z.lo <= (x.hi + y.hi) - (x.lo + y.lo) + 8 * scale / 2 ** iv.PREC


@given(xs=st.lists(raw_intervals(st.integers(-40, 40)), min_size=0, max_size=8),
       ys=st.lists(raw_intervals(st.integers(-40, 40)), min_size=8, max_size=8),
       zero_at=st.lists(st.integers(0, 7), max_size=3))
@settings(max_examples=300, deadline=None)
def test_fused_dot_contains_the_exact_interval_dot_product(xs, ys, zero_at):
    """dot(x, y) contains sum_k [x_k] [y_k], the exact interval sum of the exact interval
    products (Fractions), for exponents in any order and zero operands anywhere (whose
    exponent must not matter); it is a single outward cut of that exact sum."""
    ys = ys[: len(xs)]
    for k in zero_at:
        if k < len(xs):
            xs[k] = iv.raw(0, 0, 1000)
    result = tr.dot(xs, ys)
    hulls = [_corner_hull(x, y) for x, y in zip(xs, ys, strict=True)]
    lo = sum((h[0] for h in hulls), Fraction(0))
    hi = sum((h[1] for h in hulls), Fraction(0))
    assert result.lo <= lo and hi <= result.hi
    ulp = Fraction(2) ** result.e
    assert lo - result.lo < ulp and result.hi - hi < ulp


@given(xs=st.lists(raw_intervals(st.sampled_from([-2000, -400, 0, 400, 2000])), min_size=1,
                   max_size=6),
       ys=st.lists(raw_intervals(st.sampled_from([-900, 0, 900])), min_size=6, max_size=6))
@settings(max_examples=200, deadline=None)
def test_dot_with_spread_exponents_contains_the_exact_sum(xs, ys):
    """When the product exponents spread over more than DOT_SPREAD bits, dot() falls back to
    rounding the far-smaller products outward first; the exact interval sum (Fractions) is still
    contained, and the result matches the general routine _dot_spread."""
    ys = ys[: len(xs)]
    result = tr.dot(xs, ys)
    hulls = [_corner_hull(x, y) for x, y in zip(xs, ys, strict=True)]
    lo = sum((h[0] for h in hulls), Fraction(0))
    hi = sum((h[1] for h in hulls), Fraction(0))
    assert result.lo <= lo and hi <= result.hi
    spread = tr._dot_spread(xs, ys)
    assert spread.lo <= lo and hi <= spread.hi


def test_dot_ignores_the_exponent_of_zero_operands():
    """A zero operand with a huge exponent (2^5000 * [0, 0]) does not force the spread fallback:
    1/3 * 1/3 + 0 * 1 is enclosed as tightly as 1/3 * 1/3 alone."""
    third = iv.Interval.point(Fraction(1, 3))
    alone = tr.dot([third], [third])
    with_zero = tr.dot([third, iv.raw(0, 0, 5000)], [third, iv.ONE])
    assert (with_zero.lo, with_zero.hi) == (alone.lo, alone.hi)
    assert with_zero.lo <= Fraction(1, 9) <= with_zero.hi


# --- exp and tanh in integer fixed point --------------------------------------------------------

def _mp(q: Fraction) -> mpmath.mpf:
    return mpmath.mpf(q.numerator) / q.denominator


arguments = st.one_of(
    st.fractions(min_value=-3, max_value=3, max_denominator=10**12),
    st.fractions(min_value=-400, max_value=400, max_denominator=10**6),
    st.builds(lambda m, k: Fraction(m, 2 ** k), st.integers(-1000, 1000), st.integers(40, 400)),
    st.sampled_from([Fraction(0), Fraction(1, 2), Fraction(-1, 2), Fraction(183),
                     Fraction(184), Fraction(-184), Fraction(185), Fraction(4096),
                     Fraction(-4096), Fraction(2 ** 12 - 1, 2 ** 20)]))


@pytest.mark.parametrize("name,reference", [("exp", mpmath.exp), ("tanh", mpmath.tanh)])
@given(a=arguments, b=arguments)
@settings(max_examples=150, deadline=None)
def test_native_functions_enclose_mpmath_at_both_ends(name, reference, a, b):
    """iv.exp / iv.tanh on [a, b] (increasing functions) contain [f(lo), f(hi)] computed by
    mpmath at 80 digits, and the width exceeds that exact range by at most 2^-150 relative
    (exp) or absolute (tanh, values in [-1, 1])."""
    x = iv.Interval(min(a, b), max(a, b))
    result = iv.FUNCTIONS[name](x)
    with mpmath.workdps(80):
        f_lo, f_hi = reference(_mp(x.lo)), reference(_mp(x.hi))
        assert _mp(result.lo) <= f_lo and f_hi <= _mp(result.hi)
        scale = max(abs(f_hi), abs(f_lo)) if name == "exp" else mpmath.mpf(1)
        assert _mp(result.hi) - _mp(result.lo) - (f_hi - f_lo) <= scale * mpmath.mpf(2) ** -150
    if name == "tanh":
        assert -1 <= result.lo and result.hi <= 1


# An independent route for exp and tanh: exact Fraction series with an explicit remainder (the
# checker's former rational interval code), endpoints rounded outward to ROUTE_BITS bits only
# after each squaring. It shares no code with igproof.checker.intervals.
ROUTE_BITS = 200


def _outward(lo: Fraction, hi: Fraction) -> tuple[Fraction, Fraction]:
    k = ROUTE_BITS - max(abs(lo), abs(hi), Fraction(1, 2 ** 40)).numerator.bit_length() \
        + max(abs(lo), abs(hi), Fraction(1, 2 ** 40)).denominator.bit_length()
    scale = Fraction(2) ** k
    return Fraction(math.floor(lo * scale)) / scale, Fraction(math.ceil(hi * scale)) / scale


def _route_exp(q: Fraction) -> tuple[Fraction, Fraction]:
    """lo <= e^q <= hi: e^q = (e^r)^(2^m), |r| <= 1/2, Taylor series with remainder
    2 |r|^(k+1)/(k+1)! (terms shrink by at least 1/4)."""
    m = 0
    while abs(q) > Fraction(1, 2) * 2 ** m:
        m += 1
    r = q / 2 ** m
    total, term, k = Fraction(1), Fraction(1), 0
    while True:
        k += 1
        term = term * r / k
        total += term
        tail = 2 * abs(term * r) / (k + 1)
        if tail < Fraction(1, 2 ** (ROUTE_BITS + 20)):
            break
    lo, hi = _outward(total - tail, total + tail)
    for _ in range(m):
        lo, hi = _outward(lo * lo, hi * hi)
    return lo, hi


def _route(name: str, q: Fraction) -> tuple[Fraction, Fraction] | None:
    """The independent enclosure of exp(q) or tanh(q) (None for tanh with |q| >= 2048)."""
    if name == "exp":
        return _route_exp(q)
    if abs(q) >= 2048:
        return None
    e_lo, e_hi = _route_exp(2 * q)  # tanh q = 1 - 2/(e^(2q) + 1), increasing in e^(2q)
    return 1 - 2 / (e_lo + 1), 1 - 2 / (e_hi + 1)


@pytest.mark.parametrize("name", ["exp", "tanh"])
@given(q=arguments)
@settings(max_examples=100, deadline=None)
def test_native_functions_overlap_the_rational_interval_route(name, q):
    """The fixed-point exp / tanh and an independent series in exact Fraction arithmetic
    (:func:`_route`) both enclose f(q): their enclosures intersect. (The rational route refuses
    tanh for q >= 2048, where the native one saturates: such q are skipped.)"""
    x = iv.Interval.point(q)
    native = iv.FUNCTIONS[name](x)
    rational = _route(name, q)
    if rational is None:
        assert name == "tanh" and abs(q) >= 2048
        return
    assert native.lo <= rational[1] and rational[0] <= native.hi


def test_native_functions_exact_and_saturated_values():
    """tanh 0 = 0 and e^0 = 1 exactly; tanh is odd (the enclosures of tanh(-q) and tanh(q) are
    mirror images); tanh(1000) lies in [1 - 2^(1-PREC), 1] (saturated, then cut); e^-4096 > 0 is
    enclosed with a positive lower end; e^4097 is refused as intervals.exp refuses it."""
    zero = iv.FUNCTIONS["tanh"](iv.ZERO)
    assert zero.lo == 0 == zero.hi
    one = iv.FUNCTIONS["exp"](iv.ZERO)
    assert one.lo == 1 == one.hi
    q = iv.Interval.point(Fraction(7, 10))
    pos, neg = iv.FUNCTIONS["tanh"](q), iv.FUNCTIONS["tanh"](-q)
    assert (neg.lo, neg.hi) == (-pos.hi, -pos.lo)
    sat = iv.FUNCTIONS["tanh"](iv.Interval.point(Fraction(1000)))
    assert 1 - Fraction(2, 2 ** iv.PREC) <= sat.lo and sat.hi == 1  # one ulp at 1
    tiny = iv.FUNCTIONS["exp"](iv.Interval.point(Fraction(-4096)))
    with mpmath.workdps(60):
        value = mpmath.exp(-4096)
        assert 0 < _mp(tiny.lo) <= value <= _mp(tiny.hi)
    with pytest.raises(Rejected):
        iv.FUNCTIONS["exp"](iv.Interval.point(Fraction(4097)))
    with pytest.raises(Rejected):
        iv.FUNCTIONS["exp"](iv.raw(1, 1, 10**6))
