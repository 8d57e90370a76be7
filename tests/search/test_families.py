"""The batched model families: loss gradients and residual gradients against finite differences."""

from fractions import Fraction

import numpy as np
import pytest

from igproof.errors import InvalidArgument
from igproof.search.families import SurrogateModel

CASES = [("relu-neuron", "relu", 3), ("neuron", "relu", 2), ("neuron", "tanh", 3)]
# Two-layer families (width, bias, skip), with both the architecture of boursier2023.
TWO_LAYER = [(1, False, False), (2, True, False), (2, False, True), (3, True, True)]


def _central(fun, theta, h=1e-6):
    out = np.empty(theta.size)
    for k in range(theta.size):
        e = np.zeros(theta.size)
        e[k] = h
        out[k] = (fun(theta + e) - fun(theta - e)) / (2 * h)
    return out


@pytest.mark.parametrize(("kind", "act", "dim"), CASES)
def test_loss_gradient_is_the_derivative_of_the_square_loss(kind, act, dim):
    """grad L from the batch code equals a central difference of L = (1/2n) sum r_i^2."""
    rng = np.random.default_rng(1)
    model = SurrogateModel(kind, act, dim)
    x = rng.normal(size=(1, 4, dim))
    y = np.abs(rng.normal(size=(1, 4)))
    theta = rng.normal(size=(1, model.n_params))
    # keep every pre-activation away from the kink so the loss is smooth near theta
    w = theta[0, 1:] if kind == "neuron" else theta[0]
    assert np.min(np.abs(x[0] @ w)) > 1e-3

    def loss(th):
        f = model.outputs(th[None], x)[0]
        return 0.5 * np.mean((f - y[0]) ** 2)

    _, grad = model.loss_and_gradient(theta, x, y)
    np.testing.assert_allclose(grad[0], _central(loss, theta[0]), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(model.field(theta, x, y), -grad)


@pytest.mark.parametrize(("kind", "act", "dim"), CASES)
def test_residual_gradients_are_the_derivatives_of_the_outputs(kind, act, dim):
    rng = np.random.default_rng(2)
    model = SurrogateModel(kind, act, dim)
    x = rng.normal(size=(1, 3, dim))
    theta = rng.normal(size=(1, model.n_params))
    rows = model.residual_gradients(theta, x)[0]
    for i in range(3):
        np.testing.assert_allclose(
            rows[i], _central(lambda th, i=i: model.outputs(th[None], x)[0, i], theta[0]),
            rtol=1e-6, atol=1e-9)


def test_relu_kink_jump_is_y_x_over_n_and_zero_for_label_zero():
    """Crossing w.x_k = 0 changes the relu-neuron field by (1/n) y_k x_k (0 when y_k = 0)."""
    model = SurrogateModel("relu-neuron", "relu", 2)
    x = np.array([[[1.0, 0.0], [0.0, 2.0]]])
    y = np.array([[3.0, 0.0]])
    theta_in = np.array([[1e-12, 1.0]])
    theta_out = np.array([[-1e-12, 1.0]])
    jump = np.linalg.norm(model.field(theta_in, x, y) - model.field(theta_out, x, y))
    assert jump == pytest.approx(3.0 / 2.0, rel=1e-9)
    np.testing.assert_allclose(model.kink_jumps(theta_in, x, y)[0], [1.5, 0.0])


def test_bad_model_arguments_are_named():
    with pytest.raises(InvalidArgument, match="model_kind"):
        SurrogateModel("cnn", "relu", 2)
    with pytest.raises(InvalidArgument, match="width/bias/skip"):
        SurrogateModel("neuron", "relu", 2, bias=True)
    with pytest.raises(InvalidArgument, match="width"):
        SurrogateModel("two-layer", "relu", 2, width=0)
    with pytest.raises(InvalidArgument, match="activation"):
        SurrogateModel("relu-neuron", "tanh", 2)
    with pytest.raises(InvalidArgument, match="dim"):
        SurrogateModel("neuron", "relu", 0)


def test_the_surrogate_is_a_view_of_the_one_model_type():
    """from_model / to_model round-trip the families the search explores, the view's parameter
    names are the symbolic model's, and models outside the families are refused by name."""
    from igproof.search.families import as_surrogate
    from igproof.symbolic.models import build_model

    for kind, act, dim in CASES:
        model = build_model(kind, dim=dim, activation=act)
        view = SurrogateModel.from_model(model)
        assert (view.kind, view.activation, view.dim) == (kind, act, dim)
        assert view.parameter_names == tuple(str(p) for p in model.parameters)
        assert as_surrogate(model) == view and as_surrogate(view) is view
        back = view.to_model()
        assert back.kind == kind and back.activation.name == act and back.dim == dim
    for bad in (build_model("two-layer", dim=1, width=2, activation="sigmoid"),
                build_model("neuron", dim=1, bias=True),
                build_model("neuron", dim=1, activation="sigmoid")):
        with pytest.raises(InvalidArgument, match="model"):
            SurrogateModel.from_model(bad)
    with pytest.raises(InvalidArgument, match="model"):
        SurrogateModel.from_model("relu-neuron")


@pytest.mark.parametrize(("act", "width", "bias", "skip"),
                         [(a, *case) for a in ("relu", "tanh") for case in TWO_LAYER])
def test_two_layer_view_agrees_with_the_symbolic_field(act, width, bias, skip):
    """The vectorized two-layer field equals the symbolic one at random points: the exact
    field F(theta) = -grad L of igproof.symbolic.flow at rational points, to rounding error;
    outputs, residual rows (central differences) and kink order agree as well."""
    from igproof.symbolic.dataset import Dataset
    from igproof.symbolic.flow import gradient_flow
    from igproof.symbolic.models import build_model

    rng = np.random.default_rng(5 + width)
    dim, n = 2, 4
    model = build_model("two-layer", dim=dim, width=width, activation=act, bias=bias, skip=skip)
    view = SurrogateModel.from_model(model)
    assert (view.width, view.bias, view.skip) == (width, bias, skip)
    assert view.parameter_names == tuple(str(p) for p in model.parameters)
    assert view.n_params == len(model.parameters) and view.to_model() is view.to_model()
    xq = rng.integers(-4, 5, size=(n, dim)) / 2
    yq = rng.integers(-4, 5, size=n) / 4
    flow = gradient_flow(model, Dataset([[Fraction(v) for v in row] for row in xq],
                                        [Fraction(v) for v in yq]))
    thetas = rng.integers(-12, 13, size=(3, view.n_params)) / 4
    x = np.broadcast_to(xq, (3, n, dim))
    y = np.broadcast_to(yq, (3, n))
    fields = view.field(thetas, x, y)
    for b in range(3):
        theta = [Fraction(v) for v in thetas[b]]
        exact = np.array([float(q) for q in flow.field_at(theta)])
        np.testing.assert_allclose(fields[b], exact, rtol=1e-12, atol=1e-12)
        values = dict(zip(model.parameters, theta, strict=True))
        z = [float(k.xreplace(values)) for xi in flow.dataset.x for k in model.preactivations(xi)]
        np.testing.assert_allclose(view.pre_activations(thetas[b:b + 1], x[:1])[0], z)
        if act == "relu":  # the symbolic kinks, in the same (point-major) order
            assert [float(k.xreplace(values)) for k in flow.kinks] == z
    theta = rng.normal(size=view.n_params)
    xs = rng.normal(size=(1, 3, dim))
    rows = view.residual_gradients(theta[None], xs)[0]
    for i in range(3):
        np.testing.assert_allclose(
            rows[i], _central(lambda th, i=i: view.outputs(th[None], xs)[0, i], theta),
            rtol=1e-6, atol=1e-8)


def test_two_layer_kink_jump_matches_the_field_jump():
    """Unit j crossing w_j . x_i + b_j = 0 changes the field by (1/n) |r_i v_j| |(x_i, 1)|."""
    view = SurrogateModel("two-layer", "relu", 1, width=1, bias=True, skip=True)
    x = np.array([[[2.0], [-1.0]]])
    y = np.array([[1.0, 3.0]])
    eps = 1e-12
    theta_in = np.array([[3.0, 1.0, -2.0 + eps, 0.5, 0.25]])  # v w b u c
    theta_out = np.array([[3.0, 1.0, -2.0 - eps, 0.5, 0.25]])
    jump = np.linalg.norm(view.field(theta_in, x, y) - view.field(theta_out, x, y))
    assert view.kink_jumps(theta_in, x, y)[0, 0] == pytest.approx(jump, rel=1e-6)


def test_the_kkt_search_refuses_two_layer_by_name():
    """The implicit-bias search (KKT rows of neurons) covers relu-neuron and neuron only."""
    from igproof.search.families import implicit_bias_family
    from igproof.search.violation import kkt_violation

    view = SurrogateModel("two-layer", "relu", 1, width=2)
    with pytest.raises(InvalidArgument, match="implicit-bias search"):
        implicit_bias_family(view)
    with pytest.raises(InvalidArgument, match="implicit-bias search"):
        kkt_violation(view, [[1.0]], [1.0], np.ones(4), np.ones(4))
    assert implicit_bias_family(SurrogateModel("neuron", "relu", 1)).kind == "neuron"


def test_float_limit_of_a_two_layer_flow_reaches_zero_loss():
    """float_limit integrates the two-layer family (batched path) to M_S."""
    from igproof.search.surrogate import float_limit

    view = SurrogateModel("two-layer", "relu", 1, width=1, bias=True, skip=True)
    out = float_limit(view, [[-1], [1]], [1, 2], [1, 1, -0.5, 0.25, 0.0])
    assert out.converged and out.loss < 1e-12
    f = view.outputs(out.theta[None], np.array([[[-1.0], [1.0]]]))[0]
    np.testing.assert_allclose(f, [1.0, 2.0], atol=1e-5)


def test_models_strategy_draws_two_layer_families():
    """models(kinds=["two-layer"], ...) draws build_model two-layer networks with the allowed
    widths and flags; flow_examples gives one initial value per parameter."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from igproof.search.strategies import flow_examples, models

    seen = set()

    @settings(max_examples=30, deadline=None, derandomize=True)
    @given(st.data())
    def check(data):
        model = data.draw(models(kinds=["two-layer"], dims=[1, 2], widths=[2, 3],
                                 bias=[False, True], skip=[False, True]))
        assert model.kind == "two-layer" and model.width in (2, 3)
        seen.add((model.bias, model.skip))
        dataset, theta0 = data.draw(flow_examples(model, max_size=2))
        assert len(theta0) == len(model.parameters) and dataset.dim == model.dim

    check()
    assert (True, True) in seen and (False, False) in seen
    with pytest.raises(InvalidArgument, match="kinds"):
        models(kinds=["cnn"])
    with pytest.raises(InvalidArgument, match="bias"):
        models(kinds=["two-layer"], bias=True)
