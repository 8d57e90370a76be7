"""Taylor coefficients of x' = F(x) from igproof.numeric.series, against closed forms.

Independent routes: closed-form solutions (1/(1+t), exp, tanh), and exact Lie derivatives
x_[k] = (L_F^k x)(x0) / k! computed by sympy (L_F g = grad g . F).
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import pytest
import sympy

from igproof.errors import InvalidArgument
from igproof.numeric import series
from igproof.numeric.series import TaylorProgram, backend_for

x, y = sympy.symbols("x y")
ORDER = 12


def _mp(prec: int = 300) -> mpmath.ctx_mp.MPContext:
    ctx = mpmath.MPContext()
    ctx.prec = prec
    return ctx


def test_riccati_minus_x_squared_matches_geometric_series():
    """x' = -x^2, x(0) = c has x = c / (1 + c t), so x_[k] = c (-c)^k.

    Exact in binary floats for c = 1/2."""
    prog = TaylorProgram.from_exprs([x], [-x**2])
    coeffs = prog.ode_taylor([0.5], ORDER)
    assert [row[0] for row in coeffs] == [0.5 * (-0.5) ** k for k in range(ORDER + 1)]
    ctx = _mp()
    c = ctx.mpf(3) / 7
    mp_coeffs = prog.ode_taylor([c], ORDER)
    for k, row in enumerate(mp_coeffs):
        assert abs(row[0] - c * (-c) ** k) < ctx.mpf(2) ** -290


def test_linear_equation_gives_exponential_series():
    """x' = x, x(0) = c: x = c e^t, x_[k] = c / k!."""
    prog = TaylorProgram.from_exprs([x], [x])
    ctx = _mp()
    c = ctx.mpf(5) / 3
    for k, row in enumerate(prog.ode_taylor([c], 30)):
        assert abs(row[0] - c / math.factorial(k)) < ctx.mpf(2) ** -290


def test_one_minus_x_squared_gives_tanh_series():
    """x' = 1 - x^2, x(0) = 0 is tanh t; compare with sympy's exact Maclaurin series."""
    t = sympy.Symbol("t")
    exact = sympy.series(sympy.tanh(t), t, 0, ORDER + 1).removeO()
    prog = TaylorProgram.from_exprs([x], [1 - x**2])
    ctx = _mp()
    for k, row in enumerate(prog.ode_taylor([ctx.mpf(0)], ORDER)):
        q = exact.coeff(t, k)
        assert abs(row[0] - ctx.mpf(int(q.p)) / int(q.q)) < ctx.mpf(2) ** -290
    floats = prog.ode_taylor([0.0], ORDER)
    for k, row in enumerate(floats):
        assert row[0] == pytest.approx(float(exact.coeff(t, k)), abs=1e-15)


def _lie_coefficients(params, fields, point, order, dps=70):
    """x_[k] = (L_F^k x)(x0) / k! for every variable: exact sympy Lie derivatives, evaluated at
    the rational point with mpmath at ``dps`` digits. Returns strings, exact[i][k]."""
    out = []
    for p in params:
        g = p
        col = []
        for k in range(order + 1):
            fn = sympy.lambdify(params, g, "mpmath")
            with mpmath.workdps(dps):
                args = [mpmath.mpf(int(v.p)) / int(v.q) for v in point]
                col.append(mpmath.nstr(fn(*args) / math.factorial(k), dps))
            g = sum(sympy.diff(g, q) * f for q, f in zip(params, fields, strict=True))
        out.append(col)
    return out


MIXED = [
    sympy.exp(-y) * x + sympy.tanh(x * y) - 1 / (1 + sympy.exp(-x)),
    sympy.log(1 + x**2) - sympy.sqrt(1 + y**2) + (2 + x) ** sympy.Rational(1, 3)
    + sympy.exp(-y**2 / 2) * sympy.Rational(3, 4),
]


def test_mixed_field_matches_exact_lie_derivatives_in_float_and_mpf():
    """exp, log, tanh, sqrt, cube root and sigmoid forms: coefficients = exact Lie derivatives."""
    order = 4
    point = (sympy.Rational(1, 3), sympy.Rational(-1, 2))
    exact = _lie_coefficients([x, y], MIXED, point, order)
    prog = TaylorProgram.from_exprs([x, y], MIXED)
    floats = prog.ode_taylor([1 / 3, -0.5], order)
    ctx = _mp(200)
    mps = prog.ode_taylor([ctx.mpf(1) / 3, ctx.mpf(-1) / 2], order)
    for i in range(2):
        for k in range(order + 1):
            value = exact[i][k]
            assert floats[k][i] == pytest.approx(float(value), rel=1e-12, abs=1e-14)
            assert abs(mps[k][i] - ctx.mpf(value)) < ctx.mpf(10) ** -55


def test_float_mpf_and_arb_agree_and_arb_encloses_the_exact_coefficients():
    """The same program on three scalar types: float ~ mpf, and each arb ball contains the
    exact coefficient (sympy, 60 digits)."""
    flint = pytest.importorskip("flint")
    order = 4
    point = (sympy.Rational(1, 3), sympy.Rational(-1, 2))
    exact = _lie_coefficients([x, y], MIXED, point, order)
    prog = TaylorProgram.from_exprs([x, y], MIXED)
    saved = flint.ctx.prec
    try:
        flint.ctx.prec = 200
        balls = prog.ode_taylor([flint.arb(1) / 3, flint.arb(-1) / 2], order)
        for i in range(2):
            for k in range(order + 1):
                text = exact[i][k]
                assert balls[k][i].overlaps(flint.arb(text, "1e-55")), (k, i)
                assert balls[k][i].rad() < 1e-40
    finally:
        flint.ctx.prec = saved


def test_compose_pushes_a_series_through_F():
    """compose: F(x(t)) for x(t) = 1 + t with F = exp(x) is e * e^t, coefficients e / k!."""
    prog = TaylorProgram.from_exprs([x], [sympy.exp(x)])
    ctx = _mp(200)
    series_in = [[ctx.mpf(1)], [ctx.mpf(1)]] + [[ctx.mpf(0)] for _ in range(8)]
    out = prog.compose(series_in)
    for k, row in enumerate(out):
        assert abs(row[0] - ctx.e / math.factorial(k)) < ctx.mpf(2) ** -190


def test_evaluate_is_F_at_a_point():
    """evaluate(x) = F(x): compare with sympy's own 50-digit evaluation."""
    prog = TaylorProgram.from_exprs([x, y], MIXED)
    point = {x: sympy.Rational(2, 5), y: sympy.Rational(7, 3)}
    values = prog.evaluate([0.4, 7 / 3])
    for value, expr in zip(values, MIXED, strict=True):
        assert value == pytest.approx(float(sympy.N(expr.subs(point), 50)), rel=1e-13)


def test_rational_constants_enter_exactly_in_mpf():
    """A constant 1/3 at 300 bits is correctly rounded, not the float 0.333...33."""
    prog = TaylorProgram.from_exprs([x], [sympy.Rational(1, 3) + 0 * x])
    ctx = _mp()
    (value,) = prog.evaluate([ctx.mpf(0)])
    assert abs(value - ctx.mpf(1) / 3) < ctx.mpf(2) ** -299
    assert abs(value - ctx.mpf(1 / 3)) > ctx.mpf(10) ** -18


def test_common_subexpressions_are_shared():
    """exp(x) used by two outputs (and inside sech) compiles to one exp node."""
    prog = TaylorProgram.from_exprs([x, y], [sympy.exp(x) * y, sympy.exp(x) + y])
    assert sum(1 for node in prog.nodes if node[0] == series._EXP) == 1


@pytest.mark.parametrize("expr", [
    sympy.Max(x, 0), sympy.Float(0.5) * x, sympy.pi * x, x**y, sympy.sin(x),
    sympy.Piecewise((x, x > 0), (0, True)), sympy.Symbol("z") + x,
])
def test_unsupported_nodes_are_rejected_with_invalid_argument(expr):
    """Max, floats, pi, symbolic powers, sin, Piecewise and unknown symbols are refused."""
    with pytest.raises(InvalidArgument, match="exprs"):
        TaylorProgram.from_exprs([x, y], [expr])


def test_bad_arguments_raise_invalid_argument():
    """Wrong number of initial values, a negative order, and non-square ode systems."""
    prog = TaylorProgram.from_exprs([x, y], [y, -x])
    with pytest.raises(InvalidArgument, match="x0"):
        prog.ode_taylor([1.0], 3)
    with pytest.raises(InvalidArgument, match="order"):
        prog.ode_taylor([1.0, 2.0], -1)
    with pytest.raises(InvalidArgument, match="outputs"):
        TaylorProgram.from_exprs([x, y], [y]).ode_taylor([1.0, 2.0], 2)
    with pytest.raises(InvalidArgument, match="backend"):
        backend_for(Fraction(1, 2))
    with pytest.raises(InvalidArgument, match="parameters"):
        TaylorProgram.from_exprs([], [x])


def test_harmonic_oscillator_coefficients_are_cos_and_sin():
    """x' = y, y' = -x from (1, 0): x = cos t, y = -sin t."""
    prog = TaylorProgram.from_exprs([x, y], [y, -x])
    coeffs = prog.ode_taylor([1.0, 0.0], 10)
    for k, (cx, cy) in enumerate(coeffs):
        cos_k = 0.0 if k % 2 else (-1) ** (k // 2) / math.factorial(k)
        sin_k = (-1) ** (k // 2) / math.factorial(k) if k % 2 else 0.0
        assert cx == pytest.approx(cos_k, abs=1e-16)
        assert cy == pytest.approx(-sin_k, abs=1e-16)


def _exact(v) -> Fraction:
    """The mpf v = +-man * 2^exp as an exact Fraction (mpf.man is unsigned)."""
    man, exp = v.man_exp
    return (-1 if v < 0 else 1) * Fraction(int(man)) * Fraction(2) ** int(exp)


def test_mpf_dot_is_the_correctly_rounded_exact_sum():
    """MpfBackend.dot = sum x_i y_i rounded once: compare with the exact Fraction sum, for
    random exponents (including zeros, cancellation, and spreads beyond DOT_MAX_SPREAD_BITS)."""
    import random

    ctx = _mp(120)
    backend = series.MpfBackend(ctx)
    rng = random.Random(20261122)
    for trial in range(300):
        spread = 6000 if trial % 10 == 0 else 300
        xs = [ctx.mpf(rng.uniform(-1, 1)) * ctx.mpf(2) ** rng.randint(-spread, spread)
              for _ in range(6)] + [ctx.mpf(0), ctx.mpf(1)]
        ys = [ctx.mpf(rng.uniform(-1, 1)) * ctx.mpf(2) ** rng.randint(-spread, spread)
              for _ in range(6)] + [ctx.mpf(5), ctx.mpf(0)]
        if trial % 7 == 0:  # exact cancellation of the first two products
            xs[1], ys[1] = -xs[0], ys[0]
        exact = sum(_exact(a) * _exact(b) for a, b in zip(xs, ys, strict=True))
        got = _exact(backend.dot(xs, ys))
        assert abs(got - exact) <= abs(exact) * Fraction(1, 2**119), trial
    assert backend.dot([ctx.mpf(0)], [ctx.mpf(3)]) == 0
