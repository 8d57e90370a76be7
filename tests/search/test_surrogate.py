"""The float surrogate's limits against closed forms (SPEC sections 1, 2) and scipy solve_ivp."""

import math

import numpy as np
import pytest
from search_reference_flow import reference_limit

from igproof.errors import InvalidArgument
from igproof.search.families import SurrogateModel
from igproof.search.surrogate import FACTOR_MAX, float_limit, integrate_batch


def neuron_relu_limit(x: float, y: float, a0: float, w0: float) -> tuple[float, float]:
    """One 1-D datum, f = a relu(w x): the limit solves a w x = y, a^2 - w^2 = a0^2 - w0^2."""
    c = a0 * a0 - w0 * w0
    q = y / x  # a w = q
    a2 = (c + math.sqrt(c * c + 4 * q * q)) / 2
    a = math.copysign(math.sqrt(a2), a0)
    return a, q / a


def test_spec_example_neuron_relu_limit():
    """SPEC section 1 [example]: x=1, y=1, theta0=(0.5, 0.3) gives the limit
    (1.0407664946..., 0.9608303160...)."""
    model = SurrogateModel("neuron", "relu", 1)
    out = float_limit(model, [[1]], [1], [0.5, 0.3])
    assert out.converged
    np.testing.assert_allclose(out.theta, [1.040766494617671768871518974,
                                           0.960830316090596820342047216], rtol=0, atol=1e-7)


@pytest.mark.parametrize(("x", "y", "a0", "w0"), [
    (2.0, 1.5, 1e-6, 3e-7), (0.5, 2.0, 0.01, -0.0 + 0.02), (-1.0, 1.0, 0.7, -0.1),
    (1.5, 0.25, 3.0, 2.0)])
def test_neuron_relu_limit_is_on_the_conserved_hyperbola(x, y, a0, w0):
    """a^2 - w^2 is conserved for relu (SPEC [formula]), so the limit has a closed form,
    from tiny (1e-6) to large initializations."""
    model = SurrogateModel("neuron", "relu", 1)
    out = float_limit(model, [[x]], [y], [a0, w0])
    assert out.converged
    scale = max(1.0, abs(a0), abs(w0))
    np.testing.assert_allclose(out.theta, neuron_relu_limit(x, y, a0, w0), atol=1e-6 * scale)


def test_relu_neuron_always_active_point_gives_the_projection():
    """One point active throughout: w(t) - w0 stays along x (support vectors, SPEC section 2),
    so the limit is w0 + (y - w0.x) x / |x|^2."""
    model = SurrogateModel("relu-neuron", "relu", 3)
    x = np.array([1.0, 2.0, -1.0])
    w0 = np.array([0.5, 0.25, 0.1])
    out = float_limit(model, [x], [3.0], w0)
    expected = w0 + (3.0 - w0 @ x) * x / (x @ x)
    assert out.converged
    np.testing.assert_allclose(out.theta, expected, atol=1e-8)


@pytest.mark.parametrize(("kind", "act", "dim"), [
    ("relu-neuron", "relu", 3), ("neuron", "relu", 2), ("neuron", "tanh", 2),
    ("neuron", "leaky-relu", 2)])
def test_batch_limits_agree_with_solve_ivp(kind, act, dim):
    """Random examples: batch limits match DOP853 (rtol 1e-12, restarts at kinks)."""
    rng = np.random.default_rng(7)
    model = SurrogateModel(kind, act, dim)
    batch, n = (12 if act == "tanh" else 24), 2
    x = rng.uniform(-2, 2, size=(batch, n, dim))
    y = rng.uniform(0.25, 2, size=(batch, n))
    theta0 = rng.uniform(-1, 1, size=(batch, model.n_params)) * 0.5
    out = integrate_batch(model, x, y, theta0)
    checked = 0
    for b in np.nonzero(out.converged)[0]:
        ref = reference_limit(kind, act, x[b], y[b], theta0[b], t_end=max(400.0, 2 * out.t[b]))
        np.testing.assert_allclose(out.theta[b], ref, atol=1e-6, err_msg=f"example {b}")
        checked += 1
    assert checked >= 4, "too few flows converged to test anything"


def test_dead_relu_is_reported_stationary_not_converged():
    """w . x < 0 at the start with y > 0: the gradient is 0 and the loss is not: off M_S."""
    model = SurrogateModel("relu-neuron", "relu", 2)
    out = float_limit(model, [[1, 0]], [1], [-1, 0])
    assert out.status == "stationary" and not out.converged


def test_a_kink_crossing_with_a_jump_is_localized():
    """A positive-label point that becomes active mid-flow: the limit still matches the exact
    projection onto {w . x2 = y2, w . x1 = y1} reached from the crossing."""
    model = SurrogateModel("relu-neuron", "relu", 2)
    # point 1 along e1 active from the start; point 2 = (1, 1) starts inactive (w0.x2 < 0) and
    # becomes active as w1 grows.
    x = [[1.0, 0.0], [1.0, 1.0]]
    y = [2.0, 3.0]
    w0 = [0.1, -0.5]
    out = float_limit(model, x, y, w0)
    assert out.converged
    np.testing.assert_allclose(out.theta, [2.0, 1.0], atol=1e-7)  # the unique point of M_S
    ref = reference_limit("relu-neuron", "relu", x, y, w0)
    np.testing.assert_allclose(out.theta, ref, atol=1e-7)


def test_step_controller_constants_are_sane():
    assert FACTOR_MAX > 1


def test_bad_shapes_and_values_are_named():
    model = SurrogateModel("relu-neuron", "relu", 2)
    with pytest.raises(InvalidArgument, match="x"):
        integrate_batch(model, np.zeros((1, 2, 3)), np.zeros((1, 2)), np.zeros((1, 2)))
    with pytest.raises(InvalidArgument, match="theta0"):
        integrate_batch(model, np.ones((1, 2, 2)), np.zeros((1, 2)), np.array([[np.nan, 1]]))
    with pytest.raises(InvalidArgument, match="max_steps"):
        float_limit(model, [[1, 0]], [1], [1, 0], max_steps=0)


@pytest.mark.parametrize(("kind", "act", "dim"), [
    ("relu-neuron", "relu", 3), ("neuron", "relu", 2), ("neuron", "tanh", 2),
    ("neuron", "leaky-relu", 2)])
def test_single_flow_path_agrees_with_the_batch_path(kind, act, dim):
    """float_limit (plain-float path) and integrate_batch run the same method: same status and
    limits equal to rounding-level differences on converged flows."""
    rng = np.random.default_rng(11)
    model = SurrogateModel(kind, act, dim)
    batch = 10
    x = rng.uniform(-2, 2, size=(batch, 2, dim))
    y = rng.uniform(0, 2, size=(batch, 2))
    y[:, 0] = 0.0  # a label-0 point in every example
    theta0 = rng.uniform(-1, 1, size=(batch, model.n_params)) * 10.0 ** rng.uniform(
        -4, 0, size=(batch, 1))
    out = integrate_batch(model, x, y, theta0, max_steps=1500)
    for b in range(batch):
        single = float_limit(model, x[b], y[b], theta0[b], max_steps=1500)
        if out.converged[b] and single.converged:
            np.testing.assert_allclose(single.theta, out.theta[b], atol=1e-6)
        elif out.status_name(b) != single.status:
            # rounding differences may move a borderline flow across a stopping rule only
            assert {out.status_name(b), single.status} <= {"converged", "stalled", "t-max",
                                                            "max-steps"}


def test_single_flow_is_a_method_of_the_integrator_contract():
    """The one-example loop runs on igproof.numeric.stepper: counters, stop record, options."""
    from igproof.numeric.stepper import PiecewiseIntegrator, run
    from igproof.search.single_flow import SingleFlowIntegrator

    model = SurrogateModel("relu-neuron", "relu", 1)
    options = dict(rtol=1e-9, atol_scale=1e-9, residual_tol=1e-8, t_max=1e7, max_steps=4000)
    integ = SingleFlowIntegrator(model, [[1.0]], [2.0], [0.5], **options)
    assert isinstance(integ, PiecewiseIntegrator)
    theta, t, _loss, _g, _status, steps, rejected = run(integ)
    # w' = -(w - 2) from 1/2: w -> 2 (independent route: the closed form 2 - 1.5 e^-t)
    assert integ.status == "converged" and abs(theta[0] - 2.0) < 1e-7
    assert abs(theta[0] - (2.0 - 1.5 * math.exp(-t))) < 1e-7
    assert (integ.n_steps, integ.n_rejected) == (steps, rejected) and steps > 0
    with pytest.raises(InvalidArgument, match="stopped"):
        integ.step()
    with pytest.raises(InvalidArgument, match="rtoll"):
        SingleFlowIntegrator(model, [[1.0]], [2.0], [0.5], rtoll=1e-3, **options)


@pytest.mark.parametrize("act", ["relu", "leaky-relu", "tanh"])
def test_single_flow_path_agrees_with_the_batch_path_two_layer(act):
    """The plain-float path of v1 sigma(w1 . x) + v2 sigma(w2 . x) (no bias, no skip) and the
    batched path: same status and limits equal to rounding-level differences."""
    rng = np.random.default_rng(5)
    model = SurrogateModel("two-layer", act, 2, width=2)
    batch = 8
    x = rng.uniform(-2, 2, size=(batch, 2, 2))
    y = rng.uniform(0.25, 2, size=(batch, 2))
    y[:, 1] = 0.0  # a label-0 point in every example
    theta0 = rng.uniform(-1, 1, size=(batch, model.n_params))
    out = integrate_batch(model, x, y, theta0, max_steps=2000)
    agreed = 0
    for b in range(batch):
        single = float_limit(model, x[b], y[b], theta0[b], max_steps=2000)
        if out.converged[b] and single.converged:
            np.testing.assert_allclose(single.theta, out.theta[b], atol=1e-6)
            agreed += 1
        elif out.status_name(b) != single.status:
            assert {out.status_name(b), single.status} <= {"converged", "stalled", "t-max",
                                                            "max-steps", "stationary"}
    assert agreed >= 2
