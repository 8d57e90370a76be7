"""The gradient-flow field against hand-derived formulas (SPEC.md sections 1 and 2)."""

import itertools
from fractions import Fraction

import mpmath
import numpy
import pytest
import sympy

from igproof.errors import DataError, InvalidArgument
from igproof.symbolic.activations import relu
from igproof.symbolic.conserved import balancedness, norm_difference
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import Model, build_model

DATA = Dataset([[1, 2], [-1, "1/2"], [3, -1]], [1, 0, "2/3"])
# Exact test points (a, w1, w2); the second puts the first point exactly on its kink w.x = 0.
POINTS = [(Fraction(1, 2), Fraction(3, 10), Fraction(1, 5)),
          (Fraction(-2, 3), Fraction(2), Fraction(-1)),
          (Fraction(3, 2), Fraction(-1, 4), Fraction(5, 7))]


def _hand_field_neuron_relu(theta, data):
    """SPEC.md: da/dt = -(1/n) sum r_i relu(z_i), dw/dt = -(a/n) sum r_i relu'(z_i) x_i,
    computed in pure Fraction arithmetic with relu'(0) = 0."""
    a, *w = theta
    n = data.n
    da = Fraction(0)
    dw = [Fraction(0)] * len(w)
    for x, y in data:
        zi = sum(wk * xk for wk, xk in zip(w, x, strict=True))
        s = max(zi, 0)
        ds = 1 if zi > 0 else 0
        r = a * s - y
        da -= r * s / n
        for k in range(len(w)):
            dw[k] -= a * r * ds * x[k] / n
    return [da, *dw]


@pytest.mark.parametrize("theta", POINTS)
def test_neuron_relu_field_matches_hand_formula(theta):
    """The relu neuron field equals the SPEC.md formulas at exact points, kinks included."""
    flow = gradient_flow(build_model("neuron", dim=2), DATA)
    got = [sympy.Rational(v) for v in flow.field_at(theta)]
    assert got == [sympy.Rational(v) for v in _hand_field_neuron_relu(theta, DATA)]


def test_neuron_tanh_field_matches_hand_formula():
    """For tanh, F equals -(1/n) sum r_i (sigma(z_i), a sigma'(z_i) x_i) identically."""
    model = build_model("neuron", dim=2, activation="tanh")
    flow = gradient_flow(model, DATA)
    a, w1, w2 = model.parameters
    da, dw1, dw2 = 0, 0, 0
    for x, y in DATA:
        z = w1 * sympy.Rational(x[0]) + w2 * sympy.Rational(x[1])
        r = a * sympy.tanh(z) - sympy.Rational(y)
        da += -r * sympy.tanh(z) / 3
        dw1 += -a * r * (1 - sympy.tanh(z) ** 2) * sympy.Rational(x[0]) / 3
        dw2 += -a * r * (1 - sympy.tanh(z) ** 2) * sympy.Rational(x[1]) / 3
    for got, want in zip(flow.field, (da, dw1, dw2), strict=True):
        assert sympy.expand(got - want) == 0


def test_piecewise_field_equals_restricted_field_of_its_pattern():
    """At an exact point, F(theta) = F_pattern(theta) with pattern = signs of the kinks there."""
    flow = gradient_flow(build_model("two-layer", dim=2, width=2, activation="leaky-relu"), DATA)
    assert len(flow.kinks) == 6  # 3 points x 2 units, point-major
    theta = [Fraction(1, 2), Fraction(-1, 3), Fraction(2), Fraction(-1), Fraction(1, 3),
             Fraction(1, 5)]
    pattern = flow.pattern(theta)
    assert pattern[0] == 0  # first kink: w_1 . x_1 = 2*1 + (-1)*2 = 0
    assert flow.field_at(theta) == flow.restricted(pattern).field_at(theta)


def test_pattern_exact_and_numeric_agree_off_kinks():
    """Exact signs at a rational point equal the float and mpmath signs there."""
    flow = gradient_flow(build_model("relu-neuron", dim=2), DATA)
    theta = (Fraction(1, 3), Fraction(-1, 7))
    exact = flow.pattern(theta)
    assert exact == flow.pattern([float(v) for v in theta])
    assert exact == flow.pattern([mpmath.mpf(v.numerator) / v.denominator for v in theta])
    assert flow.pattern((Fraction(2), Fraction(-1))) == (0, -1, 1)


@pytest.mark.parametrize("activation", ["relu", "leaky-relu", "linear"])
def test_norm_difference_conserved_for_homogeneous(activation):
    """a^2 - |w|^2 is conserved for positively homogeneous sigma (in every relu pattern)."""
    model = build_model("neuron", dim=2, activation=activation)
    assert gradient_flow(model, DATA).conservation(norm_difference(model))


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "softplus"])
def test_norm_difference_not_conserved_and_spec_rate(activation):
    """For non-homogeneous sigma, d/dt(a^2-|w|^2) = -(2a/n) sum r_i [sigma - z sigma'] != 0."""
    model = build_model("neuron", dim=2, activation=activation)
    flow = gradient_flow(model, DATA)
    q = norm_difference(model)
    assert not flow.conservation(q)
    a, w1, w2 = model.parameters
    act = model.activation
    rate = 0
    for x, y in DATA:
        z = w1 * sympy.Rational(x[0]) + w2 * sympy.Rational(x[1])
        r = a * act.sigma(z) - sympy.Rational(y)
        rate += -2 * a * r * (act.sigma(z) - z * act.derivative(z)) / 3
    dq = sum(sympy.diff(q, p) * f for p, f in zip(model.parameters, flow.field, strict=True))
    point = {a: sympy.Rational(1, 2), w1: sympy.Rational(3, 10), w2: sympy.Rational(-1, 5)}
    assert abs((dq - rate).xreplace(point).evalf(40)) < 1e-35
    assert abs(rate.xreplace(point).evalf(40)) > 1e-6


def test_balancedness_two_layer():
    """|w_j|^2 - v_j^2 conserved for two-layer relu (both methods agree) and not for tanh."""
    model = build_model("two-layer", dim=2, width=2)
    flow = gradient_flow(model, DATA)
    for q in balancedness(model):
        assert flow.conservation(q, method="patterns")
        assert flow.conservation(q, method="multilinear")
    tanh_model = build_model("two-layer", dim=2, width=2, activation="tanh")
    assert not gradient_flow(tanh_model, DATA).conservation(balancedness(tanh_model)[0])


def test_non_conserved_in_some_pattern_is_detected():
    """Q = w1 is not conserved for the relu neuron: both methods say False."""
    model = build_model("relu-neuron", dim=2)
    flow = gradient_flow(model, DATA)
    assert not flow.conservation(model.parameters[0], method="patterns")
    assert not flow.conservation(model.parameters[0], method="multilinear")


def test_relu_neuron_norm_rate_in_every_pattern():
    """SPEC.md section 2: d/dt |w|^2/2 = (1/n) sum_{i active} (y_i - u_i) u_i, u_i = w.x_i."""
    model = build_model("relu-neuron", dim=2)
    flow = gradient_flow(model, DATA)
    w = sympy.Matrix(model.parameters)
    for pattern in itertools.product((1, 0, -1), repeat=len(flow.kinks)):
        field = flow.restricted(pattern).field
        lhs = (w.T * field)[0]
        rhs = 0
        for s, (x, y) in zip(pattern, DATA, strict=True):
            if s == 1:
                u = (w.T * sympy.Matrix([sympy.Rational(v) for v in x]))[0]
                rhs += (sympy.Rational(y) - u) * u / DATA.n
        assert sympy.expand(lhs - rhs) == 0


@pytest.mark.parametrize("kind, activation", [("neuron", "tanh"), ("two-layer", "softplus")])
def test_jacobian_is_minus_hessian_smooth(kind, activation):
    """dF/dtheta = -Hess L, checked against sympy.hessian of the loss at an exact point."""
    model = build_model(kind, dim=2, activation=activation)
    flow = gradient_flow(model, DATA)
    hess = sympy.hessian(flow.loss, model.parameters)
    point = {p: sympy.Rational(k + 1, 7) * (-1) ** k for k, p in enumerate(model.parameters)}
    diff = (flow.jacobian() + hess).xreplace(point)
    assert all(abs(v.evalf(30)) < 1e-25 for v in diff)


def test_jacobian_restricted_relu_and_piecewise_error():
    """Jacobian of a relu piece = -Hessian of that piece's polynomial loss; piecewise raises."""
    model = build_model("neuron", dim=2)
    flow = gradient_flow(model, DATA)
    with pytest.raises(InvalidArgument, match="restricted"):
        flow.jacobian()
    piece = flow.restricted((1, -1, 1))
    assert sympy.expand(piece.jacobian() + sympy.hessian(piece.loss, model.parameters)) == \
        sympy.zeros(3, 3)


def test_residual_jacobian_and_lambdify_backends():
    """J has shape n x p; numpy and mpmath callables agree with the exact field."""
    model = build_model("neuron", dim=2, activation="tanh")
    flow = gradient_flow(model, DATA)
    assert flow.residual_jacobian().shape == (3, 3)
    theta = [0.5, 0.25, -0.125]
    exact = [v.evalf(30) for v in flow.field.xreplace(
        dict(zip(model.parameters, map(sympy.Rational, ["1/2", "1/4", "-1/8"]), strict=True)))]
    fast = flow.lambdify("numpy")(theta)
    with mpmath.workdps(30):
        slow = flow.lambdify("mpmath")([mpmath.mpf(v) for v in theta])
        assert all(abs(s - mpmath.mpf(str(e))) < mpmath.mpf(10) ** -25
                   for s, e in zip(slow, exact, strict=True))
    assert numpy.allclose(fast, [float(e) for e in exact], rtol=1e-12, atol=0)
    assert flow.lambdify("numpy") is flow.lambdify("numpy")
    with pytest.raises(InvalidArgument, match="backend"):
        flow.lambdify("jax")


def test_field_in_pattern_numeric():
    """The compiled field of a pattern equals the exact restricted field at a point."""
    flow = gradient_flow(build_model("relu-neuron", dim=2), DATA)
    fn = flow.field_in_pattern((1, -1, 1))
    exact = flow.restricted((1, -1, 1)).field_at([Fraction(1, 2), Fraction(1, 4)])
    assert numpy.allclose(fn([0.5, 0.25]), [float(v) for v in exact], rtol=1e-14)


def test_expression_model_kinks_and_errors():
    """A user relu model gets its kinks from the relu atoms; wrong dims are DataErrors."""
    p, q, x = sympy.symbols("p q x", real=True)
    model = Model.from_expression(q * relu(p * x - 1), [p, q], [x])
    flow = gradient_flow(model, Dataset([[1], [2]], [1, 0]))
    assert flow.kinks == (p - 1, 2 * p - 1)
    assert flow.conservation(q ** 2 - p ** 2) is False  # not homogeneous: the bias -1
    with pytest.raises(DataError):
        gradient_flow(model, Dataset([[1, 2]], [1]))
    with pytest.raises(InvalidArgument, match="pattern"):
        flow.restricted((1,))


@pytest.mark.parametrize("limit", [0, 10 ** 6])
def test_both_compile_strategies_agree_with_exact_field(monkeypatch, limit):
    """F = -(1/n) J^T r compiled from (r, J) equals the compiled field and the exact field."""
    import igproof.symbolic.flow as flow_module

    monkeypatch.setattr(flow_module, "COMPILE_FIELD_LIMIT", limit)
    model = build_model("two-layer", dim=2, width=2, activation="leaky-relu")
    flow = gradient_flow(model, DATA)
    theta = [Fraction(1, 2), Fraction(-1, 3), Fraction(3, 4), Fraction(-1, 5), Fraction(1, 3),
             Fraction(2, 7)]
    exact = [float(v) for v in flow.field_at(theta)]
    assert numpy.allclose(flow.lambdify("numpy")([float(v) for v in theta]), exact,
                          rtol=1e-13, atol=1e-15)
    with mpmath.workdps(40):
        got = flow.lambdify("mpmath")([mpmath.mpf(v.numerator) / v.denominator for v in theta])
        want = [mpmath.mpf(v.p) / v.q for v in flow.field_at(theta)]
        assert all(abs(g - w) < mpmath.mpf(10) ** -35 for g, w in zip(got, want, strict=True))


def test_fast_jacobian_matches_sympy_jacobian():
    """The term-wise residual Jacobian equals sympy's Matrix.jacobian (relu and tanh models)."""
    for activation in ("relu", "tanh"):
        model = build_model("neuron", dim=2, activation=activation, bias=True)
        flow = gradient_flow(model, DATA)
        reference = sympy.Matrix(flow.residuals).jacobian(sympy.Matrix(model.parameters))
        assert sympy.expand(flow.residual_jacobian() - reference) == sympy.zeros(3, 4)


def test_pattern_with_balls_is_certain_or_refuses():
    """With arb balls the kink signs are certain (1/3 enters exactly), or InvalidArgument."""
    flint = pytest.importorskip("flint")
    data = Dataset([[1, "1/3"], [-1, "1/2"]], [1, 0])
    flow = gradient_flow(build_model("relu-neuron", dim=2), data)
    # w = (-1, 3): z_1 = -1 + 3 * (1/3) = 0 and z_2 = 1 + 3/2 = 5/2 > 0, exactly; a ball around
    # w2 = 3 contains points on both sides of z_1 = 0, so its sign cannot be certified.
    assert flow.pattern((Fraction(-1), Fraction(3))) == (0, 1)
    with pytest.raises(InvalidArgument, match="undecided"):
        flow.pattern([flint.arb(-1), flint.arb(3, 1e-10)])
    assert flow.pattern([flint.arb(1) / 3, flint.arb(-1) / 7]) == (1, -1)
