"""Exact pieces of the minimal-norm program, each checked against an independent route."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from igproof.proof.minnorm_exact import (
    dual_bound,
    feasible_scale,
    interpolates,
    interval_cost_bounds,
    kinks_of,
    segment_max_ratio_sq,
    sqrt_enclosure,
)

small = st.fractions(min_value=-20, max_value=20, max_denominator=50)


@given(st.fractions(min_value=0, max_value=10**6, max_denominator=10**6))
def test_sqrt_enclosure_brackets(q):
    """lo^2 <= q <= hi^2 (exact squaring), and the width is tiny."""
    lo, hi = sqrt_enclosure(q)
    assert lo * lo <= q <= hi * hi
    assert hi - lo <= Fraction(1, 2**80)


def test_sqrt_enclosure_exact_on_squares():
    assert sqrt_enclosure(Fraction(49, 16)) == (Fraction(7, 4), Fraction(7, 4))


SAMPLES = 200


@settings(max_examples=30, deadline=None)
@given(small, small, small, small)
def test_segment_ratio_matches_dense_sampling(a, b, alpha, beta):
    """max over [a, b] of r(t) = (alpha + beta t)^2/(1 + t^2): the exact formula is >= every
    sampled value and exceeds the best sample by at most (alpha^2 + beta^2) h / 2 (h the sample
    spacing): r = |z|^2 cos^2(psi - theta(t)) with theta = atan t, so |r'| <= |z|^2."""
    if a == b:
        return
    a, b = min(a, b), max(a, b)
    exact = segment_max_ratio_sq(a, b, alpha, beta, penalised_bias=True)
    h = (b - a) / SAMPLES
    ts = [a + h * k for k in range(SAMPLES + 1)]
    best = max((alpha + beta * t) ** 2 / (1 + t * t) for t in ts)
    assert best <= exact <= best + (alpha * alpha + beta * beta) * h / 2


@settings(max_examples=40, deadline=None)
@given(small, small, small, small)
def test_interval_cost_is_cheapest_measure(xl, xr, u, v):
    """G(u, v) equals the cheaper of: one kink (if it lands inside [x_l, x_r]) or kinks at both
    ends; and no single kink anywhere in [x_l, x_r] with the right moments beats it.

    A single kink J at tau must satisfy J = v - u and J tau = x_r v - x_l u (slope and value
    constraints); a kink pair at the ends has jumps -u at x_l and v at x_r."""
    if xl >= xr:
        xl, xr = xr, xl + 1
    lo, hi = interval_cost_bounds(xl, xr, u, v, penalised_bias=True)
    lo2, hi2 = sqrt_enclosure(1 + xl * xl)
    lo3, hi3 = sqrt_enclosure(1 + xr * xr)
    two_kinks_hi = abs(u) * hi2 + abs(v) * hi3
    assert lo <= two_kinks_hi
    if u != v:
        tau = (xr * v - xl * u) / (v - u)
        if xl <= tau <= xr:
            one_lo, one_hi = sqrt_enclosure((v - u) ** 2 * (1 + tau * tau))
            assert lo <= one_hi and one_lo <= hi
            return
    # No single kink fits: the cost is the two-kink one.
    assert abs(u) * lo2 + abs(v) * lo3 <= hi and lo <= two_kinks_hi


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-50, 50), min_size=3, max_size=7, unique=True),
       st.lists(small, min_size=7, max_size=7), st.lists(small, min_size=7, max_size=7))
def test_kinks_of_any_slopes_interpolate(xs, ys, ss):
    """Whatever the slopes s, the kinks built from them define an interpolant of the data
    (checked by exact evaluation in an independent sweep)."""
    xs = sorted(Fraction(v) for v in xs)
    n = len(xs)
    ys, ss = ys[:n], ss[:n]
    assert interpolates(xs, ys, kinks_of(xs, ys, ss))


def test_interpolates_rejects_wrong_kinks():
    xs = [Fraction(v) for v in (0, 1, 2)]
    ys = [Fraction(v) for v in (0, 0, 1)]
    good = kinks_of(xs, ys, [Fraction(0), Fraction(0), Fraction(1)])
    assert interpolates(xs, ys, good)
    bad = [type(good[0])(good[0].at, good[0].jump + 1)]
    assert not interpolates(xs, ys, bad)


def test_dual_bound_and_scale():
    """phi = 1 at the inner points of (-3,-1,1,3) has max |phi|/w = 1 and value 2 (= optimum);
    doubling phi gives ratio 4, and the feasible scale c <= 1/2 brings the bound back <= 2."""
    xs = [Fraction(v) for v in (-3, -1, 1, 3)]
    ys = [Fraction(v) for v in (3, 1, 1, 3)]
    value, ratio = dual_bound(xs, ys, [0, 1, 1, 0], penalised_bias=True)
    assert value == 2
    assert ratio <= 1
    value2, ratio2 = dual_bound(xs, ys, [0, 2, 2, 0], penalised_bias=True)
    assert ratio2 == 4  # |phi| = 2 at t = 0 on [-1, 1], where w = 1
    c = feasible_scale(ratio2)
    assert c * c * ratio2 <= 1 and c * value2 <= 2
