"""Exact rational pieces of the minimal-norm program: costs, kinks, dual bounds, sqrt enclosures.

Everything here is exact rational arithmetic; square roots are enclosed between two rationals
with integer square roots. The mathematics is in docs/minnorm.md. The functions accept
:class:`fractions.Fraction` or python-flint ``fmpq`` (exact rationals with the same operators,
about ten times faster) and return numbers of the type they were given; never mix the two types
in one call (``fmpq(3, 4) == Fraction(3, 4)`` is False).

Notation (data x_1 < ... < x_n, chord slopes delta_i, interval i = [x_i, x_{i+1}], i = 1..n-1):
slopes s_i, u_i = s_i - delta_i, v_i = s_{i+1} - delta_i, P_i = (1, x_i), Q_i = (1, x_{i+1}),
moment vector (A_i, B_i) = v_i Q_i - u_i P_i.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import isqrt

# Extra bits carried by sqrt enclosures: 2^-96 relative width is far below the 1e-10 gaps we
# certify, and keeps the rationals small.
SQRT_BITS = 96
# Bits after the binary point of the per-interval cost enclosures summed by cost_bounds: each
# term is rounded outward to a multiple of 2^-140, so 1e6 intervals lose < 2^-120 in all, far
# below the 2^-128 outward rounding of the reported bounds; the sum stays an integer over 2^140
# instead of a fraction whose denominator is the lcm of a thousand sqrt denominators.
COST_BITS = 140


def _rational(like, num, den=1):
    """num/den as the rational type of ``like`` (Fraction or flint fmpq)."""
    return type(like)(num, den) if not isinstance(like, int) else Fraction(num, den)


@dataclass(frozen=True)
class Kink:
    """A kink of the interpolant: f' jumps by ``jump`` at x = ``at`` (both exact)."""

    at: Fraction
    jump: Fraction


def sqrt_enclosure(q: Fraction, *, bits: int = SQRT_BITS) -> tuple[Fraction, Fraction]:
    """Rationals lo <= sqrt(q) <= hi with hi - lo <= 2^-bits * (denominator-scaled) ulp.

    Guarantee: enclosure (exact integer square roots).

    >>> sqrt_enclosure(Fraction(9, 4))
    (Fraction(3, 2), Fraction(3, 2))
    """
    if isinstance(q, int):
        q = Fraction(q)
    if q < 0:
        raise ValueError(f"sqrt_enclosure: q = {q} is negative")
    p, d = int(q.numerator), int(q.denominator)
    big = (p * d) << (2 * bits)
    r = isqrt(big)
    lo = _rational(q, r, d << bits)
    hi = lo if r * r == big else _rational(q, r + 1, d << bits)
    return lo, hi


def _sqrt_terms(q, bits: int):
    """sqrt(q) exactly if q is the square of a rational, else (floor, ceil) of sqrt(q) 2^bits.

    Returns ``(exact, 0, 0)`` or ``(None, lo, hi)`` with integers lo <= sqrt(q) 2^bits <= hi.
    Guarantee: exact / enclosure (integer square roots).
    """
    p, d = int(q.numerator), int(q.denominator)
    rp, rd = isqrt(p), isqrt(d)
    if rp * rp == p and rd * rd == d:
        return _rational(q, rp, rd), 0, 0
    big = (p << (2 * bits)) // d
    r = isqrt(big)
    # floor(sqrt(floor(z))) = floor(sqrt(z)); sqrt(z) is irrational here, so ceil = floor + 1.
    return None, r, r + 1


def chord_slopes(x: Sequence[Fraction], y: Sequence[Fraction]) -> list[Fraction]:
    """delta_i = (y_{i+1} - y_i) / (x_{i+1} - x_i), exact."""
    return [(y[i + 1] - y[i]) / (x[i + 1] - x[i]) for i in range(len(x) - 1)]


def interval_cost_bounds(xl: Fraction, xr: Fraction, u: Fraction, v: Fraction, *,
                         penalised_bias: bool) -> tuple[Fraction, Fraction]:
    """Enclosure of G(u, v), the least weighted |f''| mass on [x_l, x_r] for end slopes u, v.

    Penalised: G = ||v Q - u P|| if u v <= 0 (one kink, at B/A), else
    |u| sqrt(1 + x_l^2) + |v| sqrt(1 + x_r^2) (kinks at both ends). Free: G = |u| + |v|.
    Guarantee: enclosure.
    """
    if not penalised_bias:
        value = abs(u) + abs(v)
        return value, value
    if u * v <= 0:
        a_mom = v - u
        b_mom = xr * v - xl * u
        return sqrt_enclosure(a_mom * a_mom + b_mom * b_mom)
    lo_l, hi_l = sqrt_enclosure(1 + xl * xl)
    lo_r, hi_r = sqrt_enclosure(1 + xr * xr)
    return abs(u) * lo_l + abs(v) * lo_r, abs(u) * hi_l + abs(v) * hi_r


def cost_bounds(x: Sequence[Fraction], y: Sequence[Fraction], s: Sequence[Fraction], *,
                penalised_bias: bool,
                delta: Sequence[Fraction] | None = None) -> tuple[Fraction, Fraction]:
    """Enclosure lo <= sum_i G_i(s_i - delta_i, s_{i+1} - delta_i) <= hi of the interpolant's cost.

    Each interval's cost is a sum of square roots (one, ||v Q - u P||, or two,
    |u| w(x_l) + |v| w(x_r); free biases: no roots); rational roots are added exactly, the others
    rounded outward to multiples of 2^-COST_BITS and summed as integers.
    ``delta``, if given, must be ``chord_slopes(x, y)`` (saves recomputing it).
    Guarantee: enclosure (lo == hi when every root is rational).
    """
    if delta is None:
        delta = chord_slopes(x, y)
    exact = x[0] - x[0]
    lo_int = hi_int = 0
    for i, d in enumerate(delta):
        u, v = s[i] - d, s[i + 1] - d
        if not penalised_bias:
            exact += abs(u) + abs(v)
            continue
        if u * v <= 0:
            a_mom = v - u
            b_mom = x[i + 1] * v - x[i] * u
            squares = (a_mom * a_mom + b_mom * b_mom,)
        else:
            squares = (u * u * (1 + x[i] * x[i]), v * v * (1 + x[i + 1] * x[i + 1]))
        for q in squares:
            root, r_lo, r_hi = _sqrt_terms(q, COST_BITS)
            if root is not None:
                exact += root
            else:
                lo_int += r_lo
                hi_int += r_hi
    if lo_int == hi_int == 0:
        return exact, exact
    return (exact + _rational(exact, lo_int, 1 << COST_BITS),
            exact + _rational(exact, hi_int, 1 << COST_BITS))


def kinks_of(x: Sequence[Fraction], y: Sequence[Fraction], s: Sequence[Fraction], *,
             penalised_bias: bool = True,
             delta: Sequence[Fraction] | None = None) -> list[Kink]:
    """The kinks of the cheapest interpolant with data-point slopes s, merged and sorted.

    On interval i: u v < 0 gives one kink at tau = B/A with jump A; otherwise kinks at x_i (jump
    -u) and x_{i+1} (jump v). With free biases the same interpolant is used (it is one of the
    cheapest). Zero jumps are dropped. ``delta``, if given, must be ``chord_slopes(x, y)``.
    """
    del penalised_bias  # the kink geometry is the same; only its cost differs
    ats, jumps = kink_lists(x, y, s, delta=delta)
    return [Kink(t, j) for t, j in zip(ats, jumps, strict=True)]


def kink_lists(x: Sequence[Fraction], y: Sequence[Fraction], s: Sequence[Fraction], *,
               delta: Sequence[Fraction] | None = None) -> tuple[list, list]:
    """:func:`kinks_of` as two lists (positions increasing, jumps nonzero), without Kink objects."""
    if delta is None:
        delta = chord_slopes(x, y)
    # Interval i contributes kinks in [x_i, x_{i+1}] only, in increasing order, so the list is
    # already sorted; equal positions (a data point shared by two intervals) are adjacent.
    at: list[Fraction] = []
    jump: list[Fraction] = []

    def add(t: Fraction, j: Fraction) -> None:
        if at and at[-1] == t:
            jump[-1] += j
        else:
            at.append(t)
            jump.append(j)

    for i, d in enumerate(delta):
        u, v = s[i] - d, s[i + 1] - d
        if u * v < 0:
            a_mom = v - u
            add((x[i + 1] * v - x[i] * u) / a_mom, a_mom)
        else:
            add(x[i], -u)
            add(x[i + 1], v)
    keep = [k for k, j in enumerate(jump) if j != 0]
    return [at[k] for k in keep], [jump[k] for k in keep]


def interpolates(x: Sequence[Fraction], y: Sequence[Fraction], kinks: Sequence[Kink]) -> bool:
    """Exactly: does some f = affine + sum_k jump_k (t - at_k)_+ pass through every (x_j, y_j)?

    The affine part is fixed by the first two data points; one left-to-right sweep, O(n + k).
    """
    order = sorted(kinks, key=lambda k: k.at)
    return interpolates_sorted(x, y, [k.at for k in order], [k.jump for k in order])


def interpolates_sorted(x: Sequence[Fraction], y: Sequence[Fraction], ats: Sequence[Fraction],
                        jumps: Sequence[Fraction]) -> bool:
    """:func:`interpolates` for kinks given as positions (increasing) and jumps."""
    n_k = len(ats)
    # f = y_1 + slope0 (t - x_1) + sum_k jump_k ((t - at_k)_+ - (x_1 - at_k)_+): walk the pieces
    # with slope0 = 0, then choose slope0 to hit y_2 (kinks at or left of x_1 are irrelevant).
    x0 = x[0]
    slope = x0 - x0
    pos = x0
    val = y[0]
    k = 0
    while k < n_k and ats[k] <= x0:
        k += 1
    base = [val]
    for xj in x[1:]:
        while k < n_k and ats[k] < xj:
            at = ats[k]
            val += slope * (at - pos)
            pos = at
            slope += jumps[k]
            k += 1
        val += slope * (xj - pos)
        pos = xj
        base.append(val)
    slope0 = (y[1] - base[1]) / (x[1] - x0)
    return all(b + slope0 * (xj - x0) == yj for b, xj, yj in zip(base, x, y, strict=True))


def segment_max_ratio_sq(xl: Fraction, xr: Fraction, alpha: Fraction, beta: Fraction, *,
                         penalised_bias: bool) -> Fraction:
    """max over t in [x_l, x_r] of (alpha + beta t)^2 / w(t)^2, exact.

    w(t) = sqrt(1 + t^2) (penalised) or 1 (free). For the penalised weight the only interior
    critical point of the ratio that can be a maximum is t = beta/alpha, value alpha^2 + beta^2.
    """
    def end(t: Fraction) -> Fraction:
        val = (alpha + beta * t) ** 2
        return val / (1 + t * t) if penalised_bias else val

    best = max(end(xl), end(xr))
    if penalised_bias and alpha != 0 and xl < beta / alpha < xr:
        best = max(best, alpha * alpha + beta * beta)
    return best


def segment_ratio(x: Sequence[Fraction], phi: Sequence[Fraction], i: int, *,
                  penalised_bias: bool) -> Fraction:
    """max over t in [x_i, x_{i+1}] of phi(t)^2 / w(t)^2 for the linear phi with end values
    phi_i, phi_{i+1}, exact (the end values, and alpha^2 + beta^2 when the critical point
    t = beta/alpha of phi = alpha + beta t lies inside; see :func:`segment_max_ratio_sq`)."""
    xl, xr, pl, pr = x[i], x[i + 1], phi[i], phi[i + 1]
    if not penalised_bias:
        return max(pl * pl, pr * pr)
    best = max(pl * pl / (1 + xl * xl), pr * pr / (1 + xr * xr))
    beta = (pr - pl) / (xr - xl)
    alpha = pl - beta * xl
    if alpha != 0 and xl < beta / alpha < xr:
        best = max(best, alpha * alpha + beta * beta)
    return best


def infeasible_segments(x: Sequence[Fraction], phi: Sequence[Fraction], *,
                        penalised_bias: bool, first_only: bool = False) -> list[int]:
    """The segments i where |phi| <= w fails somewhere on [x_i, x_{i+1}] (exact, no divisions).

    Equivalent to ``segment_ratio(x, phi, i) > 1``: with h = x_{i+1} - x_i,
    A = phi_i x_{i+1} - phi_{i+1} x_i = alpha h and B = phi_{i+1} - phi_i = beta h, the ends need
    phi_j^2 <= 1 + x_j^2 (tested once per point) and an interior critical point t = B/A needs
    A^2 + B^2 <= h^2. ``first_only``: stop at the first failure.
    """
    if not penalised_bias:
        ends = [p * p <= 1 for p in phi]
        return [i for i in range(len(x) - 1) if not (ends[i] and ends[i + 1])][:1 if first_only
                                                                                  else None]
    out = []
    end_ok = [p * p <= 1 + t * t for p, t in zip(phi, x, strict=True)]
    for i in range(len(x) - 1):
        if not (end_ok[i] and end_ok[i + 1]):
            out.append(i)
        else:
            xl, xr, pl, pr = x[i], x[i + 1], phi[i], phi[i + 1]
            a_h = pl * xr - pr * xl
            b_h = pr - pl
            if a_h > 0:
                inside = a_h * xl < b_h < a_h * xr
            elif a_h < 0:
                inside = a_h * xr < b_h < a_h * xl
            else:
                continue
            if inside:
                h = xr - xl
                if a_h * a_h + b_h * b_h > h * h:
                    out.append(i)
        if out and first_only:
            break
    return out


def segment_ratios(x: Sequence[Fraction], phi: Sequence[Fraction], *,
                   penalised_bias: bool) -> list[Fraction]:
    """For each segment [x_i, x_{i+1}]: max of phi(t)^2 / w(t)^2 there (phi linear), exact."""
    return [segment_ratio(x, phi, i, penalised_bias=penalised_bias) for i in range(len(x) - 1)]


def dual_value(delta: Sequence[Fraction], phi: Sequence[Fraction]) -> Fraction:
    """sum_{j=2}^{n-1} phi_j (delta_j - delta_{j-1}) (= sum_j lambda_j y_j), exact."""
    return sum((phi[j] * (delta[j] - delta[j - 1]) for j in range(1, len(delta))),
               phi[0] - phi[0])


def dual_bound(x: Sequence[Fraction], y: Sequence[Fraction], phi: Sequence[Fraction], *,
               penalised_bias: bool) -> tuple[Fraction, Fraction]:
    """Return (sum_j phi_j (delta_j - delta_{j-1}), max_t phi(t)^2 / w(t)^2), phi_1 = phi_n = 0.

    phi is the piecewise-linear function with values phi_j at x_j, zero outside [x_1, x_n]; by
    weak duality, value / sqrt(ratio) (ratio >= 1) is a lower bound of the minimal cost.
    """
    if phi[0] != 0 or phi[-1] != 0:
        raise ValueError("dual_bound: phi must vanish at x_1 and x_n")
    value = dual_value(chord_slopes(x, y), phi)
    ratio = max(segment_ratios(x, phi, penalised_bias=penalised_bias), default=x[0] - x[0])
    return value, ratio


def feasible_scale(ratio: Fraction, *, bits: int = SQRT_BITS) -> Fraction:
    """A rational c <= 1/sqrt(ratio) (c = 1 when ratio <= 1): c * phi is then dual feasible."""
    if ratio <= 1:
        return _rational(ratio, 1)
    _, hi = sqrt_enclosure(ratio, bits=bits)
    # Round 1/hi down to a dyadic with `bits` bits so that the scaled phi stays small.
    inv = 1 / hi
    return _rational(ratio, (int(inv.numerator) << bits) // int(inv.denominator), 1 << bits)
