"""Interval arithmetic: integer mantissas, one shared binary exponent, outward rounding.

An :class:`Interval` ``[lo_m * 2^e, hi_m * 2^e]`` stores two Python integers and one exponent;
``lo`` and ``hi`` read it back as exact :class:`fractions.Fraction` values. Addition aligns
exponents by exact shifts, multiplication multiplies integers; no operation computes a gcd.
After each operation the mantissas are cut to at most ``PREC`` bits (relative to the larger
endpoint magnitude) by shifting right, with the lower end rounded toward -oo (``m >> s`` is the
floor in Python) and the upper end toward +oo (``-((-m) >> s)``), so every result contains the
exact result for every choice of the operands in their intervals. Rationals enter outward
(:class:`Interval` of a rational is exact only for short dyadics).

The elementary functions are bounded by series with explicit remainder bounds in integer fixed
point (exp, tanh, log) or by monotonicity and integer square roots (sqrt, sigmoid, softplus),
never by floating point. Predicates answer "certainly" (a False means "not certain"); a
comparison that the intervals cannot decide raises :class:`Rejected` ("undecided") where the
caller must not branch on it (division by an interval containing 0, relu' at the kink).
"""

from __future__ import annotations

from fractions import Fraction
from math import isqrt  # integer square root: exact

from igproof.checker.errors import Rejected

# Mantissa bits kept after each operation: 160 bits (about 48 decimal digits) is far below the
# widths of any box a certificate uses, yet keeps the integers small.
PREC = 160
# exp is refused for |argument| above this: e^4096 has ~5900 bits, beyond any honest use,
# and the bound keeps the work on hostile input small.
EXP_MAX_ARG = 4096
# The log series is summed until its remainder is below 2^-(PREC + GUARD_BITS).
GUARD_BITS = 16
# When two summands differ in scale by more than PREC + ALIGN_GUARD bits, the smaller one is
# first rounded outward to the larger one's scale: this bounds the integer sizes on hostile
# exponents (the result is cut to PREC bits anyway).
ALIGN_GUARD = 8


def cut(lo: int, hi: int, e: int) -> Interval:
    """[lo, hi] * 2^e with the mantissas cut outward to at most PREC bits.

    For lo <= hi, max(|lo|, |hi|) = max(-lo, hi); for any other pair the shift is only smaller,
    and a shift by any s >= 0 (floor of lo, ceiling of hi) is outward, so soundness never
    depends on the choice of s.
    """
    s = (hi if hi > -lo else -lo).bit_length() - PREC
    x = _new(Interval)  # raw(), inlined: the hottest call of the Taylor replay
    if s > 0:
        x.lo_m, x.hi_m, x.e = lo >> s, -((-hi) >> s), e + s
    else:
        x.lo_m, x.hi_m, x.e = lo, hi, e
    return x


def _coarsen(x: Interval, e: int) -> tuple[int, int]:
    """The mantissas of x at exponent e: exact shift left for e <= x.e, outward shift right else."""
    if e <= x.e:
        return x.lo_m << (x.e - e), x.hi_m << (x.e - e)
    s = e - x.e
    return x.lo_m >> s, -((-x.hi_m) >> s)


def _fraction(m: int, e: int) -> Fraction:
    return Fraction(m << e) if e >= 0 else Fraction(m, 1 << -e)


def _floor_scaled(q: Fraction, k: int) -> int:
    """floor(q * 2^k)."""
    if k >= 0:
        return (q.numerator << k) // q.denominator
    return q.numerator // (q.denominator << -k)


class Interval:
    """The closed interval [lo_m 2^e, hi_m 2^e] (lo_m <= hi_m, integers).

    ``Interval(lo, hi)`` (``hi`` defaults to ``lo``) is the tightest PREC-bit dyadic interval
    containing the rationals [lo, hi]: exact when both ends are dyadics of at most PREC bits,
    rounded outward otherwise.
    """

    __slots__ = ("e", "hi_m", "lo_m")

    def __init__(self, lo: Fraction | int, hi: Fraction | int | None = None) -> None:
        lo = Fraction(lo)
        hi = lo if hi is None else Fraction(hi)
        if lo > hi:
            raise Rejected(f"empty interval [{lo}, {hi}]")
        d_lo, d_hi = lo.denominator, hi.denominator
        if not (d_lo & (d_lo - 1) or d_hi & (d_hi - 1)):  # dyadic ends: exact if short
            b = max(d_lo, d_hi).bit_length() - 1  # both ends as mantissas times 2^-b
            lo_m = lo.numerator << (b + 1 - d_lo.bit_length())
            hi_m = hi.numerator << (b + 1 - d_hi.bit_length())
            if (hi_m if hi_m > -lo_m else -lo_m).bit_length() <= PREC:
                self.lo_m, self.hi_m, self.e = lo_m, hi_m, -b
                return
        big = max(abs(lo), abs(hi))
        if big == 0:
            self.lo_m, self.hi_m, self.e = 0, 0, 0
            return
        # 2^(top-1) <= |big| < 2^(top+1); scale so the larger end has about PREC + 1 bits
        k = PREC - (big.numerator.bit_length() - big.denominator.bit_length())
        x = cut(_floor_scaled(lo, k), -_floor_scaled(-hi, k), -k)
        self.lo_m, self.hi_m, self.e = x.lo_m, x.hi_m, x.e

    @classmethod
    def point(cls, q: Fraction | int) -> Interval:
        """Outward enclosure of the rational q (exact when q is a dyadic of <= PREC bits)."""
        return cls(q)

    @property
    def lo(self) -> Fraction:
        return _fraction(self.lo_m, self.e)

    @property
    def hi(self) -> Fraction:
        return _fraction(self.hi_m, self.e)

    def __repr__(self) -> str:
        return f"Interval({self.lo}, {self.hi})"

    # --- predicates: true only when certainly true -------------------------------------
    def is_zero(self) -> bool:
        return self.lo_m == 0 and self.hi_m == 0

    def certainly_positive(self) -> bool:
        return self.lo_m > 0

    def certainly_negative(self) -> bool:
        return self.hi_m < 0

    def contains_zero(self) -> bool:
        return self.lo_m <= 0 <= self.hi_m

    def inside(self, outer: Interval) -> bool:
        """self is contained in the interior of outer."""
        e = min(self.e, outer.e)
        a, b = _coarsen(self, e)
        c, d = _coarsen(outer, e)
        return c < a and b < d

    def certainly_less(self, other: Interval) -> bool:
        """Every point of self is below every point of other (hi < other.lo), exactly."""
        e = min(self.e, other.e)
        return _coarsen(self, e)[1] < _coarsen(other, e)[0]

    def magnitude(self) -> Fraction:
        """max |x| over the interval (exact)."""
        return _fraction(max(-self.lo_m, self.hi_m), self.e)

    # --- arithmetic -----------------------------------------------------------------------
    def __add__(self, other: Interval) -> Interval:
        a, b, c, d = self.lo_m, self.hi_m, other.lo_m, other.hi_m
        if not (c or d):
            return self
        if not (a or b):
            return other
        ex, ey = self.e, other.e
        if ex == ey:  # the common case of the Taylor recurrences: no alignment
            return cut(a + c, b + d, ex)
        top = max((b if b > -a else -a).bit_length() + ex,
                  (d if d > -c else -c).bit_length() + ey)
        e = max(ex if ex < ey else ey, top - PREC - ALIGN_GUARD)
        # align both to e: exact left shifts, outward (floor / ceiling) right shifts
        if e <= ex:
            a, b = a << (ex - e), b << (ex - e)
        else:
            a, b = a >> (e - ex), -((-b) >> (e - ex))
        if e <= ey:
            c, d = c << (ey - e), d << (ey - e)
        else:
            c, d = c >> (e - ey), -((-d) >> (e - ey))
        return cut(a + c, b + d, e)

    def __neg__(self) -> Interval:
        return raw(-self.hi_m, -self.lo_m, self.e)

    def __sub__(self, other: Interval) -> Interval:
        return self + (-other)

    def __mul__(self, other: Interval) -> Interval:
        lo, hi = corners(self.lo_m, self.hi_m, other.lo_m, other.hi_m)
        return cut(lo, hi, self.e + other.e)

    def sqr(self) -> Interval:
        """x^2, with lower end 0 when the interval contains 0."""
        a, b = self.lo_m, self.hi_m
        if a >= 0:
            return cut(a * a, b * b, 2 * self.e)
        if b <= 0:
            return cut(b * b, a * a, 2 * self.e)
        return cut(0, max(a * a, b * b), 2 * self.e)

    def power(self, n: int) -> Interval:
        """x^n for an integer n: even powers through x^2 (lower end 0 when 0 is inside), odd
        powers monotone, negative n as the reciprocal (needs 0 outside the interval)."""
        if n < 0:
            return self.power(-n).reciprocal()
        if n == 0:
            return ONE
        if n % 2 == 0:
            return self.sqr().power(n // 2) if n > 2 else self.sqr()
        return cut(self.lo_m ** n, self.hi_m ** n, self.e * n) if n > 1 else self

    __pow__ = power

    def reciprocal(self) -> Interval:
        """1/x = [1/hi, 1/lo] (decreasing), 0 outside the interval required: the integer
        quotients 2^k / hi_m and 2^k / lo_m rounded down and up keep about PREC bits."""
        a, b = self.lo_m, self.hi_m
        if a <= 0 <= b:
            raise Rejected(f"undecided: division by an interval containing 0 {self!r}")
        k = PREC + max(abs(a), abs(b)).bit_length()
        return cut((1 << k) // b, -((-1 << k) // a), -k - self.e)

    def __truediv__(self, other: Interval) -> Interval:
        return self * other.reciprocal()

    def hull(self, other: Interval) -> Interval:
        e = min(self.e, other.e)
        a, b = _coarsen(self, e)
        c, d = _coarsen(other, e)
        return cut(min(a, c), max(b, d), e)

    def midpoint(self) -> Fraction:
        """(lo + hi) / 2, exactly."""
        return _fraction(self.lo_m + self.hi_m, self.e - 1)


_new = object.__new__


def raw(lo_m: int, hi_m: int, e: int) -> Interval:
    """The interval [lo_m 2^e, hi_m 2^e] as given (no rounding)."""
    x = _new(Interval)
    x.lo_m, x.hi_m, x.e = lo_m, hi_m, e
    return x


ZERO = raw(0, 0, 0)
ONE = raw(1, 1, 0)


def corners(a: int, b: int, c: int, d: int) -> tuple[int, int]:
    """The exact product [a, b] * [c, d] of integer intervals (a <= b, c <= d).

    Fast paths: two point intervals (one product); a point times an interval, or operands of
    known signs (two products: the classical nine-case table on the endpoint signs); four
    products only when both intervals straddle 0. Every case returns the exact minimum and
    maximum of the four corner products a c, a d, b c, b d.
    """
    if a == b:
        if c == d:
            p = a * c
            return p, p
        p, q = a * c, a * d
        return (p, q) if a >= 0 else (q, p)
    if a >= 0:
        if c >= 0:
            return a * c, b * d
        if d <= 0:
            return b * c, a * d
        return b * c, b * d
    if b <= 0:
        if c >= 0:
            return a * d, b * c
        if d <= 0:
            return b * d, a * c
        return a * d, a * c
    if c >= 0:
        return a * d, b * d
    if d <= 0:
        return b * c, a * c
    p, q, r, s = a * d, b * c, a * c, b * d
    return (p if p < q else q), (r if r > s else s)


# --- exp and tanh in integer fixed point -----------------------------------------------------
# Bits kept by the series and the divisions beyond PREC: the exp series rounds once per term
# (~40 terms) and each squaring doubles the relative error, so PREC + FUNCTION_GUARD working
# bits (plus one per squaring) leave the final PREC-bit cut as the dominant rounding.
FUNCTION_GUARD = 24
# |q| < 2^EXP_SAFE_BITS is inside the argument range of exp (EXP_MAX_ARG) for sure.
EXP_SAFE_BITS = EXP_MAX_ARG.bit_length() - 1


def _exp_fixed(m: int, e: int, work: int) -> tuple[int, int]:
    """Integers (lo, hi) with lo <= 2^work * e^q <= hi for q = m 2^e >= 0.

    e^q = (e^r)^(2^k) with r = q / 2^k < 1/2. The series of e^r is summed in fixed point with
    w = work + k bits, each term bounded below and above (floor / ceiling of the integer
    divisions; all terms are >= 0), and its remainder after the term j is at most
    2 r^(j+1) / (j+1)! (consecutive terms shrink by at least 1/4). Each of the k squarings
    floors the lower and ceils the upper end. The caller bounds q (exp: EXP_MAX_ARG;
    tanh: saturation). Guarantee: enclosure.
    """
    k = max(0, m.bit_length() + e + 1)  # q < 2^(bits(m) + e) <= 2^(k - 1)
    w = work + k
    one = 1 << w
    shift = e - k + w  # 2^w r = m 2^shift
    if shift >= 0:
        r_lo = r_hi = m << shift
    else:
        r_lo, r_hi = m >> -shift, -((-m) >> -shift)
    term_lo = term_hi = sum_lo = sum_hi = one
    j = 0
    while True:
        tail = -((-term_hi * r_hi) // ((j + 1) * one))  # >= 2^w r^(j+1) / (j+1)!
        if tail <= 1:
            break
        j += 1
        term_lo = term_lo * r_lo // (j * one)
        term_hi = tail
        sum_lo += term_lo
        sum_hi += term_hi
    lo, hi = sum_lo, sum_hi + 2 * tail
    for _ in range(k):
        lo, hi = (lo * lo) >> w, -((-hi * hi) >> w)
    return lo >> k, -((-hi) >> k)


def _tanh_fixed(m: int, e: int, bits: int) -> tuple[int, int]:
    """Integers (lo, hi) with lo <= 2^bits * tanh(m 2^e) <= hi.

    tanh is odd; for q > 0, tanh q = 1 - 2 / (e^(2q) + 1) is increasing in e^(2q), so a lower
    bound of e^(2q) gives the lower bound of tanh q (the quotient rounded up) and an upper bound
    the upper one (the quotient rounded down). For q >= bits, 2 / (e^(2q) + 1) < 2 e^(-2 bits)
    < 2^-bits, so [1 - 2^-bits, 1] encloses tanh q without computing e^(2q).
    """
    if m < 0:
        lo, hi = _tanh_fixed(-m, e, bits)
        return -hi, -lo
    top = 1 << bits
    if m == 0:
        return 0, 0
    size = m.bit_length() + e  # 2^(size - 1) <= q < 2^size
    if size - 1 > bits.bit_length() or (size > 0 and (m << e if e >= 0 else m >> -e) >= bits):
        return top - 1, top  # q >= bits (the floor m >> -e <= q, so the test is safe)
    work = bits + FUNCTION_GUARD
    unit = 1 << work
    e_lo, e_hi = _exp_fixed(m, e + 1, work)  # e_lo <= 2^work e^(2q) <= e_hi
    num = 1 << (work + bits + 1)  # 2^bits * 2 * 2^work
    lo = top + (num // -(e_lo + unit))  # top - ceil(num / (e_lo + unit))
    hi = top - num // (e_hi + unit)
    return lo, min(hi, top)


def _exp_point(m: int, e: int) -> tuple[int, int, int]:
    """(lo, hi, exponent) with lo 2^exponent <= e^(m 2^e) <= hi 2^exponent.

    For q < 0, e^q = 2^work / X with X = 2^work e^(-q) in [x_lo, x_hi]: the quotients of
    2^(work + b) by x_hi (floor) and by x_lo (ceiling), b = bits(x_hi), keep about work
    significant bits however small e^q is.
    """
    work = PREC + FUNCTION_GUARD
    if m >= 0:
        lo, hi = _exp_fixed(m, e, work)
        return lo, hi, -work
    x_lo, x_hi = _exp_fixed(-m, e, work)
    b = x_hi.bit_length()
    num = 1 << (work + b)
    return num // x_hi, -(num // -x_lo), -b


def _check_exp_argument(m: int, e: int) -> None:
    size = abs(m).bit_length() + e  # |q| < 2^size, and |q| >= 2^(size - 1) when m != 0
    if size <= EXP_SAFE_BITS:
        return
    if size > EXP_SAFE_BITS + 2 or abs(_fraction(m, e)) > EXP_MAX_ARG:
        raise Rejected(f"exp argument of about 2^{size - 1} is outside "
                       f"[-{EXP_MAX_ARG}, {EXP_MAX_ARG}]")


def exp(x: Interval) -> Interval:
    """e^x (increasing): a lower bound at the lower end, an upper bound at the upper end.

    Raises Rejected for |x| beyond EXP_MAX_ARG . Guarantee:
    enclosure.
    """
    _check_exp_argument(x.lo_m, x.e)
    _check_exp_argument(x.hi_m, x.e)
    lo, hi, e_lo = _exp_point(x.lo_m, x.e)
    e_hi = e_lo
    if x.hi_m != x.lo_m:
        _, hi, e_hi = _exp_point(x.hi_m, x.e)
    e = min(e_lo, e_hi)
    return cut(max(lo, 0) << (e_lo - e), hi << (e_hi - e), e)


def tanh(x: Interval) -> Interval:
    """tanh x (increasing, odd), ends within [-1, 1]. Guarantee: enclosure."""
    bits = PREC + FUNCTION_GUARD
    lo, hi = _tanh_fixed(x.lo_m, x.e, bits)
    if x.hi_m != x.lo_m:
        hi = _tanh_fixed(x.hi_m, x.e, bits)[1]
    top = 1 << bits
    return cut(max(lo, -top), min(hi, top), -bits)


# --- log, sqrt, sigmoid, softplus, the kinks ---------------------------------------------------

def _atanh_series(z: Fraction) -> Interval:
    """atanh(z) for 0 <= z <= 1/3: sum z^(2k+1)/(2k+1), tail <= z^(2N+1)/((2N+1)(1-z^2))."""
    total = ZERO
    bound = Fraction(1, 1 << (PREC + GUARD_BITS))
    power = z
    k = 0
    while True:
        total = total + Interval(power / (2 * k + 1))
        power = power * z * z
        k += 1
        tail = power / ((2 * k + 1) * (1 - z * z))
        if tail <= bound:
            return total + Interval(0, tail)


_LN2 = _atanh_series(Fraction(1, 3)) * Interval(2)  # ln 2 = 2 atanh(1/3)


def _log_point(q: Fraction) -> Interval:
    """Enclosure of ln q (q > 0): q = 2^e m with 1 <= m < 2, ln m = 2 atanh((m-1)/(m+1))."""
    e = q.numerator.bit_length() - q.denominator.bit_length()
    m = q / Fraction(2) ** e
    while m >= 2:
        m, e = m / 2, e + 1
    while m < 1:
        m, e = m * 2, e - 1
    return _atanh_series((m - 1) / (m + 1)) * Interval(2) + _LN2 * Interval(e)


def log(x: Interval) -> Interval:
    """ln x (increasing), x > 0 required. Guarantee: enclosure."""
    if x.lo_m <= 0:
        raise Rejected(f"log of an interval not certainly positive {x!r}")
    lo = _log_point(x.lo)
    return lo.hull(_log_point(x.hi)) if x.hi_m != x.lo_m else lo


def _sqrt_bounds(q: Fraction) -> tuple[Fraction, Fraction]:
    """Rational a <= sqrt(q) <= b for q >= 0, from integer square roots."""
    p, d = q.numerator, q.denominator
    k = PREC + GUARD_BITS
    # sqrt(p/d) = sqrt(p*d)/d; scale p*d by 4^k to get PREC bits.
    target = p * d << (2 * k)
    s = isqrt(target)
    return Fraction(s, d << k), Fraction(s if s * s == target else s + 1, d << k)


def sqrt(x: Interval) -> Interval:
    """sqrt x (increasing), x >= 0 required. Guarantee: enclosure."""
    if x.lo_m < 0:
        raise Rejected(f"sqrt of an interval not certainly non-negative {x!r}")
    return Interval(_sqrt_bounds(x.lo)[0], _sqrt_bounds(x.hi)[1])


def sqrt_upper(q: Fraction) -> Fraction:
    """A rational upper bound of sqrt(q), q >= 0."""
    return sqrt(Interval(q)).hi


def sqrt_lower(q: Fraction) -> Fraction:
    """A rational lower bound of sqrt(q), q >= 0."""
    return sqrt(Interval(q)).lo


def sigmoid(x: Interval) -> Interval:
    """1/(1 + e^-x) (increasing; x occurs once, so the interval route is exact up to rounding),
    ends clamped to [0, 1]. Guarantee: enclosure."""
    s = ONE / (ONE + exp(-x))
    return Interval(max(s.lo, Fraction(0)), min(s.hi, Fraction(1)))


def softplus(x: Interval) -> Interval:
    """ln(1 + e^x) (increasing; x occurs once), lower end clamped at 0. Guarantee: enclosure."""
    s = log(ONE + exp(x))
    return Interval(max(s.lo, Fraction(0)), s.hi)


def relu(x: Interval) -> Interval:
    """max(x, 0): exactly [0, 0] when hi <= 0, x when lo >= 0, [0, hi] otherwise."""
    if x.hi_m <= 0:
        return ZERO
    return x if x.lo_m >= 0 else raw(0, x.hi_m, x.e)


def absolute(x: Interval) -> Interval:
    """|x|."""
    if x.lo_m >= 0:
        return x
    if x.hi_m <= 0:
        return -x
    return raw(0, max(-x.lo_m, x.hi_m), x.e)


def step(x: Interval) -> Interval:
    """relu'(x) with relu'(0) = 0: decided only when x is certainly non-zero."""
    return _decided(x, ZERO, "relu'(z)", "the kink")


def sign(x: Interval) -> Interval:
    """|x|' = sign(x): decided only when x is certainly non-zero."""
    return _decided(x, -ONE, "abs'(z)", "0")


def _decided(x: Interval, below: Interval, what: str, kink: str) -> Interval:
    """ONE where x is certainly positive, ``below`` where certainly negative, else Rejected."""
    if x.lo_m > 0:
        return ONE
    if x.hi_m < 0:
        return below
    raise Rejected(f"undecided: {what} for z in [{float(x.lo):.6g}, {float(x.hi):.6g}] "
                   f"(touches or straddles {kink})")


FUNCTIONS = {
    "exp": exp, "log": log, "sqrt": sqrt, "tanh": tanh, "sigmoid": sigmoid,
    "softplus": softplus, "relu": relu, "abs": absolute, "step": step, "sign": sign,
}
