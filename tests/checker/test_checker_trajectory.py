"""The checker's trajectory kernel: matrix exponential and range enclosures in rationals."""

from fractions import Fraction

from igproof.checker import intervals as iv
from igproof.checker.trajectory import expm, flow_range, relu_atoms

# e^-1 to 20 digits (a known constant: 0.36787944117144232159...)
E_INV_LO = Fraction("0.36787944117144232159")
E_INV_HI = Fraction("0.36787944117144232160")


def test_expm_diagonal_contains_e_inverse():
    """exp(t diag(-1, 0)) at t = 1 is diag(e^-1, 1)."""
    out = expm([[Fraction(-1), Fraction(0)], [Fraction(0), Fraction(0)]],
               iv.Interval.point(Fraction(1)))
    assert out[0][0].lo <= E_INV_HI and out[0][0].hi >= E_INV_LO
    assert out[0][0].hi - out[0][0].lo < Fraction(1, 10**30)
    assert out[1][1].lo <= 1 <= out[1][1].hi and out[0][1].lo <= 0 <= out[0][1].hi


def test_expm_large_time_uses_squaring():
    """exp(-20) = (e^-1)^20 lies in [lo^20, hi^20] of the e^-1 bounds."""
    out = expm([[Fraction(-1)]], iv.Interval.point(Fraction(20)))[0][0]
    assert out.lo <= E_INV_HI ** 20 and out.hi >= E_INV_LO ** 20


def test_flow_range_contains_endpoints_and_midpoint():
    """x' = -x + 1 (u = (x, 1)) from x = 0: x(s) = 1 - e^-s; the range over [0, 1] contains
    x(0) = 0 and x(1) = 1 - e^-1 (an enclosure, term by term, so wider than [0, 1 - e^-1]);
    over a short interval [0, 1/64] it is tight: inside [-1/64, 1/32]."""
    M = [[Fraction(-1), Fraction(1)], [Fraction(0), Fraction(0)]]
    v = [iv.Interval.point(Fraction(0)), iv.Interval.point(Fraction(1))]
    out = flow_range(M, v, Fraction(1))[0]
    assert out.lo <= 0 and out.hi >= 1 - E_INV_LO
    short = flow_range(M, v, Fraction(1, 64))[0]
    assert short.lo <= 0 and short.hi >= Fraction(1, 64) * (1 - Fraction(1, 64))
    assert short.lo > Fraction(-1, 64) and short.hi < Fraction(1, 32)


def test_relu_atoms_in_preorder_per_residual():
    """Atoms are enumerated residual by residual; a repeated argument counts once."""
    z = ("var", "w")
    r1 = ("sub", ("mul", ("call", "relu", z), ("call", "relu", z)), ("num", Fraction(1)))
    r2 = ("call", "relu", ("neg", z))
    assert relu_atoms([r1, r2]) == [z, ("neg", z)]
