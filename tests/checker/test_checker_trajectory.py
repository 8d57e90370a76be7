"""The checker's trajectory kernel: matrix exponential and range enclosures in rationals."""

from fractions import Fraction

from igproof.checker import intervals as iv
from igproof.checker.expr import relu_atoms
from igproof.checker.trajectory import expm, flow_range

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


# --- Taylor coefficients of a tanh field over a box (the replay's Lagrange remainder) -----------

# a tanh(w x) on x = 1, 2, 3 with labels 1, 2, 3/2 (the isolated end-game example), the box E of
# a typical replay step (radius 5e-3 around (3/5, 1/2)) and the order of the proof's steps
TANH_XS, TANH_YS = (1, 2, 3), (Fraction(1), Fraction(2), Fraction(3, 2))
TANH_ORDER = 28
# the checker's coefficient enclosure may be this much wider than arb's over the same box (both
# interval methods on the same recurrence; before the s = 1 - w^2 form it was ~1e7 wider)
TANH_WIDTH_FACTOR = 4


def _tanh_field_program():
    from types import SimpleNamespace

    from igproof.checker import expr as ex
    from igproof.checker.trajectory import FieldProgram, Pattern

    a, w = ("var", "a"), ("var", "w")
    residuals = [ex.sub(ex.mul(a, ex.call("tanh", ex.mul(w, ("num", Fraction(x))))),
                        ("num", y)) for x, y in zip(TANH_XS, TANH_YS, strict=True)]
    pat = Pattern(SimpleNamespace(parameters=["a", "w"]), residuals, [], [])
    return FieldProgram(["a", "w"], pat.field)


def _tanh_field_sympy():
    import sympy

    a, w = sympy.symbols("a w")
    loss = sum(((a * sympy.tanh(w * x) - sympy.Rational(y.numerator, y.denominator)) ** 2
                for x, y in zip(TANH_XS, TANH_YS, strict=True)), sympy.Integer(0)) / 6
    return (a, w), [-sympy.diff(loss, a), -sympy.diff(loss, w)]


def test_tanh_taylor_coefficients_over_a_box_are_as_tight_as_arb():
    """The N-th Taylor coefficient of the solution of theta' = -grad L over a box E encloses
    the coefficient at every sampled point of E (computed in mpmath from the sympy gradient),
    and is at most TANH_WIDTH_FACTOR times wider than arb's enclosure over the same box: the
    tanh recurrence m w_m = sum j u_j s_{m-j} with s = 1 - w^2 does not double the leading term
    at every order (the Lagrange remainder of the replay scales with this width)."""
    import mpmath
    from flint import arb

    from igproof.numeric.ball.arith import precision
    from igproof.numeric.ball.taylor import FieldProgram
    from igproof.numeric.series import TaylorProgram

    centre, rad = (Fraction(3, 5), Fraction(1, 2)), Fraction(1, 200)
    box = [iv.Interval(c - rad, c + rad) for c in centre]
    coeffs = _tanh_field_program().taylor(box, TANH_ORDER)
    syms, field = _tanh_field_sympy()
    with precision(128):
        ref = FieldProgram(syms, field).ode_taylor(
            [arb(float(c), float(rad)) for c in centre], TANH_ORDER)
    mp_prog = TaylorProgram.from_exprs(syms, field)
    for i in range(2):
        got = coeffs[i][TANH_ORDER]
        ref_width = 2 * Fraction(float(ref[i][TANH_ORDER].rad()))
        assert got.hi - got.lo <= TANH_WIDTH_FACTOR * ref_width
    with mpmath.workdps(40):
        for sa in (-1, 0, 1):
            for sw in (-1, 0, 1):
                point = [centre[0] + sa * rad, centre[1] + sw * rad]
                mp_point = [mpmath.mpf(q.numerator) / q.denominator for q in point]
                exact = mp_prog.ode_taylor(mp_point, TANH_ORDER)[TANH_ORDER]
                for i in range(2):
                    man, exp = exact[i].man_exp
                    value = Fraction(man) * Fraction(2) ** exp
                    tol = Fraction(1, 10 ** 30) * (abs(value) + 1)  # mpmath's own rounding
                    assert coeffs[i][TANH_ORDER].lo - tol <= value <= coeffs[i][TANH_ORDER].hi + tol
