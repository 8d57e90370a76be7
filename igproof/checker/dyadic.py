"""Dyadic interval arithmetic: integer mantissas, one shared binary exponent, outward rounding.

A :class:`Dyadic` ``[lo_m * 2^e, hi_m * 2^e]`` stores two Python integers and one exponent.
Addition aligns exponents by exact shifts, multiplication multiplies integers; no operation
computes a gcd. After each operation the mantissas are cut to at most ``PREC`` bits (relative
to the larger endpoint magnitude) by shifting right, with the lower end rounded toward -oo
(``m >> s`` is the floor in Python) and the upper end toward +oo (``-((-m) >> s)``), so every
result contains the exact result for every choice of the operands in their intervals.

This is the fast representation used by the ``trajectory`` replay (long chains of interval
products); :mod:`igproof.checker.intervals` keeps exact rational endpoints for the kernel's
other obligations. Conversions both ways are exact (dyadic -> rational) or outward
(rational -> dyadic). Comparisons answer "certainly" (a False means "not certain").
"""

from __future__ import annotations

from fractions import Fraction

from igproof.checker import intervals as iv
from igproof.checker.errors import Rejected

# Mantissa bits kept after each operation: the same 160 bits (about 48 decimal digits) that
# intervals.PREC keeps, so the replay is as tight as before, only faster.
PREC = 160
# When two summands differ in scale by more than PREC + ALIGN_GUARD bits, the smaller one is
# first rounded outward to the larger one's scale: this bounds the integer sizes on hostile
# exponents (the result is cut to PREC bits anyway).
ALIGN_GUARD = 8


def _cut(lo: int, hi: int, e: int) -> Dyadic:
    """[lo, hi] * 2^e with the mantissas cut outward to at most PREC bits.

    For lo <= hi, max(|lo|, |hi|) = max(-lo, hi); for any other pair the shift is only smaller,
    and a shift by any s >= 0 (floor of lo, ceiling of hi) is outward, so soundness never
    depends on the choice of s.
    """
    s = (hi if hi > -lo else -lo).bit_length() - PREC
    if s > 0:
        return Dyadic(lo >> s, -((-hi) >> s), e + s)
    return Dyadic(lo, hi, e)


def _coarsen(x: Dyadic, e: int) -> tuple[int, int]:
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


class Dyadic:
    """The closed interval [lo_m 2^e, hi_m 2^e] (lo_m <= hi_m, integers)."""

    __slots__ = ("e", "hi_m", "lo_m")

    def __init__(self, lo_m: int, hi_m: int, e: int) -> None:
        self.lo_m, self.hi_m, self.e = lo_m, hi_m, e

    @classmethod
    def enclose(cls, lo: Fraction, hi: Fraction | None = None) -> Dyadic:
        """The tightest PREC-bit dyadic interval containing the rationals [lo, hi] (outward)."""
        lo = Fraction(lo)
        hi = lo if hi is None else Fraction(hi)
        if lo > hi:
            raise Rejected(f"empty interval [{lo}, {hi}]")
        big = max(abs(lo), abs(hi))
        if big == 0:
            return ZERO
        # 2^(top-1) <= |big| < 2^(top+1); scale so the larger end has about PREC + 1 bits
        top = big.numerator.bit_length() - big.denominator.bit_length()
        k = PREC - top
        lo_m = _floor_scaled(lo, k)
        hi_m = -_floor_scaled(-hi, k)
        return _cut(lo_m, hi_m, -k)

    @classmethod
    def from_interval(cls, x: iv.Interval) -> Dyadic:
        return cls.enclose(x.lo, x.hi)

    def to_interval(self) -> iv.Interval:
        """The same set as a rational :class:`intervals.Interval` (exact)."""
        return iv.Interval(self.lo, self.hi, exact=True)

    @property
    def lo(self) -> Fraction:
        return _fraction(self.lo_m, self.e)

    @property
    def hi(self) -> Fraction:
        return _fraction(self.hi_m, self.e)

    def __repr__(self) -> str:
        return f"Dyadic({self.lo}, {self.hi})"

    # --- predicates: true only when certainly true -------------------------------------
    def is_zero(self) -> bool:
        return self.lo_m == 0 and self.hi_m == 0

    def certainly_positive(self) -> bool:
        return self.lo_m > 0

    def certainly_negative(self) -> bool:
        return self.hi_m < 0

    def inside(self, outer: Dyadic) -> bool:
        """self is contained in the interior of outer."""
        e = min(self.e, outer.e)
        a, b = _coarsen(self, e)
        c, d = _coarsen(outer, e)
        return c < a and b < d

    def certainly_less(self, other: Dyadic) -> bool:
        """Every point of self is below every point of other (hi < other.lo), exactly."""
        e = min(self.e, other.e)
        return _coarsen(self, e)[1] < _coarsen(other, e)[0]

    def magnitude(self) -> Fraction:
        """max |x| over the interval (exact)."""
        return _fraction(max(-self.lo_m, self.hi_m), self.e)

    # --- arithmetic -----------------------------------------------------------------------
    def __add__(self, other: Dyadic) -> Dyadic:
        a, b, c, d = self.lo_m, self.hi_m, other.lo_m, other.hi_m
        if not (c or d):
            return self
        if not (a or b):
            return other
        ex, ey = self.e, other.e
        if ex == ey:  # the common case of the Taylor recurrences: no alignment
            return _cut(a + c, b + d, ex)
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
        return _cut(a + c, b + d, e)

    def __neg__(self) -> Dyadic:
        return Dyadic(-self.hi_m, -self.lo_m, self.e)

    def __sub__(self, other: Dyadic) -> Dyadic:
        return self + (-other)

    def __mul__(self, other: Dyadic) -> Dyadic:
        lo, hi = _corners(self.lo_m, self.hi_m, other.lo_m, other.hi_m)
        return _cut(lo, hi, self.e + other.e)

    def scale(self, q: Dyadic) -> Dyadic:
        """Alias of multiplication by a (usually point) interval, for readability."""
        return self * q

    def sqr(self) -> Dyadic:
        """x^2, with lower end 0 when the interval contains 0."""
        a, b = self.lo_m, self.hi_m
        if a >= 0:
            return _cut(a * a, b * b, 2 * self.e)
        if b <= 0:
            return _cut(b * b, a * a, 2 * self.e)
        return _cut(0, max(a * a, b * b), 2 * self.e)

    def power(self, n: int) -> Dyadic:
        """x^n for an integer n >= 0 (by repeated multiplication; each step encloses)."""
        if n < 0:
            raise Rejected("dyadic power: negative exponent")
        out = ONE
        for _ in range(n):
            out = out * self
        return out

    def hull(self, other: Dyadic) -> Dyadic:
        e = min(self.e, other.e)
        a, b = _coarsen(self, e)
        c, d = _coarsen(other, e)
        return _cut(min(a, c), max(b, d), e)

    def midpoint(self) -> Fraction:
        """(lo + hi) / 2, exactly."""
        return _fraction(self.lo_m + self.hi_m, self.e - 1)


ZERO = Dyadic(0, 0, 0)
ONE = Dyadic(1, 1, 0)


def _corners(a: int, b: int, c: int, d: int) -> tuple[int, int]:
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


def _product(x: Dyadic, y: Dyadic) -> tuple[int, int, int]:
    """The exact product interval [lo, hi] * 2^e of x and y (mantissas not cut)."""
    lo, hi = _corners(x.lo_m, x.hi_m, y.lo_m, y.hi_m)
    return lo, hi, x.e + y.e


# Largest spread (bits) between the exponents of the exact products that dot() sums exactly;
# beyond it the products far below the largest are first rounded outward (bounds integer sizes
# on hostile exponents; the sum is cut to PREC bits anyway).
DOT_SPREAD = 2 * PREC + ALIGN_GUARD


def dot(xs: list[Dyadic], ys: list[Dyadic]) -> Dyadic:
    """sum_k xs[k] * ys[k], rounded outward once at the end.

    One pass: each exact product (:func:`_corners`, one to four integer products) is added to
    exact running sums of the lower and upper ends kept at the smallest exponent seen so far
    (earlier sums are shifted left, exactly, when a smaller exponent appears). The only
    rounding is the final outward cut to PREC bits. When the exponents spread over more than
    DOT_SPREAD bits the sum is redone by :func:`_dot_spread`, which first rounds the products
    far below the largest outward. Guarantee: enclosure.
    """
    lo_sum = hi_sum = 0
    exp = top = None
    for x, y in zip(xs, ys, strict=True):
        a, b, c, d = x.lo_m, x.hi_m, y.lo_m, y.hi_m
        # inline copy of _corners (the hot loop of the Taylor replay)
        if a >= 0:
            if c >= 0:
                lo, hi = a * c, b * d
            elif d <= 0:
                lo, hi = b * c, a * d
            else:
                lo, hi = b * c, b * d
        elif b <= 0:
            if c >= 0:
                lo, hi = a * d, b * c
            elif d <= 0:
                lo, hi = b * d, a * c
            else:
                lo, hi = a * d, a * c
        elif c >= 0:
            lo, hi = a * d, b * d
        elif d <= 0:
            lo, hi = b * c, a * c
        else:
            lo, hi = a * d, b * c
            if hi < lo:
                lo = hi
            hi, p = a * c, b * d
            if p > hi:
                hi = p
        if not (lo or hi):  # a zero operand: its exponent must not steer the alignment
            continue
        e = x.e + y.e
        if e == exp:
            lo_sum += lo
            hi_sum += hi
        elif exp is None:
            lo_sum, hi_sum, exp, top = lo, hi, e, e
        elif e > exp:
            if e > top:
                top = e
                if top - exp > DOT_SPREAD:
                    return _dot_spread(xs, ys)
            lo_sum += lo << (e - exp)
            hi_sum += hi << (e - exp)
        else:
            if top - e > DOT_SPREAD:
                return _dot_spread(xs, ys)
            lo_sum = (lo_sum << (exp - e)) + lo
            hi_sum = (hi_sum << (exp - e)) + hi
            exp = e
    if exp is None:
        return ZERO
    return _cut(lo_sum, hi_sum, exp)


def _dot_spread(xs: list[Dyadic], ys: list[Dyadic]) -> Dyadic:
    """dot() for products whose exponents spread over more than DOT_SPREAD bits.

    The sum is kept at the exponent 2 PREC + ALIGN_GUARD bits below the top of the largest
    product; products below it are rounded outward (floor of the lower end, ceiling of the
    upper end) before summing. Guarantee: enclosure.
    """
    terms = [_product(x, y) for x, y in zip(xs, ys, strict=True)
             if (x.lo_m or x.hi_m) and (y.lo_m or y.hi_m)]
    if not terms:
        return ZERO
    exp = min(t[2] for t in terms)
    top = max(max(-lo, hi).bit_length() + e for lo, hi, e in terms)
    exp = max(exp, top - DOT_SPREAD)
    lo_sum = hi_sum = 0
    for lo, hi, e in terms:
        if e >= exp:
            lo_sum += lo << (e - exp)
            hi_sum += hi << (e - exp)
        else:
            lo_sum += lo >> (exp - e)
            hi_sum -= (-hi) >> (exp - e)
    return _cut(lo_sum, hi_sum, exp)


def point(q: Fraction | int) -> Dyadic:
    """Outward enclosure of the rational q (exact when q is a dyadic with <= PREC bits)."""
    return Dyadic.enclose(Fraction(q))


def symmetric(radius: Fraction) -> Dyadic:
    """Outward enclosure of [-radius, radius]."""
    return Dyadic.enclose(-radius, radius)


# --- exp and tanh in integer fixed point -----------------------------------------------------
# Bits kept by the series and the divisions beyond PREC: the exp series rounds once per term
# (~40 terms) and each squaring doubles the relative error, so PREC + FUNCTION_GUARD working
# bits (plus one per squaring) leave the final PREC-bit cut as the dominant rounding.
FUNCTION_GUARD = 24
# |q| < 2^EXP_SAFE_BITS is inside the argument range of exp (intervals.EXP_MAX_ARG) for sure.
EXP_SAFE_BITS = iv.EXP_MAX_ARG.bit_length() - 1


def _exp_fixed(m: int, e: int, work: int) -> tuple[int, int]:
    """Integers (lo, hi) with lo <= 2^work * e^q <= hi for q = m 2^e >= 0.

    e^q = (e^r)^(2^k) with r = q / 2^k < 1/2. The series of e^r is summed in fixed point with
    w = work + k bits, each term bounded below and above (floor / ceiling of the integer
    divisions; all terms are >= 0), and its remainder after the term j is at most
    2 r^(j+1) / (j+1)! (consecutive terms shrink by at least 1/4). Each of the k squarings
    floors the lower and ceils the upper end. The caller bounds q (exp: intervals.EXP_MAX_ARG;
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
    if size > EXP_SAFE_BITS + 2 or abs(_fraction(m, e)) > iv.EXP_MAX_ARG:
        raise Rejected(f"exp argument of about 2^{size - 1} is outside "
                       f"[-{iv.EXP_MAX_ARG}, {iv.EXP_MAX_ARG}]")


def exp(x: Dyadic) -> Dyadic:
    """e^x (increasing): a lower bound at the lower end, an upper bound at the upper end.

    Raises Rejected for |x| beyond intervals.EXP_MAX_ARG (as intervals.exp). Guarantee:
    enclosure.
    """
    _check_exp_argument(x.lo_m, x.e)
    _check_exp_argument(x.hi_m, x.e)
    lo, hi, e_lo = _exp_point(x.lo_m, x.e)
    e_hi = e_lo
    if x.hi_m != x.lo_m:
        _, hi, e_hi = _exp_point(x.hi_m, x.e)
    e = min(e_lo, e_hi)
    return _cut(max(lo, 0) << (e_lo - e), hi << (e_hi - e), e)


def tanh(x: Dyadic) -> Dyadic:
    """tanh x (increasing, odd), ends within [-1, 1]. Guarantee: enclosure."""
    bits = PREC + FUNCTION_GUARD
    lo, hi = _tanh_fixed(x.lo_m, x.e, bits)
    if x.hi_m != x.lo_m:
        hi = _tanh_fixed(x.hi_m, x.e, bits)[1]
    top = 1 << bits
    return _cut(max(lo, -top), min(hi, top), -bits)


# Elementary functions computed here in integer fixed point; the others go through the
# rational intervals of :mod:`intervals` (exact conversions both ways).
_NATIVE = {"exp": exp, "tanh": tanh}


def apply(name: str, x: Dyadic) -> Dyadic:
    """An elementary function applied to x: exp and tanh natively (:func:`exp`, :func:`tanh`),
    the others of :mod:`intervals` converted exactly and back. Guarantee: enclosure."""
    native = _NATIVE.get(name)
    if native is not None:
        return native(x)
    return Dyadic.from_interval(iv.FUNCTIONS[name](x.to_interval()))
