"""The float integrator's compiled field and its method choice, against independent routes.

Routes: the exact sympy field and Jacobian (``flow.field``, ``flow.jacobian()``) at rational
points for the generated float code; the high-precision Taylor integrator (mpmath, 30 digits)
for the limits reached by each method; the spectrum of the exact Jacobian at that limit for
what makes a flow stiff.
"""

from __future__ import annotations

import gc
import math
import warnings
from fractions import Fraction

import numpy
import pytest
import sympy

from igproof.errors import InvalidArgument
from igproof.numeric.converge import flow_limit
from igproof.numeric.float_flow import (
    AUTO_TOL_SCALE,
    DEFAULT_METHOD,
    MIN_RTOL,
    compile_float_field,
    field_exprs,
    float_code,
    integrate_float,
)
from igproof.symbolic.dataset import Dataset
from igproof.symbolic.flow import gradient_flow
from igproof.symbolic.models import build_model

F = Fraction

# A tanh neuron on 2 points whose limit has Hessian eigenvalues 5.66 and 0.194 (and 0 along the
# manifold of minima): the slow mode sets the time scale, the fast one bounds explicit steps.
STIFF = ("neuron", 2, "tanh", [[F(83, 100), F(-33, 50)], [F(99, 100), F(-11, 25)]],
         [-1, F(59, 100)], [F(7, 50), F(16, 25), F(-7, 25)])
# The tanh neuron on x = 1, y = 1: one nonzero Hessian eigenvalue at the limit (0.87).
NON_STIFF = ("neuron", 1, "tanh", [[1]], [1], [F(1, 2), F(3, 10)])


def _flow(case):
    kind, dim, activation, xs, ys, theta0 = case
    return gradient_flow(build_model(kind, dim=dim, activation=activation),
                         Dataset(xs, ys)), theta0


def _smooth_flows():
    tanh, _ = _flow(STIFF)
    relu = gradient_flow(build_model("relu-neuron", dim=3),
                         Dataset([[3, -1, 0], [4, 2, 0], [0, 1, 1]], [16, 18, 0]))
    two = gradient_flow(build_model("two-layer", dim=2, width=2),
                        Dataset([[1, 0], [1, 1], [-1, 1]], [1, 0, 1]))
    bias = gradient_flow(build_model("neuron", dim=1, activation="tanh", bias=True),
                         Dataset([[1], [2]], [1, F(1, 2)]))
    return [tanh, relu.restricted((1, 1, -1)), two.restricted((1, -1, 1, 1, -1, 1)), bias]


@pytest.mark.parametrize("index", range(4))
def test_float_code_matches_the_exact_field_and_jacobian(index):
    """F and dF/dtheta from the generated code equal the exact sympy ones at a rational point
    (to rounding), for tanh, bias, and restricted relu / two-layer fields."""
    flow = _smooth_flows()[index]
    p = len(flow.parameters)
    theta = [F(31 - 17 * k, 97 + k) for k in range(p)]
    values = dict(zip(flow.parameters, [sympy.Rational(q.numerator, q.denominator)
                                        for q in theta], strict=True))
    code = compile_float_field(flow.parameters, field_exprs(flow))
    x = [float(q) for q in theta]
    exact_field = [float(v) for v in flow.field.xreplace(values)]
    exact_jac = [[float(flow.jacobian()[i, j].xreplace(values)) for j in range(p)]
                 for i in range(p)]
    for got, want in zip(code.field(x), exact_field, strict=True):
        assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-14)
    for row, want_row in zip(code.jacobian(x), exact_jac, strict=True):
        for got, want in zip(row, want_row, strict=True):
            assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-14)


def test_field_exprs_is_the_exact_field():
    """-(1/n) J^T r, built unevaluated, expands to flow.field exactly."""
    for flow in _smooth_flows()[1:3]:
        for built, field in zip(field_exprs(flow), flow.field, strict=True):
            assert sympy.expand(built - field) == 0


def test_unsupported_nodes_are_an_error_not_a_guess():
    x = sympy.Symbol("x")
    with pytest.raises(InvalidArgument, match="cannot compile"):
        compile_float_field((x,), [sympy.sin(x)])
    with pytest.raises(InvalidArgument, match="cannot compile"):
        compile_float_field((x,), [x + sympy.Symbol("y")])


def test_float_code_is_cached_with_the_flow_and_goes_with_it():
    flow, _ = _flow(NON_STIFF)
    code = float_code(flow, "field")
    assert float_code(flow, "field") is code
    assert float_code(_flow(NON_STIFF)[0], "field") is not code  # another flow object
    from igproof.numeric import float_flow

    before = len(float_flow._FLOAT_CODE)
    del flow, code
    gc.collect()
    assert len(float_flow._FLOAT_CODE) < before


def _mp_limit(flow, theta0):
    result = flow_limit(flow, theta0, method="mp", dps=30)
    assert result.converged
    return [float(v) for v in result.limit], result


def test_stiff_flow_takes_the_implicit_path_and_agrees_with_mp():
    """Stiff: the Jacobian of F at the limit has eigenvalues -5.66 and -0.194 (the 30-digit
    limit, exact Jacobian); "auto" (LSODA) switches to BDF there, which evaluates the compiled
    Jacobian, and reaches |grad L| <= 1e-10 at the 30-digit limit to 1e-9."""
    flow, theta0 = _flow(STIFF)
    limit, mp_result = _mp_limit(flow, theta0)
    values = dict(zip(flow.parameters, mp_result.limit, strict=True))
    jac = numpy.array(flow.jacobian().evalf(30, subs=values).tolist(), dtype=float)
    spectrum = sorted(numpy.linalg.eigvalsh(jac))
    assert spectrum[0] < -5 and -0.3 < spectrum[1] < -0.1 and abs(spectrum[2]) < 1e-12
    traj = integrate_float(flow, theta0, t_max=1000, grad_tol=1e-10)
    assert traj.settings["method"] == DEFAULT_METHOD == "auto"
    assert traj.settings["solver"] == "LSODA"
    assert traj.settings["jacobian_evaluations"] > 0  # the implicit (BDF) path ran
    assert traj.status == "grad_tol"
    assert max(abs(u - v) for u, v in zip(traj.theta, limit, strict=True)) < 1e-9


def test_non_stiff_flow_stays_explicit_and_agrees_with_mp():
    """Non-stiff (one nonzero eigenvalue at the limit): "auto" never leaves Adams (no Jacobian
    evaluation); DOP853, still available by name, reaches the same limit."""
    flow, theta0 = _flow(NON_STIFF)
    limit, _ = _mp_limit(flow, theta0)
    for method in ("auto", "DOP853"):
        traj = integrate_float(flow, theta0, t_max=1000, grad_tol=1e-10, method=method)
        assert traj.status == "grad_tol"
        assert traj.settings["jacobian_evaluations"] == 0
        assert traj.settings["solver"] == ("LSODA" if method == "auto" else "DOP853")
        assert max(abs(u - v) for u, v in zip(traj.theta, limit, strict=True)) < 1e-9
    # the manifold equation a tanh(w) = 1 (independent of both integrators)
    assert abs(limit[0] * math.tanh(limit[1]) - 1) < 1e-9


def test_auto_tightens_the_tolerances_and_never_below_scipys_floor():
    flow, theta0 = _flow(NON_STIFF)
    traj = integrate_float(flow, theta0, t_max=1, rtol=1e-10)
    assert traj.settings["solver_rtol"] == pytest.approx(1e-10 * AUTO_TOL_SCALE)
    assert traj.settings["solver_atol"] == pytest.approx(traj.settings["atol"] * AUTO_TOL_SCALE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scipy warns when it raises a too small rtol
        traj = integrate_float(flow, theta0, t_max=1, rtol=1e-13)
    assert traj.settings["solver_rtol"] == MIN_RTOL
    explicit = integrate_float(flow, theta0, t_max=1, rtol=1e-10, method="DOP853")
    assert explicit.settings["solver_rtol"] == 1e-10


def test_float_and_mp_limits_agree_on_a_switching_relu_flow():
    """relu-neuron in 3-D (small init, kink events): "auto" at rtol 1e-10 and DOP853 at 1e-13
    end at the 30-digit limit to 1e-9 and in the same pattern. (DOP853 at rtol 1e-10 stalls at
    |grad L| ~ 4e-9 on this flow: the non-convergence the "auto" choice removes.)"""
    flow = gradient_flow(build_model("relu-neuron", dim=3),
                         Dataset([[3, -1, 0], [4, 2, 0], [0, 5, 5]], [16, 18, 0]))
    theta0 = [F(1, 10**6)] * 3
    limit, mp_result = _mp_limit(flow, theta0)
    for method, rtol in (("auto", 1e-10), ("DOP853", 1e-13)):
        traj = integrate_float(flow, theta0, t_max=1000, grad_tol=1e-10, method=method,
                               rtol=rtol)
        assert traj.status == "grad_tol" and traj.pattern == mp_result.pattern
        assert len(traj.switches) == len(mp_result.switches) == 1
        assert max(abs(u - v) for u, v in zip(traj.theta, limit, strict=True)) < 1e-9
