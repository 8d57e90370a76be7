"""The batched model families: loss gradients and residual gradients against finite differences."""

import numpy as np
import pytest

from igproof.errors import InvalidArgument
from igproof.search.families import SurrogateModel

CASES = [("relu-neuron", "relu", 3), ("neuron", "relu", 2), ("neuron", "tanh", 3)]


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
        SurrogateModel("two-layer", "relu", 2)
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
    for bad in (build_model("two-layer", dim=1, width=2), build_model("neuron", dim=1, bias=True),
                build_model("neuron", dim=1, activation="sigmoid")):
        with pytest.raises(InvalidArgument, match="model"):
            SurrogateModel.from_model(bad)
    with pytest.raises(InvalidArgument, match="model"):
        SurrogateModel.from_model("relu-neuron")
