"""Exact arguments behind the boursier2023 catalogue: optimality, uniqueness and sparsity.

Setting (docs/minnorm.md): data x_1 < ... < x_n, interpolants f with f'' a finite measure, cost
C(f) = int w d|f''|, w(t) = sqrt(1 + t^2) (biases penalised) or w = 1 (biases free). Notation:
chord slopes delta_i, discrete curvatures g_j = delta_j - delta_{j-1} (j = 2..n-1, 1-based), and
the hat functions K_j (piecewise linear, K_j(x_j) = 1, zero outside (x_{j-1}, x_{j+1})), for
which every interpolant satisfies

    g_j = int K_j df''                                                       (hat identity)

(integrate (t - tau)_+ against the second divided difference). Everything below follows from it.

* **Weak duality.** For phi = sum_j phi_j K_j with |phi| <= w:
  sum_j phi_j g_j = int phi df'' <= int w d|f''| = C(f).
* **Exact optimality and uniqueness** (:func:`certify_unique_minimizer`). If an exact interpolant
  f* has C(f*) = sum_j phi_j g_j (exact rationals), f* is a minimiser, and every minimiser has
  f'' carried by the contact set T = {t : |phi(t)| = w(t)} (equality in both inequalities). When T
  is finite and the columns K(t), t in T, are linearly independent, the hat identity fixes f''
  and hence f: the minimiser is unique. Exact when w(t) is rational at the kinks (t = 0, 3/4,
  4/3, 5/12, ...: Pythagorean points).
* **Sparsity** (:func:`convexity_runs`, :func:`minimal_kink_count`). A maximal run is a maximal
  block of consecutive j with g_j of one strict sign; m = its length (the number of data points
  x_j, each with its two neighbours, where the data are strictly convex, or concave). Every
  interpolant has at least S = sum over runs of ceil(m / 2) kinks, and S is attained
  (:func:`sparsest_interpolant`); proof in docs/minnorm.md.
* **Not the sparsest** (:func:`certify_not_sparsest`). When every run has even length the
  interpolant with S kinks is unique; if its cost exceeds a certified upper bound of the minimal
  cost, no minimiser has S kinks.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import isqrt
from typing import Any

from igproof.errors import InvalidArgument
from igproof.linalg import rank
from igproof.proof.minnorm.exact import (
    Kink,
    chord_slopes,
    interpolates,
    segment_ratios,
    sqrt_enclosure,
)
from igproof.proof.minnorm.interpolator import prepare_data

__all__ = [
    "NotSparsest",
    "Run",
    "UniqueMinimizer",
    "boundary_straddles",
    "certify_not_sparsest",
    "certify_unique_minimizer",
    "convexity_runs",
    "cost_enclosure",
    "curvatures",
    "exact_cost",
    "exact_sqrt",
    "hat",
    "minimal_kink_count",
    "sparsest_interpolant",
    "tangent_dual",
]


@dataclass(frozen=True)
class Run:
    """A maximal block j = start..stop (1-based, inclusive) of curvatures g_j of one strict sign."""

    start: int
    stop: int
    sign: int

    @property
    def length(self) -> int:
        return self.stop - self.start + 1


def _data(x: Sequence[Any], y: Sequence[Any]) -> tuple[tuple[Fraction, ...],
                                                       tuple[Fraction, ...]]:
    xs, ys = prepare_data(list(x), list(y))
    return xs, ys


def curvatures(x: Sequence[Any], y: Sequence[Any]) -> list[Fraction]:
    """g_j = delta_j - delta_{j-1} for j = 2..n-1 (returned as a list indexed from 0), exact."""
    xs, ys = _data(x, y)
    delta = chord_slopes(xs, ys)
    return [delta[j] - delta[j - 1] for j in range(1, len(delta))]


def convexity_runs(x: Sequence[Any], y: Sequence[Any]) -> list[Run]:
    """The maximal runs of consecutive interior data points with curvature of one strict sign.

    Indices are 1-based data indices j in 2..n-1 (g_j is the curvature at x_j). Guarantee: exact.

    >>> [(r.start, r.stop, r.sign) for r in convexity_runs([0, 1, 2, 3, 4], [0, 0, 1, 3, 3])]
    [(2, 3, 1), (4, 4, -1)]
    """
    g = curvatures(x, y)
    runs: list[Run] = []
    for k, value in enumerate(g):
        sign = (value > 0) - (value < 0)
        j = k + 2
        if sign != 0 and runs and runs[-1].sign == sign and runs[-1].stop == j - 1:
            runs[-1] = Run(runs[-1].start, j, sign)
        elif sign != 0:
            runs.append(Run(j, j, sign))
    return runs


def minimal_kink_count(x: Sequence[Any], y: Sequence[Any]) -> int:
    """S = sum over maximal runs of ceil(m / 2): the fewest kinks of any interpolant (exact).

    >>> minimal_kink_count([-3, -1, 1, 3], [3, 1, 1, 3])
    1
    """
    return sum((r.length + 1) // 2 for r in convexity_runs(x, y))


def sparsest_interpolant(x: Sequence[Any], y: Sequence[Any]) -> list[Kink]:
    """An exact interpolant with exactly S = :func:`minimal_kink_count` kinks.

    Start from the linear spline (a kink of jump g_j at each x_j). In each run j..k, the kinks at
    x_j, x_{j+1} are replaced by one kink inside (x_j, x_{j+1}) where the lines of slopes
    delta_{j-1} (through x_j) and delta_{j+1} (through x_{j+1}) meet, then j+2, j+3, and so on;
    an odd run keeps its last kink at its data point. The merged intervals are never adjacent,
    so the chords next to them are unchanged. Guarantee: exact.
    """
    xs, ys = _data(x, y)
    delta = chord_slopes(xs, ys)
    kinks: list[Kink] = []
    for run in convexity_runs(xs, ys):
        j = run.start
        while j <= run.stop:
            a = j - 1  # 0-based index of x_j
            if j + 1 <= run.stop:
                left, right = delta[a - 1], delta[a + 1]
                # y_j + left (t - x_j) = y_{j+1} + right (t - x_{j+1})
                tau = (ys[a + 1] - ys[a] + left * xs[a] - right * xs[a + 1]) / (left - right)
                kinks.append(Kink(tau, right - left))
                j += 2
            else:
                kinks.append(Kink(xs[a], delta[a] - delta[a - 1]))
                j += 1
    return kinks


def exact_sqrt(q: Fraction) -> Fraction | None:
    """sqrt(q) when it is rational, else None (exact)."""
    q = Fraction(q)
    if q < 0:
        return None
    p, d = isqrt(q.numerator), isqrt(q.denominator)
    if p * p == q.numerator and d * d == q.denominator:
        return Fraction(p, d)
    return None


def _weight(t: Fraction, penalised_bias: bool) -> Fraction | None:
    return exact_sqrt(1 + t * t) if penalised_bias else Fraction(1)


def exact_cost(kinks: Sequence[Kink], *, penalised_bias: bool = True) -> Fraction | None:
    """sum_k |jump_k| w(at_k) when every w(at_k) is rational, else None. Guarantee: exact."""
    total = Fraction(0)
    for k in kinks:
        w = _weight(k.at, penalised_bias)
        if w is None:
            return None
        total += abs(k.jump) * w
    return total


def cost_enclosure(kinks: Sequence[Kink], *, penalised_bias: bool = True) -> tuple[Fraction,
                                                                                   Fraction]:
    """Rationals lo <= sum_k |jump_k| w(at_k) <= hi. Guarantee: enclosure (integer sqrt)."""
    lo = hi = Fraction(0)
    for k in kinks:
        if penalised_bias:
            w_lo, w_hi = sqrt_enclosure(1 + k.at * k.at)
        else:
            w_lo = w_hi = Fraction(1)
        lo += abs(k.jump) * w_lo
        hi += abs(k.jump) * w_hi
    return lo, hi


def hat(xs: Sequence[Fraction], j: int, t: Fraction) -> Fraction:
    """K_j(t): 1 at x_j, linear to 0 at x_{j-1} and x_{j+1}, zero elsewhere (j 0-based here)."""
    if xs[j - 1] < t <= xs[j]:
        return (t - xs[j - 1]) / (xs[j] - xs[j - 1])
    if xs[j] < t < xs[j + 1]:
        return (xs[j + 1] - t) / (xs[j + 1] - xs[j])
    return Fraction(0)


def _contact_points(xs, phi, penalised_bias: bool) -> list[Fraction] | None:
    """{t in [x_1, x_n] : |phi(t)| = w(t)} for a feasible phi; None if not finite or not rational.

    On [x_i, x_{i+1}], phi = alpha + beta t and contact means q(t) = (alpha + beta t)^2 - w^2 = 0.
    """
    points: set[Fraction] = set()
    for i in range(len(xs) - 1):
        lo, hi = xs[i], xs[i + 1]
        beta = (phi[i + 1] - phi[i]) / (hi - lo)
        alpha = phi[i] - beta * lo
        if not penalised_bias:
            # w = 1: contact on a whole segment when phi is constant +-1 there.
            if beta == 0 and alpha * alpha == 1:
                return None
            for t in (lo, hi):
                if phi[xs.index(t)] ** 2 == 1:
                    points.add(t)
            continue
        a2, a1, a0 = beta * beta - 1, 2 * alpha * beta, alpha * alpha - 1
        roots: list[Fraction] = []
        if a2 == 0:
            if a1 != 0:
                roots = [-a0 / a1]
            elif a0 == 0:  # pragma: no cover - (alpha+beta t)^2 = 1 + t^2 has no solution
                return None
        else:
            disc = a1 * a1 - 4 * a2 * a0
            if disc >= 0:
                r = exact_sqrt(disc)
                if r is None:
                    # Irrational contact points: inside the segment they would be undecidable
                    # here; q < 0 at both ends and at the vertex means no contact at all.
                    vertex = -a1 / (2 * a2)
                    q = [(a2 * t + a1) * t + a0 for t in (lo, hi, vertex)]
                    inside = lo < vertex < hi and q[2] >= 0
                    if inside or q[0] >= 0 or q[1] >= 0:
                        return None
                else:
                    roots = [(-a1 - r) / (2 * a2), (-a1 + r) / (2 * a2)]
        points.update(t for t in roots if lo <= t <= hi)
    return sorted(points)




@dataclass(frozen=True)
class UniqueMinimizer:
    """Outcome of :func:`certify_unique_minimizer` (every field exact)."""

    optimal: bool
    unique: bool
    cost: Fraction | None
    dual_value: Fraction
    contact: tuple[Fraction, ...] | None
    kinks: tuple[Kink, ...]
    reason: str

    @property
    def n_kinks(self) -> int:
        return len(self.kinks)


def certify_unique_minimizer(x: Sequence[Any], y: Sequence[Any], kinks: Sequence[Kink],
                             phi: Sequence[Any], *, penalised_bias: bool = True
                             ) -> UniqueMinimizer:
    """Exact proof that f* (given by ``kinks``) is the unique minimiser of int w d|f''|.

    Checks, in rationals: f* interpolates; phi (values at the data, phi_1 = phi_n = 0) satisfies
    |phi| <= w on [x_1, x_n]; C(f*) = sum_j phi_j g_j (optimality); the contact set T of phi is
    finite and rational, and the hat columns K(t), t in T, have full rank (uniqueness: every
    minimiser has f'' = sum_{t in T} c_t delta_t with sum_t c_t K_j(t) = g_j for all j).

    Guarantee: exact. ``optimal`` / ``unique`` False means "not shown", with the ``reason``.
    """
    xs, ys = _data(x, y)
    phis = [Fraction(p) for p in phi]
    kinks = tuple(sorted((Kink(Fraction(k.at), Fraction(k.jump)) for k in kinks),
                         key=lambda k: k.at))
    if len(phis) != len(xs):
        raise InvalidArgument(f"phi has {len(phis)} values but the data have {len(xs)} points; "
                              "give phi at every x_j")
    g = curvatures(xs, ys)
    value = sum((p * gj for p, gj in zip(phis[1:-1], g, strict=True)), Fraction(0))

    def fail(reason: str, cost: Fraction | None = None, optimal: bool = False,
             contact: tuple[Fraction, ...] | None = None) -> UniqueMinimizer:
        return UniqueMinimizer(optimal, False, cost, value, contact, kinks, reason)

    if not interpolates(xs, ys, kinks):
        return fail("the kinks do not define an interpolant of the data")
    if phis[0] != 0 or phis[-1] != 0:
        return fail("phi must vanish at x_1 and x_n")
    if max(segment_ratios(xs, phis, penalised_bias=penalised_bias)) > 1:
        return fail("phi is not dual feasible (|phi| > w somewhere)")
    cost = exact_cost(kinks, penalised_bias=penalised_bias)
    if cost is None:
        return fail("w is irrational at a kink: the cost is not an exact rational")
    if cost != value:
        return fail(f"cost {cost} != dual value {value}", cost)
    contact = _contact_points(xs, phis, penalised_bias)
    if contact is None:
        return fail("the contact set of phi is not a finite set of rationals", cost, True)
    matrix = [[hat(xs, j, t) for t in contact] for j in range(1, len(xs) - 1)]
    hat_rank = rank(matrix)
    if hat_rank < len(contact):
        return fail(f"the hat columns at the contact points {contact} have rank {hat_rank} < "
                    f"{len(contact)}", cost, True, tuple(contact))
    return UniqueMinimizer(True, True, cost, value, tuple(contact), kinks,
                           f"optimal (cost = dual value = {cost}); every minimiser has f'' on "
                           f"the contact set {[str(t) for t in contact]}, where the hat "
                           f"identity has a unique solution")


def tangent_dual(x: Sequence[Any], kinks: Sequence[Kink]) -> list[Fraction] | None:
    """phi_j at the data read off the kinks: tangents of +-w at interior kinks, +-w(x_j) at data.

    On a segment (x_i, x_{i+1}) holding a kink tau with jump of sign sigma, phi = sigma (1 + tau
    t) / w(tau) (the tangent line of sigma w at tau); at a kink on a datum x_j, phi_j = sigma
    w(x_j); phi_1 = phi_n = 0; other values by linear interpolation in x between determined
    neighbours. Returns None when w is irrational where needed, when two determinations
    disagree, or when a segment holds two kinks. Feasibility (|phi| <= w) is NOT checked here:
    :func:`certify_unique_minimizer` does it. Guarantee: exact.
    """
    xs = sorted(Fraction(v) for v in x)
    n = len(xs)
    known: dict[int, Fraction] = {0: Fraction(0), n - 1: Fraction(0)}

    def put(j: int, value: Fraction) -> bool:
        if j in known and known[j] != value:
            return False
        known[j] = value
        return True

    used: set[int] = set()
    for k in kinks:
        at, sigma = Fraction(k.at), (1 if k.jump > 0 else -1)
        w = exact_sqrt(1 + at * at)
        if w is None or k.jump == 0 or not xs[0] <= at <= xs[-1]:
            return None
        if at in xs:
            if not put(xs.index(at), sigma * w):
                return None
            continue
        i = max(j for j in range(n) if xs[j] < at)
        if i in used:
            return None
        used.add(i)
        if not (put(i, sigma * (1 + at * xs[i]) / w)
                and put(i + 1, sigma * (1 + at * xs[i + 1]) / w)):
            return None
    order = sorted(known)
    phi = [Fraction(0)] * n
    for j in order:
        phi[j] = known[j]
    for left, right in itertools.pairwise(order):
        for j in range(left + 1, right):
            phi[j] = known[left] + (known[right] - known[left]) * (xs[j] - xs[left]) / (
                xs[right] - xs[left])
    return phi


def boundary_straddles(x: Sequence[Any]) -> bool:
    """True when 1 + x_1 x_2 < 0 or 1 + x_{n-1} x_n < 0 (an outer interval straddles 0 widely).

    Then the penalised minimiser may put a kink inside the outer interval (docs/minnorm.md,
    item 4), and the sparsity statement fails (see :func:`certify_not_sparsest`).
    """
    xs = sorted(Fraction(v) for v in x)
    return 1 + xs[0] * xs[1] < 0 or 1 + xs[-2] * xs[-1] < 0


@dataclass(frozen=True)
class NotSparsest:
    """Outcome of :func:`certify_not_sparsest`."""

    proved: bool
    sparsest_kinks: tuple[Kink, ...]
    sparsest_cost: tuple[Fraction, Fraction]
    minimal_cost: tuple[Fraction, Fraction]
    minimizer_kinks: tuple[Kink, ...]
    reason: str


def certify_not_sparsest(x: Sequence[Any], y: Sequence[Any], *,
                         penalised_bias: bool = True) -> NotSparsest:
    """Prove that no minimiser of int w d|f''| has the fewest possible kinks S.

    Requires every run to have even length m: then an interpolant with S kinks must spend one
    kink on each pair (j, j+1), (j+2, j+3), ... of each run, strictly inside (x_j, x_{j+1})
    (a kink covers only the curvatures g_j whose open window (x_{j-1}, x_{j+1}) contains it, at
    most two, of its own sign), so it is :func:`sparsest_interpolant`. Its cost is enclosed; if
    its lower end exceeds the certified upper bound of the minimal cost from
    :func:`igproof.proof.minnorm.minimal_norm_interpolator`, no minimiser has S kinks.

    Guarantee: exact / enclosure (``proved`` True only on a strict certified inequality).
    """
    from igproof.proof.minnorm.interpolator import minimal_norm_interpolator

    xs, ys = _data(x, y)
    runs = convexity_runs(xs, ys)
    sparse = tuple(sparsest_interpolant(xs, ys))
    s_cost = cost_enclosure(sparse, penalised_bias=penalised_bias)
    result = minimal_norm_interpolator(xs, ys, penalised_bias=penalised_bias)
    bracket = (result.lower_bound, result.upper_bound)
    if any(r.length % 2 for r in runs):
        return NotSparsest(False, sparse, s_cost, bracket, result.kinks,
                           "a run has odd length: the sparsest interpolant is not unique, this "
                           "argument does not apply")
    if not s_cost[0] > result.upper_bound:
        return NotSparsest(False, sparse, s_cost, bracket, result.kinks,
                           "the sparsest interpolant's cost is not certainly above the minimum")
    return NotSparsest(True, sparse, s_cost, bracket, result.kinks,
                       f"the only interpolant with {len(sparse)} kinks costs >= "
                       f"{float(s_cost[0]):.12g} > {float(result.upper_bound):.12g} >= minimal "
                       f"cost")
