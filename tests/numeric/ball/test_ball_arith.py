"""Ball helpers: certain predicates never decide an undecided ball; constants enter exactly."""

from fractions import Fraction

import pytest
from flint import arb, ctx

from igproof.errors import InvalidArgument
from igproof.numeric.ball.arith import (
    arb_to_fraction,
    certain_sign,
    precision,
    time_interval,
    to_arb,
)


def test_certain_sign_of_ball_straddling_zero_is_undecided():
    """A ball containing 0 has no certain sign, whatever its midpoint."""
    assert certain_sign(arb("1e-30", "1e-29")) == 0
    assert certain_sign(arb(0)) == 0
    assert certain_sign(arb("1e-30", "1e-31")) == 1
    assert certain_sign(arb("-2", "1")) == -1


def test_one_tenth_enters_exactly():
    """to_arb(1/10) contains 1/10 (10 * ball contains 1); arb(0.1) would not be one tenth."""
    with precision(128):
        x = to_arb(Fraction(1, 10))
        assert (x * 10).contains(arb(1))
        assert to_arb("0.1").contains(to_arb(Fraction(1, 10)))


def test_float_refused():
    """Floats are refused with a message naming the argument."""
    with pytest.raises(InvalidArgument, match="value"):
        to_arb(0.1)


def test_time_interval_encloses_zero_to_h():
    """[0, h] lies inside time_interval(h)."""
    h = to_arb(Fraction(3, 8))
    T = time_interval(h)
    assert T.contains(arb(0)) and T.contains(h) and T.contains(h / 2)


def test_precision_context_restores_previous():
    """The flint precision is restored on exit."""
    before = ctx.prec
    with precision(200):
        assert ctx.prec == 200
    assert ctx.prec == before


def test_precision_rejects_too_few_bits():
    with pytest.raises(InvalidArgument, match="prec"):
        precision(10)


def test_midpoint_as_fraction_is_exact():
    """The midpoint of an exactly representable ball converts back exactly."""
    assert arb_to_fraction(to_arb(Fraction(3, 8))) == Fraction(3, 8)
