"""Ball-arithmetic helpers over python-flint ``arb``: exact entry of constants, certain predicates.

Every predicate here answers ``True`` only when the statement holds for EVERY point of the balls
involved; ``False`` means "not certainly", never "certainly not". Code that must branch on a
sign calls :func:`certain_sign`, which returns ``0`` for an undecided ball, and treats ``0`` as
"undecided" (never as a sign).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction

from flint import arb, arb_mat, ctx, fmpq

from igproof.errors import InvalidArgument

# Smallest working precision accepted: below 53 bits ball arithmetic loses to plain floats.
MIN_PREC = 53


class precision:
    """Context manager ``with precision(bits): ...`` setting flint's working precision.

    Restores the previous precision on exit, so that the global flint context is not left
    changed by igproof.
    """

    def __init__(self, bits: int) -> None:
        if not isinstance(bits, int) or isinstance(bits, bool) or bits < MIN_PREC:
            raise InvalidArgument(f"prec: expected an integer number of bits >= {MIN_PREC}, "
                                  f"got {bits!r}")
        self.bits = bits
        self._saved = 0

    def __enter__(self) -> precision:
        self._saved = ctx.prec
        ctx.prec = self.bits
        return self

    def __exit__(self, *exc: object) -> None:
        ctx.prec = self._saved


def to_arb(value: Fraction | int | str | arb) -> arb:
    """Return the ball of the exact rational ``value`` (a point when it is dyadic).

    Floats are refused: a float literal is not the number a person wrote.
    """
    if isinstance(value, arb):
        return value
    if isinstance(value, bool) or isinstance(value, float):
        raise InvalidArgument(f"value: expected a Fraction, int or decimal string, got {value!r}"
                              " (floats are not exact; pass Fraction or a string)")
    if isinstance(value, int):
        return arb(value)
    if isinstance(value, str):
        value = Fraction(value)
    if isinstance(value, Fraction):
        return arb(fmpq(value.numerator, value.denominator))
    raise InvalidArgument(f"value: cannot make a ball from {value!r}")


def arb_to_fraction(x: arb) -> Fraction:
    """The exact dyadic midpoint of ``x`` as a Fraction."""
    if not x.is_finite():
        raise InvalidArgument(f"x: expected a finite ball, got {x}")
    man, exp = x.mid().man_exp()
    man, exp = int(man), int(exp)
    return Fraction(man * 2 ** exp) if exp >= 0 else Fraction(man, 2 ** (-exp))


def arb_radius_fraction(x: arb) -> Fraction:
    """An exact rational upper bound of the radius of ``x``."""
    man, exp = x.rad().man_exp()
    man, exp = int(man), int(exp)
    return Fraction(man * 2 ** exp) if exp >= 0 else Fraction(man, 2 ** (-exp))


def certain_sign(x: arb) -> int:
    """``1`` if all of ``x`` is > 0, ``-1`` if all of ``x`` is < 0, else ``0`` (undecided)."""
    if x > 0:
        return 1
    if x < 0:
        return -1
    return 0


def certainly_lt(x: arb, y: arb) -> bool:
    """True when every point of ``x`` is strictly less than every point of ``y``."""
    return bool(x < y)


def certainly_positive(x: arb) -> bool:
    """True when every point of ``x`` is strictly positive."""
    return bool(x > 0)


def interval(lo: arb, hi: arb) -> arb:
    """The ball enclosing the real interval [lo, hi] (the union hull of the two balls)."""
    return lo.union(hi)


def time_interval(h: arb) -> arb:
    """The ball enclosing [0, h] for h >= 0."""
    return arb(0).union(h)


def upper(x: arb) -> arb:
    """A point ball at (or above) the upper end of ``x``."""
    return arb(x.upper())


def inflate(x: arb, rad: arb) -> arb:
    """A ball containing every point within ``rad`` of ``x``."""
    return x + arb(0, rad.upper())


def vec(values: Iterable[object]) -> list[arb]:
    """A list of balls from exact values (see :func:`to_arb`)."""
    return [to_arb(v) for v in values]  # type: ignore[arg-type]


def contains_interior(outer: Sequence[arb], inner: Sequence[arb]) -> bool:
    """True when each ball ``inner[i]`` lies in the interior of ``outer[i]``."""
    return all(o.contains_interior(i) for o, i in zip(outer, inner, strict=True))


def contains(outer: Sequence[arb], inner: Sequence[arb]) -> bool:
    """True when each ball ``inner[i]`` lies inside ``outer[i]``."""
    return all(o.contains(i) for o, i in zip(outer, inner, strict=True))


def column(values: Sequence[arb]) -> arb_mat:
    """The d x 1 ball matrix with the given entries."""
    return arb_mat([[v] for v in values])


def entries(m: arb_mat) -> list[arb]:
    """The entries of a column ball matrix as a list."""
    return [m[i, 0] for i in range(m.nrows())]


def mag_upper(x: arb) -> arb:
    """A point ball >= |y| for every y in ``x``."""
    return arb(abs(x).upper())


def max_radius(values: Sequence[arb]) -> arb:
    """The largest radius among the balls (as a point ball)."""
    out = arb(0)
    for v in values:
        r = arb(v.rad())
        if r > out:
            out = r
    return out
