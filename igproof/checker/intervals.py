"""Rational interval arithmetic with outward rounding to dyadic rationals.

An :class:`Interval` ``[lo, hi]`` holds two :class:`fractions.Fraction` endpoints. Every
operation returns an interval that contains the exact result for every choice of the operands
in their intervals; endpoints are then rounded OUTWARD to dyadic rationals with ``PREC``
significant bits so that their sizes stay bounded. The elementary functions are bounded by
series with explicit remainder bounds (exp, log) or by monotonicity (tanh, sigmoid, softplus,
sqrt), never by floating point.

A comparison that the intervals cannot decide raises :class:`Rejected` ("undecided"), so a
caller can never branch on an undecided comparison.
"""

from __future__ import annotations

from fractions import Fraction
from math import isqrt  # integer square root: exact

from igproof.checker.errors import Rejected

# Significant bits kept in each endpoint after outward rounding: 160 bits (about 48 decimal
# digits) is far below the widths of any box a certificate uses, yet keeps numbers small.
PREC = 160
# exp is refused for |argument| above this: e^4096 has ~5900 bits, beyond any honest use,
# and the bound keeps the work on hostile input small.
EXP_MAX_ARG = 4096
# Series are summed until the remainder is below 2^-(PREC + GUARD_BITS).
GUARD_BITS = 16
# Extra fixed-point bits of the exp series: each of its ~60 terms rounds by 2^-(working bits),
# so 8 more bits keep the accumulated rounding below the series tolerance.
EXP_WORK_BITS = 8

_ZERO = Fraction(0)
_ONE = Fraction(1)


def _round(x: Fraction, up: bool) -> Fraction:
    """x rounded to a dyadic with PREC significant bits, down (up=False) or up (up=True)."""
    if x == 0:
        return x
    num, den = x.numerator, x.denominator
    exponent = num.bit_length() - den.bit_length()  # |x| ~ 2^exponent
    shift = PREC - exponent
    if shift >= 0:
        scaled_num, scaled_den = num << shift, den
    else:
        scaled_num, scaled_den = num, den << (-shift)
    q = scaled_num // scaled_den  # floor
    if up and q * scaled_den != scaled_num:
        q += 1
    return Fraction(q, 1 << shift) if shift >= 0 else Fraction(q << (-shift))


class Interval:
    """The closed interval [lo, hi] of rationals (lo <= hi)."""

    __slots__ = ("hi", "lo")

    def __init__(self, lo: Fraction, hi: Fraction | None = None, *, exact: bool = False):
        lo = Fraction(lo)
        hi = lo if hi is None else Fraction(hi)
        if lo > hi:
            raise Rejected(f"empty interval [{lo}, {hi}]")
        if exact:
            self.lo, self.hi = lo, hi
        else:
            self.lo, self.hi = _round(lo, False), _round(hi, True)

    @classmethod
    def point(cls, q: Fraction) -> Interval:
        """The exact degenerate interval [q, q] (no rounding)."""
        return cls(q, q, exact=True)

    def __repr__(self) -> str:
        return f"Interval({self.lo}, {self.hi})"

    # --- predicates: true only when certainly true -------------------------------------
    def is_zero(self) -> bool:
        return self.lo == 0 and self.hi == 0

    def certainly_positive(self) -> bool:
        return self.lo > 0

    def certainly_negative(self) -> bool:
        return self.hi < 0

    def contains_zero(self) -> bool:
        return self.lo <= 0 <= self.hi

    # --- arithmetic -----------------------------------------------------------------------
    def __add__(self, other: Interval) -> Interval:
        return Interval(self.lo + other.lo, self.hi + other.hi)

    def __sub__(self, other: Interval) -> Interval:
        return Interval(self.lo - other.hi, self.hi - other.lo)

    def __neg__(self) -> Interval:
        return Interval(-self.hi, -self.lo, exact=True)

    def __mul__(self, other: Interval) -> Interval:
        if self.is_zero() or other.is_zero():
            return Interval.point(_ZERO)
        products = (self.lo * other.lo, self.lo * other.hi, self.hi * other.lo,
                    self.hi * other.hi)
        return Interval(min(products), max(products))

    def reciprocal(self) -> Interval:
        if self.contains_zero():
            raise Rejected(f"undecided: division by an interval containing 0 {self!r}")
        return Interval(1 / self.hi, 1 / self.lo)

    def __truediv__(self, other: Interval) -> Interval:
        return self * other.reciprocal()

    def sqr(self) -> Interval:
        """x^2, with lower end 0 when the interval contains 0."""
        if self.lo >= 0:
            return Interval(self.lo * self.lo, self.hi * self.hi)
        if self.hi <= 0:
            return Interval(self.hi * self.hi, self.lo * self.lo)
        return Interval(_ZERO, max(self.lo * self.lo, self.hi * self.hi))

    def power(self, n: int) -> Interval:
        """x^n for an integer n (negative n needs 0 outside the interval)."""
        if n < 0:
            return self.power(-n).reciprocal()
        if n == 0:
            return Interval.point(_ONE)
        if n % 2 == 0:
            return self.sqr().power(n // 2) if n > 2 else self.sqr()
        if n == 1:
            return self
        # odd power is monotone increasing
        return Interval(self.lo ** n, self.hi ** n)


# --- elementary functions ------------------------------------------------------------------

def _exp_point(q: Fraction) -> Interval:
    """Enclosure of e^q: e^q = (e^(q/2^m))^(2^m), Taylor series with remainder for |q/2^m| <= 1/2.

    For |r| <= 1/2 consecutive terms shrink by at least 1/4, so the remainder after the term k
    is at most 2 |r|^(k+1) / (k+1)!. The partial sum is computed in fixed point: integers
    [lo_k, hi_k] with lo_k <= 2^w r^k/k! <= hi_k, each step rounding down (floor) and up (ceil)
    by integer division; the next term's magnitude is bounded the same way (ceil), so no
    rational gcd is ever taken. The series stops when the remainder is below
    2^-(PREC + GUARD_BITS).
    """
    if abs(q) > EXP_MAX_ARG:
        raise Rejected(f"exp argument {float(q):.3g} is outside [-{EXP_MAX_ARG}, {EXP_MAX_ARG}]")
    m = 0
    while abs(q) > Fraction(1, 2) * (1 << m):
        m += 1
    r = q / (1 << m)
    w = PREC + GUARD_BITS + EXP_WORK_BITS
    one = 1 << w
    r_lo = (r.numerator << w) // r.denominator  # floor(2^w r)
    r_hi = -((-r.numerator << w) // r.denominator)  # ceil(2^w r)
    r_mag = max(-r_lo, r_hi)  # >= 2^w |r|
    tolerance = 1 << EXP_WORK_BITS  # 2^-(PREC + GUARD_BITS) in units of 2^-w
    term_lo = term_hi = sum_lo = sum_hi = one
    k = 0
    while True:
        # ceil bound of 2^w |r|^(k+1) / (k+1)!
        next_mag = -(-max(-term_lo, term_hi) * r_mag // ((k + 1) * one))
        if 2 * next_mag <= tolerance:
            break
        k += 1
        products = (term_lo * r_lo, term_lo * r_hi, term_hi * r_lo, term_hi * r_hi)
        term_lo = min(products) // (k * one)  # floor
        term_hi = -(-max(products) // (k * one))  # ceil
        sum_lo += term_lo
        sum_hi += term_hi
    tail = 2 * next_mag
    total = Interval(Fraction(sum_lo - tail, one), Fraction(sum_hi + tail, one))
    for _ in range(m):
        total = total.sqr()
    return total


def exp(x: Interval) -> Interval:
    """e^x (increasing). Guarantee: enclosure."""
    return Interval(_exp_point(x.lo).lo, _exp_point(x.hi).hi)


def _atanh_series(z: Fraction) -> Interval:
    """atanh(z) for 0 <= z <= 1/3: sum z^(2k+1)/(2k+1), tail <= z^(2N+1)/((2N+1)(1-z^2))."""
    total = Interval.point(_ZERO)
    bound = Fraction(1, 1 << (PREC + GUARD_BITS))
    power = z
    k = 0
    while True:
        total = total + Interval(power / (2 * k + 1))
        power = power * z * z
        k += 1
        tail = power / ((2 * k + 1) * (1 - z * z))
        if tail <= bound:
            return total + Interval(_ZERO, tail)


_LN2 = _atanh_series(Fraction(1, 3))
_LN2 = Interval(2 * _LN2.lo, 2 * _LN2.hi)  # ln 2 = 2 atanh(1/3)


def _log_point(q: Fraction) -> Interval:
    """Enclosure of ln q (q > 0): q = 2^e m with 1 <= m < 2, ln m = 2 atanh((m-1)/(m+1))."""
    if q <= 0:
        raise Rejected(f"log of a non-positive number {q}")
    e = q.numerator.bit_length() - q.denominator.bit_length()
    m = q / Fraction(2) ** e
    while m >= 2:
        m, e = m / 2, e + 1
    while m < 1:
        m, e = m * 2, e - 1
    a = _atanh_series((m - 1) / (m + 1))
    return Interval(2 * a.lo, 2 * a.hi) + _LN2 * Interval.point(Fraction(e))


def log(x: Interval) -> Interval:
    """ln x (increasing), x > 0 required. Guarantee: enclosure."""
    if x.lo <= 0:
        raise Rejected(f"log of an interval not certainly positive {x!r}")
    return Interval(_log_point(x.lo).lo, _log_point(x.hi).hi)


def _sqrt_bounds(q: Fraction) -> tuple[Fraction, Fraction]:
    """Rational a <= sqrt(q) <= b for q >= 0, from integer square roots."""
    if q < 0:
        raise Rejected(f"sqrt of a negative number {q}")
    if q == 0:
        return _ZERO, _ZERO
    p, d = q.numerator, q.denominator
    k = PREC + GUARD_BITS
    # sqrt(p/d) = sqrt(p*d)/d; scale p*d by 4^k to get PREC bits.
    target = p * d << (2 * k)
    s = isqrt(target)
    lo = Fraction(s, d << k)
    hi = lo if s * s == target else Fraction(s + 1, d << k)
    return lo, hi


def sqrt(x: Interval) -> Interval:
    """sqrt x (increasing), x >= 0 required. Guarantee: enclosure."""
    if x.lo < 0:
        raise Rejected(f"sqrt of an interval not certainly non-negative {x!r}")
    return Interval(_sqrt_bounds(x.lo)[0], _sqrt_bounds(x.hi)[1])


def sqrt_upper(q: Fraction) -> Fraction:
    """A rational upper bound of sqrt(q), q >= 0."""
    return _round(_sqrt_bounds(q)[1], True)


def sqrt_lower(q: Fraction) -> Fraction:
    """A rational lower bound of sqrt(q), q >= 0."""
    return _round(_sqrt_bounds(q)[0], False)


def _tanh_point(q: Fraction) -> Interval:
    """tanh q = 1 - 2/(e^(2q) + 1), evaluated in interval arithmetic."""
    one = Interval.point(_ONE)
    e = _exp_point(2 * q)
    return one - Interval.point(Fraction(2)) / (e + one)


def tanh(x: Interval) -> Interval:
    """tanh x (increasing). Guarantee: enclosure."""
    # tanh is increasing: a lower end above K has tanh(lo) >= tanh(K), an upper end below -K has
    # tanh(hi) <= tanh(-K) (exp(2q) would overflow the series range); beyond, -1 and 1 bound it
    k = Fraction(EXP_MAX_ARG // 2)
    lo = _tanh_point(min(x.lo, k)).lo if x.lo > -k else Fraction(-1)
    hi = _tanh_point(max(x.hi, -k)).hi if x.hi < k else _ONE
    return Interval(max(lo, Fraction(-1)), min(hi, _ONE))


def _sigmoid_point(q: Fraction) -> Interval:
    one = Interval.point(_ONE)
    return one / (one + _exp_point(-q))


def sigmoid(x: Interval) -> Interval:
    """1/(1 + e^-x) (increasing). Guarantee: enclosure."""
    return Interval(max(_sigmoid_point(x.lo).lo, _ZERO), min(_sigmoid_point(x.hi).hi, _ONE))


def softplus(x: Interval) -> Interval:
    """ln(1 + e^x) (increasing). Guarantee: enclosure."""
    one = Interval.point(_ONE)
    lo = log(one + _exp_point(x.lo)).lo
    hi = log(one + _exp_point(x.hi)).hi
    return Interval(max(lo, _ZERO), hi)


def relu(x: Interval) -> Interval:
    """max(x, 0): exactly [0, 0] when hi <= 0, x when lo >= 0, [0, hi] otherwise."""
    if x.hi <= 0:
        return Interval.point(_ZERO)
    if x.lo >= 0:
        return x
    return Interval(_ZERO, x.hi, exact=True)


def absolute(x: Interval) -> Interval:
    """|x|."""
    if x.lo >= 0:
        return x
    if x.hi <= 0:
        return -x
    return Interval(_ZERO, max(-x.lo, x.hi), exact=True)


def step(x: Interval) -> Interval:
    """relu'(x) with relu'(0) = 0: decided only when x is certainly non-zero."""
    if x.lo > 0:
        return Interval.point(_ONE)
    if x.hi < 0:
        return Interval.point(_ZERO)
    raise Rejected(f"undecided: relu'(z) for z in {_show(x)} (touches or straddles the kink)")


def sign(x: Interval) -> Interval:
    """|x|' = sign(x): decided only when x is certainly non-zero."""
    if x.lo > 0:
        return Interval.point(_ONE)
    if x.hi < 0:
        return Interval.point(-_ONE)
    raise Rejected(f"undecided: abs'(z) for z in {_show(x)} (touches or straddles 0)")


def _show(x: Interval) -> str:
    return f"[{float(x.lo):.6g}, {float(x.hi):.6g}]"


FUNCTIONS = {
    "exp": exp, "log": log, "sqrt": sqrt, "tanh": tanh, "sigmoid": sigmoid,
    "softplus": softplus, "relu": relu, "abs": absolute, "step": step, "sign": sign,
}
