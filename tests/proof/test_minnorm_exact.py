"""Exact pieces of the minimal-norm program, each checked against an independent route."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from igproof.proof.minnorm.exact import (
    cost_bounds,
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


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(-50, 50), min_size=3, max_size=8, unique=True),
       st.lists(small, min_size=8, max_size=8), st.lists(small, min_size=8, max_size=8))
def test_cost_bounds_enclose_the_high_precision_sum(xs, ys, ss):
    """lo <= sum_i G_i <= hi, with G_i evaluated independently by mpmath at 60 digits from its
    defining formula (one kink: sqrt(A^2 + B^2); else |u| w(x_l) + |v| w(x_r)); each of the
    at most 2(n-1) roots is rounded outward by at most 2^-140, so hi - lo is that small."""
    import mpmath

    xs = sorted(Fraction(v) for v in xs)
    n = len(xs)
    ys, ss = ys[:n], ss[:n]
    lo, hi = cost_bounds(xs, ys, ss, penalised_bias=True)
    with mpmath.workdps(60):
        total = mpmath.mpf(0)
        for i in range(n - 1):
            d = (ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i])
            u, v = ss[i] - d, ss[i + 1] - d

            def q(r: Fraction):
                return mpmath.mpf(r.numerator) / r.denominator

            if u * v <= 0:
                total += mpmath.sqrt(q(v - u) ** 2 + q(xs[i + 1] * v - xs[i] * u) ** 2)
            else:
                total += abs(q(u)) * mpmath.sqrt(1 + q(xs[i]) ** 2) + \
                    abs(q(v)) * mpmath.sqrt(1 + q(xs[i + 1]) ** 2)
        tol = mpmath.mpf(2) ** -150
        assert q(lo) <= total + tol and total <= q(hi) + tol
    assert hi - lo <= Fraction(2 * n, 2**140)


def test_cost_bounds_exact_when_roots_are_rational():
    """f = 4 (x - 3/4)_+ on x = (-1, 0, 1, 2): one kink at 3/4 with w = 5/4, cost exactly 5
    (lo == hi, no dyadic rounding of a rational root)."""
    xs = [Fraction(v) for v in (-1, 0, 1, 2)]
    ys = [Fraction(v) for v in (0, 0, 1, 5)]
    assert cost_bounds(xs, ys, [Fraction(v) for v in (0, 0, 4, 4)],
                       penalised_bias=True) == (5, 5)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-50, 50), min_size=3, max_size=8, unique=True),
       st.lists(small, min_size=8, max_size=8), st.lists(small, min_size=8, max_size=8))
def test_kinks_of_matches_dictionary_merge(xs, ys, ss):
    """The one-pass merge of kinks equals a reference that collects jumps per position in a
    dictionary and sorts (the definition: interior kink B/A with jump A when u v < 0, else
    jumps -u at x_l and v at x_r; zero jumps dropped)."""
    xs = sorted(Fraction(v) for v in xs)
    n = len(xs)
    ys, ss = ys[:n], ss[:n]
    jumps: dict[Fraction, Fraction] = {}
    for i in range(n - 1):
        d = (ys[i + 1] - ys[i]) / (xs[i + 1] - xs[i])
        u, v = ss[i] - d, ss[i + 1] - d
        if u * v < 0:
            tau = (xs[i + 1] * v - xs[i] * u) / (v - u)
            jumps[tau] = jumps.get(tau, Fraction(0)) + (v - u)
        else:
            jumps[xs[i]] = jumps.get(xs[i], Fraction(0)) - u
            jumps[xs[i + 1]] = jumps.get(xs[i + 1], Fraction(0)) + v
    expected = [(at, j) for at, j in sorted(jumps.items()) if j != 0]
    assert [(k.at, k.jump) for k in kinks_of(xs, ys, ss)] == expected


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-60, 60), min_size=2, max_size=9, unique=True),
       st.lists(small, min_size=9, max_size=9), st.booleans())
def test_infeasible_segments_lists_exactly_the_ratios_above_one(xs, phis, penalised):
    """infeasible_segments == [i : segment_ratio(i) > 1] (the ratio route divides, the listing
    multiplies, and shares the end-point tests between neighbouring segments), for Fraction
    and for flint fmpq alike."""
    from igproof.proof.minnorm.exact import infeasible_segments, segment_ratio

    xs = sorted(Fraction(v, 10) for v in xs)
    phi = [p / 8 for p in phis[:len(xs)]]
    expected = [i for i in range(len(xs) - 1)
                if segment_ratio(xs, phi, i, penalised_bias=penalised) > 1]
    assert infeasible_segments(xs, phi, penalised_bias=penalised) == expected
    assert infeasible_segments(xs, phi, penalised_bias=penalised,
                               first_only=True) == expected[:1]
    from flint import fmpq

    def q(values):
        return [fmpq(v.numerator, v.denominator) for v in values]

    assert infeasible_segments(q(xs), q(phi), penalised_bias=penalised) == expected
