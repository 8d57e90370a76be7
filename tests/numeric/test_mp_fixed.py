"""The fixed-point Taylor series and the mp integrator built on it, against independent routes.

- ode_taylor_fixed equals the mpf recurrences of TaylorProgram.ode_taylor (scaled by h^k) on
  programs that use every opcode;
- integrate_mp reaches the closed form of the relu neuron and mpmath.odefun on the tanh neuron
  at the requested digits;
- the mpf fallback step (a divisor too small for fixed point) gives the same trajectory;
- the float tier of the series stays within its rounding of the 400-bit mpf recurrences, stays
  in integers beyond the doubles' range and ends a short step's series in exact zeros;
- the relu neuron at 50 digits (closed form) and the tanh neuron at 30 digits (odefun at 40);
- the steps reach t_max exactly and grow geometrically on a constant solution.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import pytest
import sympy

from igproof.numeric import mp_flow, series
from igproof.numeric.mp_flow import integrate_mp
from igproof.numeric.pieces import piecewise_field
from igproof.numeric.series import FixedPointLoss, TaylorProgram, fixed_of, ode_taylor_fixed
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model

x, y = sympy.symbols("x y")
THETA0 = (Fraction(1, 2), Fraction(3, 10))

FIELDS = [
    [-x * y + 1, x * sympy.tanh(y) - y**2],
    [sympy.exp(x) - y, sympy.log(1 + x**2) + sympy.sqrt(2 + y)],
    [1 / (1 + x * x), (3 + y**2) ** sympy.Rational(1, 3) * x],
    [sympy.sech(x) * y, sympy.cosh(y) - x / 3],
    [-(x * y - 1) * y, -(x * y - 1) * x],
]


@pytest.mark.parametrize("field", FIELDS, ids=range(len(FIELDS)))
@pytest.mark.parametrize("h", [Fraction(1, 8), Fraction(1, 2), Fraction(1)])
def test_fixed_series_equals_the_mpf_recurrences(field, h):
    """Y_k 2^-P = x_[k] h^k to about 2^-P (times the few units of rounding per operation)."""
    bits, order = 160, 24
    program = TaylorProgram.from_exprs([x, y], field)
    with mpmath.workprec(bits + 60):
        x0 = [mpmath.mpf(1) / 3, mpmath.mpf(-2) / 7]
        reference = program.ode_taylor(x0, order)
        fixed0 = [mpmath.libmp.to_fixed(v._mpf_, bits) for v in x0]
        ys, zs = ode_taylor_fixed(program, fixed0, order, bits, fixed_of(h, bits))
        assert zs == []
        unit = mpmath.ldexp(1, -bits)
        hh = mpmath.mpf(h.numerator) / h.denominator
        for k in range(order + 1):
            for i in range(2):
                assert abs(ys[i][k] * unit - reference[k][i] * hh**k) < 1e6 * unit


def test_fixed_series_gives_the_extra_outputs_along_the_solution():
    """Outputs beyond the field (kinks) come as series of z(x(t0 + h s))."""
    program = TaylorProgram.from_exprs([x, y], [-x, -y, x + 2 * y])
    bits = 100
    _ys, (z,) = ode_taylor_fixed(program, [1 << bits, 1 << bits], 10, bits, 1 << bits)
    # x = y = e^-s: z = 3 e^-s = 3 sum (-1)^k s^k / k!
    for k, zk in enumerate(z):
        exact = Fraction(3 * (-1) ** k, math.factorial(k))
        assert abs(Fraction(zk, 1 << bits) - exact) < Fraction(1, 1 << (bits - 8))


def test_small_divisor_raises_fixed_point_loss():
    program = TaylorProgram.from_exprs([x], [1 / x])
    with pytest.raises(FixedPointLoss):
        ode_taylor_fixed(program, [1], 4, 100, 1 << 100)  # x0 = 2^-100


def _neuron(activation):
    return gradient_flow(build_model("neuron", dim=1, activation=activation),
                         Dataset([[1]], [1]))


def _relu_closed_form(t_end, dps):
    """a^2 - w^2 = c is conserved, u = a w solves u' = (1 - u) sqrt(c^2 + 4u^2)."""
    with mpmath.workdps(dps):
        a0, w0 = mpmath.mpf(1) / 2, mpmath.mpf(3) / 10
        c, u0 = a0 * a0 - w0 * w0, a0 * w0

        def rate(u):
            return (1 - u) * mpmath.sqrt(c * c + 4 * u * u)

        v = mpmath.mpf(5)  # Newton on G(v) = int_(u0)^(1 - e^-v) du / rate(u) - T
        for _ in range(60):
            u = 1 - mpmath.exp(-v)
            step = ((mpmath.quad(lambda s: 1 / rate(s), [u0, u]) - t_end) * rate(u)
                    / mpmath.exp(-v))
            v -= step
            if abs(step) < mpmath.mpf(10) ** -(dps - 5):
                break
        u = 1 - mpmath.exp(-v)
        a = mpmath.sqrt((c + mpmath.sqrt(c * c + 4 * u * u)) / 2)
        return a, u / a


@pytest.mark.parametrize("dps", [15, 30])
def test_relu_neuron_matches_the_closed_form(dps):
    traj = integrate_mp(_neuron("relu"), THETA0, dps=dps, t_max=5)
    a, w = _relu_closed_form(5, dps + 20)
    with mpmath.workdps(dps + 20):
        assert abs(traj.theta[0] - a) < mpmath.mpf(10) ** -dps
        assert abs(traj.theta[1] - w) < mpmath.mpf(10) ** -dps


def test_tanh_neuron_matches_odefun():
    def field(_t, v):
        th = mpmath.tanh(v[1])
        r = v[0] * th - 1
        return [-r * th, -v[0] * (1 - th * th) * r]

    traj = integrate_mp(_neuron("tanh"), THETA0, dps=20, t_max=2)
    with mpmath.workdps(30):
        reference = mpmath.odefun(field, 0, [mpmath.mpf(1) / 2, mpmath.mpf(3) / 10])(2)
        for got, want in zip(traj.theta, reference, strict=True):
            assert abs(got - want) < mpmath.mpf(10) ** -20


def test_mpf_fallback_step_gives_the_same_trajectory(monkeypatch):
    """When the fixed point refuses (FixedPointLoss), the mpf step carries on: same answer."""
    fixed = integrate_mp(_neuron("tanh"), THETA0, dps=25, t_max=3)

    def refuse(*args, **kwargs):
        raise FixedPointLoss("test")

    monkeypatch.setattr(mp_flow, "ode_taylor_fixed", refuse)
    fallback = integrate_mp(_neuron("tanh"), THETA0, dps=25, t_max=3)
    with mpmath.workdps(40):
        for a, b in zip(fixed.theta, fallback.theta, strict=True):
            assert abs(a - b) < mpmath.mpf(10) ** -25


def test_kink_crossing_is_found_by_the_fixed_point_step():
    """relu(w) neuron with y = -1: w = -1 + 2 e^-t reaches the kink at t = ln 2."""
    flow = gradient_flow(build_model("relu-neuron", dim=1), Dataset([[1]], [-1]))
    traj = integrate_mp(flow, [1], dps=30, t_max=2)
    (switch,) = traj.switches
    with mpmath.workdps(40):
        assert abs(switch.t - mpmath.log(2)) < mpmath.mpf(10) ** -28


def _neuron_program(activation):
    field = piecewise_field(_neuron(activation))
    return field.program((1,) if activation == "relu" else ())


TIER_PROGRAMS = {
    "relu": lambda: _neuron_program("relu"),
    "tanh": lambda: _neuron_program("tanh"),
    "exp-log-sqrt": lambda: TaylorProgram.from_exprs([x, y], FIELDS[1]),
    "recip-power": lambda: TaylorProgram.from_exprs([x, y], FIELDS[2]),
}


def _series_errors(program, h, monkeypatch, tier):
    """max |Y_k - x_[k] h^k 2^P| in units 2^-P against the mpf recurrences at 400 bits."""
    bits, order = 131, 48
    monkeypatch.setattr(series, "FLOAT_TIER_BITS", tier)
    with mpmath.workprec(400):
        x0 = [mpmath.mpf(1) / 2, mpmath.mpf(3) / 10]
        reference = program.ode_taylor(x0, order)
        ys, _ = ode_taylor_fixed(program, [mpmath.libmp.to_fixed(v._mpf_, bits) for v in x0],
                                 order, bits, fixed_of(h, bits))
        hh = mpmath.mpf(h.numerator) / h.denominator
        error = max(abs(ys[i][k] - reference[k][i] * hh**k * 2**bits)
                    for k in range(order + 1) for i in range(2))
    return ys, error


@pytest.mark.parametrize("name", TIER_PROGRAMS)
def test_float_tier_stays_within_its_rounding_of_the_exact_series(name, monkeypatch):
    """With the float tier the coefficients are within 2^(FLOAT_TIER_BITS - 58) units of the
    400-bit mpf recurrences (the integer series alone: within a few units), and it does engage
    (the coefficients differ from the integer series')."""
    program, tier = TIER_PROGRAMS[name](), series.FLOAT_TIER_BITS
    h = Fraction(3, 10)
    integer, int_error = _series_errors(program, h, monkeypatch, -1)
    tiered, tier_error = _series_errors(program, h, monkeypatch, tier)
    assert int_error < 4
    assert tiered != integer
    assert tier_error < 2 ** (tier - 58)


def test_float_tier_stays_in_integers_beyond_the_range_of_doubles(monkeypatch):
    """exp(x) at x = 800: e^800 > 2^1154 does not fit a double; the series stays in integers and
    is the integer series exactly."""
    program = TaylorProgram.from_exprs([x], [sympy.exp(x) / 10**350 - x])
    bits = 64
    x0 = [800 << bits]
    assert series.FLOAT_TIER_MAX_FRAC >= bits
    tiered = ode_taylor_fixed(program, x0, 30, bits, 1 << (bits - 12))
    monkeypatch.setattr(series, "FLOAT_TIER_BITS", -1)
    assert tiered == ode_taylor_fixed(program, x0, 30, bits, 1 << (bits - 12))


def test_a_short_step_series_ends_in_exact_zeros():
    """Far inside the radius of convergence the tier stops once two orders of every variable
    are below one unit: the rest are zeros, the rest of the coefficients as before."""
    program = _neuron_program("tanh")
    bits, order = 131, 48
    x0 = [fixed_of(Fraction(1, 2), bits), fixed_of(Fraction(3, 10), bits)]
    h = fixed_of(Fraction(1, 1000), bits)
    ys, _ = ode_taylor_fixed(program, x0, order, bits, h)
    assert all(len(y) == order + 1 for y in ys)
    assert all(y[k] == 0 for y in ys for k in range(30, order + 1))
    with mpmath.workprec(400):
        reference = program.ode_taylor([mpmath.mpf(1) / 2, mpmath.mpf(3) / 10], order)
        for k in range(order + 1):
            for i in range(2):
                exact = reference[k][i] * mpmath.mpf(1000) ** -k * 2**bits
                assert abs(ys[i][k] - exact) < 2 ** (series.FLOAT_TIER_BITS - 58)


def test_relu_neuron_at_50_digits_matches_the_closed_form():
    traj = integrate_mp(_neuron("relu"), THETA0, dps=50, t_max=5)
    a, w = _relu_closed_form(5, 70)
    with mpmath.workdps(70):
        assert abs(traj.theta[0] - a) < mpmath.mpf(10) ** -50
        assert abs(traj.theta[1] - w) < mpmath.mpf(10) ** -50


def test_tanh_neuron_at_30_digits_matches_odefun_at_40():
    def field(_t, v):
        th = mpmath.tanh(v[1])
        r = v[0] * th - 1
        return [-r * th, -v[0] * (1 - th * th) * r]

    traj = integrate_mp(_neuron("tanh"), THETA0, dps=30, t_max=Fraction(1, 2))
    with mpmath.workdps(40):
        reference = mpmath.odefun(field, 0, [mpmath.mpf(1) / 2, mpmath.mpf(3) / 10])(0.5)
        for got, want in zip(traj.theta, reference, strict=True):
            assert abs(got - want) < mpmath.mpf(10) ** -30


def test_steps_reach_t_max_exactly_and_grow_on_a_polynomial_solution():
    """The trial step never passes t_max (one step to t = 1/1000; t = 5 exactly); at a critical
    point (the series is theta0 itself) the steps grow geometrically: t = 1000 in few steps."""
    flow = _neuron("relu")
    short = integrate_mp(flow, THETA0, dps=30, t_max=Fraction(1, 1000))
    with mpmath.workprec(short.settings["prec"]):
        assert len(short.ts) == 2 and short.ts[-1] == mpmath.mpf(1) / 1000
    full = integrate_mp(flow, THETA0, dps=30, t_max=5)
    assert full.ts[-1] == 5 and len(full.ts) < 20
    rest = integrate_mp(flow, [1, 1], dps=30, t_max=1000)
    assert rest.status == "t_max" and len(rest.ts) < 40
    assert rest.theta == (1, 1)
