"""Exact rational pieces of the minimal-norm program: costs, kinks, dual bounds, sqrt enclosures.

Everything here is exact arithmetic on :class:`fractions.Fraction`; square roots are enclosed
between two rationals with integer square roots. The mathematics is in docs/minnorm.md.

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
    q = Fraction(q)
    if q < 0:
        raise ValueError(f"sqrt_enclosure: q = {q} is negative")
    p, d = q.numerator, q.denominator
    big = (p * d) << (2 * bits)
    r = isqrt(big)
    lo = Fraction(r, d << bits)
    hi = lo if r * r == big else Fraction(r + 1, d << bits)
    return lo, hi


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
                penalised_bias: bool) -> tuple[Fraction, Fraction]:
    """Enclosure of the representational cost of the interpolant with slopes s (sum of G_i)."""
    delta = chord_slopes(x, y)
    lo = hi = Fraction(0)
    for i, d in enumerate(delta):
        c_lo, c_hi = interval_cost_bounds(x[i], x[i + 1], s[i] - d, s[i + 1] - d,
                                          penalised_bias=penalised_bias)
        lo += c_lo
        hi += c_hi
    return lo, hi


def kinks_of(x: Sequence[Fraction], y: Sequence[Fraction], s: Sequence[Fraction], *,
             penalised_bias: bool = True) -> list[Kink]:
    """The kinks of the cheapest interpolant with data-point slopes s, merged and sorted.

    On interval i: u v < 0 gives one kink at tau = B/A with jump A; otherwise kinks at x_i (jump
    -u) and x_{i+1} (jump v). With free biases the same interpolant is used (it is one of the
    cheapest). Zero jumps are dropped.
    """
    del penalised_bias  # the kink geometry is the same; only its cost differs
    delta = chord_slopes(x, y)
    jumps: dict[Fraction, Fraction] = {}
    for i, d in enumerate(delta):
        u, v = s[i] - d, s[i + 1] - d
        if u * v < 0:
            a_mom = v - u
            tau = (x[i + 1] * v - x[i] * u) / a_mom
            jumps[tau] = jumps.get(tau, Fraction(0)) + a_mom
        else:
            jumps[x[i]] = jumps.get(x[i], Fraction(0)) - u
            jumps[x[i + 1]] = jumps.get(x[i + 1], Fraction(0)) + v
    return [Kink(at, jump) for at, jump in sorted(jumps.items()) if jump != 0]


def interpolates(x: Sequence[Fraction], y: Sequence[Fraction], kinks: Sequence[Kink]) -> bool:
    """Exactly: does some f = affine + sum_k jump_k (t - at_k)_+ pass through every (x_j, y_j)?

    The affine part is fixed by the first two data points; one left-to-right sweep, O(n + k).
    """
    order = sorted(kinks, key=lambda k: k.at)
    # f on [x_1, x_2] has slope s0 + (jumps at or left of x_1 are irrelevant): walk the pieces.
    def walk(slope0: Fraction) -> list[Fraction]:
        vals = [y[0]]
        slope = slope0
        pos = x[0]
        val = y[0]
        k = 0
        while k < len(order) and order[k].at <= x[0]:
            k += 1
        for j in range(1, len(x)):
            while k < len(order) and order[k].at < x[j]:
                val += slope * (order[k].at - pos)
                pos = order[k].at
                slope += order[k].jump
                k += 1
            val += slope * (x[j] - pos)
            pos = x[j]
            vals.append(val)
        return vals

    base = walk(Fraction(0))
    # The slope left of the first interior kink is affine-free: choose it to hit y_2.
    slope0 = (y[1] - base[1]) / (x[1] - x[0])
    vals = [b + slope0 * (xj - x[0]) for b, xj in zip(base, x, strict=True)]
    return all(v == yj for v, yj in zip(vals, y, strict=True))


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


def segment_ratios(x: Sequence[Fraction], phi: Sequence[Fraction], *,
                   penalised_bias: bool) -> list[Fraction]:
    """For each segment [x_i, x_{i+1}]: max of phi(t)^2 / w(t)^2 there (phi linear), exact."""
    out = []
    for i in range(len(x) - 1):
        beta = (phi[i + 1] - phi[i]) / (x[i + 1] - x[i])
        alpha = phi[i] - beta * x[i]
        out.append(segment_max_ratio_sq(x[i], x[i + 1], alpha, beta,
                                        penalised_bias=penalised_bias))
    return out


def dual_bound(x: Sequence[Fraction], y: Sequence[Fraction], phi: Sequence[Fraction], *,
               penalised_bias: bool) -> tuple[Fraction, Fraction]:
    """Return (sum_j phi_j (delta_j - delta_{j-1}), max_t phi(t)^2 / w(t)^2), phi_1 = phi_n = 0.

    phi is the piecewise-linear function with values phi_j at x_j, zero outside [x_1, x_n]; by
    weak duality, value / sqrt(ratio) (ratio >= 1) is a lower bound of the minimal cost.
    """
    if phi[0] != 0 or phi[-1] != 0:
        raise ValueError("dual_bound: phi must vanish at x_1 and x_n")
    delta = chord_slopes(x, y)
    value = sum((phi[j] * (delta[j] - delta[j - 1]) for j in range(1, len(x) - 1)),
                Fraction(0))
    ratio = max(segment_ratios(x, phi, penalised_bias=penalised_bias), default=Fraction(0))
    return value, ratio


def feasible_scale(ratio: Fraction, *, bits: int = SQRT_BITS) -> Fraction:
    """A rational c <= 1/sqrt(ratio) (c = 1 when ratio <= 1): c * phi is then dual feasible."""
    if ratio <= 1:
        return Fraction(1)
    _, hi = sqrt_enclosure(ratio, bits=bits)
    # Round 1/hi down to a dyadic with `bits` bits so that the scaled phi stays small.
    inv = 1 / hi
    return Fraction((inv.numerator << bits) // inv.denominator, 1 << bits)
